"""Label audit: likely label errors found from out-of-fold probabilities (confident learning).

Each paragraph is scored by a model that never saw its story (grouped K-fold).
For every class, the *confidence threshold* is the mean out-of-fold
probability of that class over the paragraphs labelled with it (Northcutt et
al., "Confident Learning", 2021). A label is flagged when the model is at least
that confident in another class, the off-diagonal of the confident joint:

* a topic labelled absent whose probability reaches the "present" threshold,
  or labelled present whose probability of absence reaches the "absent" one;
* a stance (on a gold topic) whose rival stance reaches its threshold.

Findings are ranked by margin, the suggested class's probability minus the
given one's, and carry the n-grams that drove the fold model's score.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from .schema import ABSENT, LabelRecord, LabelSchema, labels_to_matrix

__all__ = ["Finding", "AuditResult", "audit", "confident_flags"]


@dataclass(frozen=True)
class Finding:
    """A label the out-of-fold model confidently disagrees with."""

    record: LabelRecord
    kind: str  # "topic" or "stance"
    topic: str
    given: str  # topic: "present"/"absent"; stance: the labelled stance
    suggested: str
    p_given: float
    p_suggested: float
    evidence: list = field(default_factory=list)  # [[n-gram, contribution], ...] of the fold model

    @property
    def margin(self) -> float:
        """How much more probable the suggested class is than the given one."""
        return self.p_suggested - self.p_given

    @property
    def where(self) -> str:
        """``file:line`` of the record."""
        return f"{self.record.path}:{self.record.line}"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "id": self.record.id,
            "where": self.where,
            "doc": self.record.doc,
            "kind": self.kind,
            "topic": self.topic,
            "given": self.given,
            "suggested": self.suggested,
            "p_given": round(self.p_given, 6),
            "p_suggested": round(self.p_suggested, 6),
            "margin": round(self.margin, 6),
            "evidence": [[name, round(c, 6)] for name, c in self.evidence],
            "text": self.record.text,
        }


@dataclass
class AuditResult:
    """What :func:`audit` found, with the thresholds it used."""

    findings: list[Finding]
    n_records: int
    n_labels: int  # topic decisions plus stances checked
    thresholds: dict[str, Any]
    n_splits: int

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary with every finding."""
        kinds = {k: sum(f.kind == k for f in self.findings) for k in ("topic", "stance")}
        return {"n_records": self.n_records, "n_labels": self.n_labels, "n_splits": self.n_splits,
                "n_findings": len(self.findings), "by_kind": kinds, "thresholds": self.thresholds,
                "findings": [f.to_dict() for f in self.findings]}


def confident_flags(proba: np.ndarray, given: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Off-diagonal entries of the confident joint.

    Parameters
    ----------
    proba : ndarray of shape (n, n_classes)
        Out-of-fold probabilities.
    given : ndarray of int, shape (n,)
        The labelled class of each row.

    Returns
    -------
    flagged : ndarray of bool, shape (n,)
    suggested : ndarray of int, shape (n,)
        For flagged rows, the class the model is confident in (the most
        probable of those at or above their threshold).
    thresholds : ndarray of shape (n_classes,)
        Mean probability of each class over the rows labelled with it (NaN
        for a class no row has; it never flags).
    """
    proba = np.asarray(proba, dtype=float)
    given = np.asarray(given, dtype=int)
    k = proba.shape[1]
    thresholds = np.array([proba[given == c, c].mean() if (given == c).any() else np.nan for c in range(k)])
    confident = proba >= np.where(np.isnan(thresholds), np.inf, thresholds)
    masked = np.where(confident, proba, -np.inf)
    suggested = masked.argmax(axis=1)
    flagged = confident.any(axis=1) & (suggested != given)
    return flagged, suggested, thresholds


def audit(
    records: Sequence[LabelRecord],
    schema: LabelSchema,
    estimator,
    *,
    n_splits: int = 5,
    seed: int = 0,
    k: int = 6,
) -> AuditResult:
    """Flag likely label errors in ``records`` with grouped out-of-fold probabilities.

    Parameters
    ----------
    records : sequence of LabelRecord
    schema : LabelSchema
    estimator : StanceClassifier
        Unfitted or fitted; a clone is fitted on each fold.
    n_splits : int, default=5
        Folds, grouped by ``doc`` so a story is never scored by a model that saw it.
    seed : int, default=0
        Seed of the fold assignment.
    k : int, default=6
        N-grams of evidence per finding.

    Returns
    -------
    AuditResult
        Findings ranked by margin, largest first.
    """
    from .bundle import compile_estimator
    from .compiled import explain
    from .evaluate import oof_predict

    X = [r.text for r in records]
    y = labels_to_matrix(records, schema)
    groups = np.asarray([r.doc for r in records])
    topics, stances = list(schema.topics), list(schema.stances)
    n = len(X)
    topic_p, stance_p, _, n_splits, (fold_of, fold_models) = oof_predict(
        estimator, X, y, groups, n_splits=n_splits, seed=seed, return_folds=True)

    raw: list[tuple[int, str, int, str, str, float, float]] = []
    thresholds: dict[str, Any] = {"topic": {}, "stance": {}}
    n_labels = 0
    for j, t in enumerate(topics):
        present = (y[:, j] != ABSENT).astype(int)
        proba = np.column_stack([1.0 - topic_p[:, j], topic_p[:, j]])
        flagged, suggested, th = confident_flags(proba, present)
        thresholds["topic"][t] = {"absent": _num(th[0]), "present": _num(th[1])}
        n_labels += n
        names = ("absent", "present")
        for i in np.flatnonzero(flagged):
            raw.append((i, "topic", j, names[present[i]], names[suggested[i]],
                        proba[i, present[i]], proba[i, suggested[i]]))
        gold = np.flatnonzero(present == 1)
        if len(gold) == 0:
            continue
        given = np.array([stances.index(s) for s in y[gold, j]])
        flagged, suggested, th = confident_flags(stance_p[gold, j], given)
        thresholds["stance"][t] = {s: _num(th[c]) for c, s in enumerate(stances)}
        n_labels += len(gold)
        for g in np.flatnonzero(flagged):
            i = gold[g]
            raw.append((i, "stance", j, stances[given[g]], stances[suggested[g]],
                        stance_p[i, j, given[g]], stance_p[i, j, suggested[g]]))

    compiled: dict[int, Any] = {}
    findings = []
    for i, kind, j, given_, suggested_, p_g, p_s in raw:
        f = fold_of[i]
        if f not in compiled:
            compiled[f] = compile_estimator(fold_models[f])
        e = explain(compiled[f], X[i], k)
        block = e["topics" if kind == "topic" else "stance"].get(topics[j], {})
        findings.append(Finding(records[i], kind, topics[j], given_, suggested_, float(p_g), float(p_s),
                                [tuple(x) for x in block.get("features", [])]))
    findings.sort(key=lambda f: (-f.margin, f.record.path, f.record.line, f.topic))
    return AuditResult(findings, n, n_labels, thresholds, n_splits)


def _num(x: float) -> float | None:
    return None if np.isnan(x) else round(float(x), 6)
