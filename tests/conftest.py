"""Shared fixtures: paths, a tiny English label set and a small trained model."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

# Models saved by the tests are signed with a key of their own, not the user's.
os.environ.setdefault("STANCECLS_KEY_FILE", str(Path(tempfile.mkdtemp(prefix="stancecls-key-")) / "signing.key"))

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"
LABELS = ROOT / "data" / "labels"
SHARED = ROOT.parent / "shared"
SEEDS = SHARED / "seeds"


@pytest.fixture(scope="session")
def tiny_dir() -> Path:
    return DATA / "tiny_en"


@pytest.fixture(scope="session")
def seed_model(tmp_path_factory):
    """A model trained on the seed paragraphs only (fast), saved to a folder."""
    import stancecls

    model = stancecls.train(LABELS / "seeds.jsonl", cv=0, tune=False, char_ngram_range=(2, 4))
    path = tmp_path_factory.mktemp("models") / "seed"
    model.save(path)
    return path


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory, tiny_dir):
    import stancecls

    model = stancecls.train(tiny_dir, cv=0, tune=False, calibration="none")
    path = tmp_path_factory.mktemp("models") / "tiny"
    model.save(path)
    return path
