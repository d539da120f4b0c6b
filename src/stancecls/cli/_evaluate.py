"""``stancecls evaluate``."""

from __future__ import annotations

import json
from pathlib import Path

import click
import numpy as np

from ..api import load
from ..datasets import load_dataset
from ..errors import InputError, StanceclsError
from ..evaluate import HEADLINE, evaluation_report, format_markdown, format_table, oof_predict
from ..schema import labels_to_matrix
from ._common import GateFailed, UserError, background_options, dataset_kwargs, dataset_options

__all__ = ["evaluate"]


def _parse_gates(values) -> list[tuple[str, float]]:
    gates = []
    for v in values:
        name, sep, number = v.partition("=")
        if not sep or name not in HEADLINE:
            raise UserError(f"bad --fail-under {v!r}, use METRIC=VALUE with METRIC one of {', '.join(HEADLINE)}")
        try:
            gates.append((name, float(number)))
        except ValueError:
            raise UserError(f"bad --fail-under value {number!r}, give a number such as 0.75") from None
    return gates


def _predictions_file(path: str, ids: list[str], topics: list[str], stances: list[str]):
    """Topic decisions, stance on every topic and (if present) topic scores from a prediction JSONL file."""
    by_id = {}
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read predictions {path}: {exc}", "check the path given to --pred") from exc
    for n, line in enumerate(lines, 1):
        if line.strip():
            try:
                rec = json.loads(line)
                by_id[str(rec["id"])] = rec
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                raise InputError(f"{path}:{n}: not a prediction record with an id ({exc})", "give the output of stancecls predict") from exc
    missing = [i for i in ids if i not in by_id]
    if missing:
        raise InputError(
            f"{len(missing)} gold ids have no prediction in {path} (first: {', '.join(missing[:5])})",
            "predict every gold paragraph, keeping the ids",
        )
    n, k = len(ids), len(topics)
    topic_pred = np.zeros((n, k), dtype=bool)
    stance_pred = np.full((n, k), "(none)", dtype=object)
    scores = np.zeros((n, k))
    has_scores = True
    for i, rid in enumerate(ids):
        rec = by_id[rid]
        for j, t in enumerate(topics):
            topic_pred[i, j] = t in rec.get("topics", [])
            ss = rec.get("stance_scores", {}).get(t)
            if ss:
                stance_pred[i, j] = max(ss, key=ss.get)
            elif t in rec.get("stance", {}):
                stance_pred[i, j] = rec["stance"][t]
            if t in rec.get("scores", {}):
                scores[i, j] = rec["scores"][t]
            else:
                has_scores = False
    return topic_pred, stance_pred, scores if has_scores else None


@click.command()
@click.option("--cv", type=click.IntRange(2), help="Grouped K-fold cross-validation of the model's settings on --data.")
@click.option("-d", "--data", multiple=True, metavar="PATH", help="Labelled data (repeatable); default data/labels with --cv.")
@click.option("-m", "--model", "model_path", metavar="PATH", help="Model to evaluate, or whose settings --cv uses (default: bundled).")
@click.option("--gold", metavar="FILE", help="Gold labels (label format), compared with --pred.")
@click.option("--pred", metavar="FILE", help="Predictions (stancecls predict output) for the --gold ids.")
@click.option("--seed", default=0, show_default=True, type=int, help="Seed of the folds and the bootstrap.")
@click.option("--bootstrap", default=1000, show_default=True, type=click.IntRange(0), help="Bootstrap resamples for the 95% intervals.")
@click.option("--json", "as_json", is_flag=True, help="Print the full report as JSON.")
@click.option("--markdown", is_flag=True, help="Print the report as Markdown.")
@click.option("--plots", metavar="DIR", help="Write PNG confusion matrices and reliability diagrams to DIR (needs matplotlib).")
@click.option("--fail-under", multiple=True, metavar="METRIC=VALUE", help="Exit 1 when METRIC is under VALUE (repeatable).")
@dataset_options
@background_options
@click.option("--trust", is_flag=True, help="With --cv and --model: unpickle a joblib file not saved on this machine "
              "(it can run code; only for files you trust).")
def evaluate(cv, data, model_path, gold, pred, seed, bootstrap, as_json, markdown, plots, fail_under, background,
             background_n, background_article, trust, **kw):
    """Measure a model: cross-validation, a held-out file, or two files.

    \b
    stancecls evaluate --cv 5 --data data/labels      grouped K-fold CV of the model's settings
    stancecls evaluate --model M --data heldout.jsonl  a fitted model on held-out labels
    stancecls evaluate --gold gold.jsonl --pred p.jsonl  predictions against gold labels

    Reports per-topic precision/recall/F1, topic micro- and macro-F1, exact
    match, other precision/recall, stance macro-F1 and F_avg on the gold
    topics, confusion matrices, calibration (Brier, ECE) and 95% bootstrap
    intervals (resampling stories, i.e. docs). With --cv, --background adds
    sampled unlabelled news as 'other' to every training fold, as
    `stancecls train --background` does; only labelled records are scored.
    """
    gates = _parse_gates(fail_under)
    dkw = dataset_kwargs(kw)
    if as_json and markdown:
        raise UserError("--json and --markdown were both given, choose one")
    if gold or pred:
        if not (gold and pred) or cv or data or background:
            raise UserError("--gold and --pred go together, without --cv or --data")
        schema, records = load_dataset(gold, **dkw)
        y = labels_to_matrix(records, schema)
        ids = [r.id for r in records]
        topic_pred, stance_pred, topic_proba = _predictions_file(pred, ids, list(schema.topics), list(schema.stances))
        title = f"{pred} against {gold}"
    else:
        model = load(model_path, trust=trust)
        if cv:
            schema, records = load_dataset(list(data) or ["data/labels"], schema=None, **dkw)
        else:
            if not data:
                raise UserError("nothing to evaluate, give --cv K, --data FILE (held-out labels) or --gold and --pred")
            schema, records = load_dataset(list(data), schema=model.schema, **dkw)
        if tuple(schema.topics) != tuple(model.topics):
            raise StanceclsError(
                f"the data's topics {list(schema.topics)} differ from the model's {model.topics}",
                "evaluate a model trained on this schema",
            )
        y = labels_to_matrix(records, schema)
        X = [r.text for r in records]
        stances = np.asarray(schema.stances, dtype=object)
        if background and not cv:
            raise UserError("--background goes with --cv (it adds training data), drop it or add --cv K")
        if cv:
            from ..api import add_background

            n_lab = len(records)
            everything, y_all, _ = add_background(records, y, background, n=background_n, seed=seed,
                                                  article=background_article)
            topic_proba, stance_p, topic_pred, cv = oof_predict(model.estimator, [r.text for r in everything], y_all,
                                                                [r.doc for r in everything], n_splits=cv, seed=seed)
            topic_proba, stance_p, topic_pred = topic_proba[:n_lab], stance_p[:n_lab], topic_pred[:n_lab]
            title = f"grouped {cv}-fold cross-validation on {', '.join(data) or 'data/labels'}"
        else:
            # the pickle-free bundle when there is one: evaluating a held-out file needs no unpickling
            topic_proba, stance_p = model.predictor.predict_all(X)
            topic_pred = model.predictor.decide(topic_proba)
            title = f"{model_path or 'bundled model'} on {', '.join(data)}"
        stance_pred = stances[stance_p.argmax(axis=2)]
    report = evaluation_report(y, topic_pred, stance_pred, schema.topics, schema.stances, topic_proba=topic_proba,
                               groups=[r.doc for r in records], n_boot=bootstrap, seed=seed)
    report["title"] = title
    if as_json:
        click.echo(json.dumps(report, indent=2))
    elif markdown:
        click.echo(format_markdown(report, title=title), nl=False)
    else:
        click.echo(title)
        click.echo(format_table(report), nl=False)
    if plots:
        from ..plots import write_plots

        for path in write_plots(report, plots):
            click.echo(f"wrote {path}", err=True)
    failed = [f"{name} {report[name]:.3f} is under {value}" for name, value in gates if report[name] < value]
    if failed:
        raise GateFailed("; ".join(failed) + ", the requested quality gate failed")
