"""Active learning, simulated on data/labels: suggested batches against random batches.

Usage: python benchmarks/bench_active.py [--json OUT] [--plot PNG] [--seeds 0,1,2]

For each seed, a quarter of the stories (``doc`` groups) is held out as the test
set; the rest is the pool, whose labels are hidden until a paragraph is
"labelled". Both strategies start from the same random 20 % of the pool and add
batches of 10 % of the pool up to 80 %, then 100 % (where the two meet):

- *random*: a random batch of the paragraphs not yet labelled;
- *suggested*: ``stancecls.active.suggest`` with the model trained on the labels
  so far (uncertainty with diversity, the ranking ``stancecls suggest`` uses).

Every model has the bundled model's settings (``models/default``), with the
topic thresholds at 0.5 so that nothing tuned on all the labels leaks in.
The figures are topic macro-F1 and stance macro-F1 (on the gold topics) on the
held-out stories, averaged over seeds. "Labels saved" is read off the curves:
for each level random sampling reaches, how many labels the suggested batches
needed to reach it (linear interpolation between measured points).
Deterministic: fixed seeds, deterministic fitting.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
START, STEP, LAST_STEPPED = 0.2, 0.1, 0.8


def _params() -> dict:
    manifest = json.loads((ROOT / "models" / "default" / "manifest.json").read_text(encoding="utf-8"))
    params = {k: tuple(v) if isinstance(v, list) else v for k, v in manifest["params"].items()}
    params["threshold"] = 0.5
    return params


def _scores(est, X_test, y_test, schema) -> dict:
    from stancecls.evaluate import score

    tp, sp = est.predict_all(X_test)
    stances = np.asarray(schema.stances, dtype=object)
    s = score(y_test, est.decide(tp), stances[sp.argmax(axis=2)], list(schema.topics), list(schema.stances))
    return {"topic_macro_f1": round(s["topic_macro_f1"], 4), "stance_macro_f1": round(s["stance_macro_f1"], 4)}


def run_seed(seed: int) -> dict:
    from sklearn.model_selection import GroupShuffleSplit

    from stancecls.active import suggest
    from stancecls.api import Model
    from stancecls.model import StanceClassifier
    from stancecls.schema import labels_to_matrix, load_labels

    schema, records = load_labels(ROOT / "data" / "labels")
    X = [r.text for r in records]
    y = labels_to_matrix(records, schema)
    groups = [r.doc for r in records]
    pool_idx, test_idx = next(GroupShuffleSplit(n_splits=1, test_size=0.25, random_state=seed).split(X, y, groups))
    X_test, y_test = [X[i] for i in test_idx], y[test_idx]
    n_pool = len(pool_idx)
    sizes = [int(round(f * n_pool)) for f in np.arange(START, LAST_STEPPED + 1e-9, STEP)] + [n_pool]
    rng = np.random.default_rng(seed)
    start = list(rng.choice(pool_idx, sizes[0], replace=False))
    params = _params()

    def fit(idx):
        idx = sorted(idx)  # in data order: the calibration folds follow the order, the labels picked must not
        return StanceClassifier(**params).fit([X[i] for i in idx], y[idx])

    curves = {}
    first = fit(start)
    for strategy in ("random", "suggested"):
        labelled = [int(i) for i in start]
        est = first
        points = [{"labels": len(labelled), **_scores(est, X_test, y_test, schema)}]
        order = np.random.default_rng(seed + 1000).permutation(pool_idx)  # the random strategy's draw order
        for size in sizes[1:]:
            taken = set(labelled)
            rest = [i for i in pool_idx if i not in taken]
            need = size - len(labelled)
            if strategy == "random":
                batch = [i for i in order if i not in taken][:need]
            else:
                picks = suggest(Model(est, schema), [X[i] for i in rest], need)
                batch = [rest[p.index] for p in picks]
            labelled += batch
            est = fit(labelled)
            points.append({"labels": len(labelled), **_scores(est, X_test, y_test, schema)})
        curves[strategy] = points
    return {"seed": seed, "pool": n_pool, "test": len(test_idx), "curves": curves}


def labels_to_reach(points: list[dict], level: float, key: str) -> float | None:
    """Labels at which a curve first reaches ``level`` (linear between points), or None."""
    xs = [p["labels"] for p in points]
    ys = [p[key] for p in points]
    if ys[0] >= level:
        return float(xs[0])
    for (x0, y0), (x1, y1) in zip(zip(xs, ys), zip(xs[1:], ys[1:])):
        if y0 < level <= y1:
            return x0 + (level - y0) / (y1 - y0) * (x1 - x0)
    return None


def summarise(runs: list[dict]) -> dict:
    mean = {}
    for strategy in ("random", "suggested"):
        n = len(runs[0]["curves"][strategy])
        mean[strategy] = [
            {"labels": round(float(np.mean([r["curves"][strategy][k]["labels"] for r in runs])), 1),
             **{key: round(float(np.mean([r["curves"][strategy][k][key] for r in runs])), 4)
                for key in ("topic_macro_f1", "stance_macro_f1")}}
            for k in range(n)
        ]
    savings = {}
    for key in ("topic_macro_f1", "stance_macro_f1"):
        rows = []
        for p in mean["random"][1:-1]:  # the levels random reaches with 30 % ... 80 % of the pool
            s = labels_to_reach(mean["suggested"], p[key], key)
            rows.append({"level": p[key], "random_labels": p["labels"],
                         "suggested_labels": None if s is None else round(s, 1),
                         "saved": None if s is None else round(1 - s / p["labels"], 4)})
        found = [r["saved"] for r in rows if r["saved"] is not None]
        savings[key] = {"rows": rows, "mean_saved": round(float(np.mean(found)), 4) if found else None}
    return {"mean": mean, "savings": savings}


def plot(result: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharex=True)
    for ax, key, title in zip(axes, ("topic_macro_f1", "stance_macro_f1"), ("topic macro-F1", "stance macro-F1")):
        for strategy, color in (("random", "tab:gray"), ("suggested", "tab:blue")):
            for run in result["runs"]:
                pts = run["curves"][strategy]
                ax.plot([p["labels"] for p in pts], [p[key] for p in pts], color=color, alpha=0.25, lw=1)
            pts = result["mean"][strategy]
            ax.plot([p["labels"] for p in pts], [p[key] for p in pts], color=color, lw=2, marker="o",
                    label=f"{strategy} batches (mean of {len(result['runs'])} seeds)")
        ax.set_title(f"{title} on held-out stories")
        ax.set_xlabel("labelled paragraphs")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("macro-F1")
    axes[0].legend(loc="lower right")
    fig.suptitle("Active learning on data/labels: suggested vs random batches (thin lines: single seeds)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", type=Path, help="write the results here")
    ap.add_argument("--plot", type=Path, help="write the learning curves here (PNG)")
    ap.add_argument("--seeds", default="0,1,2", help="comma-separated seeds (default 0,1,2)")
    ap.add_argument("--workers", type=int, default=2, help="processes (one seed each)")
    args = ap.parse_args(argv)
    seeds = [int(s) for s in args.seeds.split(",")]
    t0 = time.perf_counter()
    with ProcessPoolExecutor(max_workers=max(1, min(args.workers, len(seeds)))) as pool:
        runs = list(pool.map(run_seed, seeds))
    result = {"seeds": seeds, "runs": runs, **summarise(runs), "seconds": round(time.perf_counter() - t0, 1)}
    print(f"{'labels':>8} {'random topic':>13} {'suggested topic':>16} {'random stance':>14} {'suggested stance':>17}")
    for r, s in zip(result["mean"]["random"], result["mean"]["suggested"]):
        print(f"{r['labels']:>8} {r['topic_macro_f1']:>13.3f} {s['topic_macro_f1']:>16.3f} "
              f"{r['stance_macro_f1']:>14.3f} {s['stance_macro_f1']:>17.3f}")
    for key, sv in result["savings"].items():
        print(f"{key}: suggested batches needed {sv['mean_saved']:.1%} fewer labels on average" if sv["mean_saved"]
              is not None else f"{key}: no level reached")
    print(f"({result['seconds']} s)")
    if args.json:
        args.json.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    if args.plot:
        plot(result, args.plot)
    return 0


if __name__ == "__main__":
    sys.exit(main())
