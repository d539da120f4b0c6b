"""The label schema and label files.

A label file is JSON Lines, one paragraph per line::

    {"id": "...", "doc": "...", "text": "...", "topics": ["ukraine_aid"],
     "stance": {"ukraine_aid": "favor"}, "source": "..."}

The topics and stance values are not hard-coded: they come from a
``schema.json`` beside the label files (see :class:`LabelSchema`).
:func:`load_labels` validates every record and reports *all* problems at once,
each with its file and line.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from .errors import LabelError, Problem, StanceclsError

__all__ = [
    "LabelSchema",
    "LabelRecord",
    "load_schema",
    "load_labels",
    "labels_to_matrix",
    "ABSENT",
    "text_key",
    "REQUIRED_FIELDS",
]

#: Entry of the label matrix for a topic that is not present.
ABSENT = ""

REQUIRED_FIELDS = ("id", "doc", "text", "topics", "stance", "source")
SCHEMA_FILE = "schema.json"


@dataclass(frozen=True)
class LabelSchema:
    """Topics and stance values of a label set.

    Parameters
    ----------
    topics : tuple of str
        Topic names, in a fixed order (the columns of the label matrix).
    stances : tuple of str, default=("favor", "against", "neutral")
        Stance values.
    name : str, default="custom"
        A name for the schema.
    language : str, default="id"
        ISO code of the language; stemming is only meaningful for ``"id"``.
    version : int, default=1
        Version of the schema, recorded in model manifests.
    descriptions : dict, optional
        A sentence per topic, for people.
    multi_label : bool, default=True
        ``False`` for single-label data: every record has exactly one topic
        (its class) and the model predicts the most probable one.
    """

    topics: tuple[str, ...]
    stances: tuple[str, ...] = ("favor", "against", "neutral")
    name: str = "custom"
    language: str = "id"
    version: int = 1
    descriptions: dict[str, str] = field(default_factory=dict, compare=False)
    multi_label: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "topics", tuple(self.topics))
        object.__setattr__(self, "stances", tuple(self.stances))
        for what, values in (("topics", self.topics), ("stances", self.stances)):
            if not values:
                raise StanceclsError(f"the schema declares no {what}", f"list at least one in {SCHEMA_FILE}")
            if len(set(values)) != len(values):
                raise StanceclsError(f"the schema repeats a name in {what}: {list(values)}", "list each once")
            bad = [v for v in values if not isinstance(v, str) or not v.strip()]
            if bad:
                raise StanceclsError(f"the schema has empty or non-string {what}: {bad}", "use non-empty names")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "LabelSchema":
        """Build a schema from its JSON form (as written by :meth:`to_dict`)."""
        if not isinstance(data, dict) or "topics" not in data:
            raise StanceclsError("the schema has no 'topics' list", f"add \"topics\": [...] to {SCHEMA_FILE}")
        return cls(
            topics=tuple(data["topics"]),
            stances=tuple(data.get("stances", ("favor", "against", "neutral"))),
            name=str(data.get("name", "custom")),
            language=str(data.get("language", "id")),
            version=int(data.get("version", 1)),
            descriptions=dict(data.get("descriptions", {})),
            multi_label=bool(data.get("multi_label", True)),
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form of the schema."""
        return {
            "name": self.name,
            "version": self.version,
            "language": self.language,
            "topics": list(self.topics),
            "stances": list(self.stances),
            "descriptions": dict(self.descriptions),
            "multi_label": self.multi_label,
        }


@dataclass(frozen=True)
class LabelRecord:
    """One labelled paragraph.

    ``extra`` keeps any fields beyond the required ones (``event``,
    ``register``...) so that a file can be rewritten without losing them.
    """

    id: str
    doc: str
    text: str
    topics: tuple[str, ...]
    stance: dict[str, str]
    source: str
    extra: dict[str, Any] = field(default_factory=dict, compare=False)
    path: str = field(default="", compare=False)
    line: int = field(default=0, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """The record as written in a label file."""
        out: dict[str, Any] = {
            "id": self.id,
            "doc": self.doc,
            "text": self.text,
            "topics": list(self.topics),
            "stance": dict(self.stance),
            "source": self.source,
        }
        out.update(self.extra)
        return out


def load_schema(path: str | Path) -> LabelSchema:
    """Read a ``schema.json`` file.

    Parameters
    ----------
    path : str or Path
        The schema file, or a folder that holds ``schema.json``.
    """
    path = Path(path)
    if path.is_dir():
        path = path / SCHEMA_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise StanceclsError(
            f"no label schema at {path}", f"put a {SCHEMA_FILE} beside the label files or pass --schema"
        ) from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise StanceclsError(f"cannot read the schema {path}: {exc}", "fix the file") from exc
    return LabelSchema.from_dict(data)


def _label_files(paths: Iterable[str | Path]) -> list[Path]:
    files: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found = sorted(p.glob("*.jsonl"))
            if not found:
                raise StanceclsError(f"no .jsonl label files in {p}", "point --data at a folder of label files")
            files.extend(found)
        elif p.exists():
            files.append(p)
        else:
            raise StanceclsError(f"label path {p} does not exist", "check the path given to --data")
    return files


def _find_schema(files: list[Path]) -> LabelSchema:
    for f in files:
        candidate = f.parent / SCHEMA_FILE
        if candidate.exists():
            return load_schema(candidate)
    raise StanceclsError(
        f"no {SCHEMA_FILE} next to the label files ({files[0].parent if files else '.'})",
        f"add a {SCHEMA_FILE} there or pass a schema explicitly",
    )


def _check_record(obj: Any, schema: LabelSchema, where: tuple[str, int], problems: list[Problem]) -> bool:
    path, line = where
    before = len(problems)

    def bad(message: str) -> None:
        problems.append(Problem(path, line, message))

    if not isinstance(obj, dict):
        bad(f"expected a JSON object, got {type(obj).__name__}")
        return False
    missing = [f for f in REQUIRED_FIELDS if f not in obj]
    if missing:
        bad(f"missing field{'s' if len(missing) > 1 else ''} {', '.join(missing)}")
    for name in ("id", "doc", "source"):
        if name in obj and not isinstance(obj[name], (str, int)):
            bad(f"field {name!r} must be a string, got {type(obj[name]).__name__}")
    if "text" in obj:
        if not isinstance(obj["text"], str):
            bad(f"field 'text' must be a string, got {type(obj['text']).__name__}")
        elif not obj["text"].strip():
            bad("empty text")
    topics = obj.get("topics", [])
    stance = obj.get("stance", {})
    if not isinstance(topics, list) or not all(isinstance(t, str) for t in topics):
        bad("field 'topics' must be a list of topic names")
        return False
    if not isinstance(stance, dict):
        bad("field 'stance' must be an object {topic: stance}")
        return False
    for t in topics:
        if t not in schema.topics:
            bad(f"unknown topic {t!r} (schema topics: {', '.join(schema.topics)})")
    if len(set(topics)) != len(topics):
        bad(f"topic listed twice in {topics}")
    for t, s in stance.items():
        if t not in topics:
            bad(f"stance given for unlisted topic {t!r}")
        if s not in schema.stances:
            bad(f"unknown stance {s!r} for {t!r} (schema stances: {', '.join(schema.stances)})")
    for t in topics:
        if t not in stance:
            bad(f"topic {t!r} is listed without a stance")
    return len(problems) == before


def load_labels(
    paths: str | Path | Iterable[str | Path], schema: LabelSchema | None = None
) -> tuple[LabelSchema, list[LabelRecord]]:
    """Read and validate label files.

    Parameters
    ----------
    paths : path or list of paths
        Label files (``.jsonl``) or folders of them.
    schema : LabelSchema, optional
        The schema to validate against; by default the ``schema.json`` found
        beside the first label file.

    Returns
    -------
    schema : LabelSchema
    records : list of LabelRecord

    Raises
    ------
    LabelError
        With every problem found (bad JSON, missing field, unknown topic or
        stance, stance for an unlisted topic, topic without stance, duplicate
        id, empty text, the same text twice), each with file and line.
    """
    if isinstance(paths, (str, Path)):
        paths = [paths]
    files = _label_files(paths)
    if not files:
        raise StanceclsError("no label files given", "pass --data PATH")
    if schema is None:
        schema = _find_schema(files)
    problems: list[Problem] = []
    records: list[LabelRecord] = []
    seen: dict[str, tuple[str, int]] = {}
    for f in files:
        try:
            handle = f.open(encoding="utf-8")
        except OSError as exc:
            raise StanceclsError(f"cannot read label file {f}: {exc.strerror}", "check the path") from exc
        with handle:
            try:
                lines = list(handle)
            except UnicodeDecodeError as exc:
                problems.append(Problem(str(f), 0, f"not UTF-8 text ({exc.reason})"))
                continue
        for n, raw in enumerate(lines, 1):
            if not raw.strip():
                continue
            try:
                obj = json.loads(raw)
            except json.JSONDecodeError as exc:
                problems.append(Problem(str(f), n, f"bad JSON: {exc.msg} at column {exc.colno}"))
                continue
            if not _check_record(obj, schema, (str(f), n), problems):
                continue
            rid = str(obj["id"])
            if rid in seen:
                p, ln = seen[rid]
                problems.append(Problem(str(f), n, f"duplicate id {rid!r} (first at {p}:{ln})"))
                continue
            seen[rid] = (str(f), n)
            extra = {k: v for k, v in obj.items() if k not in REQUIRED_FIELDS}
            records.append(
                LabelRecord(
                    id=rid,
                    doc=str(obj["doc"]),
                    text=obj["text"],
                    topics=tuple(t for t in schema.topics if t in obj["topics"]),
                    stance={t: obj["stance"][t] for t in schema.topics if t in obj["topics"]},
                    source=str(obj["source"]),
                    extra=extra,
                    path=str(f),
                    line=n,
                )
            )
    problems.extend(_duplicate_texts(records))
    if problems:
        raise LabelError(problems)
    return schema, records


def text_key(text: str) -> str:
    """What makes two paragraphs "the same text": equal after collapsing white space and case folding."""
    return " ".join(text.split()).casefold()


def _duplicate_texts(records: list[LabelRecord]) -> list[Problem]:
    """The same text twice: with other labels it is a contradiction, with the same labels it leaks across folds."""
    first: dict[str, LabelRecord] = {}
    out = []
    for r in records:
        key = text_key(r.text)
        other = first.setdefault(key, r)
        if other is r:
            continue
        if (other.topics, other.stance) != (r.topics, r.stance):
            out.append(Problem(r.path, r.line, f"same text as {other.path}:{other.line} but labelled differently "
                               f"({_label_str(r)} here, {_label_str(other)} there)"))
        else:
            out.append(Problem(r.path, r.line, f"same text and labels as {other.path}:{other.line} (drop one copy)"))
    return out


def _label_str(r: LabelRecord) -> str:
    return ", ".join(f"{t}={s}" for t, s in r.stance.items()) or "other"


def labels_to_matrix(records: Iterable[LabelRecord], schema: LabelSchema) -> np.ndarray:
    """Label matrix for :class:`~stancecls.model.StanceClassifier`.

    Returns an ``(n_records, n_topics)`` array of strings: the stance of each
    topic that is present, :data:`ABSENT` (the empty string) otherwise.
    """
    records = list(records)
    y = np.full((len(records), len(schema.topics)), ABSENT, dtype=object)
    for i, r in enumerate(records):
        for j, t in enumerate(schema.topics):
            if t in r.stance:
                y[i, j] = r.stance[t]
    return y
