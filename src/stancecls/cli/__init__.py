"""The ``stancecls`` command: a thin layer over the library, one module per command.

Exit codes: 0 success; 1 the run worked but a requested gate failed; 2 usage,
data, model or I/O error, printed as ``Error: <what went wrong>, <how to fix it>``.
"""

from __future__ import annotations

import click

from .. import __version__
from ._common import StanceclsGroup

__all__ = ["cli", "main"]


# Commands are imported when run, so `stancecls predict` never imports what `train` needs (scikit-learn).
COMMANDS = {
    "predict": "stancecls.cli._predict:predict",
    "train": "stancecls.cli._train:train",
    "evaluate": "stancecls.cli._evaluate:evaluate",
    "migrate": "stancecls.cli._migrate:migrate",
    "explain": "stancecls.cli._explain:explain",
    "inspect": "stancecls.cli._inspect:inspect",
    "convert": "stancecls.cli._convert:convert",
    "suggest": "stancecls.cli._suggest:suggest",
    "audit": "stancecls.cli._audit:audit",
    "label": "stancecls.cli._label:label",
}


@click.group(cls=StanceclsGroup, lazy_commands=COMMANDS, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="stancecls")
def cli() -> None:
    """Topics and stance of Indonesian news paragraphs.

    \b
    stancecls predict "Korea mengirim bantuan ke Ukraina."
    stancecls predict --input paragraphs.jsonl --format table
    stancecls train --data data/labels --out models/mine
    stancecls evaluate --cv 5
    """



def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    try:
        return int(cli.main(args=argv, prog_name="stancecls", standalone_mode=False) or 0)
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        return 130
