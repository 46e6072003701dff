"""`critmin incident ...`: incidents opened from alerts or situation cards, walking fact check → impact assessment → transition
arrangements / 由预警立案的事件：事实核查、影响评估、过渡安排.

Each command opens one warehouse handle (writable for open, advance and close) and passes it down."""

from __future__ import annotations

import typer

from critmin.cli.output import FORMAT_OPT, Format, check_lang, emit


def register(app: typer.Typer) -> None:
    sub = typer.Typer(help="Incidents: fact check, impact assessment, transition arrangements / 事件处置",
                      no_args_is_help=True)
    sub.command("open")(open_cmd)
    sub.command("show")(show_cmd)
    sub.command("list")(list_cmd)
    sub.command("advance")(advance_cmd)
    sub.command("close")(close_cmd)
    app.add_typer(sub, name="incident")


_STAGE_CHOICES = "fact_check|impact_assessment|transition_arrangements"
_CUT = typer.Option(0.4, "--cut", help="stage 2: fraction of the supplier's exports withheld")
_MONTHS = typer.Option(12, "--months", help="stage 2: duration of the shock in months")
_DRAWS = typer.Option(2000, "--draws", help="stage 2: Monte Carlo draws")
_SEED = typer.Option(0, "--seed", help="stage 2: random seed")
_NOTE = typer.Option(None, "--note", help="a note for the history")
_WH = typer.Option(None, "--warehouse", help="warehouse file")
_LANG = typer.Option(None, "--lang", callback=check_lang, help="en|zh")


def _open(warehouse, command: str | None = None):
    """The command's one handle: writable (holding the writer lock) when ``command`` names a writing command."""
    from critmin.warehouse.handle import Warehouse

    return Warehouse.open(warehouse, read_only=command is None, command=command or "write")


def open_cmd(
    alert: str = typer.Option(None, "--alert", help="an alert id from `critmin monitor` (alerts.csv)"),
    situation: str = typer.Option(None, "--situation",
                                  help="or a situation id from `critmin monitor` (situations.csv), e.g. "
                                       "'EU27|rare_earths|metal': the incident takes the card's level and re-checks "
                                       "its highest signal"),
    run: str = typer.Option(None, "--run", help="with --situation: the monitor run (default: the latest holding it)"),
    through: str = typer.Option("transition_arrangements", "--through",
                                help=f"run the stages up to this one: {_STAGE_CHOICES}"),
    as_of: str = typer.Option(None, "--as-of", help="date for the knowledge-base checks (default: the monitor's)"),
    cut: float = _CUT,
    months: int = _MONTHS,
    draws: int = _DRAWS,
    seed: int = _SEED,
    note: str = _NOTE,
    warehouse: str = _WH,
    fmt: Format = typer.Option(Format.table, "--format", help="table|json (csv: the history)"),
    lang: str = _LANG,
) -> None:
    """Open an incident from an alert or a situation card and run its stages / 由预警或态势立案并执行各阶段."""
    from critmin.incidents import open_incident

    with _open(warehouse, "incident open") as wh:
        inc = open_incident(alert, warehouse=wh, through=through, as_of=as_of, note=note, situation=situation,
                            run_id=run, cut=cut, months=months, draws=draws, seed=seed)
    _print(inc, fmt, lang)


def advance_cmd(
    incident_id: str = typer.Argument(..., help="incident id, e.g. INC-0001"),
    cut: float = _CUT,
    months: int = _MONTHS,
    draws: int = _DRAWS,
    seed: int = _SEED,
    note: str = _NOTE,
    warehouse: str = _WH,
    fmt: Format = typer.Option(Format.table, "--format", help="table|json"),
    lang: str = _LANG,
) -> None:
    """Run the incident's next stage / 执行下一阶段."""
    from critmin.incidents import advance_incident

    with _open(warehouse, "incident advance") as wh:
        inc = advance_incident(incident_id, warehouse=wh, note=note, cut=cut, months=months, draws=draws,
                               seed=seed)
    _print(inc, fmt, lang)


def close_cmd(
    incident_id: str = typer.Argument(..., help="incident id"),
    note: str = _NOTE,
    warehouse: str = _WH,
    lang: str = _LANG,
) -> None:
    """Close an incident / 关闭事件."""
    from critmin.i18n import t
    from critmin.incidents import close_incident

    with _open(warehouse, "incident close") as wh:
        inc = close_incident(incident_id, warehouse=wh, note=note)
    typer.echo(t("incident.closed", lang, id=inc.incident_id))


def show_cmd(
    incident_id: str = typer.Argument(..., help="incident id, e.g. INC-0001"),
    warehouse: str = _WH,
    fmt: Format = typer.Option(Format.table, "--format", help="table|json (csv: the history)"),
    lang: str = _LANG,
) -> None:
    """Show an incident: its alert, every stage completed and its history / 显示事件详情."""
    from critmin.incidents import get_incident

    with _open(warehouse) as wh:
        inc = get_incident(incident_id, wh)
    _print(inc, fmt, lang)


def list_cmd(
    status: str = typer.Option(None, "--status", help="open|closed"),
    warehouse: str = _WH,
    fmt: Format = FORMAT_OPT,
    lang: str = _LANG,
) -> None:
    """List incidents / 列出事件."""
    from critmin.i18n import t
    from critmin.incidents import list_incidents

    with _open(warehouse) as wh:
        df = list_incidents(wh, status)
    emit(df, fmt, title=t("incident.list.title", lang, count=len(df)))


def _print(inc, fmt: Format, lang: str | None) -> None:
    import json

    if fmt is Format.json:
        typer.echo(json.dumps(inc.to_dict(), ensure_ascii=False, indent=2, default=str))
    elif fmt is Format.csv:
        emit(inc.history, fmt)
    else:
        from critmin.incidents.render import render_text

        sit = ((inc.alert or {}).get("extra") or {}).get("situation")
        if sit:  # the card's level and first reason; the rendering below shows the lead alert it rests on
            from critmin.i18n import current_lang, t

            zh = current_lang(lang) == "zh"
            colour = {"red": "红色", "orange": "橙色", "yellow": "黄色", "blue": "蓝色"} if zh else {}
            reason = ((sit.get("reasons_zh") if zh else sit.get("reasons_en")) or "").split(" | ")[0]
            typer.echo(t("incident.situation", lang, id=sit["situation_id"], run=sit["run_id"],
                         level=colour.get(sit["level"], sit["level"]), reason=reason))
        typer.echo(render_text(inc, lang))
