"""The long fuzz run: segmentation, preprocessing, the input readers and the bundle loader.

Usage: python benchmarks/fuzz.py [--cases 100000] [--seed 0] [--json OUT]

Each case is random or mutated input for one target; the only exceptions
allowed out are the package's own (InputError from the readers,
ModelFileError from the bundle loader). A bundle that loads despite the
mutation must then predict, with probabilities in [0, 1]. Prints the count
of cases per target and of escapes (must be 0), with the first escapes.
The same properties run with Hypothesis in ``tests/test_fuzz.py``.
"""

from __future__ import annotations

import argparse
import copy
import io
import json
import random
import sys
import tempfile
import time
import traceback
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
ALPHABET = "aAbkrsuéΣ ωß-_.,:;!?'\"@/#\\\n\r\t\x00\x01\x1b\u00a0\u2003\u200b\ufeff0123456789{}[]🚀"
PIECES = ['{"text": "', '"}', '{"id": 1, "text": 5}', "Korea Selatan ", "Baca juga: ", "https://x.id/a ",
          "a@b.co ", "negara-negara ", "\n\n", "\r\n", "\xff\xfe", "Penulis: X\n", "Advertisement\n", ",", '"', "\t"]


def random_text(rng: random.Random) -> str:
    if rng.random() < 0.5:
        return "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 300)))
    return "".join(rng.choice(PIECES) for _ in range(rng.randint(0, 40)))


def random_bytes(rng: random.Random) -> bytes:
    text = random_text(rng).encode("utf-8", "surrogatepass")
    data = bytearray(text)
    for _ in range(rng.randint(0, 4)):
        if data:
            data[rng.randrange(len(data))] = rng.randrange(256)
    return bytes(data)


def small_bundle() -> bytes:
    import stancecls
    from stancecls.bundle import bundle_bytes

    model = stancecls.train(ROOT / "data" / "labels" / "seeds.jsonl", cv=0, tune=False, char_ngram_range=(2, 3))
    return bundle_bytes(model.estimator)


def hostile(arrays: dict, rng: random.Random) -> bytes:
    """A valid .npz whose header fields or arrays were replaced by wrong values."""
    arrays = dict(arrays)
    header = json.loads(bytes(arrays["header"]))
    junk = [None, -1, 0, 10**9, "x", [], [0], [5, 1], {}, [{}], [[0, 99]], 1.5, float("nan")]
    for _ in range(rng.randint(1, 3)):
        key = rng.choice(sorted(header))
        if isinstance(header[key], dict) and header[key] and rng.random() < 0.5:
            sub = rng.choice(sorted(header[key]))
            header[key][sub] = copy.deepcopy(rng.choice(junk))
        elif isinstance(header[key], list) and header[key] and rng.random() < 0.5:
            i = rng.randrange(len(header[key]))
            if isinstance(header[key][i], dict):
                if not header[key][i]:
                    continue
                sub = rng.choice(sorted(header[key][i]))
                header[key][i][sub] = copy.deepcopy(rng.choice(junk))
            else:
                header[key][i] = copy.deepcopy(rng.choice(junk))
        else:
            header[key] = copy.deepcopy(rng.choice(junk))
    arrays["header"] = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
    if rng.random() < 0.5:
        name = rng.choice(sorted(k for k in arrays if k != "header"))
        a = arrays[name]
        arrays[name] = rng.choice([a[: len(a) // 2], a.astype(np.float32), np.zeros((2, 3)), a[::-1].copy(),
                                   np.full(a.shape, np.nan) if a.dtype.kind == "f" else a.astype(np.int64) + 10**6])
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json")
    args = ap.parse_args(argv)

    from stancecls.bundle import read_bundle
    from stancecls.errors import InputError, ModelFileError
    from stancecls.io import read_records
    from stancecls.preprocess import Preprocessor, normalize
    from stancecls.segment import segment

    rng = random.Random(args.seed)
    bundle = small_bundle()
    with np.load(io.BytesIO(bundle), allow_pickle=False) as z:
        bundle_arrays = {k: z[k] for k in z.files}
    pre = Preprocessor()
    counts = {"segment+preprocess": 0, "readers": 0, "bundle loader": 0}
    loaded, escapes = 0, []
    t = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "input"
        for case in range(args.cases):
            target = ("segment+preprocess", "readers", "bundle loader")[case % 3]
            counts[target] += 1
            try:
                if target == "segment+preprocess":
                    text = random_text(rng)
                    list(segment(text))
                    normalize(text)
                    pre(text)
                elif target == "readers":
                    path.write_bytes(random_bytes(rng))
                    fmt = rng.choice(["jsonl", "csv", "tsv", "text", "auto"])
                    try:
                        list(read_records(str(path), fmt, on_error=rng.choice(["fail", "skip"]), article=rng.random() < 0.1))
                    except InputError:
                        pass
                else:
                    if rng.random() < 0.5:  # bytes: mostly caught by the zip CRC and the checksums
                        data = bytearray(bundle)
                        for _ in range(rng.randint(1, 6)):
                            data[rng.randrange(len(data))] = rng.randrange(256)
                        if rng.random() < 0.2:
                            data = data[: rng.randrange(len(data))]
                    else:  # a well-formed file with hostile content: the loader's own checks
                        data = hostile(bundle_arrays, rng)
                    try:
                        model = read_bundle(io.BytesIO(bytes(data)), verify=rng.random() < 0.3)
                    except ModelFileError:
                        continue
                    loaded += 1
                    topic, stance = model.predict_all(["Korea mengirim bantuan ke Ukraina.", ""])
                    ok = (np.isnan(topic) | ((topic >= 0) & (topic <= 1))).all()
                    if not ok:
                        raise AssertionError("probabilities outside [0, 1]")
            except Exception:  # noqa: BLE001 - this is what the fuzzer looks for
                escapes.append({"case": case, "target": target, "error": traceback.format_exc(limit=3)})
    seconds = time.perf_counter() - t
    res = {"cases": args.cases, "seed": args.seed, "per_target": counts, "mutated_bundles_that_loaded": loaded,
           "escapes": len(escapes), "first_escapes": escapes[:5], "seconds": seconds}
    print(f"{args.cases:,} cases in {seconds:.0f} s: " + ", ".join(f"{k} {v:,}" for k, v in counts.items())
          + f"; mutated bundles that still loaded (and predicted): {loaded}; escapes: {len(escapes)}")
    for e in escapes[:5]:
        print(f"\ncase {e['case']} ({e['target']}):\n{e['error']}", file=sys.stderr)
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(res, indent=2) + "\n")
    return 1 if escapes else 0


if __name__ == "__main__":
    raise SystemExit(main())
