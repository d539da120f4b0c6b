"""Metrics and grouped cross-validation.

Stance is scored on the *gold* topics: for every (paragraph, topic) pair
that the gold labels list, the predicted stance is the most probable stance
toward that topic. That separates stance quality from topic detection.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.base import clone
from sklearn.metrics import f1_score, precision_recall_fscore_support
from sklearn.model_selection import GroupKFold

from .schema import ABSENT

__all__ = ["score", "cross_validate", "CVResult", "oof_predict"]


def score(y_true, topic_pred, stance_pred_on_gold, topics, stances) -> dict:
    """Headline metrics of predictions against gold labels.

    Parameters
    ----------
    y_true : ndarray of shape (n, k)
        Gold label matrix (stance or ``""``).
    topic_pred : ndarray of bool, shape (n, k)
        Predicted topic presence.
    stance_pred_on_gold : ndarray of str, shape (n, k)
        Predicted stance toward every topic (only entries where the gold
        topic is present are used).
    topics, stances : sequence of str

    Returns
    -------
    dict
        ``topic_macro_f1``, ``topic_micro_f1``, ``stance_macro_f1``,
        ``stance_f_avg`` ((F_favor + F_against) / 2 when both exist),
        ``exact_match``, ``per_topic`` {topic: {precision, recall, f1, support}},
        ``n``.
    """
    y_true = np.asarray(y_true, dtype=object)
    gold = y_true != ABSENT
    topic_pred = np.asarray(topic_pred, dtype=bool)
    p, r, f, s = precision_recall_fscore_support(gold, topic_pred, average=None, zero_division=0)
    out = {
        "n": int(len(y_true)),
        "topic_macro_f1": float(f1_score(gold, topic_pred, average="macro", zero_division=0)),
        "topic_micro_f1": float(f1_score(gold, topic_pred, average="micro", zero_division=0)),
        "exact_match": float(np.mean(np.all(gold == topic_pred, axis=1))),
        "per_topic": {
            t: {"precision": float(p[j]), "recall": float(r[j]), "f1": float(f[j]), "support": int(s[j])}
            for j, t in enumerate(topics)
        },
    }
    true_s = y_true[gold].astype(str)
    pred_s = np.asarray(stance_pred_on_gold, dtype=object)[gold].astype(str)
    labels = [s_ for s_ in stances if s_ in set(true_s) | set(pred_s)]
    per_stance = f1_score(true_s, pred_s, labels=labels, average=None, zero_division=0) if len(true_s) else []
    f_by = dict(zip(labels, map(float, per_stance)))
    out["stance_macro_f1"] = float(np.mean(per_stance)) if len(true_s) else 0.0
    out["stance_f1"] = f_by
    out["stance_f_avg"] = float((f_by.get("favor", 0.0) + f_by.get("against", 0.0)) / 2)
    out["stance_n"] = int(len(true_s))
    return out


@dataclass
class CVResult:
    """Out-of-fold predictions and their metrics."""

    topic_proba: np.ndarray
    stance_proba: np.ndarray
    topic_pred: np.ndarray
    stance_pred: np.ndarray
    metrics: dict
    n_splits: int


def oof_predict(estimator, X, y, groups, *, n_splits=5, seed=0):
    """Out-of-fold topic and stance probabilities with folds grouped by ``groups``.

    Returns ``(topic_proba, stance_proba, topic_pred, n_splits)``; ``n_splits`` is
    reduced to the number of groups when there are fewer.
    """
    X = list(X)
    y = np.asarray(y, dtype=object)
    groups = np.asarray(groups)
    n_splits = int(min(n_splits, len(np.unique(groups))))
    if n_splits < 2:
        raise ValueError("cross-validation needs at least two groups (distinct 'doc' values)")
    k = y.shape[1]
    n_stances = len(estimator.get_params()["stances"])
    topic_proba = np.zeros((len(X), k))
    stance_proba = np.zeros((len(X), k, n_stances))
    topic_pred = np.zeros((len(X), k), dtype=bool)
    folds = GroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    for train, test in folds.split(X, y, groups):
        est = clone(estimator).fit([X[i] for i in train], y[train])
        tp, sp_ = est.predict_all([X[i] for i in test])
        topic_proba[test] = tp
        stance_proba[test] = sp_
        topic_pred[test] = tp >= est.thresholds_
    return topic_proba, stance_proba, topic_pred, n_splits


def cross_validate(estimator, X, y, groups, *, n_splits=5, seed=0) -> CVResult:
    """Grouped K-fold cross-validation of a :class:`~stancecls.model.StanceClassifier`.

    Paragraphs of the same group (``doc``) are never split between training and
    test folds, so a story is never scored by a model that saw it.
    """
    topic_proba, stance_proba, topic_pred, n_splits = oof_predict(
        estimator, X, y, groups, n_splits=n_splits, seed=seed
    )
    params = estimator.get_params()
    stances = np.asarray(params["stances"], dtype=object)
    topics = params["topics"] or [f"topic_{j}" for j in range(np.asarray(y).shape[1])]
    stance_pred = stances[stance_proba.argmax(axis=2)]
    metrics = score(y, topic_pred, stance_pred, topics, list(stances))
    metrics["n_splits"] = n_splits
    metrics["seed"] = seed
    return CVResult(topic_proba, stance_proba, topic_pred, stance_pred, metrics, n_splits)
