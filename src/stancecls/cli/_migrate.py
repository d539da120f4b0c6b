"""``stancecls migrate``."""

from __future__ import annotations

import click

__all__ = ["migrate"]


@click.command()
@click.argument("model_path", metavar="MODEL")
@click.option("--trust", is_flag=True, help="Unpickle the joblib file even if it was not saved on this machine "
              "(it can run code; only for files you trust).")
def migrate(model_path, trust):
    """Bring a model folder saved by an older stancecls up to the current format.

    Adds the pickle-free bundle that prediction uses, and signs the joblib
    file for this machine. Does nothing to a model that is already current.
    """
    from ..persist import migrate as migrate_model

    path = migrate_model(model_path, trust=trust)
    click.echo(f"model is current: {path}")
