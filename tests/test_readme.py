"""Every command in README.md runs, and its shown output is what it prints."""

from __future__ import annotations

import doctest
import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, SHARED

README = (ROOT / "README.md").read_text(encoding="utf-8")
# Run by .ci/run itself (it installs the package and runs the tests exactly so).
RUN_BY_CI = {'pip install .', 'pip install ".[test]" && pytest'}


def console_commands():
    """(command, expected output lines) for each ``$ `` line of the console blocks."""
    out = []
    for block in re.findall(r"```console\n(.*?)```", README, flags=re.S):
        current = None
        for line in block.splitlines():
            if line.startswith("$ "):
                current = (line[2:], [])
                out.append(current)
            elif current is not None:
                current[1].append(line)
    return out


COMMANDS = console_commands()


def test_readme_has_the_two_command_start():
    assert [c for c, _ in COMMANDS[:3]] == [
        "pip install .",
        'stancecls predict "Korea Selatan dan NATO sepakat memperluas kerja sama pertahanan."',
        'pip install ".[test]" && pytest',
    ]
    assert set(c for c, _ in COMMANDS if c.startswith("pip")) <= RUN_BY_CI


def same_output(got: str, expected: list[str]) -> bool:
    got_lines = got.rstrip("\n").splitlines()
    if len(got_lines) != len(expected):
        return False
    for g, e in zip(got_lines, expected):
        if e.startswith("{"):  # JSON: compare numbers to 1e-6, so a new BLAS does not break the README
            if not _close(json.loads(g), json.loads(e)):
                return False
        elif g.rstrip() != e.rstrip():
            return False
    return True


def _close(a, b) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(map(_close, a, b))
    if isinstance(a, float) and isinstance(b, float):
        return abs(a - b) <= 1e-6
    return a == b


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """A folder laid out like the repository root (data/ and ../shared), outside the repository."""
    base = tmp_path_factory.mktemp("readme")
    work = base / "work"
    work.mkdir()
    (work / "data").symlink_to(ROOT / "data")
    (base / "shared").symlink_to(SHARED)
    return work


def run_readme_command(command: str, workdir: Path) -> str:
    """Run one README command (``stancecls ...``, optionally ``< keys`` and ``> file``) in ``workdir``; returns stdout."""
    command, _, redirect = command.partition(" > ")
    command, _, keys = command.partition(" < ")
    argv = shlex.split(command)
    assert argv[0] == "stancecls"
    env = dict(os.environ, PYTHONIOENCODING="utf-8")
    stdin = (workdir / keys.strip()).read_text(encoding="utf-8") if keys else None
    done = subprocess.run([sys.executable, "-m", "stancecls", *argv[1:]], cwd=workdir, capture_output=True,
                          text=True, timeout=1800, env=env, input=stdin)
    assert done.returncode == 0, done.stderr
    if redirect:
        (workdir / redirect.strip()).write_text(done.stdout, encoding="utf-8")
        return ""
    return done.stdout


# In README order: later commands use what earlier ones wrote (models/nusax, seed_predictions.jsonl).
@pytest.mark.parametrize("command, expected", [c for c in COMMANDS if c[0] not in RUN_BY_CI], ids=lambda x: str(x)[:60])
def test_readme_command(command, expected, workdir):
    out = run_readme_command(command, workdir)
    if expected:
        assert same_output(out, expected), out
    if command.startswith("stancecls train --data data/labels"):
        # the full default train (search included) reproduces the bundled model, bit for bit
        import numpy as np

        import stancecls

        mine, bundled = stancecls.load(workdir / "models" / "mine"), stancecls.load()
        assert mine.estimator.get_params() == bundled.estimator.get_params()
        _, records = stancecls.load_labels(workdir / "data" / "labels")
        texts = [r.text for r in records]
        for a, b in zip(mine.estimator.predict_all(texts), bundled.estimator.predict_all(texts)):
            assert np.array_equal(a, b)


def test_readme_python_examples():
    parser = doctest.DocTestParser()
    blocks = re.findall(r"```pycon\n(.*?)```", README, flags=re.S)
    assert blocks
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    for i, block in enumerate(blocks):
        test = parser.get_doctest(block, {}, f"README pycon {i}", "README.md", 0)
        runner.run(test)
    assert runner.failures == 0
