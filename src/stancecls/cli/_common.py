"""Shared pieces of the commands: error translation and the output options."""

from __future__ import annotations

import os
import sys

import click

from ..errors import StanceclsError
from ..io import OUTPUT_FORMATS

__all__ = ["UserError", "GateFailed", "StanceclsGroup", "output_options"]


class UserError(click.ClickException):
    """A usage, data, model or I/O error: exit status 2."""

    exit_code = 2


class GateFailed(click.ClickException):
    """The run worked but a gate the user asked for failed: exit status 1."""

    exit_code = 1


class StanceclsGroup(click.Group):
    """Turns the package's errors and OS errors into ``Error: ...`` and status 2."""

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
