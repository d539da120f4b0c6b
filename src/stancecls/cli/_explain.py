"""``stancecls explain``."""

from __future__ import annotations

import json

import click

from ..api import load

__all__ = ["explain"]


@click.command()
@click.argument("texts", nargs=-1, required=True)
@click.option("-m", "--model", "model_path", metavar="PATH", help="Model folder (default: the bundled model).")
@click.option("-k", "--top", "k", default=8, show_default=True, type=click.IntRange(1), help="N-grams per score.")
@click.option("--all-topics", is_flag=True, help="Explain every topic, not only the predicted ones.")
@click.option("--json", "as_json", is_flag=True, help="JSON Lines, one object per paragraph.")
def explain(texts, model_path, k, all_topics, as_json):
    """Show the n-grams that drove each topic and stance decision.

    For a linear model this is exact: each listed number is an n-gram's TF-IDF
    value times its weight, and with the intercept and the terms not shown
    they add up to the score (w: word n-grams, c: character n-grams).
    """
    model = load(model_path)
    for i, (text, pred) in enumerate(zip(texts, model.predict(list(texts))), 1):
        e = model.explain([text], k=k)[0]
        e = {"id": str(i), "topics": pred.topics, "stance": pred.stance, **e}
        if not all_topics:
            e["topics_explained"] = {t: v for t, v in e.pop("topics").items() if t in pred.topics}
            e["stance_explained"] = {t: v for t, v in e.pop("stance").items() if t in pred.topics}
        else:
            e["topics_explained"], e["stance_explained"] = e.pop("topics"), e.pop("stance")
        if as_json:
            click.echo(json.dumps(e, ensure_ascii=False))
            continue
        label = ", ".join(f"{t}: {s}" for t, s in pred.stance.items()) or "(other)"
        click.echo(f"[{i}] {label}")
        for kind, block in (("topic", e["topics_explained"]), ("stance", e["stance_explained"])):
            for topic, v in block.items():
                head = f"{topic}" if kind == "topic" else f"{topic} -> {v['stance']}"
                click.echo(f"  {kind} {head}  p={v['probability']:.3f}  score={v['score']:+.2f} "
                           f"(intercept {v['intercept']:+.2f})")
                for name, c in v["features"]:
                    click.echo(f"    {c:+.3f}  {name}")
        if not pred.topics and not all_topics:
            click.echo("  no topic reached its threshold (--all-topics explains them all)")
