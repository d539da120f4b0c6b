"""Metrics, the evaluation report and the evaluate command."""

from __future__ import annotations

import json

import numpy as np
import pytest

from stancecls.cli import main
from stancecls.evaluate import evaluation_report, expected_calibration_error, score

from conftest import LABELS

TOPICS, STANCES = ["a", "b"], ["favor", "against", "neutral"]


def test_score_by_hand():
    y = np.array([["favor", ""], ["", "against"], ["", ""], ["neutral", "favor"]], dtype=object)
    topic_pred = np.array([[1, 0], [0, 1], [1, 0], [1, 0]], dtype=bool)
    stance = np.array([["favor", "x"], ["x", "against"], ["x", "x"], ["against", "x"]], dtype=object)
    stance[3, 1] = "favor"
    m = score(y, topic_pred, stance, TOPICS, STANCES)
    # topic a: tp 2 fp 1 fn 0 -> F1 0.8; topic b: tp 1 fp 0 fn 1 -> F1 2/3
    assert m["per_topic"]["a"]["f1"] == pytest.approx(0.8)
    assert m["per_topic"]["b"]["f1"] == pytest.approx(2 / 3)
    assert m["topic_macro_f1"] == pytest.approx((0.8 + 2 / 3) / 2)
    assert m["exact_match"] == pytest.approx(0.5)
    # stance on the 4 gold pairs: favor ok, against ok, neutral->against wrong, favor ok
    assert m["stance_f1"]["favor"] == pytest.approx(1.0)
    assert m["stance_f1"]["against"] == pytest.approx(2 / 3)
    assert m["stance_f_avg"] == pytest.approx((1 + 2 / 3) / 2)


def test_report_has_everything_and_intervals_contain_the_value():
    rng = np.random.default_rng(0)
    n = 200
    y = np.where(rng.random((n, 2)) < 0.3, rng.choice(STANCES, (n, 2)), "").astype(object)
    proba = np.clip((y != "") * 0.7 + rng.random((n, 2)) * 0.3, 0, 1)
    stance = np.where(rng.random((n, 2)) < 0.8, y, "favor").astype(object)
    r = evaluation_report(y, proba >= 0.5, stance, TOPICS, STANCES, topic_proba=proba, groups=np.arange(n) // 4, n_boot=200)
    for key in ("topic_macro_f1", "stance_macro_f1", "stance_f_avg", "exact_match"):
        lo, hi = r["intervals"][key]
        assert lo <= r[key] <= hi
    assert set(r["topic_confusion"]["a"]) == {"tp", "fp", "fn", "tn"}
    assert sum(map(sum, r["stance_confusion"]["matrix"])) == r["stance_n"]
    assert 0 <= r["calibration"]["ece"] <= 1 and r["calibration"]["brier"] < 0.25
    assert r["other"]["support"] == int((y == "").all(axis=1).sum())


def test_ece_of_perfect_and_of_overconfident():
    y = np.array([0, 1] * 50)
    assert expected_calibration_error(y, y.astype(float)) == 0
    assert expected_calibration_error(y, np.full(100, 0.99)) == pytest.approx(0.49)


@pytest.fixture
def run(capsys):
    def _run(*argv):
        code = main([str(a) for a in argv])
        out, err = capsys.readouterr()
        return code, out, err

    return _run


def test_evaluate_held_out_json_markdown_and_gate(run, seed_model):
    code, out, err = run("evaluate", "--model", seed_model, "--data", LABELS / "seeds.jsonl", "--bootstrap", "50")
    assert code == 0, err
    assert "topic macro-F1" in out and "stance confusion" in out and "95% interval" in out
    code, out, _ = run("evaluate", "-m", seed_model, "-d", LABELS / "seeds.jsonl", "--json", "--bootstrap", "0")
    report = json.loads(out)
    assert report["n"] == 62 and "calibration" in report
    code, out, _ = run("evaluate", "-m", seed_model, "-d", LABELS / "seeds.jsonl", "--markdown", "--bootstrap", "0")
    assert out.startswith("### ") and "| topic_macro_f1 |" in out
    code, out, err = run("evaluate", "-m", seed_model, "-d", LABELS / "seeds.jsonl", "--bootstrap", "0",
                         "--fail-under", "topic_macro_f1=1.01")
    assert code == 1 and "Error: topic_macro_f1" in err and "is under 1.01, the requested quality gate failed" in err
    code, _, _ = run("evaluate", "-m", seed_model, "-d", LABELS / "seeds.jsonl", "--bootstrap", "0",
                     "--fail-under", "topic_macro_f1=0.1")
    assert code == 0


def test_evaluate_cv_on_tiny_data(run, tiny_model, tiny_dir):
    code, out, err = run("evaluate", "--cv", "2", "--model", tiny_model, "--data", tiny_dir, "--bootstrap", "20")
    assert code == 0, err
    assert out.startswith("grouped 2-fold cross-validation")


def test_evaluate_gold_against_pred(run, seed_model, tmp_path):
    pred = tmp_path / "pred.jsonl"
    code, out, _ = run("predict", "-m", seed_model, "--input", LABELS / "seeds.jsonl")
    pred.write_text(out)
    code, out, err = run("evaluate", "--gold", LABELS / "seeds.jsonl", "--pred", pred, "--json", "--bootstrap", "0")
    assert code == 0, err
    via_files = json.loads(out)
    code, out, _ = run("evaluate", "-m", seed_model, "-d", LABELS / "seeds.jsonl", "--json", "--bootstrap", "0")
    direct = json.loads(out)
    for key in ("topic_macro_f1", "stance_macro_f1", "exact_match"):
        assert via_files[key] == pytest.approx(direct[key])  # labels in, same shape out
    lines = pred.read_text().splitlines()
    pred.write_text("\n".join(lines[:-1]) + "\n")
    code, _, err = run("evaluate", "--gold", LABELS / "seeds.jsonl", "--pred", pred)
    assert code == 2 and "1 gold ids have no prediction" in err


def test_evaluate_plots(run, seed_model, tmp_path):
    pytest.importorskip("matplotlib")
    code, _, err = run("evaluate", "-m", seed_model, "-d", LABELS / "seeds.jsonl", "--bootstrap", "0", "--plots", tmp_path / "p")
    assert code == 0, err
    for name in ("stance_confusion.png", "topic_confusion.png", "reliability.png"):
        assert (tmp_path / "p" / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(
    "argv, message",
    [
        (["evaluate"], "Error: nothing to evaluate"),
        (["evaluate", "--gold", "x"], "Error: --gold and --pred go together"),
        (["evaluate", "--fail-under", "nope", "--cv", "2"], "Error: bad --fail-under 'nope'"),
    ],
)
def test_evaluate_usage_errors(run, argv, message):
    code, _, err = run(*argv)
    assert code == 2 and message in err
