"""Explanations: the listed n-gram terms and the intercept add up to the scores that decided."""

from __future__ import annotations

import json

import numpy as np
import pytest

import stancecls
from stancecls.cli import main

from test_compiled import corpus_sample

TEXT = "Pemerintah Korsel mengecam pengiriman pasukan Korea Utara ke Rusia."


def test_explanations_add_up_exactly():
    model = stancecls.load()
    p = model.predictor
    topics, stances = model.topics, model.stances
    for text in corpus_sample(40, seed=4) + [TEXT, ""]:
        [e] = model.explain([text], k=100_000)
        scores = p.decision_scores([text])[0]
        for head in p._heads:
            lo, hi = head["columns"]
            if head["part"] == "topic":
                for j in head["targets"]:
                    if j >= 0:
                        v = e["topics"][topics[j]]
                        assert v["score"] == pytest.approx(scores[lo], abs=1e-9)
                        assert v["intercept"] + sum(c for _, c in v["features"]) == pytest.approx(v["score"], abs=1e-9)
            else:
                t = topics[head["topic"]]
                v = e["stance"][t]
                s = head["targets"].index(stances.index(v["stance"]))
                assert v["score"] == pytest.approx(scores[lo + s] - scores[lo:hi].mean(), abs=1e-9)
                assert v["intercept"] + sum(c for _, c in v["features"]) == pytest.approx(v["score"], abs=1e-9)


def test_explanation_names_the_deciding_words():
    model = stancecls.load()
    [pred] = model.predict([TEXT])
    e = pred.explain(k=5)
    assert [name for name, _ in e["topics"]["russia_nk_cooperation"]["features"]][:1] == ["w:rusia"]
    stance = e["stance"]["russia_nk_cooperation"]
    assert stance["stance"] == "against" and "w:kecam" in [n for n, _ in stance["features"]]
    assert all(c > 0 for _, c in stance["features"][:1])


def test_explain_works_for_a_freshly_trained_model():
    from conftest import LABELS

    model = stancecls.train(LABELS / "seeds.jsonl", cv=0, tune=False)  # in memory: a bundle is built for it
    assert model.engine == "sklearn"
    [e] = model.explain([TEXT], k=3)
    assert set(e["topics"]) == set(model.topics) and all(len(v["features"]) <= 3 for v in e["topics"].values())
    assert np.isfinite([v["score"] for v in e["topics"].values()]).all()


def test_cli_explain(capsys):
    assert main(["explain", "-k", "3", TEXT, "Harga cabai naik."]) == 0
    out = capsys.readouterr().out
    assert "[1] russia_nk_cooperation: against" in out and "stance russia_nk_cooperation -> against" in out
    assert "[2] (other)" in out and "no topic reached its threshold" in out
    assert main(["explain", "--json", "--all-topics", TEXT]) == 0
    row = json.loads(capsys.readouterr().out)
    assert set(row["topics_explained"]) == set(stancecls.load().topics)
    assert main(["explain"]) == 2


def test_cli_inspect(capsys, seed_model):
    assert main(["inspect", "-k", "3"]) == 0
    out = capsys.readouterr().out
    assert "trained on " in out and "story groups" in out
    assert "russia_nk_cooperation (threshold" in out and "w:rusia" in out
    assert main(["inspect", str(seed_model), "--json", "-k", "2"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert set(info["top_features"]["stance"]) == set(info["topics"])
    assert all(len(v) == 2 for v in info["top_features"]["topics"].values())
    assert main(["inspect", str(seed_model), "--markdown"]) == 0
    assert capsys.readouterr().out.startswith("# Model card:")
