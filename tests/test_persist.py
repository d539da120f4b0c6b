"""Save/load round trip, the manifest, and refusals."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

import stancecls
from stancecls.persist import FORMAT_VERSION, ModelVersionWarning, read_manifest, sha256_file

from stancecls.errors import ModelFileError

from conftest import LABELS

TEXTS = [
    "Korea Selatan mengirimkan bantuan kemanusiaan ke Ukraina.",
    "NATO dan Korea sepakat memperkuat kemitraan keamanan.",
    "Harga cabai naik di pasar Jakarta.",
]


def copy(src, tmp_path):
    dst = tmp_path / "m"
    shutil.copytree(src, dst)
    return dst


def test_round_trip_gives_identical_predictions(seed_model, tmp_path):
    model = stancecls.load(seed_model)
    again_path = model.save(tmp_path / "again").parent
    again = stancecls.load(again_path)
    a, b = model.predict(TEXTS), again.predict(TEXTS)
    assert [p.to_dict() for p in a] == [p.to_dict() for p in b]
    for name in ("predict_proba", "predict_stance_proba", "predict"):
        assert np.array_equal(getattr(model.estimator, name)(TEXTS), getattr(again.estimator, name)(TEXTS))


def test_manifest_is_readable_and_complete(seed_model):
    _, manifest = read_manifest(seed_model)
    assert manifest["format"] == "stancecls-model" and manifest["format_version"] == FORMAT_VERSION
    assert "arbitrary code" in manifest["warning"]
    for key in ("stancecls", "scikit-learn", "python", "numpy"):
        assert manifest["versions"][key]
    assert manifest["schema"]["topics"][0] == "russia_nk_cooperation"
    assert len(manifest["training_data"]["sha256"]) == 64
    entry = manifest["files"]["model"]
    assert sha256_file(seed_model / entry["path"]) == entry["sha256"]
    assert manifest["created"].endswith("+00:00")
    assert manifest["params"]["char_ngram_range"] == [2, 4]


def test_manifest_path_also_loads(seed_model):
    assert stancecls.load(seed_model / "manifest.json").topics == stancecls.load(seed_model).topics


def test_newer_format_is_refused(seed_model, tmp_path):
    path = copy(seed_model, tmp_path)
    manifest = json.loads((path / "manifest.json").read_text())
    manifest["format_version"] = FORMAT_VERSION + 1
    (path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(stancecls.ModelFileError, match="newer than this stancecls reads") as info:
        stancecls.load(path)
    assert "pip install -U stancecls" in info.value.hint


def test_tampered_model_file_is_refused(seed_model, tmp_path):
    path = copy(seed_model, tmp_path)
    (model_file,) = path.glob("model-*.joblib")
    data = bytearray(model_file.read_bytes())
    data[len(data) // 2] ^= 0xFF
    model_file.write_bytes(bytes(data))
    with pytest.raises(stancecls.ModelFileError, match="sha256 .* does not match"):
        stancecls.load(path, engine="sklearn")


def test_scikit_learn_version_mismatch_warns(seed_model, tmp_path):
    path = copy(seed_model, tmp_path)
    manifest = json.loads((path / "manifest.json").read_text())
    manifest["versions"]["scikit-learn"] = "0.0.1"
    (path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.warns(ModelVersionWarning, match="scikit-learn 0.0.1"):
        stancecls.load(path, engine="sklearn")


@pytest.mark.parametrize(
    "content, message",
    [(None, "no model at"), ("{bad", "cannot read the model manifest"), ('{"format": "other"}', "not a stancecls model")],
)
def test_missing_or_foreign_manifest_is_refused(tmp_path, content, message):
    if content is not None:
        (tmp_path / "manifest.json").write_text(content)
    with pytest.raises(stancecls.ModelFileError, match=message):
        stancecls.load(tmp_path)


def test_save_is_atomic_and_replaces_old_model(seed_model, tmp_path):
    model = stancecls.load(seed_model)
    out = tmp_path / "out"
    model.save(out)
    first = sorted(p.name for p in out.iterdir())
    other = stancecls.train(LABELS / "seeds.jsonl", cv=0, tune=False, char_ngram_range=None)
    other.save(out)
    files = sorted(p.name for p in out.iterdir())
    assert len(files) == 3 and "manifest.json" in files  # the old model files are gone, no temp files left
    assert not set(files) & set(first) - {"manifest.json"}
    assert not list(out.glob("*.tmp"))
    assert stancecls.load(out).estimator.char_ngram_range is None


def test_save_refuses_a_file_path(seed_model, tmp_path):
    target = tmp_path / "file"
    target.write_text("x")
    with pytest.raises(stancecls.ModelFileError, match="not a folder"):
        stancecls.load(seed_model).save(target)


def test_joblib_from_another_machine_needs_trust(seed_model, tmp_path, monkeypatch):
    import shutil

    from stancecls.cli import main

    copy = tmp_path / "downloaded"
    shutil.copytree(seed_model, copy)
    # another machine: another signing key
    monkeypatch.setenv("STANCECLS_KEY_FILE", str(tmp_path / "other.key"))
    model = stancecls.load(copy)  # the pickle-free bundle: fine from anywhere
    assert model.engine == "bundle" and model.predict([TEXTS[0]])[0].topics is not None
    with pytest.raises(ModelFileError, match="was not saved on this machine"):
        stancecls.load(copy, engine="sklearn")
    with pytest.raises(ModelFileError, match="was not saved on this machine"):
        model.estimator  # noqa: B018 - the lazy joblib read is refused too
    assert stancecls.load(copy, engine="sklearn", trust=True).engine == "sklearn"
    assert main(["predict", "-m", str(copy), "--backend", "sklearn", "x"]) == 2
    assert main(["predict", "-m", str(copy), "--backend", "sklearn", "--trust", "x"]) == 0
    # the model that ships with the package is trusted like the package's code
    assert stancecls.load(engine="sklearn").engine == "sklearn"


def test_old_format_is_refused_with_the_fixing_command_then_migrated(seed_model, tmp_path, capsys):
    import json
    import shutil

    from stancecls.cli import main

    old = tmp_path / "old"
    shutil.copytree(seed_model, old)
    manifest = json.loads((old / "manifest.json").read_text())
    (old / manifest["files"]["bundle"]["path"]).unlink()
    del manifest["files"]["bundle"]
    manifest["format_version"] = 1
    (old / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ModelFileError, match="has no pickle-free bundle") as info:
        stancecls.load(old, engine="bundle")
    assert f"add one with 'stancecls migrate {old}'" in info.value.hint
    assert stancecls.load(old).engine == "sklearn"  # auto: format 1 predicts through joblib (signed here)
    assert main(["migrate", str(old)]) == 0
    assert "model is current" in capsys.readouterr().out
    again = stancecls.load(old)
    assert again.engine == "bundle"
    assert again.predict(TEXTS)[0].to_dict() == stancecls.load(seed_model).predict(TEXTS)[0].to_dict()


def test_damaged_model_files_are_refused(seed_model, tmp_path):
    import json
    import shutil

    for damage, message in (
        (lambda f: f.write_bytes(f.read_bytes()[: len(f.read_bytes()) // 2]), "does not match its manifest"),
        (lambda f: f.write_bytes(f.read_bytes()[:-1] + bytes([f.read_bytes()[-1] ^ 1])), "does not match its manifest"),
        (lambda f: f.unlink(), "is missing"),
    ):
        for key in ("bundle", "model"):
            copy = tmp_path / f"m-{key}-{message[:4]}"
            if copy.exists():
                shutil.rmtree(copy)
            shutil.copytree(seed_model, copy)
            manifest = json.loads((copy / "manifest.json").read_text())
            damage(copy / manifest["files"][key]["path"])
            with pytest.raises(ModelFileError, match=message):
                stancecls.load(copy, engine="bundle" if key == "bundle" else "sklearn")
    wrong = tmp_path / "wrong"
    wrong.mkdir()
    (wrong / "manifest.json").write_text('{"format": "something-else"}')
    with pytest.raises(ModelFileError, match="is not a stancecls model manifest"):
        stancecls.load(wrong)
    (wrong / "manifest.json").write_bytes(b"\x89PNG\r\n\x1a\n")
    with pytest.raises(ModelFileError, match="cannot read the model manifest"):
        stancecls.load(wrong)


def test_the_same_training_in_two_processes_gives_the_same_file(tmp_path):
    """Same data and seed: the same joblib file, byte for byte, even from another process (no memory addresses)."""
    import subprocess
    import sys

    code = ("import sys, stancecls; stancecls.train(sys.argv[1], cv=0, tune=False, char_ngram_range=(2, 4))"
            ".save(sys.argv[2])")
    files = []
    for run in ("a", "b"):
        subprocess.run([sys.executable, "-c", code, str(LABELS / "seeds.jsonl"), str(tmp_path / run)], check=True)
        files.append(read_manifest(tmp_path / run)[1]["files"]["model"])
    assert files[0]["sha256"] == files[1]["sha256"]
    assert (tmp_path / "a" / files[0]["path"]).read_bytes() == (tmp_path / "b" / files[1]["path"]).read_bytes()
