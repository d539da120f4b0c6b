"""``stancecls label``, driven as a user would: keys on a pipe, and key presses on a real terminal (pty)."""

from __future__ import annotations

import json
import os
import pty
import select
import signal
import subprocess
import sys
import time

import pytest

from stancecls.schema import load_labels, load_schema

from conftest import LABELS

PARAS = [
    "Korea Selatan mengirim bantuan kemanusiaan ke Ukraina.",
    "Rusia dan Korea Utara menandatangani pakta pertahanan di Pyongyang.",
    "Harga cabai naik di pasar Jakarta menjelang Lebaran.",
    "Korsel dan Jepang berbagi data peringatan rudal secara real time.",
    "NATO mengundang Korea Selatan ke KTT di Washington.",
]


@pytest.fixture
def pool(tmp_path):
    path = tmp_path / "pool.jsonl"
    path.write_text("".join(json.dumps({"id": f"p{i}", "text": t}) + "\n" for i, t in enumerate(PARAS)))
    return path


def label(pool, out, keys: str, *extra):
    cmd = [sys.executable, "-m", "stancecls", "label", "--pool", str(pool), "--out", str(out), *extra]
    return subprocess.run(cmd, input=keys, capture_output=True, text=True, timeout=120)


def records(out):
    return load_labels([out], schema=load_schema(LABELS / "schema.json"))[1]


def test_scripted_session_writes_valid_labels_and_resumes(pool, tmp_path):
    out = tmp_path / "new" / "labels.jsonl"
    # 1st shown: toggle topics 2 and 4 (4 twice: off again), confirm, favor;
    # 2nd: other; 3rd: skip; 4th: topics 3 then 1, confirm, stances in schema order; then quit
    done = label(pool, out, "244\nf" "\n" "s" "31\nan" "q")
    assert done.returncode == 0, done.stderr
    got = records(out)
    assert len(got) == 3
    assert got[0].stance == {"ukraine_aid": "favor"}
    assert got[1].topics == ()
    assert got[2].topics == ("russia_nk_cooperation", "information_sharing")
    assert got[2].stance == {"russia_nk_cooperation": "against", "information_sharing": "neutral"}
    assert all(r.source == "pool" and r.doc == r.id and r.text in PARAS for r in got)
    skipped = [json.loads(line) for line in (tmp_path / "new" / "labels.jsonl.skipped").read_text().splitlines()]
    assert len(skipped) == 1
    assert "stopped: 3 labelled, 1 skipped this session" in done.stderr
    # resume: only the one paragraph neither labelled nor skipped is offered
    again = label(pool, out, "\n")
    assert again.returncode == 0, again.stderr
    assert "resuming: 3 labelled" in again.stderr and "[1/1]" in again.stdout
    assert len(records(out)) == 4
    assert {r.id for r in records(out)} | set(skipped) == {f"p{i}" for i in range(5)}
    third = label(pool, out, "")
    assert third.returncode == 0 and "nothing left to label" in third.stderr


def test_undo_back_and_help(pool, tmp_path):
    out = tmp_path / "labels.jsonl"
    # label one as other, undo it (shown again), go into a stance and back out, then label it favor
    done = label(pool, out, "\n" "u" "2\nb" "?" "\n" "x" "q")
    assert done.returncode == 0, done.stderr
    assert "undid" in done.stdout and "toggle a topic" in done.stdout and "key 'x' does nothing" in done.stdout
    got = records(out)
    assert len(got) == 1 and got[0].topics == ()  # after undo and back, the same paragraph was saved as other
    nothing = label(pool, tmp_path / "other.jsonl", "uq")
    assert "nothing to undo" in nothing.stdout


def test_unfinished_last_line_is_reported_and_bad_files_refused(pool, tmp_path):
    out = tmp_path / "labels.jsonl"
    label(pool, out, "\nq")
    whole = out.read_text()
    out.write_text(whole + '{"id": "p9", "doc": "p9", "te')  # a write cut short by a crash
    done = label(pool, out, "q")
    assert done.returncode == 0 and "removed an unfinished last line" in done.stderr
    assert out.read_text() == whole
    out.write_text(whole + '{"id": "p8"}\n')
    bad = label(pool, out, "q")
    assert bad.returncode == 2 and f"{out}:2" in bad.stderr and "Traceback" not in bad.stderr
    out.write_text(whole)
    skipped = tmp_path / "labels.jsonl.skipped"
    skipped.write_text('"p7"\n"p')  # a skip torn by a crash: cut off, and the next skip stays readable
    done = label(pool, out, "sq")
    assert done.returncode == 0, done.stderr
    lines = skipped.read_text().splitlines()
    assert lines[0] == '"p7"' and len(lines) == 2 and json.loads(lines[1]).startswith("p")
    folder = label(pool, tmp_path, "q")
    assert folder.returncode == 2 and "is a folder" in folder.stderr
    stdin_pool = label("-", tmp_path / "x.jsonl", "q")
    assert stdin_pool.returncode == 2 and "the pool cannot" in stdin_pool.stderr


class Screen:
    """What a terminal shows, read as it comes; ``wait`` consumes up to and including a needle."""

    def __init__(self, fd: int) -> None:
        self.fd, self.buf, self.seen = fd, b"", b""

    def wait(self, needle: bytes, timeout: float = 60.0) -> bytes:
        end = time.monotonic() + timeout
        while needle not in self.buf:
            left = end - time.monotonic()
            if left <= 0:
                raise AssertionError(f"never saw {needle!r}; screen so far: {self.seen[-500:]!r}")
            ready, _, _ = select.select([self.fd], [], [], left)
            if ready:
                try:
                    chunk = os.read(self.fd, 4096)
                except OSError:  # the child closed the terminal
                    chunk = b""
                if not chunk:
                    raise AssertionError(f"the terminal closed before {needle!r}; screen: {self.seen[-500:]!r}")
                self.buf += chunk
                self.seen += chunk
        cut = self.buf.index(needle) + len(needle)
        shown, self.buf = self.buf[:cut], self.buf[cut:]
        return shown


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX terminal")
def test_key_presses_on_a_terminal_and_ctrl_c_loses_nothing(pool, tmp_path):
    out = tmp_path / "labels.jsonl"
    pid, fd = pty.fork()
    if pid == 0:  # the child: stancecls on the terminal, with the default Ctrl-C behaviour
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.execv(sys.executable, [sys.executable, "-m", "stancecls", "label", "--pool", str(pool), "--out", str(out)])
    screen = Screen(fd)
    try:
        screen.wait(b"Enter confirm")
        os.write(fd, b"2\r")  # single key presses: no Enter after the stance key
        screen.wait(b"stance toward ukraine_aid")
        os.write(fd, b"f")
        screen.wait(b"saved")
        screen.wait(b"Enter confirm")
        os.write(fd, b"1")  # half-way through the next paragraph...
        screen.wait(b"topics: russia_nk_cooperation")
        os.write(fd, b"\x03")  # ...Ctrl-C
        screen.wait(b"run the same command to resume")
        _, status = os.waitpid(pid, 0)
    finally:
        os.close(fd)
    assert os.WEXITSTATUS(status) == 130
    assert b"Traceback" not in screen.seen and b"1 label(s) of this session are saved" in screen.seen
    got = records(out)
    assert len(got) == 1 and got[0].stance == {"ukraine_aid": "favor"}
    # the terminal-mode session resumes like the piped one
    again = label(pool, out, "q")
    assert "resuming: 1 labelled" in again.stderr and "[1/4]" in again.stdout
