"""Shared pieces of the commands: error translation, output and dataset options, progress."""

from __future__ import annotations

import os
import sys

import click

from ..datasets import DATA_FORMATS
from ..errors import StanceclsError
from ..io import OUTPUT_FORMATS

__all__ = ["UserError", "GateFailed", "StanceclsGroup", "output_options", "dataset_options", "dataset_kwargs",
           "background_options", "Progress"]


class UserError(click.ClickException):
    """A usage, data, model or I/O error: exit status 2."""

    exit_code = 2


class GateFailed(click.ClickException):
    """The run worked but a gate the user asked for failed: exit status 1."""

    exit_code = 1


class StanceclsGroup(click.Group):
    """Turns the package's errors and OS errors into ``Error: ...`` and status 2.

    ``lazy_commands`` maps command names to ``"module:attribute"``; a command's
    module is imported only when the command is run or listed in ``--help``.
    """

    def __init__(self, *args, lazy_commands: dict[str, str] | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.lazy_commands = dict(lazy_commands or {})

    def list_commands(self, ctx):
        return sorted({*super().list_commands(ctx), *self.lazy_commands})

    def get_command(self, ctx, name):
        if name in self.lazy_commands and name not in self.commands:
            import importlib

            module, attr = self.lazy_commands[name].split(":")
            self.add_command(getattr(importlib.import_module(module), attr), name)
        return super().get_command(ctx, name)

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except StanceclsError as exc:
            raise UserError(exc.user_message()) from exc
        except BrokenPipeError:
            # The reader went away (stancecls predict ... | head): stop quietly, and point stdout at
            # devnull so the interpreter's final flush does not fail again.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            raise click.exceptions.Exit(0) from None
        except OSError as exc:
            where = f" {exc.filename}" if exc.filename else ""
            raise UserError(f"cannot read or write{where}: {exc.strerror or exc}, check the path and permissions") from exc


def output_options(func):
    """``--format`` shared by the commands that write records."""
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(OUTPUT_FORMATS),
        default="jsonl",
        show_default=True,
        help="Output: JSON Lines, CSV, or a readable table.",
    )(func)


_DATASET_OPTIONS = [
    click.option("--data-format", type=click.Choice(DATA_FORMATS), default="auto", show_default=True,
                 help="labels = the project's label files; jsonl/csv/tsv need a label column."),
    click.option("--text-column", default="text", show_default=True, help="Text column of jsonl/csv/tsv data."),
    click.option("--label-column", help="Single-label data: the column with the class."),
    click.option("--labels-column", help="Multi-label data: the column with the labels, joined by --label-sep."),
    click.option("--label-sep", default=",", show_default=True, help="Separator of --labels-column."),
    click.option("--id-column", default="id", show_default=True, help="Id column (default: file:row)."),
    click.option("--group-column", help="Story/group column for grouped folds (default: every row its own group)."),
    click.option("--columns", help="Comma-separated column names of a CSV/TSV without a header row."),
    click.option("--language", default="id", show_default=True, help="Language of the texts; stemming only for 'id'."),
]


def dataset_options(func):
    """Options that describe a labelled dataset in another format (see stancecls.datasets)."""
    for option in reversed(_DATASET_OPTIONS):
        func = option(func)
    return func


def dataset_kwargs(kw: dict) -> dict:
    """Pop the dataset options from a command's keyword arguments into load_dataset() arguments."""
    columns = kw.pop("columns")
    return {
        "format": kw.pop("data_format"),
        "text_column": kw.pop("text_column"),
        "label_column": kw.pop("label_column"),
        "labels_column": kw.pop("labels_column"),
        "label_sep": kw.pop("label_sep"),
        "id_column": kw.pop("id_column"),
        "group_column": kw.pop("group_column"),
        "columns": columns.split(",") if columns else None,
        "language": kw.pop("language"),
    }


def background_options(func):
    """``--background`` and its options, shared by ``train`` and ``evaluate --cv``."""
    options = [
        click.option("--background", metavar="FILE",
                     help="Unlabelled news to sample 'other' paragraphs from (JSONL/CSV/text; see --background-article)."),
        click.option("--background-n", default=5000, show_default=True, type=click.IntRange(0),
                     help="Background paragraphs to sample (seeded by --seed)."),
        click.option("--background-article", is_flag=True, help="The background file holds articles: split them."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


class Progress:
    """A tqdm bar on stderr, shown only when stderr is a terminal (never in pipes, logs or CI)."""

    def __init__(self, desc: str, enabled: bool | None = None) -> None:
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self.bar = None
        self.desc = desc

    def __call__(self, done: int, total: int, message: str) -> None:
        if not self.enabled:
            return
        from tqdm import tqdm

        if self.bar is None:
            self.bar = tqdm(total=total, desc=self.desc, file=sys.stderr, leave=False)
        self.bar.n = done
        self.bar.set_postfix_str(message[:60])
        self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
