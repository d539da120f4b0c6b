"""All cores and the cluster engine: the same output as one process, nothing lost, input order kept."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from stancecls.cli import main
from stancecls.errors import InputError

from test_compiled import corpus_sample


def run_cli(args, capsys):
    code = main(args)
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    """A JSON Lines file, a text file and a CSV file of real news paragraphs."""
    base = tmp_path_factory.mktemp("scale")
    paras = corpus_sample(900, seed=3)
    jsonl = base / "a.jsonl"
    with open(jsonl, "w", encoding="utf-8") as fh:
        for i, p in enumerate(paras[:500]):
            if i % 50 == 7:
                fh.write("\n")  # blank lines: default ids count records, not lines
            fh.write(json.dumps({"text": p}, ensure_ascii=False) + "\n")
    text = base / "b.txt"
    text.write_text("\n".join(p.replace("\n", " ") for p in paras[500:800]) + "\n", encoding="utf-8")
    csv_path = base / "c.csv"
    import csv

    with open(csv_path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "text"])
        for i, p in enumerate(paras[800:]):
            w.writerow([f"c{i}", p])
    return base, [jsonl, text, csv_path]


def local_output(path, capsys, *extra):
    code, out, err = run_cli(["predict", "-i", str(path), "--quiet", *extra], capsys)
    assert code == 0, err
    return out


def test_jobs_keep_order_and_output(inputs, capsys):
    _, files = inputs
    one = local_output(files[0], capsys, "--batch-size", "37")
    two = local_output(files[0], capsys, "--jobs", "2", "--batch-size", "37")
    assert one == two
    assert len(one.splitlines()) == 500


def test_dask_local_cluster_equals_local_prediction(inputs, tmp_path, capsys):
    distributed = pytest.importorskip("distributed")
    from stancecls.cluster import predict_cluster

    base, files = inputs
    expected = "".join(local_output(f, capsys) for f in files)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        with distributed.Client(cluster) as client:
            result = predict_cluster(str(base / "*"), tmp_path / "out", client=client, partition_bytes=20_000)
    parts = [p for p in result["partitions"]]
    assert len(parts) > 6  # the JSON Lines and text files were cut into several byte ranges
    got = "".join((tmp_path / "out" / p["output"]).read_text(encoding="utf-8") for p in parts)
    assert got == expected
    assert result["records"] == result["predictions"] == 900
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["records"] == 900 and len(manifest["partitions"]) == len(parts)


def test_dask_error_names_the_real_line(tmp_path):
    distributed = pytest.importorskip("distributed")
    from stancecls.cluster import predict_cluster

    lines = [json.dumps({"text": f"paragraf nomor {i} tentang cuaca"}) for i in range(300)]
    lines[240] = '{"text": broken'
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(lines) + "\n")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        with distributed.Client(cluster) as client:
            with pytest.raises(InputError, match=r"bad\.jsonl:241: bad JSON"):
                predict_cluster(str(path), tmp_path / "out", client=client, partition_bytes=2_000)


def test_cli_dask_usage_errors(capsys):
    code, _, err = run_cli(["predict", "--engine", "dask", "some text"], capsys)
    assert code == 2 and "Error: --engine dask reads files" in err
    code, _, err = run_cli(["predict", "-i", "x.jsonl", "--scheduler", "tcp://127.0.0.1:1"], capsys)
    assert code == 2 and "Error: --scheduler and --output-dir go with --engine dask" in err
    code, _, err = run_cli(["predict", "-i", "x.jsonl", "--engine", "dask", "--output-dir", "o", "--partition-size", "lots"],
                           capsys)
    assert code == 2 and "Error: --partition-size 'lots' is not a size" in err


def test_readme_cluster_commands_on_a_real_scheduler(tmp_path, capsys):
    """The README's "Running on a cluster" block, run as written: scheduler, workers, then stancecls."""
    pytest.importorskip("distributed")
    import os
    import re
    import shlex
    import shutil
    import socket
    import time

    from conftest import ROOT

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Running on a cluster", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, flags=re.S).group(1).strip().splitlines()
    assert [line.split()[:2] for line in block] == [["dask", "scheduler"], ["dask", "worker"], ["stancecls", "predict"]]
    bindir = os.path.dirname(sys.executable)
    dask = shutil.which("dask", path=bindir) or shutil.which("dask")
    news = tmp_path / "news"
    news.mkdir()
    paras = corpus_sample(400, seed=9)
    for k in range(2):
        with open(news / f"day{k}.jsonl", "w", encoding="utf-8") as fh:
            for i, p in enumerate(paras[k * 200 : (k + 1) * 200]):
                fh.write(json.dumps({"id": f"d{k}-{i}", "text": p}, ensure_ascii=False) + "\n")
    procs = []
    try:
        for line in block[:2]:
            argv = shlex.split(line)
            procs.append(subprocess.Popen([dask, *argv[1:]], cwd=tmp_path, stdout=subprocess.DEVNULL,
                                          stderr=subprocess.DEVNULL))
            if argv[1] == "scheduler":
                deadline = time.time() + 60
                while time.time() < deadline:
                    try:
                        socket.create_connection(("127.0.0.1", 8786), timeout=1).close()
                        break
                    except OSError:
                        time.sleep(0.3)
        argv = shlex.split(block[2])
        done = subprocess.run([sys.executable, "-m", "stancecls", *argv[1:]], cwd=tmp_path, capture_output=True,
                              text=True, timeout=600)
        assert done.returncode == 0, done.stderr
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(timeout=60)
    summary = json.loads(done.stdout)
    assert summary["records"] == summary["predictions"] == 400
    manifest = json.loads((tmp_path / "predictions" / "manifest.json").read_text())
    got = "".join((tmp_path / "predictions" / p["output"]).read_text(encoding="utf-8") for p in manifest["partitions"])
    expected = "".join(local_output(f, capsys) for f in sorted(news.glob("*.jsonl")))
    assert got == expected
