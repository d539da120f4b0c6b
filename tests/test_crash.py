"""Crash safety: `stancecls train` killed or interrupted while it writes never leaves a broken model."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import pytest

import stancecls

from conftest import DATA, LABELS

CHILD = str(DATA / "pausing_train.py")  # pauses inside the k-th file write; see its docstring

TEXTS = ["Korea Selatan mengirimkan bantuan ke Ukraina.", "Korut mengirim pasukan ke Rusia."]


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT], ids=["SIGKILL", "SIGINT"])
@pytest.mark.parametrize("stage", [1, 2, 3], ids=["joblib", "bundle", "manifest"])
def test_killed_while_saving_leaves_the_previous_model(seed_model, tmp_path, sig, stage):
    import shutil

    folder = tmp_path / "model"
    shutil.copytree(seed_model, folder)
    before = [p.to_dict() for p in stancecls.load(folder).predict(TEXTS)]
    manifest_before = (folder / "manifest.json").read_text()
    child = subprocess.Popen([sys.executable, CHILD, str(stage), str(LABELS / "seeds.jsonl"), str(folder)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                             # SIGINT is ignored in background jobs and their children: restore it
                             preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    lines = iter(child.stderr.readline, "")
    assert "paused" in (line.strip() for line in lines)
    assert any(p.name.endswith(".tmp") for p in folder.iterdir())  # caught in the middle of a write
    child.send_signal(sig)
    child.wait(timeout=60)
    assert child.returncode != 0
    if sig == signal.SIGINT:
        assert not [p for p in folder.iterdir() if p.name.endswith(".tmp")]  # cleaned up on the way out
        assert "Traceback" not in child.stderr.read()
    # the previous model is intact and loads, by either engine
    assert (folder / "manifest.json").read_text() == manifest_before
    assert [p.to_dict() for p in stancecls.load(folder).predict(TEXTS)] == before
    assert stancecls.load(folder, engine="sklearn").predict(TEXTS)[0].topics == before[0]["topics"]
    # and the next save works and leaves no stray temporary file behind
    stancecls.train(LABELS / "seeds.jsonl", cv=0, tune=False).save(folder)
    assert not [p for p in folder.iterdir() if p.name.endswith(".tmp")]
    assert len(json.loads((folder / "manifest.json").read_text())["files"]) == 2
    assert len(os.listdir(folder)) == 3
