"""`critmin monitor`: the main job — indicators, early-warning rules and the offline monitoring report /
主任务：指标、预警规则与离线监测报告."""

from __future__ import annotations

import typer

from critmin.cli.output import ENGINE_OPT, LAKE_OPT, Format, check_lang, emit


def register(app: typer.Typer) -> None:
    # a group that runs the job when no subcommand is given: `critmin monitor [OPTIONS]`, `critmin monitor diff`
    sub = typer.Typer(invoke_without_command=True)
    sub.callback()(monitor_cmd)
    sub.command("diff")(diff_cmd)
    app.add_typer(sub, name="monitor")


def monitor_cmd(
    ctx: typer.Context,
    out: str = typer.Option("critmin-report", "--out", help="folder for report.html, situations.json/csv and alerts.json/csv"),
    lang: str = typer.Option(None, "--lang", callback=check_lang, help="report language: en|zh (headings stay bilingual)"),
    importers: str = typer.Option("EU27,USA,JPN,CHN", "--importer", "--importers",
                                  help="ISO3 codes, groups (EU27, G7, MSP, user groups) or country names; "
                                       "comma-separated; 'all' for every importing country in the data"),
    years: str = typer.Option(None, "--years", help="e.g. 2015-2024 (default: the last 10 years of trade data)"),
    as_of: str = typer.Option(None, "--as-of", help="judge export controls as of this date, YYYY-MM-DD (default: today)"),
    materials: str = typer.Option(None, "--materials",
                                  help="comma-separated material ids (default: EU 2023 and US 2022 lists with trade codes)"),
    feed: str = typer.Option(None, "--feed", help="an operational feed CSV to evaluate as well (docs/alerts.md)"),
    rules: str = typer.Option(None, "--rules", help="a rules YAML file (default: the built-in rule set)"),
    save: bool = typer.Option(True, "--save/--no-save", help="store the alerts in the warehouse (for incidents)"),
    warehouse: str = typer.Option(None, "--warehouse", help="warehouse file (built there if missing)"),
    fmt: Format = typer.Option(None, "--format", help="also print the orange and red alerts: table|csv|json"),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="show a progress bar"),
    priority: str = typer.Option(None, "--priority",
                                 help="a priority/levels YAML file (default: the bundled monitor/data/priority.yaml)"),
    engine: str = ENGINE_OPT,
    lake: str = LAKE_OPT,
) -> None:
    """Build the warehouse if missing, compute indicators, evaluate the rules, rank situations and write the
    report / 运行监测主任务并生成报告."""
    if ctx.invoked_subcommand is not None:
        return
    from critmin.i18n import current_lang, t
    from critmin.monitor import run_monitor

    lang = current_lang(lang)
    res = run_monitor(out=out, lang=lang, importers=importers.strip().lower() if importers.strip().lower() == "all"
                      else importers, years=years, as_of=as_of, warehouse=warehouse, materials=materials, feed=feed,
                      rules=rules, progress=progress, save=save, priority=priority, engine=engine, lake=lake)
    counts = ", ".join(f"{t('monitor.level.' + k, lang)} {v}" for k, v in res.counts.items())
    if fmt is not None:
        df = res.alerts[res.alerts["level"].isin(["red", "orange"])]
        if fmt is Format.table:
            df = df[["id", "level", "rule_id", "importer", "material", "stage", "supplier", "metric", "value",
                     "threshold", "period"]]
        emit(df, fmt)
    if res.save_error:
        typer.echo(t("monitor.cli.not_saved", lang, reason=res.save_error), err=True)
    typer.echo(t("monitor.cli.done", lang, html=res.html, seconds=res.timings.get("total_s", 0.0), counts=counts,
                 json=res.alerts_json, csv=res.alerts_csv), err=fmt is not None and fmt is not Format.table)
    if res.situations is not None:
        sc = res.situations["level"].value_counts()
        scounts = ", ".join(f"{t('monitor.level.' + k, lang)} {int(sc.get(k, 0))}" for k in ("red", "orange", "yellow"))
        ch = res.changes["change"].value_counts() if res.changes is not None else {}
        changes = (t("monitor.cli.changed", lang, run=res.previous_run,
                     **{k: int(ch.get(k, 0)) for k in ("new", "escalated", "deescalated", "cleared")})
                   if res.previous_run else t("monitor.cli.no_previous", lang))
        typer.echo(t("monitor.cli.situations", lang, counts=scounts, n=len(res.situations), changes=changes,
                     json=res.situations_json, csv=res.situations_csv),
                   err=fmt is not None and fmt is not Format.table)


def diff_cmd(
    run: str = typer.Option(None, "--run", help="the later run id (default: the latest run)"),
    against: str = typer.Option(None, "--against", help="the earlier run id (default: the run before --run)"),
    warehouse: str = typer.Option(None, "--warehouse", help="warehouse file"),
    fmt: Format = typer.Option(Format.table, "--format", help="table|csv|json"),
    lang: str = typer.Option(None, "--lang", help="en|zh"),
) -> None:
    """New, escalated, de-escalated and cleared situations between two stored runs / 两次运行之间的态势变化."""
    from critmin.i18n import current_lang, t
    from critmin.monitor.situations import diff
    from critmin.monitor.store import load_situations, run_scope
    from critmin.warehouse.handle import Warehouse

    lang = current_lang(lang)
    with Warehouse.open(warehouse) as wh:
        after_id, after = load_situations(wh, run)
        before_id, before = load_situations(wh, against, before=None if against else after_id)
        if not after_id or not before_id:
            from critmin.errors import UsageError

            raise UsageError(t("monitor.diff.need_two", lang))
        (ia, ma), (ib, mb) = run_scope(wh, after_id), run_scope(wh, before_id)
    df = diff(after, before, (ia & ib, ma & mb))
    if df.empty:
        typer.echo(t("monitor.diff.none", lang, before=before_id, after=after_id), err=True)
        if fmt is Format.table:
            return
    df.insert(0, "run", after_id)
    df.insert(1, "against", before_id)
    emit(df, fmt)
