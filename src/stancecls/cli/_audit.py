"""``stancecls audit``."""

from __future__ import annotations

import json

import click

from ..api import load
from ..audit import audit as run_audit
from ..datasets import load_dataset
from ..errors import StanceclsError
from ..io import _csv_line, _cut
from ._common import GateFailed, dataset_kwargs, dataset_options

__all__ = ["audit"]


@click.command()
@click.option("-d", "--data", multiple=True, metavar="PATH", help="Labelled data (repeatable; default data/labels).")
@click.option("-m", "--model", "model_path", metavar="PATH",
              help="Model whose settings are cross-validated (default: the bundled model).")
@click.option("--cv", default=5, show_default=True, type=click.IntRange(2), help="Folds, grouped by story (doc).")
@click.option("--seed", default=0, show_default=True, type=int, help="Seed of the folds.")
@click.option("-k", "--evidence", "k", default=6, show_default=True, type=click.IntRange(0),
              help="N-grams of evidence per finding.")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv", "table", "markdown"]), default="jsonl",
              show_default=True, help="Findings as JSON Lines, CSV, a readable table or a Markdown list.")
@click.option("--summary", metavar="FILE", help="Also write the thresholds and every finding as one JSON file.")
@click.option("--max-findings", type=click.IntRange(0), metavar="N", help="Exit 1 when there are more than N findings.")
@click.option("--trust", is_flag=True, help="Unpickle a joblib file not saved on this machine (it can run code).")
@dataset_options
def audit(data, model_path, cv, seed, k, fmt, summary, max_findings, trust, **kw):
    """Flag likely label errors, with the evidence.

    Every paragraph is scored by a model trained without its story (grouped
    K-fold, the settings of --model). A label is flagged when that model is
    as confident in another label as it is, on average, in the labels it gets
    right (confident learning): a topic given but confidently absent, a topic
    missing but confidently present, or a stance with a confident rival.
    Findings come largest margin first, with the n-grams that drove the
    out-of-fold score. Read them: a finding is a question, not a verdict.
    """
    dkw = dataset_kwargs(kw)
    model = load(model_path, engine="sklearn", trust=trust)
    schema, records = load_dataset(list(data) or ["data/labels"], **dkw)
    if tuple(schema.topics) != tuple(model.topics):
        raise StanceclsError(f"the data's topics {list(schema.topics)} differ from the model's {model.topics}",
                             "give a model trained on this schema with --model")
    click.echo(f"auditing {len(records):,} records with grouped {cv}-fold cross-validation…", err=True)
    result = run_audit(records, schema, model.estimator, n_splits=cv, seed=seed, k=k)
    found = result.findings
    if fmt == "jsonl":
        for f in found:
            click.echo(json.dumps(f.to_dict(), ensure_ascii=False))
    elif fmt == "csv":
        click.echo(_csv_line(["where", "id", "kind", "topic", "given", "suggested", "p_given", "p_suggested",
                              "margin", "evidence", "text"]), nl=False)
        for f in found:
            ev = "; ".join(f"{n} {c:+.3f}" for n, c in f.evidence)
            click.echo(_csv_line([f.where, f.record.id, f.kind, f.topic, f.given, f.suggested, f"{f.p_given:.4f}",
                                  f"{f.p_suggested:.4f}", f"{f.margin:.4f}", ev, f.record.text]), nl=False)
    elif fmt == "table":
        for n, f in enumerate(found, 1):
            click.echo(f"{n:>3}. {f.where}  [{f.record.id}]  {f.kind} {f.topic}: given {f.given}, "
                       f"model says {f.suggested} ({f.p_suggested:.2f} vs {f.p_given:.2f})")
            click.echo(f"     {_cut(f.record.text, 150)}")
            if f.evidence:
                click.echo("     evidence: " + ", ".join(f"{name} {c:+.2f}" for name, c in f.evidence))
    else:
        click.echo(f"# Label audit: {len(found)} findings in {result.n_records} records\n")
        for f in found:
            ev = ", ".join(f"`{name}` {c:+.2f}" for name, c in f.evidence)
            click.echo(f"- `{f.where}` ({f.record.id}) {f.kind} **{f.topic}**: given *{f.given}*, model says "
                       f"*{f.suggested}* ({f.p_suggested:.2f} vs {f.p_given:.2f}). {ev}")
    kinds = result.to_dict()["by_kind"]
    click.echo(f"{len(found)} findings ({kinds['topic']} topic, {kinds['stance']} stance) among {result.n_labels:,} "
               f"labels of {result.n_records:,} records", err=True)
    if summary:
        from ..persist import atomic_write_bytes

        atomic_write_bytes(summary, (json.dumps(result.to_dict(), ensure_ascii=False, indent=1) + "\n").encode())
    if max_findings is not None and len(found) > max_findings:
        raise GateFailed(f"{len(found)} findings, more than --max-findings {max_findings}, "
                         "fix the labels or raise the limit")
