"""Hyper-parameter search for :class:`~stancecls.model.StanceClassifier`.

Grouped K-fold cross-validation (folds never split a story) over:

- feature settings: word and character n-gram ranges, stemming, sublinear tf,
  ``min_df`` — a seeded random sample of the grid, always including the
  defaults; each setting reads the texts once for all folds
  (:func:`~stancecls.features.fold_matrices`);
- for each feature setting, every topic (``topic_C``, ``class_weight``) and
  stance (``stance_C``) candidate. The TF-IDF matrices of a fold are computed
  once per feature setting and shared by all of them, which is what makes the
  search cheap;
- then per-topic decision thresholds, chosen to maximise F1 on out-of-fold
  calibrated probabilities of the chosen configuration, but not below
  ``threshold_floor``.

Candidates are ranked by topic macro-F1 (topic parameters) and stance
macro-F1 on the gold topics (stance parameters); feature settings by the sum.
The search is deterministic for a given seed; ``max_seconds`` stops it early
(then the result depends on the machine's speed, and the result says so).
"""

from __future__ import annotations

import itertools
import random
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.model_selection import GroupKFold

from .features import TextFeatures, fold_matrices
from .model import SOLVER, pair_features
from .schema import ABSENT

__all__ = ["SEARCH_SPACE", "TuneResult", "tune", "best_thresholds"]

#: The grid searched by default.
SEARCH_SPACE: dict[str, list[Any]] = {
    "word_ngram_range": [(1, 2), (1, 1), (1, 3)],
    "char_ngram_range": [(2, 5), None, (3, 5), (1, 4)],
    "stem": [True, False],
    "sublinear_tf": [True, False],
    "min_df": [1, 2],
    "topic_C": [1.0, 10.0, 100.0],
    "class_weight": ["balanced", None],
    "stance_C": [1.0, 10.0, 100.0],
}
_FEATURE_KEYS = ("word_ngram_range", "char_ngram_range", "stem", "sublinear_tf", "min_df")


@dataclass
class TuneResult:
    """The chosen parameters and what every candidate scored."""

    params: dict[str, Any]
    thresholds: dict[str, float]
    score: dict[str, float]
    candidates: list[dict[str, Any]] = field(default_factory=list)
    n_splits: int = 3
    seed: int = 0
    seconds: float = 0.0
    complete: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {
            "params": {k: list(v) if isinstance(v, tuple) else v for k, v in self.params.items()},
            "thresholds": self.thresholds,
            "score": self.score,
            "n_splits": self.n_splits,
            "seed": self.seed,
            "seconds": round(self.seconds, 1),
            "complete": self.complete,
            "candidates": self.candidates,
        }


def best_thresholds(gold: np.ndarray, proba: np.ndarray, topics, floor: float = 0.0) -> dict[str, float]:
    """Per-topic threshold maximising F1 on (out-of-fold) probabilities.

    Candidates are the midpoints between consecutive distinct probabilities
    (and 0.5) that are at least ``floor``; ties go to the threshold closest to
    0.5, so the choice is stable. All cut points are scored at once from
    cumulative counts.
    """
    out = {}
    for j, t in enumerate(topics):
        y, p = gold[:, j].astype(bool), np.asarray(proba[:, j], dtype=float)
        if y.sum() == 0 or y.all():
            out[t] = max(0.5, floor)
            continue
        u = np.unique(p)
        cands = np.concatenate([[0.5], [floor] if floor > 0 else [], (u[1:] + u[:-1]) / 2])
        cands = np.unique(cands[cands >= floor])
        order = np.argsort(p)
        p_sorted, y_sorted = p[order], y[order]
        # predicted positive = p >= c: count positives/total at or above each candidate
        pos_above = np.cumsum(y_sorted[::-1])[::-1]
        idx = np.searchsorted(p_sorted, cands, side="left")
        n = len(p)
        tp = np.where(idx < n, pos_above[np.minimum(idx, n - 1)], 0)
        predicted = n - idx
        f1 = np.where(predicted + y.sum() > 0, 2 * tp / (predicted + y.sum()), 0.0)
        f1 = np.round(f1, 10)
        best = np.flatnonzero(f1 == f1.max())
        out[t] = float(cands[best[np.argmin(np.abs(cands[best] - 0.5))]])
    return out


def _feature_configs(space, n, seed, defaults):
    grid = [dict(zip(_FEATURE_KEYS, combo)) for combo in itertools.product(*(space[k] for k in _FEATURE_KEYS))]
    first = {k: defaults[k] for k in _FEATURE_KEYS}
    rest = [g for g in grid if g != first]
    random.Random(seed).shuffle(rest)
    return [first] + rest[: max(n - 1, 0)]


def tune(
    estimator,
    X,
    y,
    groups,
    *,
    n_splits: int = 3,
    n_feature_configs: int = 6,
    space: dict[str, list[Any]] | None = None,
    seed: int = 0,
    max_seconds: float | None = None,
    progress: Callable[[int, int, str], None] | None = None,
    threshold_floor: float = 0.0,
) -> TuneResult:
    """Search hyper-parameters by grouped cross-validation.

    Parameters
    ----------
    estimator : StanceClassifier
        Unfitted; its parameters are the starting point and are kept for
        everything not searched.
    X : list of str
    y : ndarray (n, k)
    groups : sequence
        Story (``doc``) of each paragraph.
    n_splits : int, default=3
        Folds of the search (the final report uses its own K).
    n_feature_configs : int, default=6
        Feature settings tried (the defaults plus a seeded random sample).
    space : dict, optional
        Grid to search; default :data:`SEARCH_SPACE`.
    seed : int, default=0
    max_seconds : float, optional
        Stop trying new feature settings after this long.
    progress : callable, optional
        Called as ``progress(done, total, message)``.
    threshold_floor : float, default=0.0
        Lowest per-topic threshold the search may choose.

    Returns
    -------
    TuneResult
    """
    start = time.monotonic()
    space = dict(SEARCH_SPACE if space is None else space)
    base = estimator.get_params()
    X = list(X)
    y = np.asarray(y, dtype=object)
    gold = y != ABSENT
    topics = list(base["topics"] or [f"topic_{j}" for j in range(y.shape[1])])
    stances = list(base["stances"])
    n_splits = int(min(n_splits, len(set(groups))))
    folds = list(GroupKFold(n_splits=n_splits, shuffle=True, random_state=seed).split(X, y, groups))
    configs = _feature_configs(space, n_feature_configs, seed, base)
    topic_grid = list(itertools.product(space["topic_C"], space["class_weight"]))
    stance_grid = list(space["stance_C"])
    candidates = []
    best = None
    complete = True
    total = len(configs) + 1
    for c_i, fconf in enumerate(configs):
        if max_seconds is not None and c_i > 0 and time.monotonic() - start > max_seconds:
            complete = False
            break
        if progress:
            progress(c_i, total, f"features {fconf}")
        topic_oof = {tc: np.zeros(y.shape) for tc in topic_grid}
        stance_true, stance_pred = [], {sc: [] for sc in stance_grid}
        feats = TextFeatures(**{**{k: base[k] for k in ("protected_words", "stopwords", "max_features")}, **fconf})
        for (train, test), (Ztr, Zte) in zip(folds, fold_matrices(feats, X, folds)):
            for tc in topic_grid:
                C, cw = tc
                if not base["multi_label"]:
                    classes = np.asarray(topics, dtype=object)[gold[train].argmax(axis=1)].astype(str)
                    lr = LogisticRegression(C=C, class_weight=cw, solver=SOLVER, max_iter=2000).fit(Ztr, classes)
                    proba = lr.predict_proba(Zte)
                    for c, label in enumerate(lr.classes_):
                        topic_oof[tc][test, topics.index(label)] = proba[:, c]
                    continue
                for j in range(len(topics)):
                    yj = gold[train, j]
                    if yj.all() or not yj.any():
                        topic_oof[tc][test, j] = float(yj.mean())
                        continue
                    lr = LogisticRegression(C=C, class_weight=cw, solver=SOLVER, max_iter=2000).fit(Ztr, yj)
                    topic_oof[tc][test, j] = lr.predict_proba(Zte)[:, 1]
            rows, cols = np.nonzero(gold[train])
            labels = y[train][rows, cols].astype(str)
            Fp = pair_features(Ztr[rows], cols, len(topics), shared_only=base["stance_mode"] == "shared")
            trows, tcols = np.nonzero(gold[test])
            Ft = pair_features(Zte[trows], tcols, len(topics), shared_only=base["stance_mode"] == "shared")
            stance_true.extend(y[test][trows, tcols].astype(str))
            for sc in stance_grid:
                if len(set(labels)) < 2:
                    stance_pred[sc].extend([labels[0]] * len(trows))
                    continue
                lr = LogisticRegression(C=sc, class_weight=base["class_weight"], solver=SOLVER, max_iter=2000).fit(Fp, labels)
                stance_pred[sc].extend(lr.predict(Ft))
        topic_scores = {}
        for tc in topic_grid:
            if base["multi_label"]:
                th = best_thresholds(gold, topic_oof[tc], topics, threshold_floor)
                pred = topic_oof[tc] >= np.array([th[t] for t in topics])
            else:  # single-label: the arg-max class
                pred = np.zeros(gold.shape, dtype=bool)
                pred[np.arange(len(pred)), topic_oof[tc].argmax(axis=1)] = True
            topic_scores[tc] = float(f1_score(gold, pred, average="macro", zero_division=0))
        stance_scores = {
            sc: float(f1_score(stance_true, stance_pred[sc], labels=stances, average="macro", zero_division=0))
            for sc in stance_grid
        }
        tc_best = max(topic_grid, key=lambda tc: (topic_scores[tc], tc == (base["topic_C"], base["class_weight"])))
        sc_best = max(stance_grid, key=lambda sc: (stance_scores[sc], sc == base["stance_C"]))
        for tc in topic_grid:
            candidates.append({**_jsonable(fconf), "part": "topic", "topic_C": tc[0], "class_weight": tc[1],
                               "topic_macro_f1": topic_scores[tc]})
        for sc in stance_grid:
            candidates.append({**_jsonable(fconf), "part": "stance", "stance_C": sc, "stance_macro_f1": stance_scores[sc]})
        total_score = topic_scores[tc_best] + stance_scores[sc_best]
        if best is None or total_score > best[0] + 1e-12:
            best = (total_score, fconf, tc_best, sc_best, topic_scores[tc_best], stance_scores[sc_best])
    _, fconf, (topic_C, cw), stance_C, t_score, s_score = best
    params = {**fconf, "topic_C": topic_C, "class_weight": cw, "stance_C": stance_C}
    if progress:
        progress(total - 1, total, "thresholds")
    if base["multi_label"]:
        chosen = clone(estimator).set_params(**params, threshold=0.5)
        oof = np.zeros(y.shape)
        for train, test in folds:
            est = clone(chosen).fit([X[i] for i in train], y[train])
            oof[test] = est.predict_proba([X[i] for i in test])
        thresholds = best_thresholds(gold, oof, topics, threshold_floor)
    else:
        thresholds = {t: 0.5 for t in topics}  # not used: single-label models take the arg-max
    if progress:
        progress(total, total, "done")
    return TuneResult(
        params=params,
        thresholds=thresholds,
        score={"topic_macro_f1": t_score, "stance_macro_f1": s_score},
        candidates=candidates,
        n_splits=n_splits,
        seed=seed,
        seconds=time.monotonic() - start,
        complete=complete,
    )


def _jsonable(conf: dict) -> dict:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in conf.items()}
