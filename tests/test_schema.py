"""Label files: every kind of problem is reported, all at once, with file and line."""

from __future__ import annotations

import json

import pytest

from stancecls import LabelError, LabelSchema, StanceclsError, labels_to_matrix, load_labels, load_schema

from conftest import LABELS

GOOD = {"id": "a", "doc": "d", "text": "Teks.", "topics": ["t1"], "stance": {"t1": "favor"}, "source": "test"}


def write(tmp_path, lines, schema=None):
    (tmp_path / "schema.json").write_text(json.dumps(schema or {"topics": ["t1", "t2"]}))
    path = tmp_path / "labels.jsonl"
    path.write_text("\n".join(l if isinstance(l, str) else json.dumps(l) for l in lines) + "\n", encoding="utf-8")
    return path


def problems_of(path):
    with pytest.raises(LabelError) as info:
        load_labels(path)
    return [str(p) for p in info.value.problems]


@pytest.mark.parametrize(
    "record, expected",
    [
        ("{not json", "bad JSON"),
        ({k: v for k, v in GOOD.items() if k != "doc"}, "missing field doc"),
        ({**GOOD, "topics": ["t9"], "stance": {"t9": "favor"}}, "unknown topic 't9'"),
        ({**GOOD, "stance": {"t1": "maybe"}}, "unknown stance 'maybe'"),
        ({**GOOD, "stance": {"t1": "favor", "t2": "against"}}, "stance given for unlisted topic 't2'"),
        ({**GOOD, "topics": ["t1", "t2"]}, "topic 't2' is listed without a stance"),
        ({**GOOD, "text": "   "}, "empty text"),
        ({**GOOD, "topics": "t1"}, "must be a list"),
    ],
)
def test_each_kind_of_problem_is_reported_with_file_and_line(tmp_path, record, expected):
    path = write(tmp_path, [GOOD | {"id": "first"}, record])
    problems = problems_of(path)
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"{path}:2: ")
    assert expected in problems[0]


def test_duplicate_id_names_both_places(tmp_path):
    path = write(tmp_path, [GOOD, GOOD])
    (problem,) = problems_of(path)
    assert problem.startswith(f"{path}:2: duplicate id 'a'") and f"{path}:1" in problem


def test_all_problems_reported_at_once(tmp_path):
    path = write(tmp_path, ["{bad", {**GOOD, "id": "b", "text": ""}, {**GOOD, "id": "c", "topics": ["zz"], "stance": {}}])
    problems = problems_of(path)
    lines = sorted({int(p.split(":")[1]) for p in problems})
    assert lines == [1, 2, 3]
    assert len(problems) >= 4  # line 3 has an unknown topic and a topic without stance


def test_error_message_lists_problems_and_hint(tmp_path):
    path = write(tmp_path, ["{bad"])
    with pytest.raises(LabelError) as info:
        load_labels(path)
    msg = info.value.user_message()
    assert "1 problem in the label data" in msg and "GUIDELINES.md" in msg


def test_missing_schema_and_missing_path(tmp_path):
    (tmp_path / "x.jsonl").write_text(json.dumps(GOOD) + "\n")
    with pytest.raises(StanceclsError, match="no schema.json"):
        load_labels(tmp_path / "x.jsonl")
    with pytest.raises(StanceclsError, match="does not exist"):
        load_labels(tmp_path / "nope.jsonl")


def test_schema_rejects_repeats_and_empties():
    with pytest.raises(StanceclsError, match="repeats"):
        LabelSchema(topics=("a", "a"))
    with pytest.raises(StanceclsError, match="no topics"):
        LabelSchema(topics=())


def test_label_matrix_and_topic_order(tmp_path):
    path = write(tmp_path, [{**GOOD, "topics": ["t2", "t1"], "stance": {"t2": "against", "t1": "favor"}}])
    schema, records = load_labels(path)
    assert records[0].topics == ("t1", "t2")  # schema order
    assert labels_to_matrix(records, schema).tolist() == [["favor", "against"]]


def test_extra_fields_are_kept():
    _, records = load_labels(LABELS / "seeds.jsonl")
    assert all("event" in r.extra for r in records)
    assert records[0].to_dict()["event"] == records[0].extra["event"]


def test_repository_labels_are_valid():
    schema, records = load_labels(LABELS)
    assert schema == load_schema(LABELS)
    assert len(records) >= 62
    assert len({r.id for r in records}) == len(records)


def test_same_text_twice_is_flagged_with_both_places(tmp_path):
    import json as _json
    import shutil

    from stancecls.errors import LabelError
    from stancecls.schema import load_labels

    from conftest import LABELS

    shutil.copy(LABELS / "schema.json", tmp_path / "schema.json")
    rows = [
        {"id": "a1", "doc": "d1", "text": "Korea mengirim bantuan ke Ukraina.", "topics": ["ukraine_aid"],
         "stance": {"ukraine_aid": "favor"}, "source": "authored"},
        {"id": "a2", "doc": "d2", "text": "Cuaca cerah di Jakarta.", "topics": [], "stance": {}, "source": "authored"},
    ]
    (tmp_path / "a.jsonl").write_text("\n".join(_json.dumps(r) for r in rows) + "\n")
    rows2 = [
        {"id": "b1", "doc": "d3", "text": "korea mengirim  bantuan ke Ukraina.", "topics": ["ukraine_aid"],
         "stance": {"ukraine_aid": "against"}, "source": "authored"},
        {"id": "b2", "doc": "d4", "text": "Cuaca cerah di Jakarta.", "topics": [], "stance": {}, "source": "authored"},
    ]
    (tmp_path / "b.jsonl").write_text("\n".join(_json.dumps(r) for r in rows2) + "\n")
    with pytest.raises(LabelError) as err:
        load_labels(tmp_path)
    text = str(err.value) + " ".join(map(str, err.value.problems))
    assert "b.jsonl:1: same text as" in text and "a.jsonl:1 but labelled differently" in text
    assert "ukraine_aid=against here, ukraine_aid=favor there" in text
    assert "b.jsonl:2: same text and labels as" in text
