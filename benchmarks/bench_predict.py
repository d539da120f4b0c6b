"""Inference speed, cold start, memory and scaling of the compiled predictor, beside fastText and scikit-learn.

Usage: python benchmarks/bench_predict.py [--n 100000] [--big 1000000] [--quick] [--json OUT]

All on paragraphs of ../shared/corpus (read at run time), in one run, so the
ratios compare like with like on whatever machine runs it:

- equality: the bundle's scores against the scikit-learn pipeline's on every
  corpus paragraph (``--quick``: a 10,000-paragraph sample), max |difference|
  and the number of paragraphs whose decisions differ; and the compiled
  Sastrawi port's stems against PySastrawi's on every distinct word of them;
- paragraphs/s and tokens/s (tokens = ``\\w+`` matches, the same count for
  every row) of: bare regex tokenisation (the floor of any Python pipeline,
  timed in each of the 3 runs below, median), stancecls as a library in one process (a first pass: a freshly loaded
  model, its caches empty; the median of 3 runs, each beside a fastText run;
  then a second pass with warm caches), the same for topic probabilities
  alone (``Model.topic_proba``, which skips the stance columns: what fastText
  gives), the same returning ``Prediction`` records, fastText's supervised classifier trained on the same labels (one
  paragraph string per call, as its Python API is used), and the
  scikit-learn pipeline;
- cold start of ``stancecls predict "<one paragraph>"`` as a whole process
  (median of repeated runs), beside ``python -c pass`` and importing
  scikit-learn;
- peak memory (RSS of the process, from ``wait4``) of ``stancecls predict``
  reading 10^4, 10^5, 10^6 paragraphs of JSON Lines from stdin and writing
  JSON Lines to /dev/null;
- ``--jobs 1`` against ``--jobs 2``, and the Dask engine on a local cluster
  of 1 and 2 worker processes.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus" / "articles.jsonl"
LABELS = ROOT / "data" / "labels"
WORD = re.compile(r"\w+")
ONE = "Korea Selatan dan NATO sepakat memperluas kerja sama pertahanan."


def corpus_paragraphs() -> list[str]:
    from stancecls.segment import segment

    out = []
    with open(CORPUS, encoding="utf-8") as fh:
        for line in fh:
            out.extend(p.text for p in segment(json.loads(line)["text"]))
    return out


def rate(fn, texts, batch=512) -> float:
    t = time.perf_counter()
    for i in range(0, len(texts), batch):
        fn(texts[i : i + batch])
    return len(texts) / (time.perf_counter() - t)


def floor_rate(texts) -> float:
    t = time.perf_counter()
    for p in texts:
        WORD.findall(p)
    return len(texts) / (time.perf_counter() - t)


def fasttext_model():
    """fastText's supervised classifier trained on the same labels (topics; "other" when none)."""
    import fasttext

    from stancecls.schema import load_labels

    _, records = load_labels(LABELS)
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False, encoding="utf-8") as fh:
        for r in records:
            labels = " ".join(f"__label__{t}" for t in r.topics) or "__label__other"
            fh.write(f"{labels} {r.text.lower().replace(chr(10), ' ')}\n")
    model = fasttext.train_supervised(fh.name, epoch=25, wordNgrams=2, thread=1, seed=0, verbose=0)
    os.unlink(fh.name)
    return model


def fasttext_rate(model, texts, k: int = 1) -> float:
    t = time.perf_counter()
    for p in texts:
        model.predict(p.lower().replace("\n", " "), k=k)
    return len(texts) / (time.perf_counter() - t)


def cold_start(runs: int) -> dict:
    # Byte-code caching as in a normal install (some sandboxes set PYTHONDONTWRITEBYTECODE, which makes
    # every start recompile the package from source); a warm-up run writes the caches.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    exe = Path(sys.executable).parent / "stancecls"
    cli = [str(exe)] if exe.exists() else [sys.executable, "-m", "stancecls"]

    def median(cmd):
        subprocess.run(cmd, stdout=subprocess.DEVNULL, check=True, env=env)
        ts = []
        for _ in range(runs):
            t = time.perf_counter()
            subprocess.run(cmd, stdout=subprocess.DEVNULL, check=True, env=env)
            ts.append(time.perf_counter() - t)
        return {"median": statistics.median(ts), "min": min(ts)}

    return {
        "stancecls_predict": median([*cli, "predict", ONE]),
        "python_pass": median([sys.executable, "-c", "pass"]),
        "import_sklearn": median([sys.executable, "-c", "import sklearn.linear_model"]),
    }


def _feed(proc, texts, n):
    """Write ``n`` JSON Lines records to the process, cycling through ``texts``."""
    try:
        chunk = []
        for k in range(n):
            chunk.append(json.dumps({"text": texts[k % len(texts)]}, ensure_ascii=False))
            if len(chunk) >= 4096:
                proc.stdin.write(("\n".join(chunk) + "\n").encode("utf-8"))
                chunk = []
        if chunk:
            proc.stdin.write(("\n".join(chunk) + "\n").encode("utf-8"))
    finally:
        proc.stdin.close()


def cli_run(args, texts=None, n=0) -> dict:
    """Run ``stancecls`` with JSON Lines on stdin; wall time, peak RSS (MB) and output line count."""
    exe = Path(sys.executable).parent / "stancecls"
    cmd = ([str(exe)] if exe.exists() else [sys.executable, "-m", "stancecls"]) + args
    # A small launcher starts the command and reports its peak RSS: a child forked straight from this
    # (big) process would count this process's pages in its own peak.
    launcher = [sys.executable, "-c", _LAUNCHER, *cmd]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t = time.perf_counter()
        proc = subprocess.Popen(launcher, stdin=subprocess.PIPE if texts else subprocess.DEVNULL, stdout=out, stderr=err)
        feeder = None
        if texts:
            feeder = threading.Thread(target=_feed, args=(proc, texts, n))
            feeder.start()
        proc.wait()
        seconds = time.perf_counter() - t
        if feeder:
            feeder.join()
        out.seek(0)
        lines = sum(1 for _ in out)
        err.seek(0)
        tail = err.read().decode("utf-8", "replace").strip().splitlines()
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} exited {proc.returncode}: {tail[-3:]}")
    return {"seconds": seconds, "peak_mb": float(tail[-1].split()[-1]), "lines": lines}


# ru_maxrss is in KiB on Linux; it covers the command and the children it waited for (--jobs workers).
_LAUNCHER = (
    "import os, subprocess, sys\n"
    "p = subprocess.Popen(sys.argv[1:])\n"
    "_, status, usage = os.wait4(p.pid, 0)\n"
    "print('peak_mb', usage.ru_maxrss / 1024, file=sys.stderr)\n"
    "sys.exit(os.waitstatus_to_exitcode(status))\n"
)


def dask_scaling(path: Path, n: int) -> dict:
    import distributed

    from stancecls.cluster import predict_cluster

    out = {}
    size = path.stat().st_size
    for workers in (1, 2):
        with distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                      dashboard_address=None, silence_logs=40) as cluster:
            with distributed.Client(cluster) as client:
                client.run(lambda: None)  # workers are up before the clock starts
                with tempfile.TemporaryDirectory() as tmp:
                    t = time.perf_counter()
                    res = predict_cluster(str(path), tmp, client=client, partition_bytes=size // 8 + 1)
                    seconds = time.perf_counter() - t
        assert res["predictions"] == n
        out[workers] = {"seconds": seconds, "paragraphs_per_second": n / seconds}
    out["speedup"] = out[1]["seconds"] / out[2]["seconds"]
    return out


def stem_equality(texts) -> dict:
    """The compiled Sastrawi port against PySastrawi on every distinct a-z word of 4+ letters in texts."""
    from stancecls import preprocess

    words = sorted({w for t in texts for w in re.findall(r"[a-z]{4,}", t.lower())})
    compiled, reference = preprocess._fast_stemmer(), preprocess._stemmer()
    if not compiled:
        raise SystemExit("stancecls._sastrawi is not built: reinstall with a C compiler present")
    t = time.perf_counter()
    a = [compiled.stem(w) for w in words]
    t_compiled = time.perf_counter() - t
    t = time.perf_counter()
    b = [reference.stem(w) for w in words]
    t_reference = time.perf_counter() - t
    return {"words": len(words), "differ": sum(x != y for x, y in zip(a, b)),
            "compiled_per_s": len(words) / t_compiled, "pysastrawi_per_s": len(words) / t_reference}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100_000, help="paragraphs for the speed rows")
    ap.add_argument("--big", type=int, default=1_000_000, help="largest input of the memory rows")
    ap.add_argument("--quick", action="store_true", help="CI: 20,000 paragraphs, 10^5 at most, a 10,000 equality sample")
    ap.add_argument("--json")
    args = ap.parse_args(argv)
    if args.quick:
        args.n, args.big = 20_000, 100_000
    import stancecls

    # first, while this process is small: forking a big parent would add its page tables to every start
    cold = cold_start(5 if args.quick else 15)
    print(f"cold start {cold['stancecls_predict']['median']:.3f}s", flush=True)
    paras = corpus_paragraphs()
    texts = paras[: args.n]
    tokens = sum(len(WORD.findall(p)) for p in texts)
    res = {"n": len(texts), "tokens": tokens, "corpus_paragraphs": len(paras), "machine": platform.machine(),
           "cpus": os.cpu_count()}
    print(f"{len(texts)} paragraphs, {tokens} tokens ({tokens / len(texts):.1f} per paragraph)", flush=True)

    ft_model = fasttext_model()
    # A first pass over text the model has not seen (a freshly loaded model: its caches start empty), three
    # times, each beside a fastText run, so that the ratio is of medians measured side by side on a noisy
    # machine. The few dozen words PySastrawi itself must stem (the compiled port takes only a-z) need its rule
    # modules, imported once per process: here before timing (process start-up is the cold-start row).
    from stancecls import preprocess

    preprocess._stemmer()
    # Each run also times topic probabilities alone (Model.topic_proba: the stance columns are not computed), the
    # like-for-like figure beside fastText, which gives topics only.
    # The floor is timed in each run too: the machine's speed drifts between runs, and a ratio of rates measured
    # minutes apart measures the drift as well.
    fresh, fresh_topics, ft_k1, floors = [], [], [], []
    for _ in range(3):
        floors.append(floor_rate(texts))
        preprocess._STEM_CACHE.clear()
        topics_model = stancecls.load()
        assert topics_model.predictor._cache.n_rows == 1, "a freshly loaded model must start with empty caches"
        fresh_topics.append(rate(topics_model.topic_proba, texts))
        preprocess._STEM_CACHE.clear()
        model = stancecls.load()
        fresh.append(rate(model.predict_proba, texts))
        ft_k1.append(fasttext_rate(ft_model, texts))
    res["model_sha256"] = model.manifest["files"]["model"]["sha256"]
    res["stancecls_arrays"], res["fasttext_k1"] = statistics.median(fresh), statistics.median(ft_k1)
    res["stancecls_topics"] = statistics.median(fresh_topics)
    res["floor"] = statistics.median(floors)
    res["runs"] = {"stancecls_first_pass": fresh, "stancecls_topics_first_pass": fresh_topics, "fasttext_k1": ft_k1,
                   "floor": floors}
    res["stancecls_topics_warm"] = rate(topics_model.topic_proba, texts)
    res["stancecls_arrays_warm"] = rate(model.predict_proba, texts)
    res["stancecls_records"] = rate(model.predict, texts)
    res["fasttext_all"] = fasttext_rate(ft_model, texts, k=-1)
    print(f"floor {res['floor']:.0f}/s  stancecls first pass {res['stancecls_arrays']:.0f}/s (runs "
          + ", ".join(f"{r:.0f}" for r in fresh) + f"), topics alone {res['stancecls_topics']:.0f}/s (runs "
          + ", ".join(f"{r:.0f}" for r in fresh_topics) + f")  fastText {res['fasttext_k1']:.0f}/s (runs "
          + ", ".join(f"{r:.0f}" for r in ft_k1) + ")", flush=True)

    sk = stancecls.load(engine="sklearn").estimator
    check = random.Random(0).sample(paras, 10_000) if args.quick else paras
    max_diff, mismatched, sk_seconds = 0.0, 0, 0.0
    for i in range(0, len(check), 2048):
        batch = check[i : i + 2048]
        t = time.perf_counter()
        a_t, a_s = sk.predict_all(batch)
        sk_seconds += time.perf_counter() - t
        b_t, b_s = model.predictor.predict_all(batch)
        max_diff = max(max_diff, float(np.abs(a_t - b_t).max()), float(np.abs(a_s - b_s).max()))
        mismatched += int((sk.decide(a_t) != model.predictor.decide(b_t)).any(axis=1).sum())
        mismatched += int((a_s.argmax(axis=2) != b_s.argmax(axis=2)).any(axis=1).sum())
    res["sklearn"] = len(check) / sk_seconds
    res["equality"] = {"paragraphs": len(check), "max_abs_diff": max_diff, "decisions_differ": mismatched}
    print(f"equality on {len(check)}: max |diff| {max_diff:.2e}, decisions differ on {mismatched}", flush=True)

    res["stems"] = stem_equality(check)
    st = res["stems"]
    print(f"stems of {st['words']} distinct words: {st['differ']} differ from PySastrawi; compiled port "
          f"{st['compiled_per_s']:.0f} words/s, PySastrawi {st['pysastrawi_per_s']:.0f} words/s", flush=True)

    res["cold_start"] = cold

    res["memory"] = {}
    sizes = [10**4, 10**5, 10**6]
    for n in [s for s in sizes if s <= args.big]:
        r = cli_run(["predict", "-i", "-", "--quiet"], paras, n)
        assert r["lines"] == n, r
        res["memory"][n] = {"peak_mb": r["peak_mb"], "seconds": r["seconds"], "paragraphs_per_second": n / r["seconds"]}
        print(f"{n} paragraphs through the CLI: peak {r['peak_mb']:.0f} MB, {n / r['seconds']:.0f}/s", flush=True)

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "input.jsonl"
        with open(path, "w", encoding="utf-8") as fh:
            for p in texts:
                fh.write(json.dumps({"text": p}, ensure_ascii=False) + "\n")
        jobs = {}
        for j in (1, 2):
            r = cli_run(["predict", "-i", str(path), "--quiet", "--jobs", str(j)])
            assert r["lines"] == len(texts)
            jobs[j] = {"seconds": r["seconds"], "paragraphs_per_second": len(texts) / r["seconds"]}
        jobs["speedup"] = jobs[1]["seconds"] / jobs[2]["seconds"]
        res["jobs"] = jobs
        print(f"--jobs 2 speed-up {jobs['speedup']:.2f}x", flush=True)
        try:
            res["dask"] = dask_scaling(path, len(texts))
            print(f"dask 2 workers speed-up {res['dask']['speedup']:.2f}x", flush=True)
        except ImportError:
            res["dask"] = None

    print()
    print(f"{'what':<44} {'paragraphs/s':>13} {'tokens/s':>12} {'vs fastText':>12} {'vs floor':>9}")
    rows = [("regex tokenisation (floor)", res["floor"]), ("stancecls, arrays (first pass)", res["stancecls_arrays"]),
            ("stancecls, arrays (warm caches)", res["stancecls_arrays_warm"]),
            ("stancecls, topics alone (first pass)", res["stancecls_topics"]),
            ("stancecls, topics alone (warm caches)", res["stancecls_topics_warm"]),
            ("stancecls, Prediction records", res["stancecls_records"]), ("fastText, top label", res["fasttext_k1"]),
            ("fastText, all labels", res["fasttext_all"]), ("scikit-learn pipeline", res["sklearn"])]
    for name, r in rows:
        print(f"{name:<44} {r:>13,.0f} {r * tokens / len(texts):>12,.0f} {r / res['fasttext_k1']:>12.2f} "
              f"{r / res['floor']:>9.2f}")
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(res, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
