"""`critmin version` and `critmin settings`: what is installed and how it is configured."""

from __future__ import annotations

from pathlib import Path

import typer

from critmin.cli.output import FORMAT_OPT, Format, Rows, check_lang, emit


def register(app: typer.Typer) -> None:
    app.command("version")(version)
    app.command("settings")(settings)
    app.command("examples")(examples)


def version() -> None:
    """Print critmin's version / 显示版本."""
    from critmin import __version__

    typer.echo(__version__)


def settings(fmt: Format = FORMAT_OPT) -> None:
    """List the settings registry: name, environment variable, value, unit, help / 列出配置项."""
    import pandas as pd

    from critmin.settings import SETTINGS

    rows = [
        {"name": s.name, "env": s.env, "value": "" if (v := s.resolve()) is None else str(v), "unit": s.unit, "help": s.help_en, "说明": s.help_zh}
        for s in SETTINGS.values()
    ]
    emit(pd.DataFrame(rows), fmt, title="critmin settings")


def examples(
    copy: Path = typer.Option(None, "--copy", help="write the example files into this folder"),
    replace: bool = typer.Option(False, "--replace", help="with --copy, overwrite files already there"),
    fmt: Format = FORMAT_OPT,
    lang: str = typer.Option(None, "--lang", callback=check_lang, help="en|zh"),
) -> None:
    """List (or --copy) the example input files the README's commands use / 列出（或复制）示例输入文件."""
    from importlib import resources

    from critmin.datafile import read_bundled_yaml
    from critmin.errors import UsageError
    from critmin.i18n import current_lang, t

    folder = resources.files("critmin.cli") / "examples"
    index = read_bundled_yaml(str(folder / "index.yaml"))
    lang = current_lang(lang)
    if copy is None:
        rows = [(name, e[lang], e["command"]) for name, e in index.items()]
        emit(Rows(["file", "what", "command"], rows), fmt, title=t("cli.examples.title", lang))
        return
    from critmin.atomic import write_text

    copy.mkdir(parents=True, exist_ok=True)
    there = [n for n in index if (copy / n).exists()]
    if there and not replace:
        raise UsageError(t("cli.examples.exists", lang, folder=str(copy), files=", ".join(there)))
    for name in index:
        write_text(copy / name, (folder / name).read_text(encoding="utf-8"))
    typer.echo(t("cli.examples.copied", lang, n=len(index), folder=str(copy)))
