"""`critmin alerts ...`: the early-warning rules and evaluation of operational feeds / 预警规则与运行数据预警."""

from __future__ import annotations

import typer

from critmin.cli.output import FORMAT_OPT, Format, emit


def register(app: typer.Typer) -> None:
    sub = typer.Typer(help="Early-warning rules and alerts / 预警规则与预警", no_args_is_help=True)
    sub.command("rules")(rules_cmd)
    sub.command("feed")(feed_cmd)
    app.add_typer(sub, name="alerts")


def rules_cmd(
    rules: str = typer.Option(None, "--rules", help="a rules YAML file (default: the built-in rule set)"),
    fmt: Format = FORMAT_OPT,
) -> None:
    """List the early-warning rules with their thresholds / 列出预警规则及阈值."""
    from critmin.alerts.rules import load_rules, rules_frame
    from critmin.i18n import t

    df = rules_frame(load_rules(rules))
    if fmt is Format.table:
        df = df.drop(columns=["title_zh", "cites"])
    emit(df, fmt, title=t("alerts.rules.title", count=len(df)))


def feed_cmd(
    file: str = typer.Argument(..., help="operational feed CSV (schema: docs/alerts.md)"),
    rules: str = typer.Option(None, "--rules", help="a rules YAML file (default: the built-in rule set)"),
    latest: bool = typer.Option(False, "--latest", help="only alerts on each series' last period"),
    fmt: Format = FORMAT_OPT,
) -> None:
    """Evaluate the rules over an operational feed and list the alerts / 按规则评估运行数据并列出预警."""
    from critmin.alerts import alerts_frame, evaluate, load_feed, load_rules
    from critmin.i18n import t

    series = load_feed(file)
    alerts = evaluate(load_rules(rules), series, latest_only=latest)
    df = alerts_frame(alerts)
    if fmt is Format.table:
        df = df.drop(columns=["id", "title_zh", "source", "vintage", "comparison"])
    emit(df, fmt, title=t("alerts.feed.title", file=file, count=len(alerts)))
