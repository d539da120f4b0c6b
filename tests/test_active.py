"""Active learning (suggest) and the label audit."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
from scipy import sparse

import stancecls
from stancecls.active import diverse_top, load_pool, suggest, uncertainty
from stancecls.audit import audit, confident_flags
from stancecls.cli import main
from stancecls.schema import load_labels

from conftest import LABELS


# ------------------------------------------------------------------ uncertainty
def test_uncertainty_peaks_at_the_threshold_and_ignores_stance_of_absent_topics():
    thresholds = np.array([0.5, 0.8])
    sure_stance = np.zeros((1, 2, 3))
    sure_stance[..., 0] = 1.0
    at = uncertainty(np.array([[0.5, 0.0]]), sure_stance, thresholds)
    far = uncertainty(np.array([[0.0, 0.0]]), sure_stance, thresholds)
    near = uncertainty(np.array([[0.4, 0.0]]), sure_stance, thresholds)
    assert at[0] == pytest.approx(1.0) and far[0] == pytest.approx(0.0)
    assert far[0] < near[0] < at[0]
    # a tied stance matters only when its topic is near or over its threshold
    tied = np.full((1, 2, 3), 1 / 3)
    assert uncertainty(np.array([[0.0, 0.0]]), tied, thresholds)[0] == pytest.approx(0.0)
    assert uncertainty(np.array([[1.0, 0.0]]), tied, thresholds)[0] == pytest.approx(1.0)


def test_diverse_top_skips_near_copies_unless_diversity_is_zero():
    X = sparse.csr_matrix(np.array([[1.0, 0, 0], [1.0, 0, 0], [0, 1.0, 0], [0, 0, 1.0]]))
    scores = np.array([0.9, 0.89, 0.5, 0.4])
    assert diverse_top(scores, X, 2, diversity=0.0) == [0, 1]
    assert diverse_top(scores, X, 2, diversity=0.5) == [0, 2]
    assert sorted(diverse_top(scores, X, 10)) == [0, 1, 2, 3]
    with pytest.raises(ValueError):
        diverse_top(scores, X, 2, diversity=2.0)


POOL = [
    "Harga cabai rawit naik tajam di pasar tradisional Jakarta menjelang Lebaran.",
    "Korea Selatan mempertimbangkan untuk mengirim senjata ke Ukraina, kata seorang pejabat.",
    "Korea Selatan mempertimbangkan untuk mengirim senjata ke Ukraina, kata seorang pejabat.",
    "Timnas Indonesia menang 2-0 atas Vietnam dalam laga kualifikasi.",
    "NATO mengundang Korea Selatan ke KTT di Washington untuk membahas kerja sama keamanan.",
    "Rusia dan Korea Utara menandatangani perjanjian kemitraan strategis di Pyongyang.",
    "Pemerintah daerah membuka layanan informasi banjir untuk warga.",
    "",
]


def test_suggest_is_deterministic_and_ranks_each_paragraph_once():
    model = stancecls.load()
    a = suggest(model, POOL, 5)
    b = suggest(model, POOL, 5)
    assert a == b
    assert len(a) == 5 and len({s.index for s in a}) == 5
    assert [s.rank for s in a] == [1, 2, 3, 4, 5]
    # with no diversity the ranking is by uncertainty alone
    plain = suggest(model, POOL, len(POOL), diversity=0.0)
    u = [s.uncertainty for s in plain]
    assert u == sorted(u, reverse=True)
    with pytest.raises(ValueError):
        suggest(model, POOL, 0)


def test_load_pool_sets_aside_repeats_blanks_and_labelled_text(tmp_path):
    labelled = load_labels(LABELS / "seeds.jsonl")[1][0].text
    pool = tmp_path / "pool.jsonl"
    rows = [{"id": f"p{i}", "text": t} for i, t in enumerate(POOL + ["  " + labelled.upper() + " "])]
    pool.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    got = load_pool(str(pool), exclude=[str(LABELS / "seeds.jsonl")])
    assert (got.read, got.duplicates, got.empty, got.labelled) == (9, 1, 1, 1)
    assert len(got.texts) == 6 and "p2" not in got.ids and got.read == len(got.texts) + 3


def test_suggest_command(tmp_path):
    from click.testing import CliRunner

    from stancecls.cli import cli

    pool = tmp_path / "pool.txt"
    pool.write_text("\n".join(t for t in POOL if t) + "\n")
    res = CliRunner().invoke(cli, ["suggest", "--pool", str(pool), "-n", "3"])
    assert res.exit_code == 0, res.output
    rows = [json.loads(line) for line in res.stdout.splitlines()]
    assert [r["rank"] for r in rows] == [1, 2, 3]
    assert all(set(r) >= {"id", "text", "uncertainty", "predicted", "scores"} for r in rows)
    assert "7 paragraphs read, 6 to rank (set aside: 1 repeated)" in res.stderr
    res = CliRunner().invoke(cli, ["suggest", "--pool", str(pool), "-n", "2", "--format", "table"])
    assert res.exit_code == 0 and res.stdout.splitlines()[0].split()[:3] == ["rank", "id", "doubt"]
    assert len(res.stdout.splitlines()) == 3


def test_suggest_command_errors(tmp_path, capsys):
    code = main(["suggest", "--pool", str(tmp_path / "missing.jsonl")])
    assert code == 2 and "Error:" in capsys.readouterr().err
    empty = tmp_path / "empty.txt"
    empty.write_text("\n\n")
    code = main(["suggest", "--pool", str(empty)])
    err = capsys.readouterr().err
    assert code == 2 and "has no paragraph left to suggest" in err and "Traceback" not in err


# ------------------------------------------------------------------------ audit
def test_confident_flags_is_the_off_diagonal_of_the_confident_joint():
    proba = np.array([[0.9, 0.1], [0.8, 0.2], [0.2, 0.8], [0.1, 0.9], [0.95, 0.05]])
    given = np.array([0, 0, 1, 1, 1])  # the last row is labelled 1 but looks like a confident 0
    flagged, suggested, th = confident_flags(proba, given)
    assert th == pytest.approx([0.85, (0.8 + 0.9 + 0.05) / 3])
    assert flagged.tolist() == [False, False, False, False, True]
    assert suggested[4] == 0
    # a class nobody is labelled with never flags
    flagged, _, th = confident_flags(np.array([[0.4, 0.6], [0.3, 0.7]]), np.array([0, 0]))
    assert np.isnan(th[1]) and not flagged.any()


def test_audit_finds_planted_label_errors():
    schema, records = load_labels([LABELS / "authored_ukraine_aid.jsonl", LABELS / "authored_other.jsonl"])
    # plant errors: drop the topic of 12 plainly on-topic aid paragraphs
    aid = [i for i, r in enumerate(records) if r.stance.get("ukraine_aid") == "favor" and "ukraina" in r.text.lower()]
    planted = set(aid[::3][:12])
    assert len(planted) == 12
    records = [dataclasses.replace(r, topics=(), stance={}) if i in planted else r for i, r in enumerate(records)]
    est = stancecls.StanceClassifier(topics=schema.topics, char_ngram_range=(2, 4), min_df=2)
    result = audit(records, schema, est, n_splits=5, seed=0, k=4)
    flagged = {f.record.id for f in result.findings if f.kind == "topic" and f.topic == "ukraine_aid"}
    hit = {records[i].id for i in planted} & flagged
    # a small training set (5 folds of ~400 paragraphs, the planted errors among them) misses some
    # planted errors; the bar is that half are found and that a planted error is far likelier to be
    # flagged than a true label
    clean_rate = (len(flagged) - len(hit)) / (len(records) - len(planted))
    assert len(hit) >= 6, f"only {len(hit)} of 12 planted errors found"
    assert len(hit) / len(planted) >= 5 * clean_rate
    planted_finding = next(f for f in result.findings if f.record.id in hit)
    assert planted_finding.given == "absent" and planted_finding.suggested == "present"
    assert planted_finding.margin > 0 and planted_finding.evidence
    assert planted_finding.where.endswith(f":{planted_finding.record.line}")
    margins = [f.margin for f in result.findings]
    assert margins == sorted(margins, reverse=True)
    d = result.to_dict()
    assert d["n_findings"] == len(result.findings) and d["n_records"] == len(records)
    json.dumps(d)


def test_audit_command_formats_and_gate(seed_model, tmp_path, capsys):
    args = ["audit", "--data", str(LABELS / "seeds.jsonl"), "-m", str(seed_model), "--cv", "3"]
    code = main(args + ["--summary", str(tmp_path / "audit.json")])
    out, err = capsys.readouterr()
    rows = [json.loads(line) for line in out.splitlines()]
    summary = json.loads((tmp_path / "audit.json").read_text())
    assert code == 0 and len(rows) == summary["n_findings"]
    assert f"{summary['n_findings']} findings" in err
    assert all(set(r) >= {"where", "kind", "given", "suggested", "evidence", "text"} for r in rows)
    if rows:
        code = main(args + ["--max-findings", "0"])
        err = capsys.readouterr().err
        assert code == 1 and "more than --max-findings 0" in err
    code = main(args + ["--format", "markdown"])
    assert code == 0 and capsys.readouterr().out.startswith("# Label audit:")
    code = main(["audit", "--data", str(tmp_path / "nope.jsonl"), "-m", str(seed_model)])
    assert code == 2 and "Error:" in capsys.readouterr().err
