"""``stancecls train``."""

from __future__ import annotations

import click

from ..api import train as train_model

__all__ = ["train"]


def _fmt(x: float) -> str:
    return f"{x:.3f}"


@click.command()
@click.option(
    "-d",
    "--data",
    "data",
    multiple=True,
    default=("data/labels",),
    show_default=True,
    metavar="PATH",
    help="Label file or folder (repeatable); a schema.json must sit beside the files.",
)
@click.option("-o", "--out", default="models/default", show_default=True, metavar="PATH", help="Model folder to write.")
@click.option("--seed", default=0, show_default=True, type=int, help="Seed of the cross-validation folds.")
@click.option("--cv", default=5, show_default=True, type=click.IntRange(0), help="Grouped CV folds (0: skip).")
def train(data, out, seed, cv):
    """Train a model on label files and save it.

    Prints the grouped (by doc) cross-validated topic macro-F1 and stance
    macro-F1, then writes the model and its manifest to --out.
    """
    click.echo(f"Training on {', '.join(data)} ...", err=True)
    model = train_model(list(data), seed=seed, cv=cv)
    info = model.manifest["training_data"]
    click.echo(f"records: {info['n_records']}  docs: {info['n_docs']}  topics: {len(model.topics)}")
    cvm = model.manifest["metrics"].get("cv")
    if cvm:
        click.echo(f"grouped {cvm['n_splits']}-fold CV (seed {seed}):")
        click.echo(f"  topic macro-F1   {_fmt(cvm['topic_macro_f1'])}")
        click.echo(f"  stance macro-F1  {_fmt(cvm['stance_macro_f1'])}  (on gold topics)")
        for t, m in cvm["per_topic"].items():
            click.echo(f"  {t:<26} F1 {_fmt(m['f1'])}  P {_fmt(m['precision'])}  R {_fmt(m['recall'])}  n={m['support']}")
    path = model.save(out)
    click.echo(f"model written to {path.parent}")
