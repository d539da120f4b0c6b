"""Every command with every input form: exit codes and messages asserted."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import pytest

from stancecls import __version__
from stancecls.cli import cli, main

from conftest import LABELS, SEEDS

PARA = "Korea Selatan dan NATO sepakat memperkuat kemitraan keamanan."


@pytest.fixture
def run(capsys, monkeypatch):
    """Run ``main(argv)`` with optional stdin; returns (exit code, stdout, stderr)."""

    def _run(*argv, stdin: str | bytes | None = None):
        if stdin is not None:
            data = stdin.encode() if isinstance(stdin, str) else stdin
            monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))
        code = main([str(a) for a in argv])
        out, err = capsys.readouterr()
        return code, out, err

    return _run


def jsonl(text):
    return [json.loads(l) for l in text.splitlines() if l.strip()]


def test_help_and_version(run):
    code, out, _ = run("--help")
    assert code == 0 and "predict" in out and "train" in out
    code, out, _ = run("-h")
    assert code == 0 and "Usage" in out
    code, out, _ = run("--version")
    assert code == 0 and __version__ in out


@pytest.mark.parametrize("command", sorted(cli.list_commands(None)))
def test_every_command_has_help_and_is_in_the_readme(run, command):
    code, out, _ = run(command, "--help")
    assert code == 0 and len(out) > 200
    from conftest import ROOT

    assert f"stancecls {command}" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_predict_text_arguments(run, seed_model):
    code, out, err = run("predict", "--model", seed_model, PARA, "Harga cabai naik.")
    assert code == 0, err
    records = jsonl(out)
    assert [r["id"] for r in records] == ["1", "2"]
    r = records[0]
    assert set(r) == {"id", "topics", "stance", "scores", "stance_scores", "other"}
    assert set(r["stance"]) == set(r["topics"])
    assert set(r["stance_scores"]) == set(r["scores"]) == set(json.loads((LABELS / "schema.json").read_text())["topics"])
    assert r["other"] == (not r["topics"])


def test_predict_jsonl_file_keeps_ids(run, seed_model, tmp_path):
    f = tmp_path / "in.jsonl"
    f.write_text(json.dumps({"id": "a7", "text": PARA}) + "\n\n" + json.dumps({"text": "Cuaca cerah."}) + "\n")
    code, out, err = run("predict", "-m", seed_model, "--input", f)
    assert code == 0, err
    assert [r["id"] for r in jsonl(out)] == ["a7", "2"]


def test_predict_csv_file_and_csv_output(run, seed_model, tmp_path):
    f = tmp_path / "in.csv"
    f.write_text('id,text,extra\nx1,"' + PARA + '",1\nx2,"Baris, dengan koma",2\n')
    code, out, err = run("predict", "-m", seed_model, "--input", f, "--format", "csv")
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["id"] for r in rows] == ["x1", "x2"]
    assert "score_ukraine_aid" in rows[0] and rows[0]["other"] in ("true", "false")


def test_predict_text_file_one_paragraph_per_line(run, seed_model, tmp_path):
    f = tmp_path / "in.txt"
    f.write_text(PARA + "\n\nHarga cabai naik.\n")
    code, out, _ = run("predict", "-m", seed_model, "--input", f, "--format", "table")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("id") and len(lines) == 3


def test_predict_stdin_text_and_jsonl(run, seed_model):
    code, out, _ = run("predict", "-m", seed_model, "--input", "-", stdin=PARA + "\nHarga cabai naik.\n")
    assert code == 0 and len(jsonl(out)) == 2
    code, out, _ = run("predict", "-m", seed_model, "--input", "-", stdin=json.dumps({"id": "q", "text": PARA}) + "\n")
    assert code == 0 and jsonl(out)[0]["id"] == "q"


def test_predict_article_segments_first(run, seed_model):
    (seed,) = SEEDS.glob("000_*.txt")
    code, out, err = run("predict", "-m", seed_model, "--article", "--input", seed)
    assert code == 0, err
    records = jsonl(out)
    assert len(records) == 9
    assert records[0]["id"] == f"{seed.stem}:1" and records[0]["doc"] == seed.stem and records[-1]["paragraph"] == 9


def test_predict_article_jsonl(run, seed_model, tmp_path):
    f = tmp_path / "articles.jsonl"
    f.write_text(json.dumps({"id": "art", "text": "Kebijakan\n\nPenulis: A\n\nSatu.\n\nDua."}) + "\n")
    code, out, _ = run("predict", "-m", seed_model, "--article", "--input", f)
    assert code == 0 and [r["id"] for r in jsonl(out)] == ["art:1", "art:2"]


def test_bundled_model_is_the_default(run):
    code, out, err = run("predict", PARA)
    assert code == 0, err
    assert len(jsonl(out)) == 1


@pytest.mark.parametrize(
    "argv, message",
    [
        (["predict"], "Error: nothing to classify, pass TEXT arguments or --input FILE"),
        (["predict", "x", "--input", "f"], "Error: both TEXT arguments and --input were given"),
        (["predict", "--input", "/nonexistent/in.jsonl"], "Error: input file /nonexistent/in.jsonl does not exist, check the path"),
        (["predict", "--model", "/nonexistent", "x"], "Error: no model at /nonexistent"),
        (["predict", "--format", "xml", "x"], "Invalid value for '--format'"),
        (["nosuchcommand"], "No such command"),
    ],
)
def test_usage_and_io_errors_exit_2(run, argv, message):
    code, out, err = run(*argv)
    assert code == 2
    assert message in err
    assert "Traceback" not in err and out == ""


def test_bad_jsonl_line_names_file_and_line(run, seed_model, tmp_path):
    f = tmp_path / "in.jsonl"
    f.write_text(json.dumps({"text": "a"}) + "\n{oops\n")
    code, _, err = run("predict", "-m", seed_model, "--input", f)
    assert code == 2 and f"Error: {f}:2: bad JSON" in err


def test_missing_text_column_and_field(run, seed_model, tmp_path):
    f = tmp_path / "in.csv"
    f.write_text("id,body\n1,x\n")
    code, _, err = run("predict", "-m", seed_model, "--input", f)
    assert code == 2 and f"{f}:1: no 'text' column (columns: id, body), name the text column with --text-field" in err
    code, out, err = run("predict", "-m", seed_model, "--input", f, "--text-field", "body")
    assert code == 0 and len(jsonl(out)) == 1
    g = tmp_path / "in.jsonl"
    g.write_text('{"body": "x"}\n')
    code, _, err = run("predict", "-m", seed_model, "--input", g)
    assert code == 2 and f"{g}:1: no 'text' field" in err


def test_non_utf8_and_directory_input(run, seed_model, tmp_path):
    f = tmp_path / "latin.txt"
    f.write_bytes("caf\xe9\n".encode("latin-1"))
    code, _, err = run("predict", "-m", seed_model, "--input", f)
    assert code == 2 and f"{f}:1: not UTF-8 text" in err and "iconv" in err
    code, _, err = run("predict", "-m", seed_model, "--input", tmp_path)
    assert code == 2 and "is a folder, not a file" in err


def test_train_writes_a_loadable_model(run, tmp_path, tiny_dir):
    out_dir = tmp_path / "tiny"
    code, out, err = run("train", "--data", tiny_dir, "--out", out_dir, "--cv", "2", "--seed", "3", "--tune-configs", "2")
    assert code == 0, err
    assert "topic macro-F1" in out and "stance macro-F1" in out and "grouped 2-fold CV (seed 3)" in out
    assert "tuned (3-fold, seed 3)" in out and "stem False" in out  # English: stemming stays off
    assert (out_dir / "manifest.json").exists()
    code, out, _ = run("predict", "-m", out_dir, "Terrible weather with floods")
    assert code == 0 and set(jsonl(out)[0]["scores"]) == {"sport", "weather"}


def test_train_on_bad_labels_lists_every_problem(run, tmp_path):
    (tmp_path / "schema.json").write_text('{"topics": ["a"]}')
    (tmp_path / "l.jsonl").write_text('{bad\n{"id": "1", "doc": "d", "text": "", "topics": ["zz"], "stance": {}, "source": "s"}\n')
    code, out, err = run("train", "--data", tmp_path, "--out", tmp_path / "m")
    assert code == 2
    assert f"{tmp_path / 'l.jsonl'}:1: bad JSON" in err and f"{tmp_path / 'l.jsonl'}:2: empty text" in err
    assert "unknown topic 'zz'" in err and "Traceback" not in err
    assert not (tmp_path / "m").exists()


def test_train_missing_data_path(run, tmp_path):
    code, _, err = run("train", "--data", tmp_path / "nope", "--out", tmp_path / "m")
    assert code == 2 and "Error: label path" in err and "does not exist, check the path given to --data" in err


def test_python_dash_m_and_broken_pipe(seed_model):
    cmd = [sys.executable, "-m", "stancecls", "--version"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and __version__ in done.stdout
    # a reader that goes away early must not produce a traceback
    texts = "\n".join(["Harga cabai naik."] * 3000)
    p1 = subprocess.Popen([sys.executable, "-m", "stancecls", "predict", "-m", str(seed_model), "--input", "-"],
                          stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    p1.stdin.write(texts.encode())
    p1.stdin.close()
    p1.stdout.readline()
    p1.stdout.close()
    p1.wait(timeout=120)
    err = p1.stderr.read().decode()
    assert "Traceback" not in err and "BrokenPipe" not in err
    assert p1.returncode == 0


def test_jsonl_lines_are_the_bytes_of_prediction_to_json():
    """`predict` writes JSON Lines straight from the score arrays; every byte equals Prediction.to_json()'s,
    and the batches it cannot write that way (a score that is not finite, an extra field named like a
    prediction field) go to the general path."""
    import numpy as np

    import stancecls
    from stancecls.io import jsonl_lines

    records = [json.loads(line) for line in open(LABELS / "seeds.jsonl", encoding="utf-8")]
    texts = [r["text"] for r in records] + ["", "Cuaca cerah di Jakarta.", "\u00e9\u00e8 100% \"kutip\" \\ \n baris"]
    ids = [f"id-{i}" for i in range(len(texts))]
    ids[:5] = ['a"b', "é/ü", "50%s %d", "line\nbreak", "\u2028\ud83d\ude00"]
    extras = [{} for _ in texts]
    extras[1] = {"doc": 'x"y', "paragraph": 3}
    extras[2] = {"note": "%s %%", "n": [1, 2.5, None]}
    model = stancecls.load()
    for min_score in (None, 0.9):
        m = model.with_min_score(min_score)
        scored = m._decisions(texts)
        assert scored[2].any() and not scored[2].all()  # some topics predicted, some not
        fast = jsonl_lines(ids, *scored, extras, m.topics, m.stances)
        slow = [p.to_json() + "\n" for p in m._predictions(ids, texts, extras, scored=scored)]
        assert fast == slow
    assert jsonl_lines([], *(a[:0] for a in scored), [], m.topics, m.stances) == []
    assert jsonl_lines(ids, *scored, [{"other": 1}] + extras[1:], m.topics, m.stances) is None
    nan = scored[0].copy()
    nan[3, 1] = np.nan
    assert jsonl_lines(ids, nan, *scored[1:], extras, m.topics, m.stances) is None
