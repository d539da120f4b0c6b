"""Save/load round trip, the manifest, and refusals."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

import stancecls
from stancecls.persist import FORMAT_VERSION, ModelVersionWarning, read_manifest, sha256_file

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
        stancecls.load(path)


def test_scikit_learn_version_mismatch_warns(seed_model, tmp_path):
    path = copy(seed_model, tmp_path)
    manifest = json.loads((path / "manifest.json").read_text())
    manifest["versions"]["scikit-learn"] = "0.0.1"
    (path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.warns(ModelVersionWarning, match="scikit-learn 0.0.1"):
        stancecls.load(path)


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
    assert len(files) == 2 and "manifest.json" in files  # the old model file is gone, no temp files left
    assert files != first
    assert not list(out.glob("*.tmp"))
    assert stancecls.load(out).estimator.char_ngram_range is None


def test_save_refuses_a_file_path(seed_model, tmp_path):
    target = tmp_path / "file"
    target.write_text("x")
    with pytest.raises(stancecls.ModelFileError, match="not a folder"):
        stancecls.load(seed_model).save(target)
