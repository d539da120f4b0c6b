"""``stancecls inspect``: what a model is, what it learned, how well it did."""

from __future__ import annotations

import json

import click

from ..api import load

__all__ = ["inspect", "model_card"]


def _pct(v) -> str:
    return f"{v:.3f}"


def model_card(model, k: int = 10) -> str:
    """A Markdown model card from a model's manifest and weights."""
    from ..compiled import top_features

    m = model.manifest
    feats = top_features(model._compiled(), k)
    L = [f"# Model card: {m.get('schema', {}).get('name', 'stancecls model')}", ""]
    td = m.get("training_data", {})
    L += ["## What it is", "",
          f"Topics (multi-label: {model.schema.multi_label}): {', '.join(model.topics)}. "
          f"Stances: {', '.join(model.stances)}. TF-IDF word and character n-grams and calibrated logistic "
          "regression (`stancecls.StanceClassifier`).", "",
          f"- trained on {td.get('n_records', '?')} records in {td.get('n_docs', '?')} story groups "
          f"(data sha256 `{str(td.get('sha256', '?'))[:16]}…`, seed {td.get('seed', '?')}); files: "
          + ", ".join(f"`{f}`" for f in td.get("files", [])),
          *([f"- plus {td['background']['n_records']} background paragraphs of `{td['background']['file']}` as *other* "
             f"(negative sampling, sha256 `{td['background']['sha256'][:16]}…`)"] if td.get("background") else []),
          f"- made {m.get('created', '?')} with stancecls {m.get('versions', {}).get('stancecls', '?')}, "
          f"scikit-learn {m.get('versions', {}).get('scikit-learn', '?')}",
          "- settings: " + ", ".join(f"{k_} {v}" for k_, v in (m.get("tuning", {}).get("params") or {}).items()),
          "- thresholds: " + ", ".join(f"{t} {th:.3f}" for t, th in zip(model.topics, model.predictor.thresholds_)),
          ""]
    cv = m.get("metrics", {}).get("cv")
    if cv:
        iv = cv.get("intervals", {})

        def ci(key):
            return f" ({iv[key][0]:.3f}–{iv[key][1]:.3f})" if key in iv else ""

        L += [f"## Cross-validated quality (grouped {cv.get('n_splits')}-fold, 95 % bootstrap intervals over stories)", "",
              "| metric | value |", "|---|---|"]
        for key in ("topic_macro_f1", "topic_micro_f1", "exact_match", "stance_macro_f1", "stance_f_avg"):
            if key in cv:
                L.append(f"| {key} | {_pct(cv[key])}{ci(key)} |")
        L += ["", "| topic | precision | recall | F1 | support |", "|---|---|---|---|---|"]
        for t, v in cv.get("per_topic", {}).items():
            L.append(f"| {t} | {_pct(v['precision'])} | {_pct(v['recall'])} | {_pct(v['f1'])} | {v['support']} |")
        L.append("")
    L += [f"## Heaviest n-grams (top {k}; `w:` words, stemmed; `c:` characters, `␣` = word boundary)", ""]
    for t, rows in feats["topics"].items():
        L.append(f"- **{t}**: " + ", ".join(f"`{n}` {w:+.2f}" for n, w in rows))
    L.append("")
    for t, per in feats["stance"].items():
        L.append(f"- stance toward **{t}**:")
        for s, rows in per.items():
            L.append(f"  - {s}: " + ", ".join(f"`{n}` {w:+.2f}" for n, w in rows))
    L += ["", "## Limits", "",
          "Read `data/labels/DATACARD.md` (what the labels are, and are not) and `benchmarks/REPORT.md` (quality "
          "on real news, where on-topic paragraphs are rare and precision at the default thresholds is low)."]
    return "\n".join(L) + "\n"


@click.command()
@click.argument("model_path", metavar="MODEL", required=False)
@click.option("-k", "--top", "k", default=10, show_default=True, type=click.IntRange(1), help="N-grams per list.")
@click.option("--markdown", is_flag=True, help="Print a Markdown model card.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def inspect(model_path, k, markdown, as_json):
    """Show a model: settings, thresholds, training data, cross-validated scores, heaviest n-grams.

    MODEL is a model folder (default: the bundled model). --markdown writes a
    model card; the bundled model ships with one (models/default/MODEL_CARD.md).
    """
    from ..compiled import top_features

    model = load(model_path)
    if markdown:
        click.echo(model_card(model, k), nl=False)
        return
    feats = top_features(model._compiled(), k)
    m = model.manifest
    if as_json:
        click.echo(json.dumps({"topics": model.topics, "stances": model.stances,
                               "thresholds": dict(zip(model.topics, map(float, model.predictor.thresholds_))),
                               "training_data": m.get("training_data"), "params": (m.get("tuning") or {}).get("params"),
                               "cv": {key: (m.get("metrics", {}).get("cv") or {}).get(key)
                                      for key in ("topic_macro_f1", "stance_macro_f1", "stance_f_avg")},
                               "top_features": feats}, ensure_ascii=False))
        return
    td = m.get("training_data", {})
    click.echo(f"topics: {', '.join(model.topics)}   stances: {', '.join(model.stances)}")
    bg = td.get("background")
    click.echo(f"trained on {td.get('n_records', '?')} records, {td.get('n_docs', '?')} story groups"
               + (f", plus {bg['n_records']} background paragraphs as other" if bg else ""))
    cv = m.get("metrics", {}).get("cv") or {}
    if cv:
        click.echo(f"grouped CV: topic macro-F1 {cv['topic_macro_f1']:.3f}, stance macro-F1 {cv['stance_macro_f1']:.3f}")
    for t, th in zip(model.topics, model.predictor.thresholds_):
        click.echo(f"{t} (threshold {th:.3f}): " + ", ".join(f"{n} {w:+.2f}" for n, w in feats["topics"].get(t, [])))
