"""`critmin version` and `critmin settings`: what is installed and how it is configured."""

from __future__ import annotations

import typer

from critmin.cli.output import Format, emit


def register(app: typer.Typer) -> None:
    app.command("version")(version)
    app.command("settings")(settings)


def version() -> None:
    """Print critmin's version / 显示版本."""
    from critmin import __version__

    typer.echo(__version__)


def settings(fmt: Format = typer.Option(Format.table, "--format", help="table|csv|json")) -> None:
    """List the settings registry: name, environment variable, value, unit, help / 列出配置项."""
    import pandas as pd

    from critmin.settings import SETTINGS

    rows = [
        {"name": s.name, "env": s.env, "value": "" if (v := s.resolve()) is None else str(v), "unit": s.unit, "help": s.help_en, "说明": s.help_zh}
        for s in SETTINGS.values()
    ]
    emit(pd.DataFrame(rows), fmt, title="critmin settings")
