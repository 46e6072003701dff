"""`critmin geopolrisk`: GeoPolRisk score, CF, HHI, import risk and price (parity with geopolrisk-py 2.0.1)."""

from __future__ import annotations

import typer

from critmin.cli.output import ENGINE_OPT, LAKE_OPT, Format, country_names, emit


def register(app: typer.Typer) -> None:
    app.command("geopolrisk")(geopolrisk_cmd)


def geopolrisk_cmd(
    importer: str = typer.Option(..., "--importer", "--countries", "-c",
                                 help="ISO3 codes, groups (EU27, user groups) or country names, comma-separated "
                                      "(USA,JPN,EU27); --countries is the old name"),
    materials: str = typer.Option(None, "--materials", "-m",
                                  help="raw materials, comma-separated, geopolrisk-py names (Cobalt,Rare earth) "
                                       "or critmin ids; default: geopolrisk-py's 53 raw materials"),
    years: str = typer.Option("2018-2024", "--years", "-y", help="years, e.g. 2018-2024 or 2019,2022"),
    fmt: Format = typer.Option(Format.table, "--format", help="table|csv|json (with --out, table means csv)"),
    out: str = typer.Option(None, "--out", "-o", help="write to this file (atomically) instead of stdout"),
    warehouse: str = typer.Option(None, "--warehouse", help="DuckDB warehouse (else CRITMIN_WAREHOUSE)"),
    corrected: bool = typer.Option(False, "--corrected",
                                   help="fix geopolrisk-py's quirks instead of reproducing them (see docs)"),
    group: list[str] = typer.Option(None, "--group", "-g",
                                    help="ad-hoc group NAME=ISO3,ISO3,... (repeatable); use NAME in --importer"),
    detail: bool = typer.Option(False, "--detail",
                                help="add imports_t, imports_kusd, weighted_imports_t, production_t"),
    engine: str = ENGINE_OPT,
    lake: str = LAKE_OPT,
) -> None:
    """GeoPolRisk per economy × raw material × year / 地缘政治供应风险（GeoPolRisk）.

    Writes iso3, material (as given), year, score, cf (kg Cu-eq/kg), hhi, import_risk, price (USD/kg).
    """
    from critmin.errors import UsageError
    from critmin.i18n import t
    from critmin.indicators.geopolrisk import geopolrisk

    groups: dict[str, list[str]] = {}
    for spec in group or []:
        name, sep, members = spec.partition("=")
        if not sep or not name.strip() or not members.strip():
            raise UsageError(t("geopolrisk.bad_group", spec=spec))
        groups[name.strip()] = [m.strip() for m in members.split(",") if m.strip()]

    from critmin.indicators.engine import open_engine

    country_list = [c for c in importer.replace("，", ",").split(",") if c.strip()]
    material_list = None if materials is None else [m.strip() for m in materials.split(",") if m.strip()]
    with open_engine(engine, warehouse, lake) as wh:
        kwargs = dict(warehouse=wh, gpr_compat=not corrected, groups=groups or None, detail=detail)
        if fmt is Format.table and out is None:
            emit(geopolrisk(country_list, material_list, years, **kwargs), fmt, title=t("geopolrisk.title"),
                 names=country_names(wh))
            return
        # csv / json as plain rows (no DataFrame)
        from critmin.indicators.geopolrisk import geopolrisk_rows

        cols, rows = geopolrisk_rows(country_list, material_list, years, **kwargs)
    file_fmt = Format.csv if fmt is Format.table else fmt
    if out is None:
        import sys

        _write(cols, rows, file_fmt, sys.stdout)
        return
    import os
    import tempfile
    from pathlib import Path

    target = Path(out)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=str(target.parent.resolve()))
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            _write(cols, rows, file_fmt, fh)
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    typer.echo(t("geopolrisk.written", rows=len(rows), path=str(target)), err=True)


def _write(cols: list[str], rows: list[tuple], fmt: Format, fh) -> None:
    """CSV (floats at full precision, empty for missing) or JSON records, as ``emit`` writes them."""
    import math

    def clean(v):
        return None if isinstance(v, float) and math.isnan(v) else v

    if fmt is Format.csv:
        import csv

        from critmin.csvsafe import neutralise

        w = csv.writer(fh, lineterminator="\n")
        w.writerow([neutralise(c) for c in cols])
        w.writerows([["" if clean(v) is None else neutralise(v) for v in r] for r in rows])
    else:
        import json

        fh.write(json.dumps([{c: clean(v) for c, v in zip(cols, r, strict=True)} for r in rows],
                            ensure_ascii=False, indent=2))
        fh.write("\n")
