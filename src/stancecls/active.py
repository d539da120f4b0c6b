"""Active learning: which unlabelled paragraphs to label next.

The ranking is *uncertainty with diversity*: a paragraph is worth labelling
when the model is unsure about it, and a batch is worth more when its
paragraphs are unlike one another. Uncertainty alone fills a batch with
near-copies of the same borderline story (news repeats itself); diversity
alone wastes labels on paragraphs the model already gets right.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

__all__ = ["uncertainty", "diverse_top", "suggest", "Suggestion", "Pool", "load_pool"]


def uncertainty(topic_proba: np.ndarray, stance_proba: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """How unsure the model is about each paragraph, in [0, 1] (1 = most unsure).

    For each topic two things can be wrong: whether the topic is present, and
    its stance. Topic doubt is 1 at the topic's threshold and falls linearly to
    0 at probability 0 or 1. Stance doubt is one minus the margin between the
    two most likely stances, weighted by how close the topic is to being
    predicted (its probability over its threshold, at most 1), so the stance of
    a topic that is plainly absent does not count. A paragraph's uncertainty is
    the largest doubt over its topics.

    Parameters
    ----------
    topic_proba : ndarray of shape (n, n_topics)
    stance_proba : ndarray of shape (n, n_topics, n_stances)
    thresholds : ndarray of shape (n_topics,)
    """
    p = np.asarray(topic_proba, dtype=float)
    t = np.broadcast_to(np.asarray(thresholds, dtype=float), p.shape)
    span = np.where(p < t, t, 1.0 - t)
    topic_doubt = 1.0 - np.abs(p - t) / np.maximum(span, 1e-12)
    s = np.sort(np.asarray(stance_proba, dtype=float), axis=2)
    margin = s[:, :, -1] - s[:, :, -2] if s.shape[2] > 1 else np.ones(p.shape)
    stance_doubt = np.minimum(1.0, p / np.maximum(t, 1e-12)) * (1.0 - margin)
    if p.shape[1] == 0:
        return np.zeros(len(p))
    return np.clip(np.maximum(topic_doubt, stance_doubt).max(axis=1), 0.0, 1.0)


def diverse_top(scores: np.ndarray, features, n: int, *, diversity: float = 0.5) -> list[int]:
    """Pick ``n`` rows greedily by ``(1 - diversity) * score - diversity * (max cosine to the rows picked)``.

    Parameters
    ----------
    scores : ndarray of shape (m,)
        What each row is worth alone (e.g. :func:`uncertainty`).
    features : sparse matrix of shape (m, d)
        Rows with unit L2 norm, so that dot products are cosines.
    n : int
    diversity : float in [0, 1], default=0.5
        0 ranks by score alone; 1 by novelty alone.

    Returns
    -------
    list of int
        Row indices in the order picked; ties go to the earlier row.
    """
    scores = np.asarray(scores, dtype=float)
    m = len(scores)
    n = min(int(n), m)
    if not 0.0 <= diversity <= 1.0:
        raise ValueError(f"diversity must lie in [0, 1]; got {diversity}")
    picked: list[int] = []
    closest = np.zeros(m)
    free = np.ones(m, dtype=bool)
    for _ in range(n):
        value = np.where(free, (1.0 - diversity) * scores - diversity * closest, -np.inf)
        j = int(np.argmax(value))
        picked.append(j)
        free[j] = False
        if diversity > 0:
            sim = np.asarray((features @ features[j].T).todense()).ravel()
            np.maximum(closest, sim, out=closest)
    return picked


@dataclass(frozen=True)
class Suggestion:
    """A paragraph worth labelling next."""

    rank: int
    index: int  # position in the pool
    uncertainty: float
    scores: dict[str, float]
    predicted: dict[str, str]  # topic -> stance of what the model predicts now


def _unit_rows(model, texts: Sequence[str]):
    """The model's own TF-IDF vectors of ``texts`` as unit rows of a CSR matrix."""
    from scipy import sparse

    compiled = model._compiled()
    rows, cols, vals = compiled.transform(texts)
    X = sparse.csr_matrix((vals, (rows, cols)), shape=(len(texts), compiled._W.shape[0]))
    norms = np.sqrt(np.asarray(X.multiply(X).sum(axis=1)).ravel())
    return sparse.diags(1.0 / np.maximum(norms, 1e-12)) @ X


def suggest(model, texts: Sequence[str], n: int, *, diversity: float = 0.5, candidates: int = 10,
            batch_size: int = 2048) -> list[Suggestion]:
    """Rank unlabelled paragraphs so that labelling the first ``n`` helps the model most.

    Parameters
    ----------
    model : Model
        The current model (:func:`stancecls.load` or :func:`stancecls.train`).
    texts : sequence of str
        The unlabelled pool.
    n : int
        How many to suggest.
    diversity : float in [0, 1], default=0.5
        Weight of novelty against uncertainty (:func:`diverse_top`).
    candidates : int, default=10
        Only the ``candidates * n`` most uncertain paragraphs compete for the
        batch, which bounds the cost of the diversity step.
    batch_size : int, default=2048
        Paragraphs scored at a time.

    Returns
    -------
    list of Suggestion
        Best first. Deterministic: the same model and pool give the same list.
    """
    texts = list(texts)
    if n < 1:
        raise ValueError(f"n must be at least 1; got {n}")
    if candidates < 1:
        raise ValueError(f"candidates must be at least 1; got {candidates}")
    topics, stances = model.topics, model.stances
    thresholds = np.asarray(model.predictor.thresholds_, dtype=float)
    u = np.empty(len(texts))
    tp = np.empty((len(texts), len(topics)))
    sp = np.empty((len(texts), len(topics), len(stances)))
    for lo in range(0, len(texts), batch_size):
        tp[lo : lo + batch_size], sp[lo : lo + batch_size] = model.predict_proba(texts[lo : lo + batch_size])
    u[:] = uncertainty(tp, sp, thresholds)
    # stable sort on -u: equal doubt keeps pool order, so the ranking is reproducible
    pool = np.argsort(-u, kind="stable")[: min(len(texts), candidates * n)]
    if len(pool) == 0:
        return []
    order = diverse_top(u[pool], _unit_rows(model, [texts[i] for i in pool]), n, diversity=diversity)
    decided = model.predictor.decide(tp[pool[order]])
    out = []
    for rank, (k, chosen) in enumerate(zip(order, decided), 1):
        i = int(pool[k])
        out.append(Suggestion(
            rank=rank,
            index=i,
            uncertainty=float(u[i]),
            scores={t: float(tp[i, j]) for j, t in enumerate(topics)},
            predicted={t: stances[int(sp[i, j].argmax())] for j, t in enumerate(topics) if chosen[j]},
        ))
    return out


@dataclass(frozen=True)
class Pool:
    """Unlabelled paragraphs read for :func:`suggest`, with what was set aside and why."""

    ids: list[str]
    texts: list[str]
    extras: list[dict]
    read: int  # paragraphs in the file(s)
    duplicates: int  # repeats of an earlier paragraph of the pool, kept once
    labelled: int  # already in the label data
    empty: int  # blank paragraphs, nothing to label


def load_pool(path: str, *, fmt: str = "auto", text_field: str = "text", id_field: str = "id",
              article: bool = False, exclude: Sequence[str] = ()) -> Pool:
    """Read an unlabelled pool: paragraphs, or articles split into paragraphs.

    A paragraph whose text (case and spacing aside) was seen before in the pool,
    or is already in the label files ``exclude``, is set aside and counted, so
    the same story is never suggested twice.

    Raises
    ------
    InputError
        A record that cannot be read, named by file and line.
    """
    from .io import paragraph_records, read_records
    from .schema import load_labels, text_key

    known = {text_key(r.text) for r in load_labels(list(exclude))[1]} if exclude else set()
    seen: set[str] = set()
    ids, texts, extras = [], [], []
    read = duplicates = labelled = empty = 0
    for rid, text, extra in paragraph_records(read_records(path, fmt, text_field=text_field, id_field=id_field,
                                                           article=article), article):
        read += 1
        key = text_key(text)
        if not key:
            empty += 1
        elif key in known:
            labelled += 1
        elif key in seen:
            duplicates += 1
        else:
            seen.add(key)
            ids.append(rid)
            texts.append(text)
            extras.append(extra)
    return Pool(ids, texts, extras, read, duplicates, labelled, empty)
