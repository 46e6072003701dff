"""`critmin monitor`: the main job — indicators, early-warning rules and the offline monitoring report /
主任务：指标、预警规则与离线监测报告."""

from __future__ import annotations

import typer

from critmin.cli.output import ENGINE_OPT, LAKE_OPT, Format, check_lang, emit


def register(app: typer.Typer) -> None:
    app.command("monitor")(monitor_cmd)


def monitor_cmd(
    out: str = typer.Option("critmin-report", "--out", help="folder for report.html, alerts.json and alerts.csv"),
    lang: str = typer.Option(None, "--lang", callback=check_lang, help="report language: en|zh (headings stay bilingual)"),
    importers: str = typer.Option("EU27,USA,JPN,CHN", "--importer", "--importers",
                                  help="ISO3 codes, groups (EU27, G7, MSP, user groups) or country names; comma-separated"),
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
    engine: str = ENGINE_OPT,
    lake: str = LAKE_OPT,
) -> None:
    """Build the warehouse if missing, compute indicators, evaluate the rules and write the report /
    运行监测主任务并生成报告."""
    from critmin.i18n import current_lang, t
    from critmin.monitor import run_monitor

    lang = current_lang(lang)
    res = run_monitor(out=out, lang=lang, importers=importers, years=years, as_of=as_of, warehouse=warehouse,
                      materials=materials, feed=feed, rules=rules, progress=progress, save=save,
                      engine=engine, lake=lake)
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
