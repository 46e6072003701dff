"""`critmin kb ...`: query the knowledge base of cited, dated events / 查询知识库."""

from __future__ import annotations

import typer

from critmin.cli.output import FORMAT_OPT, Format, Rows, check_lang, emit


def register(app: typer.Typer) -> None:
    sub = typer.Typer(help="Knowledge base of cited measures, controls, alliances and events / 知识库",
                      no_args_is_help=True)
    sub.command("events")(events_cmd)
    sub.command("members")(members_cmd)
    sub.command("show")(show_cmd)
    sub.command("timeline")(timeline_cmd)
    sub.command("check")(check_cmd)
    sub.command("new")(new_cmd)
    app.add_typer(sub, name="kb")


KB_HELP = "folder of your own KB YAML files merged with the bundled ones (else CRITMIN_KB)"


def _currency_line(kb) -> str:
    from critmin.i18n import t
    from critmin.kb.check import currency

    c = currency(kb)
    return t("kb.currency", latest=c["latest_date"], latest_id=c["latest_id"], reviewed=c["reviewed"],
             records=c["records"], m_reviewed=c["measures_reviewed"], measures=c["measures"],
             oldest=c["oldest_measure_review"] or "-", user=c["user_files"])


def events_cmd(
    material: str = typer.Option(None, "--material", help="material id, e.g. rare_earths"),
    actor: str = typer.Option(None, "--actor", help="ISO3 or group id (actor or party), e.g. CHN, EU"),
    kind: list[str] = typer.Option(None, "--kind", help="entry kind (repeatable), e.g. export_control"),
    since: str = typer.Option(None, "--since", help="from this ISO date (inclusive)"),
    until: str = typer.Option(None, "--until", help="up to this ISO date (inclusive)"),
    include_general: bool = typer.Option(False, "--include-general",
                                         help="with --material, also entries not tied to a material"),
    kb_dir: str = typer.Option(None, "--kb", help=KB_HELP),
    fmt: Format = FORMAT_OPT,
) -> None:
    """List knowledge-base entries, filtered, and say how current the KB is / 按条件列出知识库条目."""
    from critmin.i18n import current_lang, t
    from critmin.kb.loader import load_kb
    from critmin.kb.query import COLUMNS, entry_rows, select

    kb = load_kb(kb_dir)
    rows = Rows(COLUMNS, entry_rows(select(material=material, actor=actor, kinds=kind or None, since=since,
                                           until=until, include_general=include_general, kb=kb)))
    if fmt is Format.table:  # one title, in the user's language
        drop = "title_en" if current_lang() == "zh" else "title_zh"
        rows = rows.drop([drop, "date_precision", "status_today"])
    emit(rows, fmt, title=t("kb.events.title", count=len(rows)), empty=t("kb.events.empty"))
    if fmt is Format.table:
        typer.echo(_currency_line(kb))


def members_cmd(
    alliance: str = typer.Argument(..., help="alliance id, e.g. MSP, ergi, g7-cmpa, ipef"),
    year: int = typer.Option(None, "--year", help="members as of this year"),
    kb_dir: str = typer.Option(None, "--kb", help=KB_HELP),
    fmt: Format = FORMAT_OPT,
) -> None:
    """Members of an alliance (as of a year) with join dates / 联盟成员及加入时间."""
    from critmin.i18n import t
    from critmin.kb import load_kb
    from critmin.kb.query import members_frame

    df = members_frame(alliance, year, kb=load_kb(kb_dir))
    emit(df, fmt, title=t("kb.members.title", alliance=alliance, year=year or "-", count=len(df)))


def show_cmd(
    entry_id: str = typer.Argument(..., help="entry id, e.g. chn-2025-no18-medium-heavy-ree"),
    kb_dir: str = typer.Option(None, "--kb", help=KB_HELP),
    fmt: Format = FORMAT_OPT,
) -> None:
    """Show one entry with its legal-state history and sources / 显示单个条目及其状态历史."""
    import pandas as pd

    from critmin.kb import load_kb, show
    from critmin.kb.query import state_history

    e = show(entry_id, kb=load_kb(kb_dir))
    data = e.model_dump(mode="json", by_alias=True, exclude_defaults=False)
    data["source_file"] = e.source_file
    data["state_history"] = state_history(e)
    if fmt is Format.json:
        import json

        typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    rows = []
    for key, value in data.items():
        if value in (None, [], ""):
            continue
        if isinstance(value, list):
            for i, item in enumerate(value):
                text = ", ".join(f"{k}={v}" for k, v in item.items() if v not in (None, "")) \
                    if isinstance(item, dict) else str(item)
                rows.append({"field": f"{key}[{i}]", "value": text})
        else:
            rows.append({"field": key, "value": str(value)})
    emit(pd.DataFrame(rows, columns=["field", "value"]), fmt, title=e.id)


def timeline_cmd(
    out: str = typer.Option("kb_timeline.html", "--out", help="output HTML file (offline; plotly.min.js is written beside it)"),
    material: str = typer.Option(None, "--material"),
    actor: str = typer.Option(None, "--actor"),
    since: str = typer.Option("2008-01-01", "--since"),
    until: str = typer.Option(None, "--until"),
    lang: str = typer.Option(None, "--lang", callback=check_lang, help="en|zh"),
    kb_dir: str = typer.Option(None, "--kb", help=KB_HELP),
) -> None:
    """Write the knowledge-base timeline chart as offline HTML / 输出知识库时间线图."""
    from critmin.i18n import current_lang, t
    from critmin.kb import load_kb, write_timeline

    path = write_timeline(out, lang=current_lang(lang), material=material, actor=actor, since=since, until=until,
                          kb=load_kb(kb_dir))
    typer.echo(t("kb.timeline.written", lang, path=path))


def check_cmd(
    kb_dir: str = typer.Option(None, "--kb", help=KB_HELP),
    user_only: bool = typer.Option(False, "--user-only", help="check only the user folder, not the bundled files"),
    fmt: Format = FORMAT_OPT,
) -> None:
    """Validate knowledge-base files: schema, dates, overlaps, materials, references, stale reviews / 校验知识库文件.

    Exit code 1 when any error is found (warnings alone exit 0)."""
    from critmin.i18n import t
    from critmin.kb.check import check

    df = check(kb_dir, bundled=not user_only)
    errors = int((df["level"] == "error").sum())
    warnings = int((df["level"] == "warning").sum())
    if len(df) or fmt is not Format.table:
        emit(df, fmt, title=t("kb.check.title", errors=errors, warnings=warnings))
    if fmt is Format.table:
        typer.echo(t("kb.check.summary", errors=errors, warnings=warnings))
    if errors:
        raise typer.Exit(1)


def new_cmd(
    kind: str = typer.Argument(..., help="export_control (a legal measure) or an entry kind, e.g. agreement"),
    entry_id: str = typer.Option(None, "--id", help="id of the new record (lower-case, hyphens)"),
    out: str = typer.Option(None, "--out", help="write to this YAML file (refused if it exists); else stdout"),
) -> None:
    """Write a commented YAML template for a new KB record / 生成知识库记录模板."""
    from pathlib import Path

    from critmin.errors import UsageError
    from critmin.i18n import t
    from critmin.kb.template import template

    text = template(kind, entry_id)
    if out is None:
        typer.echo(text, nl=False)
        return
    path = Path(out)
    if path.exists():
        raise UsageError(f"{path} exists; choose another --out (kb new never overwrites)")
    from critmin.atomic import write_text

    write_text(path, text)
    typer.echo(t("kb.new.written", path=path))
