"""A labelling session in the terminal: key presses in, validated label records out.

The session is a loop over paragraphs in suggested order. Every finished label
is appended to the output file as one JSON line and flushed to disk before the
next paragraph shows, so Ctrl-C, a closed terminal or a crash loses at most the
paragraph on screen. Running the same command again resumes: paragraphs
already in the output file (or skipped, listed in ``<out>.skipped``) are not
shown again.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, TextIO

from .errors import InputError
from .schema import LabelSchema, load_labels

__all__ = ["KeyReader", "LabelSession", "read_existing", "read_skipped", "stance_keys"]

ENTER = "\n"


class KeyReader:
    """Single key presses from a terminal, or characters from a pipe (scripted input).

    On a terminal the reader switches to cbreak mode (no Enter needed, no
    echo) and restores the terminal on exit; Ctrl-C still interrupts. From a
    pipe it reads one character at a time, so the same key sequence drives the
    session either way. End of input reads as ``"q"`` (quit).
    """

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stdin
        self._saved = None

    def __enter__(self) -> "KeyReader":
        if self.stream.isatty():
            import termios
            import tty

            fd = self.stream.fileno()
            self._saved = termios.tcgetattr(fd)
            tty.setcbreak(fd)
        return self

    def __exit__(self, *exc) -> None:
        if self._saved is not None:
            import termios

            termios.tcsetattr(self.stream.fileno(), termios.TCSADRAIN, self._saved)
            self._saved = None

    def __iter__(self) -> Iterator[str]:
        while True:
            ch = os.read(self.stream.fileno(), 1).decode("utf-8", "replace") if self._saved is not None \
                else self.stream.read(1)
            if not ch:
                yield "q"
                return
            yield ENTER if ch in "\r\n" else ch


def stance_keys(stances: list[str]) -> dict[str, str]:
    """A key per stance: its first letter when those are distinct, else 1, 2, 3..."""
    firsts = [s[0].lower() for s in stances]
    if len(set(firsts)) == len(stances) and not set(firsts) & {"b", "q", "s", "u", "?"}:
        return dict(zip(firsts, stances))
    return {str(i): s for i, s in enumerate(stances, 1)}


def read_existing(path: Path, schema: LabelSchema) -> tuple[set[str], list[str]]:
    """Ids already labelled in ``path`` and any warnings; an unfinished last line is removed and reported.

    Raises
    ------
    LabelError
        A line that is not a valid label record, named by file and line.
    """
    warnings: list[str] = []
    if not path.exists() or path.stat().st_size == 0:
        return set(), warnings
    data = path.read_bytes()
    if not data.endswith(b"\n"):
        # a write cut short by a crash: the record was never confirmed as saved, so it is not kept
        keep = data[: data.rfind(b"\n") + 1]
        lost = data[len(keep):].decode("utf-8", "replace")
        with open(path, "r+b") as fh:
            fh.truncate(len(keep))
        warnings.append(f"{path}: removed an unfinished last line ({lost[:60]!r}), that paragraph will be shown again")
    _, records = load_labels([path], schema=schema)
    return {r.id for r in records}, warnings


@dataclass
class LabelSession:
    """One pass over suggested paragraphs, writing a label record per finished paragraph.

    Parameters
    ----------
    schema : LabelSchema
        Topics and stances to ask for.
    out : Path
        Label file (JSON Lines) appended to.
    items : list of (id, text, extra)
        Paragraphs in the order to show them.
    echo : callable
        Where the screen goes.
    source : str
        ``source`` field of the records written.
    hints : dict, optional
        id -> the model's current guess, shown when given.
    """

    schema: LabelSchema
    out: Path
    items: list[tuple[str, str, dict]]
    echo: Callable[[str], None] = print
    source: str = "pool"
    hints: dict[str, dict[str, str]] = field(default_factory=dict)
    clear: Callable[[], None] | None = None
    labelled: list[dict] = field(default_factory=list)  # written this session, in order
    skipped: list[str] = field(default_factory=list)

    @property
    def skipped_path(self) -> Path:
        """Ids skipped by the user, so a resumed session does not show them again."""
        return self.out.with_name(self.out.name + ".skipped")

    def run(self, keys: Iterator[str]) -> str:
        """Label until the items run out or the user quits; returns ``"done"`` or ``"quit"``."""
        keys = iter(keys)
        topics = list(self.schema.topics)
        if len(topics) > 9:
            raise InputError("stancecls label takes topics by the keys 1-9, and the schema has more than 9",
                             "label with an annotation tool (stancecls convert)")
        s_keys = stance_keys(list(self.schema.stances))
        i = 0
        while i < len(self.items):
            rid, text, extra = self.items[i]
            if self.clear:
                self.clear()
            self.echo(f"\n[{i + 1}/{len(self.items)}] {rid}\n\n{text}\n")
            if rid in self.hints:
                guess = ", ".join(f"{t}: {s}" for t, s in self.hints[rid].items()) or "other"
                self.echo(f"model now: {guess}\n")
            chosen = self._topics(keys, topics)
            if chosen in ("q", "s", "u"):
                if chosen == "q":
                    return "quit"
                if chosen == "s":
                    self._skip(rid)
                    i += 1
                elif self.labelled:
                    last = self._undo()
                    i = next(k for k, item in enumerate(self.items) if item[0] == last["id"])
                else:
                    self.echo("nothing to undo in this session\n")
                continue
            stance = {}
            back = False
            for t in chosen:
                s = self._stance(keys, t, s_keys)
                if s == "q":
                    return "quit"
                if s == "b":
                    back = True
                    break
                stance[t] = s
            if back:
                continue
            self._write(rid, text, extra, stance)
            i += 1
        return "done"

    # ----------------------------------------------------------- prompts
    def _topics(self, keys: Iterator[str], topics: list[str]):
        picked: list[str] = []
        self.echo("  ".join(f"[{k}] {t}" for k, t in enumerate(topics, 1)))
        while True:
            marks = ", ".join(picked) or "(none: other)"
            self.echo(f"topics: {marks}  ·  1-{len(topics)} toggle, Enter confirm, s skip, u undo, q quit, ? help")
            key = next(keys)
            if key == ENTER:
                return [t for t in topics if t in picked]  # schema order, whatever the key order
            if key in ("q", "s", "u"):
                return key
            if key.isdigit() and 1 <= int(key) <= len(topics):
                t = topics[int(key) - 1]
                picked.remove(t) if t in picked else picked.append(t)
            elif key == "?":
                self.echo(HELP)
            elif not key.isspace():
                self.echo(f"key {key!r} does nothing here (? for help)")

    def _stance(self, keys: Iterator[str], topic: str, s_keys: dict[str, str]) -> str:
        menu = "  ".join(f"[{k}] {s}" for k, s in s_keys.items())
        while True:
            self.echo(f"stance toward {topic}: {menu}  ·  b back, q quit")
            key = next(keys).lower()
            if key in s_keys:
                return s_keys[key]
            if key in ("b", "q"):
                return key
            if not key.isspace():
                self.echo(f"key {key!r} does nothing here")

    # ------------------------------------------------------------ writes
    def _write(self, rid: str, text: str, extra: dict, stance: dict[str, str]) -> None:
        from .errors import Problem
        from .schema import _check_record

        rec = {"id": rid, "doc": str(extra.get("doc") or rid), "text": text, "topics": list(stance),
               "stance": stance, "source": self.source}
        problems: list[Problem] = []
        if not _check_record(rec, self.schema, (str(self.out), 0), problems):
            raise InputError(f"record {rid} would not be valid: {problems[0].message}", "report this as a bug")
        line = json.dumps(rec, ensure_ascii=False) + "\n"
        with open(self.out, "a", encoding="utf-8") as fh:
            fh.write(line)
            fh.flush()
            os.fsync(fh.fileno())
        self.labelled.append(rec)
        label = ", ".join(f"{t}: {s}" for t, s in stance.items()) or "other"
        self.echo(f"saved {rid} as {label}")

    def _skip(self, rid: str) -> None:
        with open(self.skipped_path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(rid) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        self.skipped.append(rid)
        self.echo(f"skipped {rid}")

    def _undo(self) -> dict:
        from .persist import atomic_write_bytes

        last = self.labelled.pop()
        lines = self.out.read_bytes().splitlines(keepends=True)
        target = (json.dumps(last, ensure_ascii=False) + "\n").encode("utf-8")
        if not lines or lines[-1] != target:
            self.labelled.append(last)
            raise InputError(f"{self.out} changed during the session, so the last label cannot be undone",
                             "edit the file by hand")
        atomic_write_bytes(self.out, b"".join(lines[:-1]))
        self.echo(f"undid {last['id']}")
        return last


def read_skipped(path: Path) -> set[str]:
    """Ids listed in a ``.skipped`` file; a last line torn by a crash is cut off (that skip was not confirmed)."""
    if not path.exists():
        return set()
    data = path.read_bytes()
    if data and not data.endswith(b"\n"):
        with open(path, "r+b") as fh:  # so that the next skip starts on a line of its own
            fh.truncate(data.rfind(b"\n") + 1)
    out = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            out.add(str(json.loads(line)))
        except json.JSONDecodeError:
            continue
    return out


HELP = """
  1-9    toggle a topic          Enter  confirm the topics (none = other)
  s      skip this paragraph      u      undo the last label of this session
  q      quit (all saved labels stay; run the same command to resume)
  then, for each topic chosen, one key for its stance; b goes back to the topics
"""
