"""`critmin geopolrisk`: GeoPolRisk score, CF, HHI, import risk and price (parity with geopolrisk-py 2.0.1)."""

from __future__ import annotations

import typer

from critmin.cli.output import Format, emit


def register(app: typer.Typer) -> None:
    app.command("geopolrisk")(geopolrisk_cmd)


def geopolrisk_cmd(
    countries: str = typer.Option(..., "--countries", "-c",
                                  help="ISO3 codes and/or group ids, comma-separated (USA,JPN,EU27)"),
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
                                    help="ad-hoc group NAME=ISO3,ISO3,... (repeatable); use NAME in --countries"),
    detail: bool = typer.Option(False, "--detail",
                                help="add imports_t, imports_kusd, weighted_imports_t, production_t"),
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

    df = geopolrisk(
        [c for c in countries.split(",") if c.strip()],
        None if materials is None else [m.strip() for m in materials.split(",") if m.strip()],
        years,
        warehouse=warehouse,
        gpr_compat=not corrected,
        groups=groups or None,
        detail=detail,
    )
    if out is None:
        emit(df, fmt, title=t("geopolrisk.title"))
        return
    import os
    import tempfile
    from pathlib import Path

    target = Path(out)
    file_fmt = Format.csv if fmt is Format.table else fmt
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=str(target.parent.resolve()))
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            emit(df, file_fmt, out=fh)
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    typer.echo(t("geopolrisk.written", rows=len(df), path=str(target)), err=True)
