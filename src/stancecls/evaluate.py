"""Metrics and grouped cross-validation.

Stance is scored on the *gold* topics: for every (paragraph, topic) pair
that the gold labels list, the predicted stance is the most probable stance
toward that topic. That separates stance quality from topic detection.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import clone
from sklearn.metrics import f1_score, precision_recall_fscore_support
from sklearn.model_selection import GroupKFold

from .schema import ABSENT

__all__ = [
    "score",
    "oof_predict",
    "evaluation_report",
    "expected_calibration_error",
    "reliability",
    "format_table",
    "format_markdown",
    "HEADLINE",
]


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


def oof_predict(estimator, X, y, groups, *, n_splits=5, seed=0, return_folds=False):
    """Out-of-fold topic and stance probabilities with folds grouped by ``groups``.

    Returns ``(topic_proba, stance_proba, topic_pred, n_splits)``; ``n_splits`` is
    reduced to the number of groups when there are fewer. With ``return_folds``,
    also ``(fold_of, fold_estimators)``: the fold each row was scored in and the
    estimator fitted without that fold.
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
    fold_of = np.zeros(len(X), dtype=int)
    fitted = []
    folds = GroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    for f, (train, test) in enumerate(folds.split(X, y, groups)):
        est = clone(estimator).fit([X[i] for i in train], y[train])
        tp, sp_ = est.predict_all([X[i] for i in test])
        topic_proba[test] = tp
        stance_proba[test] = sp_
        topic_pred[test] = est.decide(tp)
        fold_of[test] = f
        if return_folds:
            fitted.append(est)
    if return_folds:
        return topic_proba, stance_proba, topic_pred, n_splits, (fold_of, fitted)
    return topic_proba, stance_proba, topic_pred, n_splits


# ---------------------------------------------------------------- full report
HEADLINE = ("topic_macro_f1", "topic_micro_f1", "stance_macro_f1", "stance_f_avg", "exact_match")


def expected_calibration_error(y_true: np.ndarray, proba: np.ndarray, n_bins: int = 10) -> float:
    """ECE of binary probabilities: mean |accuracy - confidence| over equal-width bins, weighted by size."""
    y_true = np.asarray(y_true, dtype=float).ravel()
    proba = np.asarray(proba, dtype=float).ravel()
    bins = np.minimum((proba * n_bins).astype(int), n_bins - 1)
    ece = 0.0
    for b in range(n_bins):
        mask = bins == b
        if mask.any():
            ece += mask.mean() * abs(y_true[mask].mean() - proba[mask].mean())
    return float(ece)


def reliability(y_true, proba, n_bins: int = 10) -> list[dict]:
    """Per-bin mean predicted probability, observed frequency and count (for reliability diagrams)."""
    y_true = np.asarray(y_true, dtype=float).ravel()
    proba = np.asarray(proba, dtype=float).ravel()
    bins = np.minimum((proba * n_bins).astype(int), n_bins - 1)
    return [
        {"bin": b, "confidence": float(proba[bins == b].mean()), "frequency": float(y_true[bins == b].mean()),
         "count": int((bins == b).sum())}
        for b in range(n_bins)
        if (bins == b).any()
    ]


def _group_bootstrap(metric_fn, groups, n_boot: int, seed: int) -> dict[str, tuple[float, float]]:
    """95% percentile intervals of the headline metrics, resampling whole groups (stories)."""
    groups = np.asarray(groups)
    uniq, inverse = np.unique(groups, return_inverse=True)
    members = [np.flatnonzero(inverse == g) for g in range(len(uniq))]
    rng = np.random.default_rng(seed)
    samples: dict[str, list[float]] = {k: [] for k in HEADLINE}
    for _ in range(n_boot):
        pick = rng.integers(0, len(uniq), len(uniq))
        idx = np.concatenate([members[g] for g in pick])
        m = metric_fn(idx)
        for k in HEADLINE:
            samples[k].append(m[k])
    return {k: (float(np.percentile(v, 2.5)), float(np.percentile(v, 97.5))) for k, v in samples.items()}


def evaluation_report(
    y_true,
    topic_pred,
    stance_pred_on_gold,
    topics,
    stances,
    *,
    topic_proba=None,
    groups=None,
    n_boot: int = 1000,
    seed: int = 0,
) -> dict:
    """Everything ``stancecls evaluate`` reports.

    Parameters
    ----------
    y_true : ndarray (n, k)
        Gold label matrix.
    topic_pred : ndarray of bool (n, k)
    stance_pred_on_gold : ndarray of str (n, k)
        Predicted stance toward each topic (used where the gold topic is present).
    topics, stances : sequence of str
    topic_proba : ndarray (n, k), optional
        Topic probabilities, for the calibration figures.
    groups : sequence, optional
        Story of each paragraph; bootstrap intervals resample whole stories
        (paragraphs of a story are not independent). Default: each paragraph.
    n_boot : int, default=1000
        Bootstrap resamples (0 for none).
    seed : int, default=0
        Seed of the bootstrap.
    """
    y_true = np.asarray(y_true, dtype=object)
    topic_pred = np.asarray(topic_pred, dtype=bool)
    stance_pred_on_gold = np.asarray(stance_pred_on_gold, dtype=object)
    topics, stances = list(topics), list(stances)
    gold = y_true != ABSENT
    report = score(y_true, topic_pred, stance_pred_on_gold, topics, stances)
    gold_other, pred_other = ~gold.any(axis=1), ~topic_pred.any(axis=1)
    tp = int((gold_other & pred_other).sum())
    report["other"] = {
        "precision": tp / max(int(pred_other.sum()), 1),
        "recall": tp / max(int(gold_other.sum()), 1),
        "support": int(gold_other.sum()),
    }
    report["topic_confusion"] = {
        t: {
            "tp": int((gold[:, j] & topic_pred[:, j]).sum()),
            "fp": int((~gold[:, j] & topic_pred[:, j]).sum()),
            "fn": int((gold[:, j] & ~topic_pred[:, j]).sum()),
            "tn": int((~gold[:, j] & ~topic_pred[:, j]).sum()),
        }
        for j, t in enumerate(topics)
    }
    true_s = y_true[gold].astype(str)
    pred_s = stance_pred_on_gold[gold].astype(str)
    labels_pred = stances + sorted(set(pred_s) - set(stances))
    report["stance_confusion"] = {
        "labels_true": stances,
        "labels_pred": labels_pred,
        "matrix": [[int(((true_s == a) & (pred_s == b)).sum()) for b in labels_pred] for a in stances],
    }
    if topic_proba is not None:
        topic_proba = np.asarray(topic_proba, dtype=float)
        report["calibration"] = {
            "brier": float(np.mean((topic_proba - gold) ** 2)),
            "ece": expected_calibration_error(gold, topic_proba),
            "per_topic": {
                t: {
                    "brier": float(np.mean((topic_proba[:, j] - gold[:, j]) ** 2)),
                    "ece": expected_calibration_error(gold[:, j], topic_proba[:, j]),
                    "reliability": reliability(gold[:, j], topic_proba[:, j]),
                }
                for j, t in enumerate(topics)
            },
        }
    if n_boot:
        unit = "paragraph" if groups is None else "story (doc)"
        groups = np.arange(len(y_true)) if groups is None else np.asarray(groups)

        def metric_fn(idx):
            return score(y_true[idx], topic_pred[idx], stance_pred_on_gold[idx], topics, stances)

        report["intervals"] = {k: list(v) for k, v in _group_bootstrap(metric_fn, groups, n_boot, seed).items()}
        report["bootstrap"] = {"n": n_boot, "seed": seed, "unit": unit}
    return report


def _ci(report, key) -> str:
    iv = report.get("intervals", {}).get(key)
    return f"  [{iv[0]:.3f}, {iv[1]:.3f}]" if iv else ""


def _single_stance(report: dict) -> bool:
    """Single-label data (one stance value, "present"): stance and "other" rows say nothing."""
    return len(report["stance_confusion"]["labels_true"]) == 1


def format_table(report: dict) -> str:
    """A plain-text report."""
    lines = [f"paragraphs: {report['n']}   (gold topic, stance) pairs: {report['stance_n']}"]
    if "intervals" in report:
        lines.append(f"95% intervals: bootstrap over {report['bootstrap']['unit']}, {report['bootstrap']['n']} resamples")
    lines.append("")
    lines.append(f"{'metric':<31} {'value':>7}   95% interval")
    single = _single_stance(report)
    names = {
        "topic_macro_f1": "topic macro-F1",
        "topic_micro_f1": "topic micro-F1",
        "exact_match": "exact match (topic sets)",
        "stance_macro_f1": "stance macro-F1 (gold topics)",
        "stance_f_avg": "stance F_avg (favor, against)",
    }
    for key, name in names.items():
        if not (single and key.startswith("stance")):
            lines.append(f"{name:<31} {report[key]:>7.3f}{_ci(report, key)}")
    o = report["other"]
    if not single:
        lines.append(f"{'other precision / recall':<31} {o['precision']:>7.3f} / {o['recall']:.3f}  (n={o['support']})")
    if "calibration" in report:
        c = report["calibration"]
        lines.append(f"{'topic Brier / ECE':<31} {c['brier']:>7.4f} / {c['ece']:.4f}")
    lines.append("")
    lines.append(f"{'topic':<26} {'P':>6} {'R':>6} {'F1':>6} {'n':>5}   TP   FP   FN")
    for t, m in report["per_topic"].items():
        cm = report["topic_confusion"][t]
        lines.append(
            f"{t:<26} {m['precision']:>6.3f} {m['recall']:>6.3f} {m['f1']:>6.3f} {m['support']:>5} "
            f"{cm['tp']:>4} {cm['fp']:>4} {cm['fn']:>4}"
        )
    if single:
        return "\n".join(lines) + "\n"
    sc = report["stance_confusion"]
    lines.append("")
    lines.append("stance confusion (rows gold, columns predicted): " + ", ".join(f"F1 {k} {v:.3f}" for k, v in report["stance_f1"].items()))
    lines.append(f"{'':<10}" + "".join(f"{p:>10}" for p in sc["labels_pred"]))
    for label, row in zip(sc["labels_true"], sc["matrix"]):
        lines.append(f"{label:<10}" + "".join(f"{v:>10}" for v in row))
    return "\n".join(lines) + "\n"


def format_markdown(report: dict, title: str = "Evaluation") -> str:
    """The report as Markdown tables."""
    out = [f"### {title}", "", f"{report['n']} paragraphs, {report['stance_n']} (gold topic, stance) pairs."]
    if "intervals" in report:
        out.append(f"95% intervals: bootstrap over {report['bootstrap']['unit']}, {report['bootstrap']['n']} resamples.")
    out += ["", "| metric | value | 95% interval |", "|---|---|---|"]
    single = _single_stance(report)
    for key in HEADLINE:
        if single and key.startswith("stance"):
            continue
        iv = report.get("intervals", {}).get(key)
        out.append(f"| {key} | {report[key]:.3f} | " + (f"{iv[0]:.3f}–{iv[1]:.3f}" if iv else "") + " |")
    o = report["other"]
    if not single:
        out.append(f"| other precision / recall | {o['precision']:.3f} / {o['recall']:.3f} | |")
    if "calibration" in report:
        out.append(f"| topic Brier / ECE | {report['calibration']['brier']:.4f} / {report['calibration']['ece']:.4f} | |")
    out += ["", "| topic | precision | recall | F1 | support | TP | FP | FN |", "|---|---|---|---|---|---|---|---|"]
    for t, m in report["per_topic"].items():
        cm = report["topic_confusion"][t]
        out.append(f"| {t} | {m['precision']:.3f} | {m['recall']:.3f} | {m['f1']:.3f} | {m['support']} | {cm['tp']} | {cm['fp']} | {cm['fn']} |")
    if single:
        return "\n".join(out) + "\n"
    sc = report["stance_confusion"]
    out += ["", "Stance confusion (rows gold, columns predicted):", "", "| gold \\ predicted | " + " | ".join(sc["labels_pred"]) + " |",
            "|---" * (len(sc["labels_pred"]) + 1) + "|"]
    for label, row in zip(sc["labels_true"], sc["matrix"]):
        out.append(f"| {label} | " + " | ".join(map(str, row)) + " |")
    return "\n".join(out) + "\n"
