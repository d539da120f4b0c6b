"""Background negatives and the topic threshold: labelled-data F1 against flags on unseen news.

Usage: python benchmarks/bench_background.py [--json OUT]

The bundled model's settings, trained with the background sample of
``../shared/corpus`` that ``stancecls train --background`` draws (the half of
the articles whose id has an even CRC-32). For a range of topic thresholds:

- topic macro-F1 and per-topic recall on ``data/labels`` from grouped 5-fold
  out-of-fold probabilities (the background in every training fold, only the
  labelled paragraphs scored);
- how many paragraphs of the other half of the corpus, never trained on,
  the model fitted on everything flags with any topic.

This is the measurement behind ``--threshold-floor 0.15`` in the bundled
recipe. Deterministic (fixed folds and sample); takes a few minutes.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
from sklearn.base import clone
from sklearn.metrics import f1_score, recall_score

import stancecls
from stancecls.api import add_background
from stancecls.datasets import in_background_half
from stancecls.evaluate import oof_predict

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus" / "articles.jsonl"
THRESHOLDS = (0.5, 0.4, 0.3, 0.25, 0.2, 0.15, 0.1)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json")
    args = ap.parse_args(argv)
    model = stancecls.load(engine="sklearn")
    bg = model.manifest["training_data"].get("background") or {"requested": 5000, "seed": 0, "article": True}
    schema, records = stancecls.load_labels(ROOT / "data" / "labels")
    y = stancecls.labels_to_matrix(records, schema)
    full, y_full, info = add_background(records, y, CORPUS, n=bg["requested"], seed=bg["seed"], article=bg["article"])
    n = len(records)
    est = clone(model.estimator)
    tp, _, _, _ = oof_predict(est, [r.text for r in full], y_full, [r.doc for r in full], n_splits=5, seed=0)
    est.fit([r.text for r in full], y_full)
    unseen = []
    with open(CORPUS, encoding="utf-8") as fh:
        for line in fh:
            art = json.loads(line)
            if not in_background_half(art["id"]):
                unseen.extend(p.text for p in stancecls.segment(art["text"]))
    unseen_p = est.predict_all(unseen)[0]
    present = y_full[:n] != ""
    rows = []
    print(f"{'threshold':>9} {'labels macro-F1':>16} {'recall per topic':>28} {'unseen news flagged':>20}")
    for t in THRESHOLDS:
        d = tp[:n] >= t
        f1 = float(np.mean([f1_score(present[:, j], d[:, j]) for j in range(present.shape[1])]))
        rec = [round(float(recall_score(present[:, j], d[:, j])), 3) for j in range(present.shape[1])]
        flagged = int((unseen_p >= t).any(axis=1).sum())
        rows.append({"threshold": t, "topic_macro_f1": round(f1, 4), "recall": dict(zip(schema.topics, rec)),
                     "unseen_flagged": flagged})
        print(f"{t:>9} {f1:>16.3f} {str(rec):>28} {flagged:>20}")
    out = {"background": info, "unseen_paragraphs": len(unseen), "rows": rows}
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
