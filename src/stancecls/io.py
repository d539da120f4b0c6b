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

import numpy as np

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
    "jsonl_lines",
    "partition",
    "count_partition",
    "read_partition",
    "format_error",
    "ON_ERROR",
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
    error: str = ""  # with on_error="skip": why this record could not be read (then text is "")


def detect_format(path: str, first_line: str = "") -> str:
    """Input format from the file extension, or from the first line for stdin."""
    if path != "-":
        return _EXTENSIONS.get(Path(path).suffix.lower(), "text")
    return "jsonl" if first_line.lstrip().startswith("{") else "text"


def _lines(stream: Iterable[bytes], name: str, first: int = 1, skip: bool = False) -> Iterator[tuple[int, str, str]]:
    """``(line number, text, error)``; with ``skip`` an undecodable line comes with its error instead of raising."""
    for n, raw in enumerate(stream, first):
        try:
            yield n, raw.decode("utf-8"), ""
        except UnicodeDecodeError as exc:
            err = InputError(
                f"{name}:{n}: not UTF-8 text (byte {raw[exc.start]:#04x} at column {exc.start + 1})",
                "convert the file to UTF-8 (e.g. iconv -f latin1 -t utf-8)",
            )
            if not skip:
                raise err from exc
            yield n, raw.decode("utf-8", "replace"), err.user_message()


def _looks_binary(head: bytes) -> bool:
    # Text may hold a stray NUL or control byte (each such line is reported on its own); a file whose
    # first 4 KiB are one tenth control bytes, NULs among them, is not text.
    if b"\x00" not in head:
        return False
    controls = sum(head.count(bytes([c])) for c in (*range(0, 9), *range(14, 27), *range(28, 32)))
    return controls > len(head) / 10


def _bad(skip: bool, message: str, hint: str, *, rid: str, name: str, line: int) -> InputRecord:
    """An error record in place of a bad one (``skip``), or the error raised."""
    err = InputError(message, hint)
    if not skip:
        raise err
    return InputRecord(id=rid, text="", source=name, line=line, error=err.user_message())


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


def _jsonl(lines, name, text_field, id_field, position: int = 0, skip: bool = False) -> Iterator[InputRecord]:
    for n, line, error in lines:
        if not line.strip():
            continue
        position += 1
        where = {"rid": str(position), "name": name, "line": n}
        if error:
            yield InputRecord(id=str(position), text="", source=name, line=n, error=error)
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            yield _bad(skip, f"{name}:{n}: bad JSON ({exc.msg} at column {exc.colno})",
                       "give one JSON object per line, or pass --input-format text", **where)
            continue
        if not isinstance(obj, dict):
            yield _bad(skip, f"{name}:{n}: expected a JSON object, got {type(obj).__name__}", "give one object per line",
                       **where)
            continue
        rid = str(obj.get(id_field, position))
        where["rid"] = rid
        if text_field not in obj:
            yield _bad(skip, f"{name}:{n}: no {text_field!r} field (fields: {', '.join(map(str, obj)) or 'none'})",
                       "name the text field with --text-field", **where)
            continue
        text = obj[text_field]
        if not isinstance(text, str):
            yield _bad(skip, f"{name}:{n}: field {text_field!r} is {type(text).__name__}, not text", "give a string",
                       **where)
            continue
        yield InputRecord(id=rid, text=text, source=name, line=n)


def _delimited(lines, name, delimiter, text_field, id_field, skip: bool = False) -> Iterator[InputRecord]:
    # csv needs whole logical rows (quoted fields may span lines): feed it text and track lines.
    line_of_row: list[int] = []
    bad_lines: dict[int, str] = {}

    def feed():
        for n, line, error in lines:
            line_of_row.append(n)
            if error:
                bad_lines[n] = error
            yield line

    reader = csv.reader(feed(), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error as exc:
        raise InputError(f"{name}:1: cannot parse the header ({exc})", "check the file's format") from exc
    if bad_lines:
        raise InputError(next(iter(bad_lines.values())), "fix the header line")
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
        start = len(line_of_row)
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            position += 1
            yield _bad(skip, f"{name}:{line_of_row[-1]}: {exc}", "check the quoting of that row",
                       rid=str(position), name=name, line=line_of_row[-1])
            continue
        n = line_of_row[-1]
        if not row or not any(c.strip() for c in row):
            continue
        position += 1
        rid = row[ii] if ii is not None and ii < len(row) and row[ii] != "" else position
        errors = [bad_lines.pop(k) for k in line_of_row[start:] if k in bad_lines]
        if errors:
            yield InputRecord(id=str(rid), text="", source=name, line=n, error=errors[0])
            continue
        if len(row) != len(header):
            yield _bad(skip, f"{name}:{n}: {len(row)} fields where the header has {len(header)}",
                       "quote fields that contain the delimiter", rid=str(rid), name=name, line=n)
            continue
        yield InputRecord(id=str(rid), text=row[ti], source=name, line=n)


def _text(lines, name, position: int = 0) -> Iterator[InputRecord]:
    for n, line, error in lines:
        if line.strip():
            position += 1
            yield InputRecord(id=str(position), text="" if error else line.rstrip("\r\n"), source=name, line=n,
                              error=error)


ON_ERROR = ("fail", "skip")
ERROR_KEY = "error"


def read_records(
    path: str, fmt: str = "auto", *, text_field: str = "text", id_field: str = "id", article: bool = False,
    on_error: str = "fail",
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
    on_error : {"fail", "skip"}, default="fail"
        ``skip``: a record that cannot be read (bad JSON, bad encoding, no
        text...) comes as an :class:`InputRecord` with ``error`` set, in its
        place, so no record is lost. Problems with the whole file (missing,
        a folder, a CSV header without the text column) always raise.

    Raises
    ------
    InputError
        Missing file, folder, bad encoding, bad JSON, missing text field...,
        with file and line.
    """
    if fmt not in INPUT_FORMATS:
        raise InputError(f"unknown input format {fmt!r}", f"use one of {', '.join(INPUT_FORMATS)}")
    if on_error not in ON_ERROR:
        raise InputError(f"unknown on_error {on_error!r}", "use fail or skip")
    skip = on_error == "skip"
    stream, name, close = _open(path)
    if close and _looks_binary(stream.peek(4096)[:4096]):
        stream.close()
        raise InputError(f"{name} looks like a binary file (NUL bytes, not UTF-8 text)",
                         "give a text, JSON Lines, CSV or TSV file")
    try:
        lines = _lines(stream, name, skip=skip)
        if fmt == "auto":
            first = next(lines, None)
            if first is None:
                return
            fmt = detect_format(path, first[1])
            lines = _chain(first, lines)
        if fmt == "jsonl":
            yield from _jsonl(lines, name, text_field, id_field, skip=skip)
        elif fmt in ("csv", "tsv"):
            yield from _delimited(lines, name, "," if fmt == "csv" else "\t", text_field, id_field, skip=skip)
        elif article:
            parts = list(lines)
            bad = [e for _, _, e in parts if e]
            if bad:
                doc = "1" if path == "-" else Path(path).stem
                yield InputRecord(id=doc, text="", source=name, line=1, error=bad[0])
                return
            text = "".join(line for _, line, _ in parts)
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
    text_field: str = "text", id_field: str = "id", on_error: str = "fail",
) -> Iterator[InputRecord]:
    """Records of the lines beginning in ``[start, end)`` of a JSON Lines or text file.

    ``first_line`` is the file line number of the range's first line and
    ``first_position`` the number of records before it, so errors name the
    real line and default ids equal those of reading the whole file.
    """
    skip = on_error == "skip"
    lines = _lines(partition(path, start, end), path, first_line, skip=skip)
    if fmt == "jsonl":
        return _jsonl(lines, path, text_field, id_field, first_position, skip=skip)
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
        if rec.error:
            yield rec.id, "", {ERROR_KEY: rec.error, "source": rec.source, "line": rec.line}
            continue
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
        return _csv_line(["id", "topics", "stance", "other"] + [f"score_{t}" for t in topics] + ["error"])
    short = [t[:10] for t in topics]
    return f"{'id':<20} {'topics (stance)':<46} " + " ".join(f"{s:>10}" for s in short) + "\n"


def format_prediction(p, fmt: str, topics: list[str]) -> str:
    """One prediction as a line of ``fmt`` (newline included)."""
    if fmt == "jsonl":
        return p.to_json() + "\n"
    if fmt == "csv":
        return _csv_line(
            [p.id, ";".join(p.topics), ";".join(f"{t}={s}" for t, s in p.stance.items()), str(p.other).lower()]
            + [f"{p.scores[t]:.6f}" for t in topics] + [""]
        )
    # Streams, so widths are fixed; long ids and labels are cut with an ellipsis.
    label = ", ".join(f"{t}:{s}" for t, s in p.stance.items()) or "(other)"
    return (
        f"{_cut(p.id, 20, keep_end=True):<20} {_cut(label, 46):<46} "
        + " ".join(f"{p.scores[t]:>10.3f}" for t in topics)
        + "\n"
    )


_PREDICTION_FIELDS = frozenset({"id", "topics", "stance", "scores", "stance_scores", "other"})


def jsonl_lines(ids, topic_p, stance_p, decided, extras, topics, stances) -> list[str] | None:
    """A batch's JSON Lines straight from its arrays, without building :class:`~stancecls.Prediction` objects.

    The lines are byte for byte those of ``Prediction.to_json()`` (topic and
    stance names being distinct strings, as a
    :class:`~stancecls.schema.LabelSchema` makes them). Building the objects
    and serialising their nested dicts took most of the time of
    ``stancecls predict`` on long inputs.

    Parameters
    ----------
    ids : list of str
    topic_p, stance_p, decided : ndarray
        What :meth:`Model._decisions` returns for the batch.
    extras : list of dict or None
        Extra fields of each record, written last.
    topics, stances : list of str

    Returns
    -------
    list of str or None
        One line per record (newline included), or ``None`` when this batch
        needs the general path: a score that is not finite (JSON writes it as
        ``NaN``), or an extra field named like a prediction field.
    """
    if not len(ids):
        return []
    if not (np.isfinite(topic_p).all() and np.isfinite(stance_p).all()):
        return None
    if extras and any(not _PREDICTION_FIELDS.isdisjoint(e) for e in extras):
        return None
    enc = json.encoder.encode_basestring  # the string encoder of json.dumps(..., ensure_ascii=False)
    names = [enc(t).replace("%", "%%") for t in topics]
    stance_names = [enc(s).replace("%", "%%") for s in stances]
    # repr of a float is what json writes for it
    template = (
        '{"id": %s, "topics": %s, "stance": %s, "scores": {'
        + ", ".join(f"{t}: %r" for t in names)
        + '}, "stance_scores": {'
        + ", ".join(t + ": {" + ", ".join(f"{s}: %r" for s in stance_names) + "}" for t in names)
        + '}, "other": %s%s}\n'
    )
    n = len(ids)
    tp, sp, dec = topic_p.tolist(), stance_p.reshape(n, -1).tolist(), decided.tolist()
    best = stance_p.argmax(axis=2).tolist()
    # most paragraphs share a handful of decision patterns (nearly all none): their JSON is made once
    decisions: dict[tuple, tuple[str, str]] = {(): ("[]", "{}")}
    lines = []
    for i, rid in enumerate(ids):
        key = tuple((j, best[i][j]) for j, x in enumerate(dec[i]) if x)
        made = decisions.get(key)
        if made is None:
            made = decisions[key] = (json.dumps([topics[j] for j, _ in key], ensure_ascii=False),
                                     json.dumps({topics[j]: stances[b] for j, b in key}, ensure_ascii=False))
        extra = extras[i] if extras else None
        lines.append(template % (
            enc(rid) if type(rid) is str else json.dumps(rid, ensure_ascii=False), *made, *tp[i], *sp[i],
            "false" if key else "true", ", " + json.dumps(extra, ensure_ascii=False)[1:-1] if extra else "",
        ))
    return lines


def format_error(rid: str, extra: dict, fmt: str, topics: list[str]) -> str:
    """The output line that stands in place of a record that could not be read."""
    if fmt == "jsonl":
        return json.dumps({"id": rid, ERROR_KEY: extra[ERROR_KEY], "source": extra.get("source"),
                           "line": extra.get("line")}, ensure_ascii=False) + "\n"
    if fmt == "csv":
        return _csv_line([rid, "", "", ""] + [""] * len(topics) + [extra[ERROR_KEY]])
    return f"{_cut(rid, 20, keep_end=True):<20} {_cut('(error) ' + extra[ERROR_KEY], 46 + 11 * len(topics))}\n"


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
