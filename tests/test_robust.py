"""Bad input to `stancecls predict`: a clear error or an error record in place, never a lost record."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pytest

from stancecls.cli import main

BAD_JSONL = (
    b'{"id": "a", "text": "Korut mengirim pasukan ke Rusia."}\n'
    b'{"id": broken\n'
    b"\xff\xfe latin-1 bytes\n"
    b'{"text": 5}\n'
    b"[1, 2]\n"
    b'{"no": "text"}\n'
    b'{"text": "NUL \\u0000 di dalam teks"}\n'
    b"{\"text\": \"nul \x00 byte\"}\n"
    b'{"text": ""}\n'
    b'{"text": "   "}\n'
    b'{"id": "z", "text": "Cuaca cerah di Jakarta."}\n'
)


@pytest.fixture
def run(capsys, monkeypatch):
    def _run(*argv, stdin: bytes | None = None):
        if stdin is not None:
            monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8"))
        code = main([str(a) for a in argv])
        out, err = capsys.readouterr()
        return code, out, err

    return _run


def test_skip_gives_one_output_record_per_input_record(run, tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_bytes(BAD_JSONL)
    code, out, err = run("predict", "-i", path, "--on-error", "skip")
    assert code == 0, err
    rows = [json.loads(line) for line in out.splitlines()]
    assert len(rows) == 11  # every non-blank input line, in order
    errors = {r["line"]: r["error"] for r in rows if "error" in r}
    assert sorted(errors) == [2, 3, 4, 5, 6, 8]
    assert errors[2].startswith(f"{path}:2: bad JSON")
    assert errors[3].startswith(f"{path}:3: not UTF-8 text (byte 0xff")
    assert errors[4].startswith(f"{path}:4: field 'text' is int")
    assert errors[5].startswith(f"{path}:5: expected a JSON object")
    assert errors[6].startswith(f"{path}:6: no 'text' field")
    assert errors[8].startswith(f"{path}:8: bad JSON")  # a raw NUL byte is not allowed inside a JSON string
    assert rows[0]["id"] == "a" and rows[0]["topics"] == ["russia_nk_cooperation"]
    assert rows[-1]["id"] == "z" and rows[-1]["other"] is True
    assert all(r["other"] for r in rows[8:10])  # empty and blank text: predicted, and on no topic
    assert "6 record(s) could not be read" in err


def test_fail_stops_at_the_first_bad_record_with_file_and_line(run, tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_bytes(BAD_JSONL)
    code, out, err = run("predict", "-i", path)
    assert code == 2
    assert err.startswith(f"Error: {path}:2: bad JSON (Expecting value at column 8), give one JSON object per line")
    assert "Traceback" not in err


def test_skip_in_csv_keeps_the_row_count(run, tmp_path):
    path = tmp_path / "x.csv"
    path.write_bytes(b'id,text\n1,"Korea mengirim bantuan ke Ukraina."\n2,a,b,c\n3,"\xff bad"\n4,"ok lagi"\n')
    code, out, err = run("predict", "-i", path, "--on-error", "skip", "--format", "csv")
    assert code == 0, err
    rows = list(__import__("csv").reader(io.StringIO(out)))
    assert rows[0][-1] == "error" and len(rows) == 5
    assert rows[2][0] == "2" and rows[2][-1].startswith(f"{path}:3: 4 fields where the header has 2")
    assert rows[3][-1].startswith(f"{path}:4: not UTF-8 text")
    assert rows[1][-1] == "" and rows[4][-1] == ""


@pytest.mark.parametrize(
    "setup, message",
    [
        (lambda p: p.write_text("id,body\n1,x\n"), "no 'text' column (columns: id, body), name the text column with --text-field"),
        (lambda p: p.mkdir(), "is a folder, not a file, give --input a file"),
        (lambda p: None, "does not exist, check the path given to --input"),
    ],
    ids=["csv-without-text-column", "directory", "missing-file"],
)
def test_whole_file_problems_exit_2_even_with_skip(run, tmp_path, setup, message):
    path = tmp_path / "input.csv"
    setup(path)
    code, out, err = run("predict", "-i", path, "--on-error", "skip")
    assert code == 2 and message in err and err.startswith("Error: ") and "Traceback" not in err


def test_binary_file_is_refused(run, tmp_path):
    path = tmp_path / "blob.bin"
    path.write_bytes(bytes(range(256)) * 40)
    for extra in ([], ["--on-error", "skip"]):
        code, out, err = run("predict", "-i", path, *extra)
        assert code == 2 and out == ""
        assert err == f"Error: {path} looks like a binary file (NUL bytes, not UTF-8 text), give a text, JSON Lines, CSV or TSV file\n"


def test_a_10_mb_paragraph(run, tmp_path):
    text = ("Korea Selatan mengirimkan bantuan kemanusiaan ke Ukraina. " * 180_000)[: 10 * 1024 * 1024]
    path = tmp_path / "big.jsonl"
    path.write_text(json.dumps({"id": "big", "text": text}) + "\n")
    code, out, err = run("predict", "-i", path)
    assert code == 0, err
    [row] = [json.loads(line) for line in out.splitlines()]
    assert row["id"] == "big" and row["topics"] == ["ukraine_aid"]


def test_many_lines_none_lost(run, tmp_path):
    path = tmp_path / "many.txt"
    n = 100_000
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(n):
            fh.write(f"Paragraf {i} tentang harga cabai di pasar.\n" if i % 3 else "Korut mengirim pasukan ke Rusia.\n")
    code, out, err = run("predict", "-i", path, "--format", "csv", "--quiet")
    assert code == 0, err
    assert out.count("\n") == n + 1


def test_reader_gone_early_exits_quietly(tmp_path):
    """``stancecls predict ... | head -1``: the reader closes the pipe; no traceback, exit 0."""
    path = tmp_path / "many.txt"
    path.write_text("Korea mengirim bantuan ke Ukraina.\n" * 20000, encoding="utf-8")
    p = subprocess.Popen([sys.executable, "-m", "stancecls", "predict", "-i", str(path)], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    assert json.loads(p.stdout.readline())["topics"] == ["ukraine_aid"]
    p.stdout.close()
    err = p.stderr.read().decode()
    assert p.wait(timeout=300) == 0
    assert "Traceback" not in err and "BrokenPipe" not in err
