"""Any labelled dataset as label records: the project's label files, or JSONL/CSV/TSV with label columns.

Single-label sets (one class per row, e.g. sentiment) become records with one
topic each (the class) and a schema with ``multi_label=False``; multi-label
sets (a column of labels joined by a separator) become records with several
topics. Both have the single stance value ``present``, so the same pipeline,
tuning and evaluation apply. Folds are grouped by ``--group-column`` when
given, otherwise every row is its own group.
"""

from __future__ import annotations

import csv
import json
import zlib
from pathlib import Path
from typing import Iterable, Iterator, Sequence

from .errors import LabelError, Problem, StanceclsError
from .schema import LabelRecord, LabelSchema, load_labels

__all__ = ["load_dataset", "load_background", "in_background_half", "DATA_FORMATS", "PRESENT"]

DATA_FORMATS = ("auto", "labels", "jsonl", "csv", "tsv")
PRESENT = "present"


def _rows(path: Path, fmt: str, columns: Sequence[str] | None) -> Iterator[tuple[int, dict]]:
    if fmt == "auto":
        fmt = {".csv": "csv", ".tsv": "tsv"}.get(path.suffix.lower(), "jsonl")
    try:
        handle = path.open(encoding="utf-8", newline="")
    except OSError as exc:
        raise StanceclsError(f"cannot read {path}: {exc.strerror}", "check the path given to --data") from exc
    with handle:
        try:
            if fmt == "jsonl":
                for n, line in enumerate(handle, 1):
                    if line.strip():
                        try:
                            obj = json.loads(line)
                        except json.JSONDecodeError as exc:
                            raise LabelError([Problem(str(path), n, f"bad JSON: {exc.msg}")]) from exc
                        yield n, obj if isinstance(obj, dict) else {}
                return
            reader = csv.reader(handle, delimiter="," if fmt == "csv" else "\t", quoting=csv.QUOTE_MINIMAL)
            header = list(columns) if columns else [h.strip().lstrip("\ufeff") for h in next(reader, [])]
            for row in reader:
                if row and any(c.strip() for c in row):
                    yield reader.line_num, dict(zip(header, row))
        except UnicodeDecodeError as exc:
            raise StanceclsError(f"{path} is not UTF-8 text ({exc.reason})", "convert it to UTF-8") from exc


def load_dataset(
    paths: str | Path | Iterable[str | Path],
    *,
    schema: LabelSchema | None = None,
    format: str = "auto",
    text_column: str = "text",
    label_column: str | None = None,
    labels_column: str | None = None,
    label_sep: str = ",",
    id_column: str = "id",
    group_column: str | None = None,
    columns: Sequence[str] | None = None,
    language: str = "id",
) -> tuple[LabelSchema, list[LabelRecord]]:
    """Read labelled data.

    Parameters
    ----------
    paths : path or list of paths
        Files or folders.
    schema : LabelSchema, optional
        Fixes the topics (classes) and their order; default: from
        ``schema.json`` (label format) or the sorted labels found.
    format : {"auto", "labels", "jsonl", "csv", "tsv"}, default="auto"
        ``labels`` (the project's label files) unless a label column is named.
    text_column, id_column, group_column : str
        Columns or fields of the text, id and story group.
    label_column : str, optional
        Single-label data: the column holding the class.
    labels_column : str, optional
        Multi-label data: the column holding the labels, joined by ``label_sep``.
    columns : sequence of str, optional
        Column names of a CSV/TSV file without a header row.
    language : str, default="id"
        Language of the texts; stemming is used only for ``"id"``.
    """
    if format not in DATA_FORMATS:
        raise StanceclsError(f"unknown data format {format!r}", f"use one of {', '.join(DATA_FORMATS)}")
    if label_column and labels_column:
        raise StanceclsError("both --label-column and --labels-column were given", "name one of them")
    if not label_column and not labels_column:
        if format not in ("auto", "labels"):
            raise StanceclsError(
                f"format {format} needs a label column", "pass --label-column (single-label) or --labels-column (multi-label)"
            )
        return load_labels(paths if not isinstance(paths, (str, Path)) else [paths], schema)
    files: list[Path] = []
    for p in [paths] if isinstance(paths, (str, Path)) else paths:
        p = Path(p)
        if not p.exists():
            raise StanceclsError(f"data path {p} does not exist", "check the path given to --data")
        files.extend(sorted(x for x in p.iterdir() if x.is_file()) if p.is_dir() else [p])
    problems: list[Problem] = []
    raw: list[tuple[str, str, str, list[str], str, int]] = []
    column = label_column or labels_column
    for f in files:
        position = 0
        for line, row in _rows(f, format, columns):
            position += 1
            where = (str(f), line)
            text, value = row.get(text_column), row.get(column)
            if text is None or value is None:
                missing = [c for c, v in ((text_column, text), (column, value)) if v is None]
                problems.append(Problem(*where, f"no {' or '.join(map(repr, missing))} (fields: {', '.join(map(str, row))})"))
                continue
            if not str(text).strip():
                problems.append(Problem(*where, "empty text"))
                continue
            if isinstance(value, list):
                labels = [str(v).strip() for v in value]
            else:
                labels = [v.strip() for v in str(value).split(label_sep)] if labels_column else [str(value).strip()]
            labels = [lab for lab in labels if lab]
            if label_column and len(labels) != 1:
                problems.append(Problem(*where, f"expected one label, got {value!r}"))
                continue
            rid = str(row.get(id_column, f"{f.stem}:{position}"))
            group = str(row.get(group_column, rid)) if group_column else rid
            raw.append((rid, group, str(text), labels, str(f), line))
    if problems:
        raise LabelError(problems, "fix the rows listed above, or name the right columns")
    found = sorted({lab for r in raw for lab in r[3]})
    if not raw:
        raise StanceclsError(f"{', '.join(map(str, files)) or paths} holds no labelled rows",
                             f"add rows with a {text_column!r} and a {column!r} column")
    if label_column and len(found) < 2 and schema is None:
        raise StanceclsError(f"the data has a single class ({found[0]!r}), and a classifier needs at least two",
                             "add rows of another class")
    if schema is None:
        schema = LabelSchema(topics=tuple(found), stances=(PRESENT,), name=Path(files[0]).stem, language=language,
                             multi_label=bool(labels_column))
    unknown = sorted(set(found) - set(schema.topics))
    if unknown:
        raise StanceclsError(f"labels not in the schema: {unknown}", "add them to the schema or fix the data")
    seen: dict[str, int] = {}
    records = []
    for rid, group, text, labels, path, line in raw:
        if rid in seen:
            seen[rid] += 1
            rid = f"{rid}#{seen[rid]}"
        else:
            seen[rid] = 0
        topics = tuple(t for t in schema.topics if t in labels)
        records.append(LabelRecord(id=rid, doc=group, text=text, topics=topics, stance={t: PRESENT for t in topics},
                                   source=path, path=path, line=line))
    return schema, records


def in_background_half(record_id: str) -> bool:
    """Whether a background record may be sampled for training (CRC-32 of its id is even).

    The other half is never trained on, so false positives can be measured on
    it (``benchmarks/bench_corpus.py`` reads only that half).
    """
    return zlib.crc32(str(record_id).encode("utf-8")) % 2 == 0


def load_background(
    path: str | Path,
    *,
    n: int = 5000,
    seed: int = 0,
    article: bool = False,
    fmt: str = "auto",
    text_field: str = "text",
    id_field: str = "id",
) -> list[LabelRecord]:
    """Sample unlabelled news paragraphs to train on as *other* (negative sampling).

    Labelled data holds far more on-topic paragraphs than news does, and its
    negatives are the ones annotators thought of. A sample of real news, almost
    all of it off-topic, shows the model what a news stream looks like
    (captions, sports lines, "intelijen" in police news). The few on-topic
    paragraphs in such a sample are label noise the model tolerates.

    Parameters
    ----------
    path : str or Path
        JSONL, CSV/TSV or text, read like ``stancecls predict --input``.
    n : int, default=5000
        Paragraphs to sample (all when there are fewer).
    seed : int, default=0
    article : bool, default=False
        Records are articles: split them into paragraphs first.

    Returns
    -------
    list of LabelRecord
        With no topic, ``doc`` the record (article) id prefixed by ``bg:``,
        ``source`` ``background:<file name>``. Only records for which
        :func:`in_background_half` holds are sampled.
    """
    import random

    from .io import paragraph_records, read_records

    name = Path(path).name
    pool: list[tuple[str, str, str, int]] = []
    seen: set[str] = set()
    for rec in read_records(str(path), fmt, text_field=text_field, id_field=id_field, article=article):
        if not in_background_half(rec.id):
            continue
        for pid, text, _ in paragraph_records([rec], article):
            # news repeats boilerplate; one copy is enough. Case is kept here (unlike schema.text_key):
            # the sample, and so the bundled model, is fixed by this key
            key = " ".join(text.split())
            if key and key not in seen:
                seen.add(key)
                pool.append((pid, rec.id, text, rec.line))
    picked = random.Random(seed).sample(pool, min(int(n), len(pool)))
    return [LabelRecord(id=f"bg:{pid}", doc=f"bg:{doc}", text=text, topics=(), stance={}, source=f"background:{name}",
                        path=str(path), line=line) for pid, doc, text, line in picked]
