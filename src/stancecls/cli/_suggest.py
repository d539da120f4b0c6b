"""``stancecls suggest``."""

from __future__ import annotations

import json

import click

from ..active import load_pool, suggest as rank
from ..api import load
from ..io import INPUT_FORMATS, _csv_line, _cut
from ._common import UserError, output_options

__all__ = ["suggest", "pool_options"]


def pool_options(func):
    """Options that say how to read an unlabelled pool (shared with ``stancecls label``)."""
    options = [
        click.option("--pool", "pool_path", required=True, metavar="FILE",
                     help="Unlabelled paragraphs: JSONL, CSV/TSV, or text with one per line (- for stdin)."),
        click.option("--input-format", type=click.Choice(INPUT_FORMATS), default="auto", show_default=True,
                     help="Format of --pool (auto: by extension)."),
        click.option("--text-field", default="text", show_default=True, help="Text field or column of the pool."),
        click.option("--id-field", default="id", show_default=True, help="Id field or column (default: position)."),
        click.option("--article", is_flag=True, help="The pool holds articles: split them into paragraphs first."),
        click.option("--exclude", "exclude", multiple=True, metavar="PATH",
                     help="Label files or folders: paragraphs already labelled there are never suggested."),
        click.option("-m", "--model", "model_path", metavar="PATH", help="Model folder (default: the bundled model)."),
        click.option("--diversity", default=0.5, show_default=True, type=click.FloatRange(0, 1),
                     help="Weight of novelty against uncertainty (0: uncertainty only)."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def read_pool(pool_path, input_format, text_field, id_field, article, exclude):
    """The pool, with a line on stderr about what was set aside."""
    pool = load_pool(pool_path, fmt=input_format, text_field=text_field, id_field=id_field, article=article,
                     exclude=exclude)
    set_aside = [(pool.duplicates, "repeated"), (pool.labelled, "already labelled"), (pool.empty, "blank")]
    detail = ", ".join(f"{n:,} {why}" for n, why in set_aside if n)
    click.echo(f"pool: {pool.read:,} paragraphs read, {len(pool.texts):,} to rank"
               + (f" (set aside: {detail})" if detail else ""), err=True)
    return pool


@click.command()
@pool_options
@click.option("-n", "--n", "n", default=20, show_default=True, type=click.IntRange(1), help="How many to suggest.")
@output_options
def suggest(pool_path, input_format, text_field, id_field, article, exclude, model_path, diversity, n, fmt):
    """Rank unlabelled paragraphs so that the next N labels help the model most.

    The model scores every paragraph of the pool; the most uncertain ones (a
    topic probability near its threshold, or two stances nearly tied) compete
    for the batch, and each pick is penalised by its similarity to the ones
    already picked, so one batch does not hold ten copies of the same story.
    Output: one record per suggestion, best first, with the model's current
    guess.
    """
    model = load(model_path)
    pool = read_pool(pool_path, input_format, text_field, id_field, article, exclude)
    if not pool.texts:
        raise UserError(f"the pool {pool_path} has no paragraph left to suggest, give a pool of unlabelled paragraphs")
    picks = rank(model, pool.texts, n, diversity=diversity)
    if fmt == "csv":
        click.echo(_csv_line(["rank", "id", "uncertainty", "predicted", "text"]), nl=False)
    elif fmt == "table":
        click.echo(f"{'rank':>4} {'id':<20} {'doubt':>5}  {'model now':<28} text")
    for s in picks:
        rid = pool.ids[s.index]
        guess = ", ".join(f"{t}:{st}" for t, st in s.predicted.items())
        if fmt == "jsonl":
            row = {"rank": s.rank, "id": rid, "text": pool.texts[s.index], "uncertainty": round(s.uncertainty, 6),
                   "predicted": s.predicted, "scores": {t: round(v, 6) for t, v in s.scores.items()},
                   **pool.extras[s.index]}
            click.echo(json.dumps(row, ensure_ascii=False))
        elif fmt == "csv":
            click.echo(_csv_line([str(s.rank), rid, f"{s.uncertainty:.4f}", guess, pool.texts[s.index]]), nl=False)
        else:
            click.echo(f"{s.rank:>4} {_cut(rid, 20, keep_end=True):<20} {s.uncertainty:5.3f}  "
                       f"{_cut(guess or '(other)', 28):<28} {_cut(pool.texts[s.index], 60)}")
