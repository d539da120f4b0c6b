"""Quality on data/labels: the shipped recipe by grouped CV, the stance-mode choice, a learning curve.

Usage: python benchmarks/bench_labels.py [--json OUT] [--plot PNG] [--quick]

- the bundled model's settings (as tuned by ``stancecls train``) evaluated by
  grouped 5-fold CV with 95% bootstrap intervals over stories. The settings
  were chosen on the same data (3-fold search), so these figures carry a small
  selection bias. When the model was trained with a background sample
  (``stancecls train --background``), the same sample joins every training
  fold and only the labelled paragraphs are scored, as in ``train``'s report;
- the same recipe with each ``stance_mode`` (pooled, shared, per_topic), on the
  labels alone: the measurement behind the default;
- a learning curve: grouped 5-fold CV on 10 %, 25 %, 50 %, 75 % and 100 % of
  the story groups (a seeded sample), on the labels alone, plotted.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.base import clone

import stancecls
from stancecls.evaluate import evaluation_report, oof_predict

ROOT = Path(__file__).resolve().parents[1]
FRACTIONS = (0.1, 0.25, 0.5, 0.75, 1.0)


def cv_report(estimator, X, y, groups, stances, topics, n_boot=1000, n_scored=None):
    """Grouped 5-fold CV; only the first ``n_scored`` records are scored (the rest: background, training only)."""
    tp, sp, pred, k = oof_predict(estimator, X, y, groups, n_splits=5, seed=0)
    m = len(X) if n_scored is None else n_scored
    st = np.asarray(stances, dtype=object)[sp[:m].argmax(axis=2)]
    return evaluation_report(y[:m], pred[:m], st, topics, stances, topic_proba=tp[:m], groups=list(groups)[:m],
                             n_boot=n_boot, seed=0)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json")
    ap.add_argument("--plot")
    ap.add_argument("--quick", action="store_true", help="headline CV only")
    args = ap.parse_args(argv)
    model = stancecls.load()
    schema, records = stancecls.load_labels(ROOT / "data" / "labels")
    X = [r.text for r in records]
    y = stancecls.labels_to_matrix(records, schema)
    groups = np.array([r.doc for r in records])
    est = clone(model.estimator)
    topics, stances = list(schema.topics), list(schema.stances)
    out = {"n": len(X), "n_docs": int(len(set(groups))), "params": model.manifest["tuning"]["params"],
           "thresholds": model.manifest["tuning"]["thresholds"], "timings": {}}
    t = time.perf_counter()
    bg = model.manifest["training_data"].get("background")
    if bg:  # the shipped recipe: the same background sample in every training fold, scored on labels only
        from stancecls.api import add_background

        full, y_full, _ = add_background(records, y, ROOT.parent / "shared" / "corpus" / bg["file"], n=bg["requested"],
                                         seed=bg["seed"], article=bg["article"])
        out["background"] = bg
        out["cv"] = cv_report(est, [r.text for r in full], y_full, [r.doc for r in full], stances, topics,
                              n_scored=len(records))
    else:
        out["cv"] = cv_report(est, X, y, groups, stances, topics)
    out["timings"]["cv_seconds"] = time.perf_counter() - t
    print(f"grouped 5-fold CV: topic macro-F1 {out['cv']['topic_macro_f1']:.3f}  stance macro-F1 {out['cv']['stance_macro_f1']:.3f}", flush=True)
    if not args.quick:
        out["stance_modes"] = {}
        for mode in ("pooled", "shared", "per_topic"):
            r = out["cv"] if mode == est.stance_mode else cv_report(clone(est).set_params(stance_mode=mode), X, y, groups, stances, topics, n_boot=0)
            out["stance_modes"][mode] = {"stance_macro_f1": r["stance_macro_f1"], "stance_f_avg": r["stance_f_avg"]}
            print(f"stance_mode={mode}: stance macro-F1 {r['stance_macro_f1']:.3f}", flush=True)
        uniq = np.unique(groups)
        order = np.random.default_rng(0).permutation(len(uniq))
        out["learning_curve"] = []
        for frac in FRACTIONS:
            keep = set(uniq[order[: max(5, int(round(frac * len(uniq))))]])
            idx = np.flatnonzero([g in keep for g in groups])
            r = cv_report(est, [X[i] for i in idx], y[idx], groups[idx], stances, topics, n_boot=0)
            out["learning_curve"].append({"fraction": frac, "docs": len(keep), "paragraphs": int(len(idx)),
                                          "topic_macro_f1": r["topic_macro_f1"], "stance_macro_f1": r["stance_macro_f1"]})
            print(f"learning curve {frac:>4.0%}: {len(idx)} paragraphs, topic {r['topic_macro_f1']:.3f} stance {r['stance_macro_f1']:.3f}", flush=True)
        if args.plot:
            import matplotlib

            matplotlib.use("Agg")
            import matplotlib.pyplot as plt

            lc = out["learning_curve"]
            fig, ax = plt.subplots(figsize=(5.5, 4))
            ax.plot([p["paragraphs"] for p in lc], [p["topic_macro_f1"] for p in lc], "o-", label="topic macro-F1")
            ax.plot([p["paragraphs"] for p in lc], [p["stance_macro_f1"] for p in lc], "s-", label="stance macro-F1")
            ax.set_xlabel("labelled paragraphs (share of story groups: 10-100 %)")
            ax.set_ylabel("grouped 5-fold CV")
            ax.set_ylim(0, 1)
            ax.grid(alpha=0.3)
            ax.legend()
            ax.set_title("Learning curve on data/labels")
            fig.tight_layout()
            fig.savefig(args.plot, dpi=110)
            plt.close(fig)
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(out, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
