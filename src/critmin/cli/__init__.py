"""The ``critmin`` command line: a thin face over the Python API.

Command groups register themselves the way an extension would (house rule 10): every module in
``critmin.cli.commands`` defines ``register(app)``. Command modules import only typer at top level and
import heavy libraries inside the command body, so ``critmin --help`` stays fast.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys

import typer


def _new_app() -> typer.Typer:
    """The root command with its options (the full app, or the one-command app :func:`main` runs)."""
    root = typer.Typer(
        name="critmin",
        help="Critical-minerals supply-chain intelligence / 关键矿产供应链情报系统",
        no_args_is_help=True,
        add_completion=True,  # --install-completion / --show-completion (bash, zsh, fish, PowerShell)
        pretty_exceptions_enable=False,
        epilog="Exit codes: 0 done · 1 some inputs refused (each named) · 2 bad input or usage · 3/4/5 compliance "
               "advisory/warning/error findings · 6/7 ledger chain or balance breaks · 8 nothing matched the query · "
               "75 warehouse busy, try again / 退出码：0 完成 · 1 部分输入被拒 · 2 输入或用法错误 · 3/4/5 合规提示/警告/错误 · "
               "6/7 账本断链或不平衡 · 8 查询无结果 · 75 数据仓库忙",
    )
    root.callback()(_root)
    return root


def _version(value: bool) -> None:
    if value:
        from critmin import __version__

        typer.echo(f"critmin {__version__}")
        raise typer.Exit()


def _root(version: bool = typer.Option(False, "--version", "-V", callback=_version, is_eager=True,
                                       help="print the version and exit / 显示版本")) -> None:
    """Critical-minerals supply-chain intelligence / 关键矿产供应链情报系统"""


# command or group -> the module of critmin.cli.commands that registers it, so main() imports and builds only
# the command it runs (typer builds a click command, reading every signature and type hint, for each
# registered command at each start: ~70 of them, and their 14 modules, cost more than a lookup itself).
# tests/ux/test_speed.py keeps this map equal to what the modules register.
COMMANDS = {
    "alerts": "alerts", "build": "warehouse", "catalog": "warehouse", "comply": "comply",
    "critical-lists": "criticality", "criticality": "criticality", "crma": "indicators", "dependency": "indicators",
    "discourse": "discourse", "examples": "about", "exercise": "exercise", "export": "warehouse", "geopolrisk": "geopolrisk",
    "incident": "incident", "ingest": "warehouse", "kb": "kb", "ledger": "ledger", "mirror": "warehouse",
    "monitor": "monitor", "production": "indicators", "reliance": "indicators", "reproduce": "indicators",
    "serve": "serve", "settings": "about", "sources": "warehouse", "stress": "stress", "summary": "warehouse",
    "suppliers": "indicators", "tables": "warehouse", "version": "about",
}


def command_modules() -> list:
    """Every module of critmin.cli.commands, imported, in name order."""
    from critmin.cli import commands

    return [importlib.import_module(f"{commands.__name__}.{info.name}")
            for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name)]


def _full_app() -> typer.Typer:
    """The app with every command registered (``--help``, completion, docs, tests): built once."""
    full = globals().get("_FULL")
    if full is None:
        full = _new_app()
        for module in command_modules():
            module.register(full)
        globals()["_FULL"] = full
    return full


def __getattr__(name: str):
    if name == "app":  # `from critmin.cli import app`: the full app, built on first use
        return _full_app()
    raise AttributeError(f"module 'critmin.cli' has no attribute {name!r}")


def _app_for(argv: list[str]) -> typer.Typer:
    """The app to run for ``argv``: only the named command's module imported and registered when the first
    argument names a command (same options, help and behaviour), else the full app (``--help``, ``--version``,
    completion)."""
    name = COMMANDS.get(argv[0]) if argv else None
    if name is None:
        return _full_app()
    one = _new_app()
    importlib.import_module(f"critmin.cli.commands.{name}").register(one)
    return one


def main() -> None:
    """Entry point: run the app, turning critmin's typed errors into one line and a non-zero exit."""
    from critmin.errors import CritminError
    from critmin.i18n import UnknownLanguage

    try:
        _app_for(sys.argv[1:])()
    except UnknownLanguage as exc:  # CRITMIN_LANG=fr: one line, not a traceback
        typer.echo(str(exc), err=True)
        sys.exit(2)
    except CritminError as exc:
        from critmin.cli.output import clean
        from critmin.i18n import t

        typer.echo(t("cli.error", message=clean(exc)), err=True)  # a file name may hold terminal escapes
        sys.exit(exc.exit_code)
    except OSError as exc:  # a path that cannot be read or written: one line, not a traceback
        from critmin.i18n import t

        where = f"{exc.filename}: " if exc.filename else ""
        typer.echo(t("cli.error", message=f"{where}{exc.strerror or exc}"), err=True)
        sys.exit(2)
