"""Readers for paragraphs to classify and writers for predictions.

Readers stream: they yield :class:`InputRecord` objects one at a time and
never hold a whole file. Every error names the file and line. Formats:

- ``jsonl``: one JSON object per line with a text field (``text`` by
  default) and optionally an id field (``id``);
- ``csv`` / ``tsv``: a header row with a text column (and ``id`` if present);
- ``text``: one paragraph per non-empty line (blank lines separate, they are
  not records);
- ``article`` mode (``segment=True``): each record is a raw article, split
  into paragraphs by :func:`stancecls.segment.segment`.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Iterable, Iterator

from .errors import InputError
from .segment import segment

__all__ = [
    "InputRecord",
    "read_records",
    "detect_format",
    "paragraph_records",
    "write_predictions",
    "header_line",
    "format_prediction",
    "partition",
    "count_partition",
    "read_partition",
    "INPUT_FORMATS",
    "OUTPUT_FORMATS",
]

INPUT_FORMATS = ("auto", "jsonl", "csv", "tsv", "text")
OUTPUT_FORMATS = ("jsonl", "csv", "table")
_EXTENSIONS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".csv": "csv", ".tsv": "tsv"}


@dataclass(frozen=True)
class InputRecord:
    """A paragraph (or article) to classify, with where it came from."""

    id: str
    text: str
    source: str = "<args>"
    line: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


def detect_format(path: str, first_line: str = "") -> str:
    """Input format from the file extension, or from the first line for stdin."""
    if path != "-":
        return _EXTENSIONS.get(Path(path).suffix.lower(), "text")
    return "jsonl" if first_line.lstrip().startswith("{") else "text"


def _lines(stream: Iterable[bytes], name: str, first: int = 1) -> Iterator[tuple[int, str]]:
    for n, raw in enumerate(stream, first):
        try:
            yield n, raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(
                f"{name}:{n}: not UTF-8 text (byte {raw[exc.start]:#04x} at column {exc.start + 1})",
                "convert the file to UTF-8 (e.g. iconv -f latin1 -t utf-8)",
            ) from exc


def _open(path: str) -> tuple[IO[bytes], str, bool]:
    if path == "-":
        return sys.stdin.buffer, "<stdin>", False
    p = Path(path)
    if p.is_dir():
        raise InputError(f"{path} is a folder, not a file", "give --input a file, or - for standard input")
    try:
        return open(p, "rb"), str(path), True
    except FileNotFoundError as exc:
        raise InputError(f"input file {path} does not exist", "check the path given to --input") from exc
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}", "check the file and its permissions") from exc


def _jsonl(lines, name, text_field, id_field, position: int = 0) -> Iterator[InputRecord]:
    for n, line in lines:
        if not line.strip():
            continue
        position += 1
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(
                f"{name}:{n}: bad JSON ({exc.msg} at column {exc.colno})",
                "give one JSON object per line, or pass --input-format text",
            ) from exc
        if not isinstance(obj, dict):
            raise InputError(f"{name}:{n}: expected a JSON object, got {type(obj).__name__}", "give one object per line")
        if text_field not in obj:
            raise InputError(
                f"{name}:{n}: no {text_field!r} field (fields: {', '.join(map(str, obj)) or 'none'})",
                "name the text field with --text-field",
            )
        text = obj[text_field]
        if not isinstance(text, str):
            raise InputError(f"{name}:{n}: field {text_field!r} is {type(text).__name__}, not text", "give a string")
        rid = obj.get(id_field, position)
        yield InputRecord(id=str(rid), text=text, source=name, line=n)


def _delimited(lines, name, delimiter, text_field, id_field) -> Iterator[InputRecord]:
    # csv needs whole logical rows (quoted fields may span lines): feed it text and track lines.
    line_of_row: list[int] = []

    def feed():
        for n, line in lines:
            line_of_row.append(n)
            yield line

    reader = csv.reader(feed(), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error as exc:
        raise InputError(f"{name}:1: cannot parse the header ({exc})", "check the file's format") from exc
    header = [h.strip().lstrip("\ufeff") for h in header]
    if text_field not in header:
        raise InputError(
            f"{name}:1: no {text_field!r} column (columns: {', '.join(header) or 'none'})",
            "name the text column with --text-field",
        )
    ti = header.index(text_field)
    ii = header.index(id_field) if id_field in header else None
    position = 0
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise InputError(f"{name}:{line_of_row[-1]}: {exc}", "check the quoting of that row") from exc
        n = line_of_row[-1]
        if not row or not any(c.strip() for c in row):
            continue
        position += 1
        if len(row) != len(header):
            raise InputError(
                f"{name}:{n}: {len(row)} fields where the header has {len(header)}",
                "quote fields that contain the delimiter",
            )
        rid = row[ii] if ii is not None and row[ii] != "" else position
        yield InputRecord(id=str(rid), text=row[ti], source=name, line=n)


def _text(lines, name, position: int = 0) -> Iterator[InputRecord]:
    for n, line in lines:
        if line.strip():
            position += 1
            yield InputRecord(id=str(position), text=line.rstrip("\r\n"), source=name, line=n)


def read_records(
    path: str, fmt: str = "auto", *, text_field: str = "text", id_field: str = "id", article: bool = False
) -> Iterator[InputRecord]:
    """Stream the records of a file (``"-"`` for standard input).

    Parameters
    ----------
    path : str
        File path, or ``"-"`` for standard input.
    fmt : {"auto", "jsonl", "csv", "tsv", "text"}, default="auto"
        ``auto`` goes by the extension (stdin: JSON Lines if the first line
        starts with ``{``).
    text_field, id_field : str
        Names of the text and id fields/columns.
    article : bool, default=False
        Treat a plain text file as one article (instead of one paragraph per line).

    Raises
    ------
    InputError
        Missing file, folder, bad encoding, bad JSON, missing text field...,
        with file and line.
    """
    if fmt not in INPUT_FORMATS:
        raise InputError(f"unknown input format {fmt!r}", f"use one of {', '.join(INPUT_FORMATS)}")
    stream, name, close = _open(path)
    try:
        lines = _lines(stream, name)
        if fmt == "auto":
            first = next(lines, None)
            if first is None:
                return
            fmt = detect_format(path, first[1])
            lines = _chain(first, lines)
        if fmt == "jsonl":
            yield from _jsonl(lines, name, text_field, id_field)
        elif fmt in ("csv", "tsv"):
            yield from _delimited(lines, name, "," if fmt == "csv" else "\t", text_field, id_field)
        elif article:
            text = "".join(line for _, line in lines)
            if text.strip():
                doc = "1" if path == "-" else Path(path).stem
                yield InputRecord(id=doc, text=text, source=name, line=1)
        else:
            yield from _text(lines, name)
    finally:
        if close:
            stream.close()


def partition(path: str, start: int, end: int) -> Iterator[bytes]:
    """The raw lines of a file that begin in the byte range ``[start, end)``.

    Consecutive ranges that cover a file give every line exactly once, which
    is how the cluster engine cuts a big file into partitions.
    """
    with open(path, "rb") as fh:
        if start > 0:
            fh.seek(start - 1)
            if fh.read(1) != b"\n":
                fh.readline()  # the line under way belongs to the previous range
        pos = fh.tell()
        while pos < end:
            line = fh.readline()
            if not line:
                return
            yield line
            pos += len(line)


def count_partition(path: str, start: int, end: int) -> tuple[int, int]:
    """``(lines, non-blank lines)`` that begin in ``[start, end)`` (for line numbers and default ids)."""
    lines = blank = 0
    for raw in partition(path, start, end):
        lines += 1
        try:
            blank += not raw.decode("utf-8").strip()
        except UnicodeDecodeError:
            pass  # not blank; the reader reports the line when it gets there
    return lines, lines - blank


def read_partition(
    path: str, start: int, end: int, *, fmt: str, first_line: int, first_position: int,
    text_field: str = "text", id_field: str = "id",
) -> Iterator[InputRecord]:
    """Records of the lines beginning in ``[start, end)`` of a JSON Lines or text file.

    ``first_line`` is the file line number of the range's first line and
    ``first_position`` the number of records before it, so errors name the
    real line and default ids equal those of reading the whole file.
    """
    lines = _lines(partition(path, start, end), path, first_line)
    if fmt == "jsonl":
        return _jsonl(lines, path, text_field, id_field, first_position)
    if fmt == "text":
        return _text(lines, path, first_position)
    raise InputError(f"{path}: {fmt} files cannot be cut into byte ranges", "read CSV/TSV files whole")


def _chain(first, rest):
    yield first
    yield from rest


def paragraph_records(records: Iterable[InputRecord], article: bool) -> Iterator[tuple[str, str, dict]]:
    """``(id, text, extra)`` tuples for the model: records as they are, or articles split into paragraphs.

    Article paragraphs get the id ``<article id>:<paragraph index>`` and the
    extra fields ``doc`` and ``paragraph``.
    """
    for rec in records:
        if not article:
            yield rec.id, rec.text, rec.extra
            continue
        for p in segment(rec.text):
            yield f"{rec.id}:{p.index}", p.text, {"doc": rec.id, "paragraph": p.index}


def header_line(fmt: str, topics: list[str]) -> str:
    """The first line of an output in ``fmt`` ("" for JSON Lines)."""
    if fmt not in OUTPUT_FORMATS:
        raise InputError(f"unknown output format {fmt!r}", f"use one of {', '.join(OUTPUT_FORMATS)}")
    if fmt == "jsonl":
        return ""
    if fmt == "csv":
        return _csv_line(["id", "topics", "stance", "other"] + [f"score_{t}" for t in topics])
    short = [t[:10] for t in topics]
    return f"{'id':<20} {'topics (stance)':<46} " + " ".join(f"{s:>10}" for s in short) + "\n"


def format_prediction(p, fmt: str, topics: list[str]) -> str:
    """One prediction as a line of ``fmt`` (newline included)."""
    if fmt == "jsonl":
        return p.to_json() + "\n"
    if fmt == "csv":
        return _csv_line(
            [p.id, ";".join(p.topics), ";".join(f"{t}={s}" for t, s in p.stance.items()), str(p.other).lower()]
            + [f"{p.scores[t]:.6f}" for t in topics]
        )
    # Streams, so widths are fixed; long ids and labels are cut with an ellipsis.
    label = ", ".join(f"{t}:{s}" for t, s in p.stance.items()) or "(other)"
    return (
        f"{_cut(p.id, 20, keep_end=True):<20} {_cut(label, 46):<46} "
        + " ".join(f"{p.scores[t]:>10.3f}" for t in topics)
        + "\n"
    )


def _csv_line(row: list[str]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(row)
    return buf.getvalue()


def write_predictions(predictions: Iterable, fmt: str, out: IO[str], topics: list[str]) -> int:
    """Write predictions as JSON Lines, CSV or a readable table; returns how many were written."""
    out.write(header_line(fmt, topics))
    count = 0
    for p in predictions:
        out.write(format_prediction(p, fmt, topics))
        count += 1
    return count


def _cut(text: str, width: int, keep_end: bool = False) -> str:
    if len(text) <= width:
        return text
    # ids keep their end: "<article>:<paragraph>" stays readable
    return "…" + text[-(width - 1) :] if keep_end else text[: width - 1] + "…"
