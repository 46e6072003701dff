"""docs/monitor.md documents every monitor option, every incident command and every alert field (house
rule 11)."""

from __future__ import annotations

from pathlib import Path

import typer

DOC = (Path(__file__).parents[2] / "docs" / "monitor.md").read_text(encoding="utf-8")


def _app() -> typer.Typer:
    from critmin.cli import app

    return app


def test_every_incident_command_is_documented():
    group = next(g for g in _app().registered_groups if g.name == "incident")
    for cmd in group.typer_instance.registered_commands:
        assert f"critmin incident {cmd.name}" in DOC, f"critmin incident {cmd.name} is not in docs/monitor.md"


def test_every_monitor_option_is_documented():
    cmd = typer.main.get_command(_app()).commands["monitor"]
    for p in cmd.params:
        if getattr(p, "param_type_name", "") == "option":
            for opt in [*p.opts, *getattr(p, "secondary_opts", [])]:
                assert opt in DOC, f"critmin monitor {opt} is not in docs/monitor.md"


def test_every_alert_field_is_documented():
    from critmin.monitor.compute import ALERT_COLUMNS

    for col in ALERT_COLUMNS:
        assert col in DOC, col
