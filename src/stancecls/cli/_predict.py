"""``stancecls predict``."""

from __future__ import annotations

import sys

import click

from ..api import load
from ..io import INPUT_FORMATS, InputRecord, paragraph_records, read_records, write_predictions
from ._common import UserError, output_options

__all__ = ["predict"]


@click.command()
@click.argument("texts", nargs=-1)
@click.option("-i", "--input", "input_path", metavar="FILE", help="Read paragraphs from FILE (- for stdin).")
@click.option(
    "--input-format",
    type=click.Choice(INPUT_FORMATS),
    default="auto",
    show_default=True,
    help="Input format; auto goes by the extension (.jsonl, .csv, .tsv; anything else is text).",
)
@click.option("--text-field", default="text", show_default=True, help="Text field or column of JSONL/CSV input.")
@click.option("--id-field", default="id", show_default=True, help="Id field or column (default: 1-based position).")
@click.option("--article", is_flag=True, help="Inputs are raw articles: segment them into paragraphs first.")
@click.option("-m", "--model", "model_path", metavar="PATH", help="Model folder (default: the bundled model).")
@click.option("--batch-size", default=512, show_default=True, type=click.IntRange(1), help="Paragraphs per batch.")
@output_options
def predict(texts, input_path, input_format, text_field, id_field, article, model_path, batch_size, fmt):
    """Classify paragraphs: topics, stance and probabilities.

    Give paragraphs as TEXT arguments, or --input FILE: JSON Lines with "id"
    and "text", CSV/TSV with a "text" column, or plain text with one paragraph
    per line. One output record per input paragraph, in input order.
    """
    if texts and input_path:
        raise UserError("both TEXT arguments and --input were given, use one or the other")
    if not texts and not input_path:
        raise UserError("nothing to classify, pass TEXT arguments or --input FILE (use - for standard input)")
    if input_path:
        records = read_records(input_path, input_format, text_field=text_field, id_field=id_field, article=article)
    else:
        records = (InputRecord(id=str(i), text=t) for i, t in enumerate(texts, 1))
    model = load(model_path)
    predictions = model.predict_records(paragraph_records(records, article), batch_size=batch_size)
    write_predictions(predictions, fmt, sys.stdout, model.topics)
    sys.stdout.flush()
