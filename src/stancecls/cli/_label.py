"""``stancecls label``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..active import suggest as rank
from ..api import load
from ..labeller import KeyReader, LabelSession, read_existing, read_skipped
from ._common import UserError
from ._suggest import pool_options, read_pool

__all__ = ["label"]


@click.command()
@pool_options
@click.option("-o", "--out", "out_path", required=True, metavar="FILE",
              help="Label file to append to (JSON Lines in the label format); resumed when it exists.")
@click.option("-n", "--n", "n", default=50, show_default=True, type=click.IntRange(1),
              help="Paragraphs to offer in this session, in suggested order.")
@click.option("--hints", is_flag=True, help="Show the model's current guess (off by default: it anchors the labeller).")
def label(pool_path, input_format, text_field, id_field, article, exclude, model_path, diversity, out_path, n, hints):
    """Label paragraphs of a pool by key presses, in suggested order.

    \b
    1-9     toggle topics, then Enter (Enter alone: other)
    f/a/n   the stance toward each chosen topic (b: back)
    s skip  u undo  q quit  ? help

    Each finished label is validated and appended to --out at once, so
    nothing labelled is lost on Ctrl-C; the same command later resumes with
    the paragraphs not yet labelled or skipped (skips are kept in
    OUT.skipped). The topics and stances are those of --model.
    """
    if pool_path == "-":
        raise UserError("the keys come from standard input, so the pool cannot, give --pool FILE")
    model = load(model_path)
    out = Path(out_path)
    if out.is_dir():
        raise UserError(f"--out {out} is a folder, give a file such as labels/new.jsonl")
    done, warnings = read_existing(out, model.schema)
    for w in warnings:
        click.echo(f"Warning: {w}", err=True)
    session = LabelSession(model.schema, out, [], echo=click.echo,
                           clear=click.clear if sys.stdout.isatty() else None)
    skipped = read_skipped(session.skipped_path)
    pool = read_pool(pool_path, input_format, text_field, id_field, article, exclude)
    keep = [i for i, rid in enumerate(pool.ids) if rid not in done and rid not in skipped]
    if done or skipped:
        click.echo(f"resuming: {len(done):,} labelled in {out}, {len(skipped):,} skipped", err=True)
    if not keep:
        click.echo("nothing left to label in this pool", err=True)
        return
    click.echo("ranking the pool…", err=True)
    picks = rank(model, [pool.texts[i] for i in keep], n, diversity=diversity)
    chosen = [keep[p.index] for p in picks]
    session.items = [(pool.ids[i], pool.texts[i], pool.extras[i]) for i in chosen]
    if hints:
        session.hints = {pool.ids[keep[p.index]]: p.predicted for p in picks}
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        with KeyReader(sys.stdin) as keys:
            state = session.run(iter(keys))
    except KeyboardInterrupt:
        click.echo(f"\nInterrupted: the {len(session.labelled)} label(s) of this session are saved in {out}; "
                   "run the same command to resume", err=True)
        raise click.exceptions.Exit(130) from None
    total = len(done) + len(session.labelled)
    click.echo(f"\n{'finished' if state == 'done' else 'stopped'}: {len(session.labelled)} labelled, "
               f"{len(session.skipped)} skipped this session; {total:,} labels in {out}", err=True)
