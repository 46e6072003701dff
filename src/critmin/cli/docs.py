"""Generate docs/cli.md from the command tree, so the CLI reference can never drift from the code.

`python -m critmin.cli.docs > docs/cli.md`; tests/test_docs.py fails when the file is stale or a command is
undocumented (house rule 11).
"""

from __future__ import annotations


def _is_group(cmd) -> bool:
    return hasattr(cmd, "commands")


def _walk(cmd, path):
    yield path, cmd
    if _is_group(cmd):
        for name in sorted(cmd.commands):
            yield from _walk(cmd.commands[name], [*path, name])


def command_paths() -> list[str]:
    import typer

    from critmin.cli import app

    return [" ".join(p) for p, _ in _walk(typer.main.get_command(app), ["critmin"])]


def render() -> str:
    import typer

    from critmin.cli import app

    root = typer.main.get_command(app)
    out = ["# Command reference / 命令参考", "",
           "Generated from the code by `python -m critmin.cli.docs > docs/cli.md`; do not edit by hand.", "",
           "Global options: `--version`, `--install-completion`, `--show-completion`, `--help`.", ""]
    if root.epilog:  # the exit codes, as `critmin --help` prints them
        out += [" ".join(root.epilog.split()), ""]
    for path, cmd in _walk(root, ["critmin"]):
        if len(path) == 1:
            continue
        out.append(f"{'#' * min(len(path) + 1, 4)} `{' '.join(path)}`")
        out.append("")
        if cmd.help:
            out.append(" ".join(cmd.help.split()))
            out.append("")
        params = [p for p in cmd.params if p.name != "help"]
        if params and not _is_group(cmd):
            out.append("| argument / option | help |")
            out.append("|---|---|")
            for p in params:
                names = ", ".join(p.opts) if getattr(p, "param_type_name", "") == "option" else p.name.upper()
                helptext = " ".join((getattr(p, "help", None) or "").split()).replace("|", "\\|")
                out.append(f"| `{names}` | {helptext} |")
            out.append("")
    return "\n".join(out).rstrip() + "\n"


def group_table(*groups: str) -> str:
    """One row per command of the ``critmin GROUP`` sub-apps named: arguments, options, summary."""
    import typer

    from critmin.cli import app

    root = typer.main.get_command(app)
    out = ["| command | arguments | options | what it does |", "|---|---|---|---|"]
    for group in groups:
        cmd = root.commands[group]
        for name in sorted(cmd.commands):
            sub = cmd.commands[name]
            args = " ".join(p.name.upper() for p in sub.params if p.param_type_name == "argument")
            opts = ", ".join(f"`{p.opts[0]}`" for p in sub.params if p.param_type_name == "option" and p.opts[0] != "--help")
            summary = (sub.help or "").strip().splitlines()[0]
            out.append(f"| `critmin {group} {name}` | {args} | {opts} | {summary} |")
    return "\n".join(out)


def refresh_compliance(text: str) -> str:
    """docs/compliance.md with its generated blocks (rules, crosswalk, commands) brought up to date."""
    from critmin.compliance.docs import refresh

    return refresh(text, {"cli": lambda: group_table("comply", "ledger")})


if __name__ == "__main__":
    import sys

    sys.stdout.write(render())
