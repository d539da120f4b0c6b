"""Other labelled datasets: single-label and multi-label CSV/TSV/JSONL."""

from __future__ import annotations

import json

import pytest

import stancecls
from stancecls import LabelError, StanceclsError
from stancecls.datasets import load_dataset

SENT = [("bagus sekali enak", "positive"), ("buruk sekali mahal", "negative"), ("biasa saja", "neutral"),
        ("enak dan murah bagus", "positive"), ("mahal dan buruk", "negative"), ("lumayan biasa", "neutral")] * 3


def test_single_label_csv(tmp_path):
    f = tmp_path / "s.csv"
    f.write_text("id,text,label\n" + "".join(f'{i},"{t}",{l}\n' for i, (t, l) in enumerate(SENT)))
    schema, records = load_dataset(f, label_column="label")
    assert schema.topics == ("negative", "neutral", "positive") and not schema.multi_label
    assert records[0].topics == ("positive",) and records[0].doc == "0"
    model = stancecls.train(f, cv=3, tune=False, dataset={"label_column": "label"}, calibration="none")
    preds = model.predict(["bagus enak", "mahal buruk"])
    assert [p.topics for p in preds] == [["positive"], ["negative"]]  # exactly one class each
    assert model.manifest["metrics"]["cv"]["topic_macro_f1"] > 0.5


def test_headerless_tsv_and_multilabel_jsonl(tmp_path):
    f = tmp_path / "s.tsv"
    f.write_text("".join(f"{t}\t{l}\n" for t, l in SENT))
    schema, records = load_dataset(f, label_column="label", columns=["text", "label"])
    assert len(records) == len(SENT) and records[1].id == "s:2"
    g = tmp_path / "m.jsonl"
    g.write_text("\n".join(json.dumps({"text": t, "tags": "a,b" if i % 2 else "a", "story": i // 3}) for i, (t, _) in enumerate(SENT)))
    schema, records = load_dataset(g, labels_column="tags", group_column="story")
    assert schema.multi_label and schema.topics == ("a", "b")
    assert records[1].topics == ("a", "b") and records[1].doc == "0"


def test_problems_are_reported_with_file_and_line(tmp_path):
    f = tmp_path / "s.csv"
    f.write_text('text,label\n"",positive\nok,\n')
    with pytest.raises(LabelError) as info:
        load_dataset(f, label_column="label")
    problems = [str(p) for p in info.value.problems]
    assert problems == [f"{f}:2: empty text", f"{f}:3: expected one label, got ''"]
    with pytest.raises(LabelError, match="bad JSON"):
        load_dataset(f, label_column="label", format="jsonl")
    with pytest.raises(LabelError, match="no 'tag'"):
        load_dataset(f, label_column="tag")


def test_bad_combinations(tmp_path):
    with pytest.raises(StanceclsError, match="both --label-column and --labels-column"):
        load_dataset(tmp_path, label_column="a", labels_column="b")
    with pytest.raises(StanceclsError, match="needs a label column"):
        load_dataset(tmp_path, format="csv")


def test_single_class_or_no_topic_is_refused(tmp_path):
    f = tmp_path / "one.csv"
    f.write_text("text,label\na,x\nb,x\n")
    with pytest.raises(StanceclsError, match="single class"):
        stancecls.train(f, cv=0, tune=False, dataset={"label_column": "label"})


@pytest.mark.parametrize(
    "content, message",
    [("text,label\n", "holds no labelled rows, add rows with a 'text' and a 'label' column"),
     ("text,label\nbagus,pos\njelek,pos\n", "the data has a single class ('pos'), and a classifier needs at least two, add rows of another class")],
    ids=["empty", "single-class"],
)
def test_empty_or_single_class_data_is_refused(tmp_path, capsys, content, message):
    from stancecls.cli import main

    path = tmp_path / "d.csv"
    path.write_text(content)
    assert main(["train", "--data", str(path), "--label-column", "label", "--out", str(tmp_path / "m"), "--no-tune", "--cv", "0"]) == 2
    assert message in capsys.readouterr().err


# ------------------------------------------------------------------ background negatives
def _articles(tmp_path, n=40):
    path = tmp_path / "news.jsonl"
    rows = [{"id": f"a{i}", "text": f"Market prices of rice {i} rose today.\n\nThe city council met on road {i}.\n\n"
             "Read also: more news"} for i in range(n)]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_load_background_samples_one_half_deterministically(tmp_path):
    from stancecls.datasets import in_background_half, load_background

    path = _articles(tmp_path)
    a = load_background(path, n=10, seed=0, article=True)
    assert a == load_background(path, n=10, seed=0, article=True)
    assert a != load_background(path, n=10, seed=1, article=True)
    assert len(a) == 10 and all(r.topics == () and r.stance == {} for r in a)
    assert all(in_background_half(r.doc[len("bg:"):]) for r in a)
    everything = load_background(path, n=10_000, article=True)
    half = sum(in_background_half(f"a{i}") for i in range(40))
    # two distinct paragraphs per article of the half; "Read also: more news" is the same everywhere, kept once
    assert len(everything) == 2 * half + 1 and 0 < half < 40
    assert {r.source for r in everything} == {"background:news.jsonl"} and all(r.line >= 1 for r in everything)


def test_train_with_background_scores_labels_only(tmp_path, tiny_dir):
    path = _articles(tmp_path)
    model = stancecls.train(tiny_dir, cv=3, tune=False, calibration="none", background=path, background_n=20,
                            background_article=True)
    info = model.manifest["training_data"]
    plain = stancecls.train(tiny_dir, cv=3, tune=False, calibration="none")
    assert info["n_records"] == plain.manifest["training_data"]["n_records"] == 16
    assert info["sha256"] == plain.manifest["training_data"]["sha256"]
    assert info["background"]["n_records"] == 20 and info["background"]["file"] == "news.jsonl"
    # the CV report scores the 16 labelled records only, with the background in every training fold
    assert sum(m["support"] for m in model.manifest["metrics"]["cv"]["per_topic"].values()) == \
        sum(m["support"] for m in plain.manifest["metrics"]["cv"]["per_topic"].values())
    # the background pulls scores of news-like text toward "other"
    news = ["The city council met on road 99.", "Market prices of rice 77 rose today."]
    assert (model.predict_proba(news)[0].max(axis=1) < plain.predict_proba(news)[0].max(axis=1)).all()


def test_background_options_on_the_command_line(tmp_path, tiny_dir, capsys):
    from stancecls.cli import main

    path = _articles(tmp_path)
    code = main(["train", "--data", str(tiny_dir), "--no-tune", "--cv", "2", "--background", str(path),
                 "--background-article", "--background-n", "15", "--out", str(tmp_path / "m")])
    out = capsys.readouterr().out
    assert code == 0 and "background: 15 paragraphs of news.jsonl as other" in out
    code = main(["evaluate", "--data", str(tiny_dir), "-m", str(tmp_path / "m"), "--background", str(path)])
    err = capsys.readouterr().err
    assert code == 2 and "--background goes with --cv" in err
    code = main(["evaluate", "--cv", "2", "--data", str(tiny_dir), "-m", str(tmp_path / "m"), "--background", str(path),
                 "--background-article", "--json"])
    out = capsys.readouterr().out
    assert code == 0 and json.loads(out)["n"] == 16
