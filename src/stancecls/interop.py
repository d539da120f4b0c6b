"""Label Studio and doccano: to and from the label format, losslessly.

Label Studio (JSON export, a list of tasks)
    ``data`` holds the text and every other field of the record; the first
    annotation's ``result`` holds a multi-choice ``topics`` control and one
    single-choice ``stance_<topic>`` control per labelled topic.
    :func:`label_studio_config` writes the matching labelling interface.
doccano (JSONL, text classification)
    One object per paragraph: ``text``, ``label`` (a list of
    ``"<topic>/<stance>"``, empty for *other*) and every other field of the
    record as metadata.

Converting a label file to either format and back gives the same records,
field for field (a test does it for all of ``data/labels``). Imports are
validated like any label file: every problem with its file and line.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any, Iterable
from xml.sax.saxutils import quoteattr

from .errors import InputError
from .schema import LabelRecord, LabelSchema, load_labels

__all__ = ["FORMATS", "to_label_studio", "from_label_studio", "to_doccano", "from_doccano", "label_studio_config",
           "convert"]

FORMATS = ("labels", "label-studio", "doccano")
_SEP = "/"


def _record_dict(r: LabelRecord) -> dict[str, Any]:
    return r.to_dict()


def to_label_studio(records: Iterable[LabelRecord]) -> list[dict[str, Any]]:
    """Label Studio tasks (with their annotation) for label records."""
    tasks = []
    for r in records:
        d = _record_dict(r)
        data = {k: v for k, v in d.items() if k not in ("topics", "stance")}
        result = [{"from_name": "topics", "to_name": "text", "type": "choices", "value": {"choices": list(r.topics)}}]
        for t in r.topics:
            result.append({"from_name": f"stance_{t}", "to_name": "text", "type": "choices",
                           "value": {"choices": [r.stance[t]]}})
        tasks.append({"data": data, "annotations": [{"result": result}]})
    return tasks


def label_studio_config(schema: LabelSchema) -> str:
    """A Label Studio labelling interface for the schema: topics, then a stance for each chosen topic."""
    lines = ["<View>", '  <Text name="text" value="$text"/>',
             '  <Choices name="topics" toName="text" choice="multiple" showInLine="true">']
    lines += [f"    <Choice value={quoteattr(t)}/>" for t in schema.topics]
    lines.append("  </Choices>")
    for t in schema.topics:
        lines.append(f'  <Choices name={quoteattr("stance_" + t)} toName="text" choice="single" showInLine="true" '
                     f'visibleWhen="choice-selected" whenTagName="topics" whenChoiceValue={quoteattr(t)}>')
        lines += [f"    <Choice value={quoteattr(s)}/>" for s in schema.stances]
        lines.append("  </Choices>")
    lines.append("</View>")
    return "\n".join(lines) + "\n"


def from_label_studio(tasks: Any, name: str = "<label studio>") -> list[dict[str, Any]]:
    """Label-format dicts from Label Studio tasks (the first annotation of each; validate with load_labels)."""
    if not isinstance(tasks, list):
        raise InputError(f"{name}: expected a JSON list of tasks, got {type(tasks).__name__}", "export tasks as JSON")
    out = []
    for i, task in enumerate(tasks, 1):
        if not isinstance(task, dict) or not isinstance(task.get("data"), dict):
            raise InputError(f"{name}: task {i} has no 'data' object", "export tasks with their data")
        data = dict(task["data"])
        annotations = task.get("annotations") or []
        result = annotations[0].get("result", []) if annotations and isinstance(annotations[0], dict) else []
        topics: list[str] = []
        stance: dict[str, str] = {}
        for item in result:
            value = (item.get("value") or {}).get("choices") or []
            if item.get("from_name") == "topics":
                topics = list(value)
            elif str(item.get("from_name", "")).startswith("stance_") and value:
                stance[item["from_name"][len("stance_"):]] = value[0]
        rec = {"id": data.pop("id", str(i)), "doc": data.pop("doc", data.get("id", str(i))),
               "text": data.pop("text", None), "topics": topics, "stance": stance,
               "source": data.pop("source", "label-studio")}
        rec.update(data)
        out.append(rec)
    return out


def to_doccano(records: Iterable[LabelRecord]) -> list[dict[str, Any]]:
    """doccano text-classification rows for label records."""
    rows = []
    for r in records:
        d = _record_dict(r)
        row = {"text": d.pop("text"), "label": [f"{t}{_SEP}{r.stance[t]}" for t in r.topics]}
        del d["topics"], d["stance"]
        row.update(d)
        rows.append(row)
    return rows


def from_doccano(rows: Iterable[dict[str, Any]], name: str = "<doccano>") -> list[dict[str, Any]]:
    """Label-format dicts from doccano rows (validate with load_labels)."""
    out = []
    for i, row in enumerate(rows, 1):
        if not isinstance(row, dict):
            raise InputError(f"{name}:{i}: expected a JSON object", "give doccano's JSONL export")
        row = dict(row)
        labels = row.pop("label", None)
        if labels is None:
            labels = row.pop("labels", [])
        topics, stance = [], {}
        for lab in labels:
            topic, _, st = str(lab).partition(_SEP)
            topics.append(topic)
            stance[topic] = st
        rec = {"id": row.pop("id", str(i)), "doc": row.pop("doc", str(i)), "text": row.pop("text", None),
               "topics": topics, "stance": stance, "source": row.pop("source", "doccano")}
        rec.update(row)
        out.append(rec)
    return out


def _read_json_lines(path: Path) -> list[dict]:
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise InputError(f"{path}:{n}: bad JSON ({exc.msg})", "give one JSON object per line") from exc
    return rows


def convert(source: str | Path, src: str, dst: str, schema: LabelSchema | None = None) -> tuple[str, LabelSchema]:
    """Convert a file between the label format, Label Studio JSON and doccano JSONL.

    Imports are validated against the schema (``schema.json`` beside the
    input, or ``schema``) and reported with file and line like label files.

    Returns
    -------
    text : str
        The converted file's content.
    schema : LabelSchema
    """
    if src not in FORMATS or dst not in FORMATS:
        raise InputError(f"unknown format (from {src!r} to {dst!r})", f"use one of {', '.join(FORMATS)}")
    source = Path(source)
    if not source.is_file():
        raise InputError(f"input file {source} does not exist or is not a file", "check the path")
    if src == "labels":
        schema, records = load_labels(source, schema)
    else:
        if schema is None:
            from .schema import load_schema

            schema = load_schema(source.parent)
        try:
            raw = (from_label_studio(json.loads(source.read_text(encoding="utf-8")), str(source)) if src == "label-studio"
                   else from_doccano(_read_json_lines(source), str(source)))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise InputError(f"cannot read {source}: {exc}", f"give a {src} export") from exc
        with tempfile.TemporaryDirectory() as tmp:
            staged = Path(tmp) / (source.stem + ".jsonl")
            staged.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in raw), encoding="utf-8")
            schema, records = load_labels(staged, schema)  # every problem, with its line
    if dst == "labels":
        return "".join(json.dumps(r.to_dict(), ensure_ascii=False) + "\n" for r in records), schema
    if dst == "label-studio":
        return json.dumps(to_label_studio(records), ensure_ascii=False, indent=1) + "\n", schema
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in to_doccano(records)), schema
