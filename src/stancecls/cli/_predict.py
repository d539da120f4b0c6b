"""``stancecls predict``."""

from __future__ import annotations

import sys

import click

from ..api import ENGINES, load
from ..io import ERROR_KEY, INPUT_FORMATS, ON_ERROR, InputRecord, header_line, paragraph_records, read_records
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
@click.option("--backend", type=click.Choice(ENGINES), default="auto", show_default=True,
              help="bundle: the pickle-free compiled model (auto uses it when present); sklearn: the joblib "
                   "pipeline, which runs code when loaded.")
@click.option("--batch-size", default=512, show_default=True, type=click.IntRange(1), help="Paragraphs per batch.")
@click.option("-j", "--jobs", default=1, show_default=True, type=click.IntRange(1),
              help="Worker processes (input order is kept).")
@click.option("--engine", type=click.Choice(["local", "dask"]), default="local", show_default=True,
              help="dask: run on a Dask cluster, one output file per partition (needs --output-dir).")
@click.option("--scheduler", metavar="ADDRESS", help="Dask scheduler address (default: a local cluster of --jobs workers).")
@click.option("--output-dir", metavar="DIR", help="With --engine dask: folder for part-NNNNN files and manifest.json.")
@click.option("--partition-size", default="64MB", show_default=True, metavar="SIZE",
              help="With --engine dask: bytes per partition of JSONL/text input (e.g. 64MB, 500KB).")
@click.option("--on-error", type=click.Choice(ON_ERROR), default="fail", show_default=True,
              help="skip: a record that cannot be read gets an error record (file:line) in its place, so the output "
                   "has one record per input record.")
@click.option("--trust", is_flag=True, help="With --backend sklearn: unpickle a joblib file that was not saved on this "
              "machine (it can run code; only for files you trust).")
@click.option("--min-score", type=click.FloatRange(0, 1), metavar="P",
              help="Flag a topic only when its probability is also at least P (e.g. 0.9 for a raw news stream, "
                   "where on-topic paragraphs are rare).")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
@output_options
def predict(texts, input_path, input_format, text_field, id_field, article, model_path, backend, batch_size, jobs,
            engine, scheduler, output_dir, partition_size, on_error, trust, min_score, quiet, fmt):
    """Classify paragraphs: topics, stance and probabilities.

    Give paragraphs as TEXT arguments, or --input FILE: JSON Lines with "id"
    and "text", CSV/TSV with a "text" column, or plain text with one paragraph
    per line. One output record per input paragraph, in input order. A
    progress bar shows on stderr when it is a terminal (--quiet hides it).
    """
    if texts and input_path:
        raise UserError("both TEXT arguments and --input were given, use one or the other")
    if not texts and not input_path:
        raise UserError("nothing to classify, pass TEXT arguments or --input FILE (use - for standard input)")
    if engine == "dask":
        if min_score is not None:
            raise UserError("--min-score is not supported with --engine dask yet, filter the scores in the output")
        return _predict_dask(input_path, input_format, text_field, id_field, article, model_path, backend,
                             batch_size, jobs, scheduler, output_dir, partition_size, on_error, fmt)
    if scheduler or output_dir:
        raise UserError("--scheduler and --output-dir go with --engine dask, add --engine dask or drop them")
    if input_path:
        records = read_records(input_path, input_format, text_field=text_field, id_field=id_field, article=article,
                               on_error=on_error)
    else:
        records = (InputRecord(id=str(i), text=t) for i, t in enumerate(texts, 1))
    model = load(model_path, engine=backend, trust=trust).with_min_score(min_score)
    from ..parallel import formatted_batches

    bar = None
    if not quiet and sys.stderr.isatty():
        from tqdm import tqdm

        bar = tqdm(desc="predict", unit=" paragraphs", file=sys.stderr, leave=False)
    errors = 0

    def counted(rows):
        nonlocal errors
        for row in rows:
            errors += ERROR_KEY in row[2]
            yield row

    out = sys.stdout
    out.write(header_line(fmt, model.topics))
    try:
        for count, text in formatted_batches(model, counted(paragraph_records(records, article)), fmt=fmt, jobs=jobs,
                                             batch_size=batch_size, model_path=model_path, engine=backend,
                                             trust=trust):
            out.write(text)
            if bar is not None:
                bar.update(count)
    finally:
        if bar is not None:
            bar.close()
    out.flush()
    if errors:
        click.echo(f"{errors} record(s) could not be read; an error record stands in the place of each", err=True)


def _size(text: str) -> int:
    units = {"": 1, "B": 1, "KB": 1 << 10, "MB": 1 << 20, "GB": 1 << 30}
    t = text.strip().upper()
    number = t.rstrip("KMGB")
    try:
        value = int(float(number) * units[t[len(number):]])
    except (ValueError, KeyError):
        raise UserError(f"--partition-size {text!r} is not a size, give e.g. 64MB or 500KB") from None
    if value < 1:
        raise UserError(f"--partition-size {text!r} is not positive, give e.g. 64MB")
    return value


def _predict_dask(input_path, input_format, text_field, id_field, article, model_path, backend, batch_size, jobs,
                  scheduler, output_dir, partition_size, on_error, fmt):
    if not input_path or input_path == "-":
        raise UserError("--engine dask reads files, not TEXT arguments or stdin, give --input FILE or a glob")
    if not output_dir:
        raise UserError("--engine dask writes one file per partition, give --output-dir DIR")
    if backend == "sklearn":
        raise UserError("--engine dask sends the pickle-free bundle to the workers, drop --backend sklearn")
    from ..cluster import predict_cluster

    result = predict_cluster(input_path.split(","), output_dir, scheduler=scheduler, model=model_path,
                             input_format=input_format, text_field=text_field, id_field=id_field, article=article,
                             fmt=fmt, partition_bytes=_size(partition_size), batch_size=batch_size, n_workers=jobs,
                             on_error=on_error)
    summary = {k: result[k] for k in ("records", "predictions", "seconds")}
    summary["partitions"] = len(result["partitions"])
    summary["manifest"] = f"{output_dir.rstrip('/')}/manifest.json"
    click.echo(json_line(summary))


def json_line(obj) -> str:
    import json

    return json.dumps(obj, ensure_ascii=False)
