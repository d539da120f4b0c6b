"""Fault injection for crash-safety checks (tests/test_crash.py, benchmarks/bench_robust.py).

Usage: python pausing_train.py K DATA OUT

Runs ``stancecls train --no-tune --cv 0`` whose K-th fsync (one per file written: joblib, bundle,
manifest) pauses after the temporary file is written and before it is renamed into place, saying
"paused" on stderr, so that the caller can kill it mid-save.
"""

import os
import sys
import time

k = int(sys.argv[1])
calls = [0]
real_fsync = os.fsync


def fsync(fd):
    real_fsync(fd)
    calls[0] += 1
    if calls[0] == k:
        print("paused", file=sys.stderr, flush=True)
        time.sleep(120)


os.fsync = fsync

from stancecls.cli import main  # noqa: E402 - after the patch, on purpose

sys.exit(main(["train", "--data", sys.argv[2], "--out", sys.argv[3], "--no-tune", "--cv", "0"]))
