"""False positives on real news: how much of ../shared/corpus the bundled model gives a topic.

Usage: python benchmarks/bench_corpus.py [--json OUT] [--show]

Nearly all of the corpus (8,055 Indonesian news articles) is off-topic, so the
share of paragraphs flagged with any topic is close to a false-positive rate.
The bundled model trains on a sample of the corpus as background *other*
(``stancecls train --background``), drawn only from the articles whose id has
an even CRC-32; this benchmark reads only the other half, which the model never
saw. Its articles are segmented with ``stancecls.segment`` and every paragraph
is classified. A seeded sample of 30 flagged paragraphs is drawn, and every
paragraph flagged with a probability of at least 0.9 (the operating point of
``stancecls predict --min-score 0.9``) is listed too; ``--show`` prints both
for reading. The verdicts of the hand reading live in
``benchmarks/fp_judgements.json`` (paragraph ids, verdicts and English notes
only: corpus text is never copied into the repository) and are tied to the
model's sha256, so a new model needs a new reading.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

import stancecls
from stancecls.datasets import in_background_half
from stancecls.segment import segment

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus" / "articles.jsonl"
JUDGEMENTS = Path(__file__).resolve().parent / "fp_judgements.json"
SAMPLE = 30
HIGH = 0.9  # the high-precision operating point (`stancecls predict --min-score 0.9`)


def paragraphs():
    with open(CORPUS, encoding="utf-8") as fh:
        for line in fh:
            art = json.loads(line)
            if in_background_half(art["id"]):  # the half the model may have trained on
                continue
            for p in segment(art["text"]):
                yield f"{art['id']}:{p.index}", p.text


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json")
    ap.add_argument("--show", action="store_true", help="print the sampled flagged paragraphs")
    args = ap.parse_args(argv)
    model = stancecls.load()
    sha = model.manifest["files"]["model"]["sha256"]
    t = time.perf_counter()
    articles = sum(1 for line in open(CORPUS, encoding="utf-8") if not in_background_half(json.loads(line)["id"]))
    total, flagged, per_topic = 0, [], {t: 0 for t in model.topics}
    for pred in model.predict_records(((i, text, {}) for i, text in paragraphs()), batch_size=2048):
        total += 1
        if pred.topics:
            flagged.append((pred.id, pred.topics, pred.stance, max(pred.scores.values())))
            for topic in pred.topics:
                per_topic[topic] += 1
    seconds = time.perf_counter() - t
    sample = sorted(random.Random(0).sample(flagged, min(SAMPLE, len(flagged))))
    high = sorted(f for f in flagged if f[3] >= HIGH)
    judged = {}
    if JUDGEMENTS.exists():
        data = json.loads(JUDGEMENTS.read_text(encoding="utf-8"))
        if data.get("model_sha256") == sha:
            judged = data["judgements"]
    verdicts = [judged.get(pid, {}).get("verdict", "not judged") for pid, *_ in sample]
    high_verdicts = [judged.get(pid, {}).get("verdict", "not judged") for pid, *_ in high]
    out = {
        "paragraphs": total,
        "articles": articles,
        "flagged": len(flagged),
        "flagged_share": len(flagged) / total,
        "per_topic": per_topic,
        "sample": [{"id": pid, "topics": topics, "stance": stance, "max_score": round(score, 3),
                    "verdict": judged.get(pid, {}).get("verdict", "not judged"), "note": judged.get(pid, {}).get("note", "")}
                   for pid, topics, stance, score in sample],
        "sample_verdicts": {v: verdicts.count(v) for v in sorted(set(verdicts))},
        "high_threshold": HIGH,
        "high": [{"id": pid, "topics": [t for t in topics], "stance": stance, "max_score": round(score, 3),
                  "verdict": judged.get(pid, {}).get("verdict", "not judged"), "note": judged.get(pid, {}).get("note", "")}
                 for pid, topics, stance, score in high],
        "high_verdicts": {v: high_verdicts.count(v) for v in sorted(set(high_verdicts))},
        "model_sha256": sha,
        "timings": {"seconds": seconds, "paragraphs_per_second": total / seconds},
    }
    print(f"{total} paragraphs, {len(flagged)} flagged ({100 * out['flagged_share']:.2f} %); per topic {per_topic}")
    print(f"hand-read sample of {len(sample)}: {out['sample_verdicts']}")
    print(f"flagged with a probability >= {HIGH}: {len(high)}; {out['high_verdicts']}")
    if args.show:
        texts = dict(paragraphs())
        for pid, topics, stance, score in sorted({f[0]: f for f in sample + high}.values(), key=lambda f: f[0]):
            print(f"\n[{pid}] {stance} max score {score:.3f}\n{texts[pid]}")
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(out, indent=2, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
