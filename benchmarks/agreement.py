"""Inter-annotator agreement between data/labels and the blind second pass.

Usage: python benchmarks/agreement.py [--first current] [--json OUT]

By default the first annotator's labels are those of
data/labels/second_pass/first_pass.jsonl: the labels as they stood when the
blind pass was made (the independent measurement). ``--first current``
compares with data/labels as it is now, after adjudication and the audit
(not an independent measurement: adjudication adopted second-pass labels).

Prints Cohen's kappa for each topic (present/absent), for "other", pooled over
topics, and for stance on the (paragraph, topic) pairs both annotators
labelled, plus the list of disagreements.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from sklearn.metrics import cohen_kappa_score

from stancecls import load_labels

ROOT = Path(__file__).resolve().parents[1]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--labels", default=str(ROOT / "data" / "labels"))
    ap.add_argument("--second", default=str(ROOT / "data" / "labels" / "second_pass" / "blind_labels.jsonl"))
    ap.add_argument("--first", default=str(ROOT / "data" / "labels" / "second_pass" / "first_pass.jsonl"),
                    help="first annotator's labels (a JSONL of id/stance), or 'current' for data/labels")
    ap.add_argument("--json", help="write the figures as JSON here")
    args = ap.parse_args(argv)
    schema, records = load_labels(args.labels)
    if args.first == "current":
        first = {r.id: r.stance for r in records}
    else:
        first = {json.loads(l)["id"]: json.loads(l)["stance"] for l in Path(args.first).read_text(encoding="utf-8").splitlines() if l.strip()}
    second = [json.loads(l) for l in Path(args.second).read_text(encoding="utf-8").splitlines() if l.strip()]
    ids = [s["id"] for s in second]
    missing = [i for i in ids if i not in first]
    if missing:
        raise SystemExit(f"second pass names ids not in the labels: {missing[:5]}")
    a = {i: first[i] for i in ids}
    b = {s["id"]: s["stance"] for s in second}
    out = {"n": len(ids), "topics": {}}
    pooled_a, pooled_b = [], []
    for t in schema.topics:
        xa = [t in a[i] for i in ids]
        xb = [t in b[i] for i in ids]
        pooled_a += xa
        pooled_b += xb
        out["topics"][t] = {"kappa": cohen_kappa_score(xa, xb), "first": sum(xa), "second": sum(xb)}
    out["topic_kappa_pooled"] = cohen_kappa_score(pooled_a, pooled_b)
    out["topic_kappa_mean"] = sum(v["kappa"] for v in out["topics"].values()) / len(schema.topics)
    out["other_kappa"] = cohen_kappa_score([not a[i] for i in ids], [not b[i] for i in ids])
    pairs = [(a[i][t], b[i][t]) for i in ids for t in schema.topics if t in a[i] and t in b[i]]
    out["stance_pairs"] = len(pairs)
    out["stance_kappa"] = cohen_kappa_score([p[0] for p in pairs], [p[1] for p in pairs])
    out["stance_agreement"] = sum(p[0] == p[1] for p in pairs) / len(pairs)
    print(f"paragraphs double-labelled: {out['n']}")
    print(f"{'topic':<26} {'kappa':>6} {'first':>6} {'second':>7}")
    for t, v in out["topics"].items():
        print(f"{t:<26} {v['kappa']:>6.3f} {v['first']:>6} {v['second']:>7}")
    print(f"{'topics pooled':<26} {out['topic_kappa_pooled']:>6.3f}")
    print(f"{'other (no topic)':<26} {out['other_kappa']:>6.3f}")
    print(f"stance on {out['stance_pairs']} shared (paragraph, topic) pairs: kappa {out['stance_kappa']:.3f}, "
          f"raw agreement {out['stance_agreement']:.3f}")
    dis = [(i, a[i], b[i]) for i in ids if a[i] != b[i]]
    print(f"\n{len(dis)} paragraphs with any disagreement:")
    for i, x, y in dis:
        print(f"  {i}: first {x} | second {y}")
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
