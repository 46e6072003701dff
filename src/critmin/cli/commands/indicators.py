"""`critmin dependency | suppliers | crma | production | reliance | reproduce` — the indicator core's faces.

Each command opens one warehouse handle and passes it to the indicator functions; importers are named by one
option, ``--importer`` (ISO3 codes, groups incl. user groups, country names; comma-separated)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import typer

from critmin.cli.output import (
    ENGINE_OPT,
    FORMAT_OPT,
    LAKE_OPT,
    OUT_OPT,
    WAREHOUSE_OPT,
    Format,
    check_lang,
    country_names,
    emit,
)
from critmin.errors import EmptyResult

YEARS_OPT = typer.Option(None, "--years", help="e.g. 2015-2024, 2018,2020 or 2024 (default: all)")
IMPORTER_HELP = "ISO3 codes, groups (EU27, G7, MSP, user groups) or country names; comma-separated"
LANG_OPT = typer.Option(None, "--lang", callback=check_lang, help="en|zh: table headers, names, --explain (else CRITMIN_LANG)")
TRADE_SOURCE_OPT = typer.Option("baci", "--source", help="baci (reconciled BACI flows) or comtrade (your ingested "
                                "Comtrade extracts, importer-declared, partner-declared where the importer is silent)")


class BasisOpt(StrEnum):
    value = "value"
    qty = "qty"


def register(app: typer.Typer) -> None:
    app.command("dependency")(dependency)
    app.command("suppliers")(suppliers)
    app.command("crma", help=_crma_help())(crma)
    app.command("production")(production)
    app.command("reliance")(reliance)
    app.command("reproduce")(reproduce)


def _crma_cap() -> float:
    """The catalog's CRMA single-third-country cap (benchmarks.yaml), for the help texts."""
    from critmin.indicators.crma import default_cap

    return default_cap()


def _crma_help() -> str:
    pct = f"{_crma_cap() * 100:g}"
    return (f"Materials and stages above the CRMA {pct} % single-third-country cap / "
            f"超过《关键原材料法案》{pct}%上限的品种与环节.")


def _years(spec):
    from critmin.indicators.years import parse_years

    return parse_years(spec)


def _open(warehouse, engine=None, lake=None):
    """The command's one handle: the DuckDB warehouse, or with ``--engine spark`` the Spark handle on its lake."""
    from critmin.indicators.engine import open_engine

    return open_engine(engine, warehouse, lake)


def _explain(df, wh, lang) -> None:
    from critmin.i18n import current_lang
    from critmin.indicators.explain import explain

    lang = current_lang(lang)

    cols = list(df.columns)
    ids = None
    if "provenance_ids" in cols:
        i = cols.index("provenance_ids")
        ids = [r[i] for r in df.rows] if hasattr(df, "rows") else df["provenance_ids"]
    emit(explain(cols, wh, lang, ids), Format.table, title="definitions, units and sources / 口径、单位与来源")


def dependency(
    importer: str = typer.Option(..., "--importer", help=IMPORTER_HELP),
    material: str = typer.Option(None, "--material", help="material id or name, e.g. rare_earths"),
    stage: str = typer.Option(None, "--stage", help="ore_concentrate | processed_refined | metal | compound | "
                              "manufactured | scrap"),
    hs6: str = typer.Option(None, "--hs6", help="comma-separated HS6 codes instead of / within a material "
                            "(any code in the trade data, catalogued or not)"),
    years: str = YEARS_OPT,
    basis: BasisOpt = typer.Option(BasisOpt.value, "--basis", help="value (thousand USD) or qty (tonnes)"),
    by: str = typer.Option(None, "--by", help="material | stage | hs6"),
    fmt: Format = FORMAT_OPT,
    explain: bool = typer.Option(False, "--explain", help="print definitions, sources and vintages"),
    lang: str = LANG_OPT,
    source: str = TRADE_SOURCE_OPT,
    out: Path = OUT_OPT,
    warehouse: Path = WAREHOUSE_OPT,
    engine: str = ENGINE_OPT,
    lake: Path = LAKE_OPT,
) -> None:
    """Supplier concentration and dependency by year / 进口依赖与供应集中度."""
    from critmin.indicators.dependency import dependency_rows as run

    with _open(warehouse, engine, lake) as wh:
        df = run(importer, material, stage, hs6.split(",") if hs6 else None, years, basis.value, by, wh,
                 source=source)
        emit(df, fmt, title=f"{importer} · {material or hs6} · {basis.value}", path=out,
             names=country_names(wh, lang), lang=lang)
        if explain:
            _explain(df, wh, lang)


def suppliers(
    importer: str = typer.Option(..., "--importer", help=IMPORTER_HELP),
    material: str = typer.Option(None, "--material"),
    stage: str = typer.Option(None, "--stage"),
    years: str = YEARS_OPT,
    basis: BasisOpt = typer.Option(BasisOpt.value, "--basis"),
    top: int = typer.Option(10, "--top", help="largest N suppliers per year"),
    hs6: str = typer.Option(None, "--hs6", help="comma-separated HS6 codes instead of / within a material "
                            "(any code in the trade data, catalogued or not)"),
    fmt: Format = FORMAT_OPT,
    source: str = TRADE_SOURCE_OPT,
    out: Path = OUT_OPT,
    warehouse: Path = WAREHOUSE_OPT,
    engine: str = ENGINE_OPT,
    lake: Path = LAKE_OPT,
) -> None:
    """Supplier shares per year, rank 1 = largest / 各供应国份额（第 1 名为最大）."""
    from critmin.indicators.dependency import suppliers_rows as run
    from critmin.tabletext import Rows

    with _open(warehouse, engine, lake) as wh:
        df = run(importer, material, stage, hs6.split(",") if hs6 else None, years, basis.value, wh, source=source,
                 top=top)
        r = df.columns.index("rank")  # people count from 1 (the statement ranks from 0)
        df = Rows(df.columns, [(*row[:r], row[r] + 1, *row[r + 1:]) for row in df.rows], df.numeric)
        emit(df, fmt, title=f"suppliers of {importer} · {material or hs6}", path=out,
             names=country_names(wh))


def crma(
    importer: str = typer.Option("EU27", "--importer", help=IMPORTER_HELP),
    years: str = YEARS_OPT,
    cap: float = typer.Option(None, "--cap", show_default=False,
                              help=f"single-country cap, a fraction (default: the catalog's CRMA benchmark, "
                                   f"{_crma_cap():g})"),
    material: str = typer.Option(None, "--material", help="restrict to comma-separated materials"),
    all_rows: bool = typer.Option(False, "--all", help="list every material × stage × year, not only breaches"),
    fmt: Format = FORMAT_OPT,
    explain: bool = typer.Option(False, "--explain"),
    lang: str = LANG_OPT,
    out: Path = OUT_OPT,
    warehouse: Path = WAREHOUSE_OPT,
    engine: str = ENGINE_OPT,
    lake: Path = LAKE_OPT,
) -> None:
    """Materials and stages above the CRMA single-third-country cap (help text: :func:`_crma_help`)."""
    from critmin.i18n import t
    from critmin.indicators.crma import crma_rows, default_cap

    cap = default_cap() if cap is None else cap
    with _open(warehouse, engine, lake) as wh:
        df = crma_rows(importer, years, cap, material.split(",") if material else None, wh,
                        only_breaches=not all_rows)
        if df.empty:
            have = wh.trade_years()
            key = "cli.crma.no_breach" if set(_years(years) or have) & set(have) else "cli.no_years"
            raise EmptyResult(t(key, lang, years=years or "all", cap=f"{cap:.0%}", first=have[0], last=have[-1]))
        emit(df, fmt, title=f"CRMA single-country check · {importer} · cap {cap:.0%}", path=out,
             names=country_names(wh, lang), lang=lang)
        if explain:
            _explain(df, wh, lang)


def production(
    material: str = typer.Option(None, "--material", help="material id/name or WMD commodity (default: all)"),
    years: str = YEARS_OPT,
    fmt: Format = FORMAT_OPT,
    out: Path = OUT_OPT,
    warehouse: Path = WAREHOUSE_OPT,
    engine: str = ENGINE_OPT,
    lake: Path = LAKE_OPT,
) -> None:
    """Producer concentration per commodity and year (World Mining Data) / 生产集中度."""
    from critmin.indicators.production import production_concentration

    with _open(warehouse, engine, lake) as wh:
        df = production_concentration(material, years, wh)
        emit(df, fmt, title="production concentration", path=out, names=country_names(wh))


def reliance(
    importer: str = typer.Option(..., "--importer", help=IMPORTER_HELP),
    material: str = typer.Option(..., "--material"),
    years: str = YEARS_OPT,
    fmt: Format = FORMAT_OPT,
    out: Path = OUT_OPT,
    warehouse: Path = WAREHOUSE_OPT,
    engine: str = ENGINE_OPT,
    lake: Path = LAKE_OPT,
) -> None:
    """Net import reliance (I − E) / (P + I − E) / 净进口依存度."""
    from critmin.indicators.production import import_reliance

    with _open(warehouse, engine, lake) as wh:
        df = import_reliance(importer, material, years, wh)
        emit(df, fmt, title=f"import reliance · {importer}", path=out, names=country_names(wh))


def reproduce(
    name: str = typer.Argument(..., help="seed002-table1 | seed002-fig1 | seed001-china-top-producer"),
    fmt: Format = FORMAT_OPT,
    warehouse: Path = WAREHOUSE_OPT,
) -> None:
    """Reproduce a published table from the seeds, side by side with print / 复现文献中的表格."""
    from critmin.errors import UsageError
    from critmin.indicators.reproduce import REPRODUCTIONS

    if name not in REPRODUCTIONS:
        raise UsageError(f"unknown reproduction '{name}'; available: {', '.join(REPRODUCTIONS)}")
    with _open(warehouse) as wh:
        rep = REPRODUCTIONS[name](wh)
    emit(rep.table, fmt, title=name)
    if fmt is Format.table:
        for note in rep.notes:
            typer.echo(f"- {note}")
