"""The bundled model: up to date with data/labels, reproducible, and right on plain cases."""

from __future__ import annotations

import numpy as np
import pytest

import stancecls
from stancecls import data_sha256, load_labels

from conftest import LABELS, ROOT, SHARED

# Written for this test (not in data/labels), each about one topic with an unmistakable stance.
GOLDEN = [
    ("Pemerintah Korea Selatan mengutuk keras pengiriman rudal dan amunisi Korea Utara ke Rusia.",
     "russia_nk_cooperation", "against"),
    ("Jepang mengumumkan bantuan kemanusiaan tambahan senilai 100 juta dolar AS untuk rakyat Ukraina.",
     "ukraine_aid", "favor"),
    ("Korea Selatan, Amerika Serikat, dan Jepang sepakat memperkuat aliansi keamanan trilateral mereka.",
     "alliance_strengthening", "favor"),
    ("Seoul dan Tokyo mulai berbagi data intelijen peringatan rudal Korea Utara secara real-time.",
     "information_sharing", "favor"),
    ("Timnas Indonesia menang 2-0 atas Vietnam di Stadion Gelora Bung Karno, Jakarta.", None, None),
    ("Harga beras di pasar tradisional Surabaya turun menjelang panen raya.", None, None),
]


@pytest.fixture(scope="module")
def bundled():
    return stancecls.load()


@pytest.mark.parametrize("text, topic, stance", GOLDEN, ids=[g[1] or "other" for g in GOLDEN])
def test_golden_predictions(bundled, text, topic, stance):
    (p,) = bundled.predict([text])
    if topic is None:
        assert p.other and p.topics == []
    else:
        assert topic in p.topics
        assert p.stance[topic] == stance
        assert p.scores[topic] == max(p.scores.values())


def test_bundled_model_was_trained_on_the_current_labels(bundled):
    _, records = load_labels(LABELS)
    assert bundled.manifest["training_data"]["sha256"] == data_sha256(records), (
        "data/labels changed since models/default was trained: run 'stancecls train' and commit models/default"
    )
    assert bundled.manifest["training_data"]["n_records"] == len(records)


def test_retraining_reproduces_the_bundled_model(bundled):
    """Fitting with the settings the search chose gives the bundled model bit for bit.

    (The search itself is deterministic too, see test_tune.py; rerunning it here would take minutes.
    CV does not change the fitted model, so it is skipped.)
    """
    params = bundled.estimator.get_params()
    td = bundled.manifest["training_data"]
    bg = td.get("background")
    background = dict(background=SHARED / "corpus" / bg["file"], background_n=bg["requested"],
                      background_article=bg["article"]) if bg else {}
    retrained = stancecls.train(LABELS, seed=td["seed"], cv=0, tune=False, **background,
                                **{k: v for k, v in params.items() if k not in ("topics", "stances")})
    if bg:
        assert retrained.manifest["training_data"]["background"]["sha256"] == bg["sha256"]
    assert retrained.estimator.get_params() == params
    _, records = load_labels(LABELS)
    texts = [r.text for r in records] + [g[0] for g in GOLDEN]
    a_topic, a_stance = bundled.estimator.predict_all(texts)
    b_topic, b_stance = retrained.estimator.predict_all(texts)
    assert np.array_equal(a_topic, b_topic)  # bit for bit
    assert np.array_equal(a_stance, b_stance)


def test_bundled_manifest_reports_cross_validated_scores(bundled):
    cv = bundled.manifest["metrics"]["cv"]
    assert cv["n_splits"] == 5 and cv["n"] == bundled.manifest["training_data"]["n_records"]
    assert 0.5 < cv["topic_macro_f1"] <= 1 and 0.5 < cv["stance_macro_f1"] <= 1


def test_bundled_manifest_records_the_search(bundled):
    tuning = bundled.manifest["tuning"]
    assert tuning["complete"] and tuning["candidates"]
    assert bundled.estimator.thresholds_.tolist() == [tuning["thresholds"][t] for t in bundled.topics]
    for key, value in tuning["params"].items():
        got = bundled.estimator.get_params()[key]
        assert (list(got) if isinstance(got, tuple) else got) == value


def test_bundled_model_ships_its_model_card():
    from stancecls.cli._inspect import model_card

    card = (ROOT / "models" / "default" / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert card == model_card(stancecls.load(), 10), "regenerate it: stancecls inspect --markdown > models/default/MODEL_CARD.md"
    assert "## Heaviest n-grams" in card and "stance toward **russia_nk_cooperation**" in card
