"""Label Studio and doccano: lossless round trips, validated imports."""

from __future__ import annotations

import json
import shutil

import pytest

from stancecls.cli import main
from stancecls.errors import LabelError
from stancecls.interop import convert, label_studio_config
from stancecls.schema import load_labels, load_schema

from conftest import LABELS


def same(a, b):
    assert len(a) == len(b)
    for x, y in zip(a, b):
        assert x == y and x.extra == y.extra  # extra fields (event, register, ...) too


@pytest.mark.parametrize("fmt, ext", [("label-studio", "json"), ("doccano", "jsonl")])
def test_round_trip_of_all_labels_is_lossless(tmp_path, fmt, ext):
    exports, back = tmp_path / "exports", tmp_path / "back"
    for d in (exports, back):
        d.mkdir()
        shutil.copy(LABELS / "schema.json", d / "schema.json")
    _, original = load_labels(LABELS)
    for f in sorted(LABELS.glob("*.jsonl")):
        text, _ = convert(f, "labels", fmt)
        exported = exports / f"{f.stem}.{ext}"
        exported.write_text(text, encoding="utf-8")
        labels, _ = convert(exported, fmt, "labels")
        (back / f"{f.stem}.jsonl").write_text(labels, encoding="utf-8")
    _, again = load_labels(back)
    same(sorted(original, key=lambda r: r.id), sorted(again, key=lambda r: r.id))


def test_label_studio_shape_and_config():
    text, schema = convert(LABELS / "seeds.jsonl", "labels", "label-studio")
    tasks = json.loads(text)
    multi = next(t for t in tasks if len(t["annotations"][0]["result"]) > 2)
    names = [r["from_name"] for r in multi["annotations"][0]["result"]]
    assert names[0] == "topics" and all(n.startswith("stance_") for n in names[1:])
    assert multi["data"]["text"] and "topics" not in multi["data"]
    config = label_studio_config(load_schema(LABELS))
    assert config.count("<Choices") == 1 + len(schema.topics) and 'whenChoiceValue="ukraine_aid"' in config


def test_imports_are_validated_with_lines(tmp_path):
    shutil.copy(LABELS / "schema.json", tmp_path / "schema.json")
    rows = [{"id": "a", "doc": "d", "text": "Korea mengirim bantuan ke Ukraina.", "label": ["ukraine_aid/favor"]},
            {"id": "b", "doc": "d", "text": "x", "label": ["not_a_topic/favor"]},
            {"id": "c", "doc": "d", "text": "y", "label": ["ukraine_aid/maybe"]}]
    path = tmp_path / "d.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    with pytest.raises(LabelError) as err:
        convert(path, "doccano", "labels")
    problems = [str(p) for p in err.value.problems]
    assert any(":2: unknown topic 'not_a_topic'" in p for p in problems)
    assert any(":3: unknown stance 'maybe'" in p for p in problems)


def test_cli_convert(tmp_path, capsys):
    out, cfg = tmp_path / "tasks.json", tmp_path / "config.xml"
    assert main(["convert", str(LABELS / "seeds.jsonl"), "--to", "label-studio", "-o", str(out), "--config", str(cfg)]) == 0
    assert len(json.loads(out.read_text())) == 62 and cfg.read_text().startswith("<View>")
    shutil.copy(LABELS / "schema.json", tmp_path / "schema.json")
    assert main(["convert", str(out), "--from", "label-studio", "--to", "doccano"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(rows) == 62 and all("/" in lab for r in rows for lab in r["label"])
    assert main(["convert", str(tmp_path / "missing.json"), "--to", "labels"]) == 2
    assert "does not exist" in capsys.readouterr().err
