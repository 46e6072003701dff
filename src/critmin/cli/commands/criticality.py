"""`critmin criticality` (the EU method per economy × material × year, trends, comparison with the published
scores, HTML figures) and `critmin critical-lists` (the official lists side by side)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import typer

from critmin.cli.output import FORMAT_OPT, WAREHOUSE_OPT, Format, emit


class View(StrEnum):
    rows = "rows"
    trend = "trend"
    compare = "compare"
    agreement = "agreement"


class ListView(StrEnum):
    matrix = "matrix"
    leaders = "leaders"
    items = "items"
    seed = "seed"


def register(app: typer.Typer) -> None:
    app.command("criticality")(criticality)
    app.command("critical-lists")(critical_lists)


def _emit(df, fmt: Format, title: str, out: Path | None) -> None:
    if out is None:
        emit(df, fmt, title=title)
        return
    import io

    from critmin.atomic import write_text
    from critmin.i18n import t

    buf = io.StringIO()
    emit(df, Format.csv if fmt is Format.table else fmt, title=title, out=buf)
    write_text(out, buf.getvalue())
    typer.echo(t("criticality.written", path=str(out)), err=True)


def criticality(
    economy: str = typer.Option("EU27", "--economy", "-e",
                                help="ISO3 code, group (EU27, user groups) or country name; comma-separated for several"),
    year: int = typer.Option(None, "--year", "-y", help="one year (default: every year with production data)"),
    years: str = typer.Option(None, "--years", help="several years, e.g. 2018-2024 (instead of --year)"),
    materials: str = typer.Option(None, "--materials", "-m", help="material ids or names, comma-separated"),
    view: View = typer.Option(View.rows, "--view",
                              help="rows | trend (threshold crossings per material) | compare (published "
                                   "scores) | agreement (SR >= 1 against the 2023 list)"),
    wgi: list[str] = typer.Option(None, "--wgi", help="scenario: a supplier's scaled governance score 0-10 "
                                                      "(10 = worst) in every year, e.g. CHN=8 (repeatable)"),
    eol_rir_factor: float = typer.Option(1.0, "--eol-rir-factor", help="scenario: multiply every EoL-RIR"),
    eol_rir: list[str] = typer.Option(None, "--eol-rir", help="scenario: set a material's EoL-RIR, e.g. "
                                                              "cobalt=0.3 (repeatable)"),
    include_unverified: bool = typer.Option(False, "--include-unverified",
                                            help="use values marked unverified in the data files (the recalled "
                                                 "2020 EI); off: EI and 'critical' stay unknown"),
    window: int = typer.Option(1, "--window", help="sum each year's inputs over this many years ending with it "
                                                   "(5 = the Commission's five-year averages)"),
    html: Path = typer.Option(None, "--html", help="also write the SR-EI scatter and trend figures to this HTML file"),
    out: Path = typer.Option(None, "--out", "-o", help="write the table to this file (atomically)"),
    fmt: Format = FORMAT_OPT,
    warehouse: Path = WAREHOUSE_OPT,
) -> None:
    """Criticality by the EU method (SR, EI, critical) / 按欧盟方法评估关键性（供应风险、经济重要性）.

    One row per economy × material × year with every input and its provenance; SR without cited EoL-RIR and
    SI_SR is an upper bound (see docs/criticality.md).
    """
    from critmin.criticality.assessment import (
        assess,
        classification_agreement,
        compare_published,
        threshold_crossings,
    )
    from critmin.criticality.figures import write_html
    from critmin.errors import UsageError
    from critmin.i18n import t
    from critmin.warehouse.handle import Warehouse

    if year is not None and years:
        raise UsageError("give --year or --years, not both")
    with Warehouse.open(warehouse) as wh:
        df = assess(economy, year if year is not None else years, materials, wgi=wgi, eol_rir_factor=eol_rir_factor,
                    eol_rir=eol_rir, include_unverified=include_unverified, window=window, warehouse=wh)
    span = f"{df['year'].min()}-{df['year'].max()}" if len(df) else "-"
    if html is not None:
        write_html(html, df)
        typer.echo(t("criticality.written", path=str(html)), err=True)
    if view is View.trend:
        _emit(threshold_crossings(df), fmt, t("criticality.trend_title", economy=economy), out)
    elif view is View.compare:
        _emit(compare_published(df[df["year"] == df["year"].max()]), fmt,
              t("criticality.compare_title", assessment="eu_2020"), out)
    elif view is View.agreement:
        _emit(classification_agreement(df[df["year"] == df["year"].max()]), fmt,
              t("criticality.compare_title", assessment="eu_2023"), out)
    else:
        _emit(df, fmt, t("criticality.title", economy=economy, years=span), out)


def critical_lists(
    view: ListView = typer.Option(ListView.matrix, "--view",
                                  help="matrix (materials x lists) | leaders (largest producer / import source "
                                       "counts by country) | items (one row per list item) | seed (seed 001's "
                                       "counts beside ours)"),
    lists: str = typer.Option(None, "--lists", help="list ids, comma-separated (default: all in the catalog)"),
    year: int = typer.Option(None, "--year", help="data year for leaders/items/seed (default: each list's year)"),
    out: Path = typer.Option(None, "--out", "-o", help="write the table to this file (atomically)"),
    fmt: Format = FORMAT_OPT,
    warehouse: Path = WAREHOUSE_OPT,
) -> None:
    """Official critical lists side by side / 各国关键矿产清单对照."""
    from critmin.criticality.lists import list_items, list_leaders, lists_matrix, seed_reconciliation
    from critmin.i18n import t
    from critmin.warehouse.handle import Warehouse

    ids = [x.strip() for x in lists.split(",") if x.strip()] if lists else None
    if view is ListView.matrix:
        _emit(lists_matrix(ids), fmt, t("criticality.lists_title"), out)
        return
    with Warehouse.open(warehouse) as wh:
        if view is ListView.leaders:
            df = list_leaders(year, ids, warehouse=wh)
        elif view is ListView.items:
            df = list_items(year, ids, warehouse=wh)
        else:
            df = seed_reconciliation(year, warehouse=wh)
    _emit(df, fmt, t("criticality.leaders_title"), out)
