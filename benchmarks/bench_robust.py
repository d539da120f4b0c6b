"""Robustness: bad inputs, injected faults and fuzzing, with the records lost (must be 0).

Usage: python benchmarks/bench_robust.py [--quick] [--json OUT]

- inputs: each bad input goes through ``stancecls predict --on-error skip``
  as a separate process; the table gives its exit status, the records in
  and out, and the first line of stderr. Whole-file problems (a folder, a
  missing or binary file, a CSV without the text column) must exit 2 with
  an ``Error:`` line; everything else must give one output record per input
  record;
- faults: ``stancecls train`` killed (SIGKILL) or interrupted (SIGINT) while
  it writes each of the model's three files, and damaged or foreign model
  files; the previous model must stay loadable and damaged ones refused;
- fuzzing: ``benchmarks/fuzz.py`` with 100,000 cases (``--quick``: 10,000).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SEEDS = ROOT / "data" / "labels" / "seeds.jsonl"
CLI = [sys.executable, "-m", "stancecls"]


def inputs(tmp: Path, big: int) -> dict[str, tuple[Path, int | None]]:
    """name -> (path, records it holds; None for whole-file problems)."""
    out = {}
    p = tmp / "malformed.jsonl"
    p.write_bytes(b'{"text": "Korut mengirim pasukan ke Rusia."}\n{"text": broken\n[1]\n{"no": 1}\n{"text": 7}\n'
                  b'{"text": "ok"}\n')
    out["malformed JSON Lines (bad JSON, not an object, no text, text not a string)"] = (p, 6)
    p = tmp / "encodings.txt"
    p.write_bytes("utf-8: Korea mengirim bantuan\n".encode() + "latin-1: caf\xe9\n".encode("latin-1")
                  + "cp1252: \u201cquoted\u201d\n".encode("cp1252") + b"\xef\xbb\xbfBOM line\n")
    out["mixed encodings (UTF-8, Latin-1, cp1252, BOM)"] = (p, 4)
    p = tmp / "nul.jsonl"
    p.write_bytes(b'{"text": "a \\u0000 b"}\n{"text": "raw \x00 nul"}\nNUL\x00line\n')
    out["NUL bytes (escaped, raw in JSON, raw in a line)"] = (p, 3)
    p = tmp / "empty.jsonl"
    p.write_text('{"text": ""}\n{"text": "   "}\n{"text": "\\n\\t"}\n')
    out["empty and whitespace-only text"] = (p, 3)
    p = tmp / "rows.csv"
    p.write_bytes(b'id,text\n1,"ok"\n2,a,b\n3,"\xff"\n4,"unterminated\n')
    out["CSV with bad rows (extra fields, bad bytes, open quote)"] = (p, 4)
    p = tmp / "big.jsonl"
    p.write_text(json.dumps({"text": ("Korea Selatan mengirimkan bantuan ke Ukraina. " * 230_000)[: 10 << 20]}) + "\n")
    out["one 10 MB paragraph"] = (p, 1)
    p = tmp / "many.txt"
    with open(p, "w", encoding="utf-8") as fh:
        for i in range(big):
            fh.write(f"Paragraf {i % 1000} tentang harga cabai.\n")
    out[f"{big:,} lines"] = (p, big)
    p = tmp / "notext.csv"
    p.write_text("id,body\n1,x\n")
    out["CSV without the text column"] = (p, None)
    p = tmp / "blob.bin"
    p.write_bytes(bytes(range(256)) * 64)
    out["binary file"] = (p, None)
    (tmp / "folder").mkdir()
    out["a folder"] = (tmp / "folder", None)
    out["a missing file"] = (tmp / "missing.jsonl", None)
    return out


def run_inputs(tmp: Path, big: int) -> list[dict]:
    rows = []
    for name, (path, n) in inputs(tmp, big).items():
        t = time.perf_counter()
        done = subprocess.run([*CLI, "predict", "-i", str(path), "--on-error", "skip", "--quiet"], capture_output=True)
        seconds = time.perf_counter() - t
        out_records = sum(1 for line in done.stdout.decode("utf-8").splitlines() if line.strip())  # JSON Lines
        err = done.stderr.decode("utf-8", "replace").strip().splitlines()
        lost = None if n is None else n - out_records
        ok = (done.returncode == 2 and err and err[0].startswith("Error: ") and "Traceback" not in done.stderr.decode()) \
            if n is None else (done.returncode == 0 and lost == 0)
        rows.append({"input": name, "exit": done.returncode, "records_in": n, "records_out": out_records,
                     "lost": lost, "ok": bool(ok), "stderr": err[0][:160] if err else "", "seconds": round(seconds, 2)})
        print(f"{'ok ' if ok else 'BAD'} {name}: exit {done.returncode}, in {n}, out {out_records}", flush=True)
    return rows


CHILD = str(ROOT / "tests" / "data" / "pausing_train.py")  # pauses inside the k-th file write


def run_faults(tmp: Path) -> list[dict]:
    import stancecls
    from stancecls.errors import ModelFileError

    base = tmp / "base"
    stancecls.train(SEEDS, cv=0, tune=False).save(base)
    texts = ["Korea mengirim bantuan ke Ukraina.", "Korut mengirim pasukan ke Rusia."]
    expected = [p.to_dict() for p in stancecls.load(base).predict(texts)]
    rows = []
    for sig in (signal.SIGKILL, signal.SIGINT):
        for stage, what in ((1, "joblib file"), (2, "bundle"), (3, "manifest")):
            folder = tmp / f"kill-{sig.name}-{stage}"
            shutil.copytree(base, folder)
            # A shell starts background jobs with SIGINT ignored (CI runs this script in the background), and
            # children inherit that: give the child the default disposition so that SIGINT interrupts it.
            child = subprocess.Popen([sys.executable, CHILD, str(stage), str(SEEDS), str(folder)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                     preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
            for line in iter(child.stderr.readline, ""):
                if line.strip() == "paused":
                    break
            child.send_signal(sig)
            child.wait(timeout=60)
            try:
                same = [p.to_dict() for p in stancecls.load(folder).predict(texts)] == expected
            except ModelFileError:
                same = False
            rows.append({"fault": f"`stancecls train` gets {sig.name} while writing the {what}",
                         "expected": "previous model intact", "ok": same})
    for key, damage in (("bundle", "truncated"), ("bundle", "one byte changed"), ("model", "truncated"),
                        ("model", "one byte changed")):
        folder = tmp / f"damage-{key}-{damage[:3]}"
        shutil.copytree(base, folder)
        manifest = json.loads((folder / "manifest.json").read_text())
        f = folder / manifest["files"][key]["path"]
        data = f.read_bytes()
        f.write_bytes(data[: len(data) // 2] if damage == "truncated" else data[:-1] + bytes([data[-1] ^ 1]))
        try:
            stancecls.load(folder, engine="bundle" if key == "bundle" else "sklearn")
            ok = False
        except ModelFileError:
            ok = True
        rows.append({"fault": f"{'bundle' if key == 'bundle' else 'joblib file'} {damage}", "expected": "refused",
                     "ok": ok})
    foreign = tmp / "foreign"
    shutil.copytree(base, foreign)
    env = dict(os.environ, STANCECLS_KEY_FILE=str(tmp / "another-machine.key"))
    done = subprocess.run([*CLI, "predict", "-m", str(foreign), "--backend", "sklearn", "x"], capture_output=True,
                          text=True, env=env)
    rows.append({"fault": "joblib file from another machine, no --trust", "expected": "refused (exit 2)",
                 "ok": done.returncode == 2 and "not saved on this machine" in done.stderr})
    for r in rows:
        print(f"{'ok ' if r['ok'] else 'BAD'} {r['fault']}", flush=True)
    return rows


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="CI: 100,000 lines instead of 1,000,000, 10,000 fuzz cases")
    ap.add_argument("--json")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        os.environ.setdefault("STANCECLS_KEY_FILE", str(tmp / "signing.key"))
        res = {"inputs": run_inputs(tmp, 100_000 if args.quick else 1_000_000), "faults": run_faults(tmp)}
        fuzz_json = tmp / "fuzz.json"
        subprocess.run([sys.executable, str(HERE / "fuzz.py"), "--cases", "10000" if args.quick else "100000",
                        "--json", str(fuzz_json)], check=False)
        res["fuzz"] = json.loads(fuzz_json.read_text())
    res["records_lost"] = sum(r["lost"] or 0 for r in res["inputs"])
    res["all_ok"] = all(r["ok"] for r in res["inputs"] + res["faults"]) and res["fuzz"]["escapes"] == 0
    print(f"records lost: {res['records_lost']}; everything as expected: {res['all_ok']}")
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(res, indent=2, ensure_ascii=False) + "\n")
    return 0 if res["all_ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
