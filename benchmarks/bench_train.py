"""Train time and peak memory of ``stancecls train`` (a subprocess each, so peak RSS is its own).

Usage: python benchmarks/bench_train.py [--json OUT] [--no-tune-only]

Timings depend on the machine and are reported, never asserted. The reference
measured in the same run is the fit alone (``--no-tune --cv 0``), so the
ratio shows what the search and the CV report cost.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(args) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "stancecls", "train", "--data", str(ROOT / "data" / "labels"), "--out", tmp, *args]
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        t = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        seconds = time.perf_counter() - t
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {"args": args, "seconds": seconds, "peak_rss_mb": max(peak, before) / 1024}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json")
    ap.add_argument("--no-tune-only", action="store_true", help="only the fit (fast), for CI")
    a = ap.parse_args(argv)
    out = {"fit_only": run(["--no-tune", "--cv", "0"])}
    if not a.no_tune_only:
        out["full"] = run([])
        out["ratio_full_to_fit"] = out["full"]["seconds"] / out["fit_only"]["seconds"]
    for k, v in out.items():
        if isinstance(v, dict):
            print(f"stancecls train {' '.join(v['args']) or '(defaults: search + 5-fold CV + fit)'}: "
                  f"{v['seconds']:.1f} s, peak RSS {v['peak_rss_mb']:.0f} MB")
    if a.json:
        Path(a.json).parent.mkdir(parents=True, exist_ok=True)
        Path(a.json).write_text(json.dumps(out, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
