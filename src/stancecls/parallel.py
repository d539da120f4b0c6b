"""Prediction on every core: batches go to worker processes, results come back in input order.

Each worker loads the model once (the pickle-free bundle by default) and
returns its batch already formatted, so the parent only reads input and
writes output. At most ``2 * jobs`` batches are in flight, which keeps memory
flat however long the input is.
"""

from __future__ import annotations

from collections import deque
from pathlib import Path
from typing import Iterable, Iterator

from .io import ERROR_KEY, format_error, format_prediction, jsonl_lines

__all__ = ["formatted_batches"]

_MODEL = None


def _init(model_path: str | None, engine: str, trust: bool, min_score: float | None) -> None:
    global _MODEL
    from .api import load

    _MODEL = load(model_path, engine=engine, trust=trust).with_min_score(min_score)


def _work(batch: list[tuple[str, str, dict]], fmt: str, topics: list[str]) -> tuple[int, str]:
    return _format(_MODEL, batch, fmt, topics)


def _format(model, batch: list[tuple[str, str, dict]], fmt: str, topics: list[str]) -> tuple[int, str]:
    """Predict the readable records of a batch; error records keep their place as error lines."""
    ok = [r for r in batch if ERROR_KEY not in r[2]]
    done: list[str] | None = []
    if ok:
        ids, texts, extras = [r[0] for r in ok], [r[1] for r in ok], [r[2] for r in ok]
        scored = model._decisions(texts)
        done = jsonl_lines(ids, *scored, extras, topics, model.stances) if fmt == "jsonl" else None
        if done is None:
            done = [format_prediction(p, fmt, topics) for p in model._predictions(ids, texts, extras, scored=scored)]
    made = iter(done)
    lines = [format_error(r[0], r[2], fmt, topics) if ERROR_KEY in r[2] else next(made) for r in batch]
    return len(lines), "".join(lines)


def _batches(records: Iterable, size: int) -> Iterator[list]:
    batch: list = []
    for rec in records:
        batch.append(rec)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def formatted_batches(
    model, records: Iterable[tuple[str, str, dict]], *, fmt: str, jobs: int = 1, batch_size: int = 512,
    model_path: str | Path | None = None, engine: str = "auto", trust: bool = False,
) -> Iterator[tuple[int, str]]:
    """Predict and format ``(id, text, extra)`` records; yields ``(count, text)`` per batch, in input order.

    Parameters
    ----------
    model : Model
        The loaded model (used as it is when ``jobs == 1``).
    records : iterable
        ``(id, text, extra)`` tuples, read lazily.
    fmt : {"jsonl", "csv", "table"}
    jobs : int, default=1
        Worker processes; each loads the model from ``model_path`` once.
    batch_size : int, default=512
    model_path : str or Path, optional
        Where the workers load the model from (default: the bundled model).
    engine : str, default="auto"
        :func:`stancecls.load` engine of the workers.
    trust : bool, default=False
        :func:`stancecls.load` ``trust`` of the workers.
    """
    topics = model.topics
    if jobs <= 1:
        for batch in _batches(records, batch_size):
            yield _format(model, batch, fmt, topics)
        return
    # imported here: one process (the common case) should not pay for them at start-up
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # spawn: workers start clean instead of inheriting the parent's threads and locks
    ctx = multiprocessing.get_context("spawn")
    path = None if model_path is None else str(model_path)
    with ProcessPoolExecutor(max_workers=jobs, mp_context=ctx, initializer=_init, initargs=(path, engine, trust, model.min_score)) as pool:
        pending: deque = deque()
        for batch in _batches(records, batch_size):
            pending.append(pool.submit(_work, batch, fmt, topics))
            if len(pending) >= 2 * jobs:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
