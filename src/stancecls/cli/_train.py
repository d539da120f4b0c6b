"""``stancecls train``."""

from __future__ import annotations

import click

from ..api import train as train_model
from ._common import Progress, background_options, dataset_kwargs, dataset_options

__all__ = ["train"]


@click.command()
@click.option(
    "-d",
    "--data",
    "data",
    multiple=True,
    default=("data/labels",),
    show_default=True,
    metavar="PATH",
    help="Label file or folder (repeatable); a schema.json must sit beside label files.",
)
@click.option("-o", "--out", default="models/default", show_default=True, metavar="PATH", help="Model folder to write.")
@click.option("--seed", default=0, show_default=True, type=int, help="Seed of the search and the CV folds.")
@click.option("--cv", default=5, show_default=True, type=click.IntRange(0), help="Grouped CV folds of the report (0: skip).")
@click.option("--tune/--no-tune", default=True, show_default=True, help="Search hyper-parameters and thresholds first.")
@click.option("--tune-configs", default=6, show_default=True, type=click.IntRange(1), help="Feature settings tried.")
@click.option("--tune-seconds", type=click.FloatRange(min=1), help="Stop the search after this long (then the result depends on machine speed).")
@click.option("--threshold-floor", default=0.5, show_default=True, type=click.FloatRange(0, 1),
              help="Lowest per-topic threshold the search may choose (news has far fewer on-topic paragraphs than labels).")
@background_options
@dataset_options
def train(data, out, seed, cv, tune, tune_configs, tune_seconds, threshold_floor, background, background_n,
          background_article, **kw):
    """Train a model on labelled data and save it.

    Searches hyper-parameters and per-topic thresholds by grouped
    cross-validation (unless --no-tune), prints the grouped (by doc)
    cross-validated topic macro-F1 and stance macro-F1 with 95% bootstrap
    intervals, then fits on all the data and writes the model and its manifest
    to --out.

    Label files are the default; other datasets need --label-column (single
    label) or --labels-column (multi-label), e.g.

    \b
    stancecls train --data train.csv --label-column label --out models/sentiment

    --background FILE adds a seeded sample of unlabelled news as 'other'
    (negative sampling): it trains in every fold and in the final fit, but
    the cross-validated report scores the labelled records only. Only
    records whose id has an even CRC-32 are sampled, so the other half can
    measure false positives.
    """
    click.echo(f"Training on {', '.join(data)} ...", err=True)
    progress = Progress("tuning")
    try:
        model = train_model(list(data), seed=seed, cv=cv, tune=tune, tune_configs=tune_configs,
                            tune_seconds=tune_seconds, threshold_floor=threshold_floor, dataset=dataset_kwargs(kw),
                            background=background, background_n=background_n, background_article=background_article,
                            progress=progress)
    finally:
        progress.close()
    info = model.manifest["training_data"]
    click.echo(f"records: {info['n_records']}  docs: {info['n_docs']}  topics: {len(model.topics)}")
    if "background" in info:
        click.echo(f"background: {info['background']['n_records']} paragraphs of {info['background']['file']} as other")
    tuning = model.manifest.get("tuning")
    if tuning:
        p = tuning["params"]
        click.echo(
            f"tuned ({tuning['n_splits']}-fold, seed {seed}): word {tuple(p['word_ngram_range'])} "
            f"char {tuple(p['char_ngram_range']) if p['char_ngram_range'] else None} stem {p['stem']} "
            f"sublinear {p['sublinear_tf']} min_df {p['min_df']} topic_C {p['topic_C']} "
            f"class_weight {p['class_weight']} stance_C {p['stance_C']}"
        )
        if not tuning["complete"]:
            click.echo("  (the search stopped at --tune-seconds; another machine may choose differently)", err=True)
    cvm = model.manifest["metrics"].get("cv")
    if cvm:
        iv = cvm.get("intervals", {})

        def ci(key):
            return f"  [{iv[key][0]:.3f}, {iv[key][1]:.3f}]" if key in iv else ""

        click.echo(f"grouped {cvm['n_splits']}-fold CV (seed {seed}), 95% bootstrap intervals over stories:")
        click.echo(f"  topic macro-F1   {cvm['topic_macro_f1']:.3f}{ci('topic_macro_f1')}")
        click.echo(f"  stance macro-F1  {cvm['stance_macro_f1']:.3f}{ci('stance_macro_f1')}  (on gold topics)")
        for t, m in cvm["per_topic"].items():
            th = model.estimator.thresholds_[model.topics.index(t)]
            click.echo(f"  {t:<26} F1 {m['f1']:.3f}  P {m['precision']:.3f}  R {m['recall']:.3f}  n={m['support']}  threshold {th:.3f}")
    path = model.save(out)
    click.echo(f"model written to {path.parent}")
