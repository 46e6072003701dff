"""`critmin build`, `critmin ingest baci|comtrade|file`, `critmin sources`, `critmin summary`, `critmin catalog`."""

from __future__ import annotations

from pathlib import Path

import typer

from critmin.cli.output import FORMAT_OPT, WAREHOUSE_OPT, Format, Rows, check_lang, country_names, emit


def register(app: typer.Typer) -> None:
    app.command("build")(build)
    app.command("sources")(sources)
    app.command("summary")(summary)
    app.command("tables")(tables)
    app.command("export")(export)
    app.command("mirror")(mirror)
    ingest = typer.Typer(help="Add user data files to the warehouse / 导入用户数据文件", no_args_is_help=True)
    ingest.command("baci")(ingest_baci)
    ingest.command("comtrade")(ingest_comtrade)
    ingest.command("file")(ingest_file)
    app.add_typer(ingest, name="ingest")
    catalog = typer.Typer(help="Browse the catalog / 浏览目录数据", no_args_is_help=True)
    catalog.command("materials")(catalog_materials)
    catalog.command("members")(catalog_members)
    catalog.command("lists")(catalog_lists)
    app.add_typer(catalog, name="catalog")


def build(
    warehouse: Path = WAREHOUSE_OPT,
    force: bool = typer.Option(False, "--force", help="rebuild even if inputs are unchanged"),
    dry_run: bool = typer.Option(False, "--dry-run", help="say what would be rebuilt, change nothing"),
    only: list[str] = typer.Option(None, "--only", help="rebuild only these layers: catalog, trade, production, governance"),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="no progress bar"),
    source: str = typer.Option(None, "--source", help="base dataset: geopolrisk_bundle (the full bundled data) or "
                               "demo (a small cut); default: the one the warehouse was built from, else the bundle"),
) -> None:
    """Build the warehouse from the bundled data, atomically, rebuilding only the layers whose inputs changed /
    由内置数据构建数据仓库（原子操作，仅重建输入有变化的层）."""
    from critmin.i18n import t
    from critmin.settings import warehouse_path
    from critmin.warehouse.build import build_warehouse

    path = warehouse_path(warehouse)
    if not quiet and not dry_run:
        typer.echo(t("build.start", path=path))
    report = build_warehouse(path, force=force, dry_run=dry_run, progress=not quiet, only=only, source=source)
    if dry_run or not report.built:
        for line in report.plan:
            typer.echo(line)
        if not report.built and not dry_run:
            typer.echo(t("build.unchanged", path=path))
        return
    typer.echo(t("build.done", path=path, seconds=report.seconds))
    for line in report.plan:
        typer.echo(f"  {line}")
    for table, n in report.rows.items():
        typer.echo(f"  {table}: {n:,} rows")
    if report.carried_over:
        typer.echo(f"  carried over: {', '.join(report.carried_over)}")


REPLACE_OPT = typer.Option(False, "--replace", help="allow the files to replace rows already in the warehouse "
                           "(same years and HS6 codes); without it such a file is refused")
DRY_RUN_OPT = typer.Option(False, "--dry-run", help="check everything and say what would be added and replaced; "
                           "write nothing")
ALLOW_UNKNOWN_OPT = typer.Option(False, "--allow-unknown", help="load rows with unknown country codes and report them")


def _print_reports(reports) -> None:
    from critmin.i18n import t

    for r in reports:
        if r.dry_run:
            typer.echo(t("warehouse.dry_run", file=r.file, rows=f"{r.rows:,}", table=r.table))
        else:
            typer.echo(t("ingest.done", rows=f"{r.rows:,}", files=1, table=r.table) + f"  [{r.file}]")
        for d in r.replaced_detail:
            typer.echo(t("warehouse.would_replace" if r.dry_run else "warehouse.replaced",
                         **{**d, "rows": f"{d['rows']:,}"}))
        if r.uncatalogued:
            typer.echo(t("warehouse.uncatalogued", rows=f"{r.uncatalogued:,}", codes=r.uncatalogued_codes))
        if r.uv_flagged:
            typer.echo(t("warehouse.uv_flagged", rows=f"{r.uv_flagged:,}"))
        if r.one_to_many:
            typer.echo(t("warehouse.one_to_many", codes=len(r.one_to_many), list="; ".join(
                f"{c}→{d} (links {ln})" for c, d, ln in r.one_to_many[:10]) + (" …" if len(r.one_to_many) > 10 else "")))
        if r.skipped_aggregates:
            typer.echo(f"  skipped {r.skipped_aggregates:,} aggregate/breakdown rows (World partner, partner2, mode, customs)")
        if r.unknown_codes:
            typer.echo(f"  loaded with unknown country codes (allowed): {', '.join(map(str, r.unknown_codes))}")


def ingest_baci(
    files: list[Path] = typer.Argument(..., help="BACI CSV files as CEPII publishes them (t,i,j,k,v,q)"),
    warehouse: Path = WAREHOUSE_OPT,
    allow_unknown: bool = ALLOW_UNKNOWN_OPT,
    replace: bool = REPLACE_OPT,
    dry_run: bool = DRY_RUN_OPT,
    hs_revision: str = typer.Option(None, "--hs-revision", help="HS revision of files whose name does not state "
                                    "it (CEPII's BACI_HS92_Y2022_V202401b.csv does): HS92 … HS22"),
    correlation: Path = typer.Option(None, "--correlation", help="your HS correlation CSV (header e.g. "
                                     "HS17,HS92[,share]) converting a later revision's codes to HS92; "
                                     "overrides the bundled UNSD table of HS17 and HS22 (docs/warehouse.md)"),
    quiet: bool = typer.Option(False, "--quiet", "-q"),
) -> None:
    """Add full BACI CSV files to the trade table; replacing rows needs --replace / 导入 BACI 原始 CSV 文件."""
    from critmin.warehouse.ingest import ingest_baci as run

    _print_reports(run(files, warehouse, allow_unknown=allow_unknown, progress=not quiet, replace=replace,
                       dry_run=dry_run, hs_revision=hs_revision, correlation=correlation))


def ingest_comtrade(
    files: list[Path] = typer.Argument(..., help="UN Comtrade CSV exports (comtradeapicall columns)"),
    warehouse: Path = WAREHOUSE_OPT,
    allow_unknown: bool = ALLOW_UNKNOWN_OPT,
    replace: bool = REPLACE_OPT,
    dry_run: bool = DRY_RUN_OPT,
    quiet: bool = typer.Option(False, "--quiet", "-q"),
) -> None:
    """Add UN Comtrade CSV exports to trade_comtrade / 导入联合国商品贸易统计导出文件."""
    from critmin.warehouse.ingest import ingest_comtrade as run

    _print_reports(run(files, warehouse, allow_unknown=allow_unknown, progress=not quiet, replace=replace,
                       dry_run=dry_run))


def ingest_file(
    files: list[Path] = typer.Argument(..., help="user files; each is read by the adapter that recognises it"),
    warehouse: Path = WAREHOUSE_OPT,
    allow_unknown: bool = ALLOW_UNKNOWN_OPT,
    replace: bool = REPLACE_OPT,
    dry_run: bool = DRY_RUN_OPT,
    quiet: bool = typer.Option(False, "--quiet", "-q"),
) -> None:
    """Add user files of any known format (BACI, Comtrade, …), recognised by their header / 自动识别格式导入文件."""
    from critmin.warehouse.ingest import ingest_files as run

    _print_reports(run(files, warehouse, allow_unknown=allow_unknown, progress=not quiet, replace=replace,
                       dry_run=dry_run))


def sources(warehouse: Path = WAREHOUSE_OPT, fmt: Format = FORMAT_OPT) -> None:
    """List the provenance of every loaded file: source, vintage, licence, rows, sha256 / 数据来源."""
    import critmin
    from critmin.i18n import t
    from critmin.warehouse.unit_value import method_note

    with critmin.open(warehouse) as wh:
        emit(wh.provenance(), fmt, title=t("sources.title"))
    if fmt is Format.table:
        typer.echo("uv_flagged: " + method_note())


def mirror(
    hs6: str = typer.Option(None, "--hs6", help="comma-separated HS6 codes"),
    material: str = typer.Option(None, "--material", help="a material's HS6 codes"),
    years: str = typer.Option(None, "--years", help="e.g. 2020-2023"),
    fmt: Format = FORMAT_OPT,
    warehouse: Path = WAREHOUSE_OPT,
) -> None:
    """Each Comtrade flow as the importer and the exporter declared it, beside BACI / 镜像统计：进口方与出口方申报对比."""
    from critmin.indicators.mirror import mirror as run

    emit(run(hs6.split(",") if hs6 else None, material, years, warehouse), fmt,
         title="mirror statistics: importer (CIF) vs exporter (FOB) declarations vs BACI")


def summary(warehouse: Path = WAREHOUSE_OPT, fmt: Format = FORMAT_OPT) -> None:
    """Rows and years per table, and the largest importers of rare earths / 数据仓库概览."""
    import critmin
    from critmin.i18n import t

    with critmin.open(warehouse) as wh:
        emit(wh.summary(), fmt, title=t("summary.title"))
        if fmt is Format.table:
            top = wh.sql("""
                SELECT t.year, t.importer, round(sum(t.value_kusd) / 1000, 1) AS value_musd,
                       round(sum(t.qty_t), 0) AS qty_t
                FROM trade t JOIN material_hs6 m USING (hs6)
                WHERE m.material_id = 'rare_earths' AND t.year = (SELECT max(year) FROM trade)
                GROUP BY ALL ORDER BY value_musd DESC LIMIT 8""").df()
            emit(top, fmt, title=t("summary.top_rare_earths"), names=country_names(wh))


def tables(warehouse: Path = WAREHOUSE_OPT, fmt: Format = FORMAT_OPT) -> None:
    """List the warehouse's tables / 列出数据表."""
    import critmin

    with critmin.open(warehouse) as wh:
        names = wh.tables()
    if fmt is Format.table:  # one name a line, as before: easy to read and to pipe
        for name in names:
            typer.echo(name)
        return
    emit(Rows(["table"], [(n,) for n in names]), fmt)


def export(
    out: Path = typer.Option(None, "--out", help="lake folder (default: $CRITMIN_LAKE, else the warehouse path "
                             "with .lake, where --engine spark looks)"),
    table: list[str] = typer.Option(None, "--table", help="tables to export (default: all but build_history)"),
    replace: bool = typer.Option(False, "--replace", help="replace an existing lake at --out without asking"),
    verify: bool = typer.Option(False, "--verify", help="re-read every written file and check its rows, bytes "
                                "and sha256 against the manifest"),
    warehouse: Path = WAREHOUSE_OPT,
) -> None:
    """Export the warehouse as a Parquet lake (partitioned by year, with a manifest) for Spark /
    导出为 Parquet 数据湖（按年分区，附清单），供 Spark 使用."""
    import sys

    from critmin.errors import UsageError
    from critmin.i18n import t
    from critmin.indicators.engine import lake_path
    from critmin.warehouse.lake import export_lake, is_lake, read_manifest, verify_lake

    path = lake_path(out, warehouse)
    if is_lake(path) and not replace:
        if not sys.stdin.isatty():
            raise UsageError(t("lake.refuse_replace", path=path))
        created = read_manifest(path).get("created_at", "?")
        if not typer.confirm(t("lake.confirm_replace", path=path, created=created), default=False):
            raise typer.Exit(1)
        replace = True
    rep = export_lake(path, warehouse, table or None, replace=replace,
                      progress=lambda name: typer.echo(t("lake.table", table=name), err=True))
    typer.echo(t("lake.done", path=rep.path, tables=len(rep.tables), rows=f"{sum(rep.tables.values()):,}",
                 files=rep.files, mb=rep.bytes / 1e6, seconds=rep.seconds,
                 replaced=t("lake.replaced") if rep.replaced else ""))
    if verify:
        verify_lake(rep.path)
        typer.echo(t("lake.verified"))


def catalog_materials(fmt: Format = FORMAT_OPT, lang: str = typer.Option("en", "--lang", callback=check_lang, help="en|zh")) -> None:
    """Materials, their HS6 codes, stages, coverage and the reason of each mapping / 矿产品种及其 HS6 编码、环节与归类理由."""
    import pandas as pd

    from critmin.catalog import load_catalog

    cat = load_catalog()
    rows = [{"material": m.id, "name": m.name(lang), "hs6": h.hs6, "stage": h.stage, "coverage": h.coverage
             + (f" ({', '.join(h.shared_with)})" if h.shared_with else ""), "last_year": h.last_year,
             "wmd_commodity": m.wmd_commodity, "reason": h.reason} for m in cat.materials.values() for h in m.hs]
    rows += [{"material": m.id, "name": m.name(lang), "hs6": None, "stage": None, "coverage": "group of "
              + ", ".join(m.members), "last_year": None, "wmd_commodity": None, "reason": m.note}
             for m in cat.materials.values() if m.members]
    emit(pd.DataFrame(rows).astype({"last_year": "Int64"}), fmt, title="critmin materials")


def catalog_members(group: str = typer.Argument(..., help="group id or name, e.g. EU27, EU28, EU, G7, OECD, "
                                                               "MSP, a user group, 欧盟27国"),
                    year: int = typer.Option(..., "--year"), fmt: Format = FORMAT_OPT,
                    lang: str = typer.Option("en", "--lang", callback=check_lang, help="en|zh")) -> None:
    """Members of a country group in a year / 某年的国家集团成员."""
    import pandas as pd

    from critmin.catalog.economies import resolve_one
    from critmin.errors import UsageError

    econ = resolve_one(group, what="group")
    members = econ.members(year)
    if econ.is_group and not members:
        g = econ.catalog.groups[econ.id]
        raise UsageError(f"group {econ.id} exists for years {g.valid_from or '…'}–{g.valid_to or '…'}, not {year}")
    cat = econ.catalog
    emit(pd.DataFrame({"iso3": members, "name": [cat.country_name(m, lang) for m in members]}), fmt,
         title=f"{econ.id} {year}: {len(members)}")


def catalog_lists(fmt: Format = FORMAT_OPT) -> None:
    """Critical-mineral lists with their source / 关键矿产清单."""
    import pandas as pd

    from critmin.catalog import load_catalog

    rows = [{"list": c.id, "name": c.name_en, "名称": c.name_zh, "items": len(c.items), "date": c.date,
             "citation": c.citation} for c in load_catalog().critical_lists.values()]
    emit(pd.DataFrame(rows), fmt, title="critical lists")
