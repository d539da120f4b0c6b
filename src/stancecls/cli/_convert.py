"""``stancecls convert``: label files to and from Label Studio and doccano."""

from __future__ import annotations

import sys

import click

from ..interop import FORMATS

__all__ = ["convert"]


@click.command()
@click.argument("input_path", metavar="INPUT")
@click.option("--from", "src", type=click.Choice(FORMATS), default="labels", show_default=True, help="Format of INPUT.")
@click.option("--to", "dst", type=click.Choice(FORMATS), required=True, help="Format to write.")
@click.option("-o", "--out", metavar="FILE", help="Write here (default: standard output).")
@click.option("--schema", "schema_path", metavar="FILE", help="Label schema (default: the schema.json beside INPUT).")
@click.option("--config", "config_path", metavar="FILE",
              help="Also write the Label Studio labelling interface for the schema (XML) to FILE.")
def convert(input_path, src, dst, out, schema_path, config_path):
    """Convert labels between the label format, Label Studio JSON and doccano JSONL.

    Label Studio: topics as a multi-choice control, a stance choice per topic.
    doccano: labels "<topic>/<stance>", other fields kept as metadata. Both
    round-trip losslessly; imports are validated like label files (the
    schema.json beside INPUT), each problem with its line.

    \b
    stancecls convert data/labels/seeds.jsonl --to label-studio -o tasks.json --config config.xml
    stancecls convert tasks.json --from label-studio --to labels --schema data/labels/schema.json
    """
    from ..interop import convert as run, label_studio_config
    from ..persist import atomic_write_bytes

    from ..schema import load_schema

    text, schema = run(input_path, src, dst, load_schema(schema_path) if schema_path else None)
    if out:
        atomic_write_bytes(out, text.encode("utf-8"))
    else:
        sys.stdout.write(text)
    if config_path:
        atomic_write_bytes(config_path, label_studio_config(schema).encode("utf-8"))
