"""GeoPolRisk: geopolitical supply risk of a raw material for an economy (country or group) and year.

Method (Gemechu et al. 2016; Koyamparambath et al. 2024; geopolrisk-py 2.0.1, JOSS 2025)::

    score_{A,c}   = HHI_A · IR_{A,c}
    IR_{A,c}      = Σ_i g_i · f_{A,i,c} / (F_{A,c} + p_{A,c})              "import risk", 0–1
    HHI_A         = Σ_k P_{A,k}² / (Σ_k P_{A,k})²                          world production concentration, 0–1
    g_i           = (2.5 − PV_i) / 5, clipped to [0, 1]                     political (in)stability of exporter i
    price_{A,c}   = Σ_i v_{A,i,c} / Σ_i f_{A,i,c}                           unit value, kUSD/t = USD/kg
    CF_{A,c}      = score_{A,c} · price_{A,c} / CF_Cu                       kg Cu-eq/kg

with f_{A,i,c} the imports of raw material A by economy c from exporter i (BACI, tonnes, summed over the HS6
codes geopolrisk-py maps to A), F_{A,c} = Σ_i f_{A,i,c}, v the BACI values (FOB, thousand USD),
p_{A,c} the domestic production of A (World Mining Data), PV_i the WGI "Political Stability and Absence of
Violence/Terrorism" estimate of exporter i in the trade year. For a group, imports and production are summed
over the members and imports from members get g = 0. Sources: trade = ``trade`` table (BACI HS92 V202401b),
production = ``production`` table (World Mining Data 2018–2024), governance = ``governance`` table
(indicator ``pv_normalized``, the normalised score as bundled with geopolrisk-py; ``pv_estimate`` in
corrected mode).

Everything is one DuckDB SQL statement over the warehouse (no loops over rows). By default
(``gpr_compat=True``) the numbers equal geopolrisk-py 2.0.1 on its bundled data to a relative 1e-9; each of its
quirks is reproduced behind a named field of :class:`GprOptions` and documented in ``docs/geopolrisk.md``.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, fields, replace
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from critmin.errors import CatalogError, UsageError
from critmin.indicators.years import parse_years  # noqa: F401 - re-exported for callers

if TYPE_CHECKING:  # pragma: no cover
    import duckdb
    import pandas as pd

DATA_DIR = Path(__file__).parent
MATERIALS_FILE = DATA_DIR / "gpr_materials.csv"
COMPAT_FILE = DATA_DIR / "gpr_compat.yaml"

OUTPUT_COLUMNS = ["iso3", "material", "year", "score", "cf", "hhi", "import_risk", "price"]
DETAIL_COLUMNS = ["imports_t", "imports_kusd", "weighted_imports_t", "production_t"]


# --------------------------------------------------------------------------------------------------- options
@dataclass(frozen=True)
class GprOptions:
    """Switches for each place where geopolrisk-py 2.0.1 departs from the method as published.

    The defaults reproduce the package (``GprOptions()`` == ``GprOptions.compat()``);
    :meth:`corrected` turns every fix on. See docs/geopolrisk.md for the evidence behind each quirk.
    """

    hhi_truncate: bool = True
    """Quirk 4: production figures are cut to whole units (``astype(int)``, truncation) before the HHI."""
    g_source: Literal["normalized", "estimate"] = "normalized"
    """Quirk 1/11: 'normalized' uses the bundled normalised WGI table, in which a missing estimate is
    stored as 0 (= no risk) for some territories; 'estimate' recomputes g = clip((2.5 − PV)/5, 0, 1)
    from the estimate, so a missing estimate becomes missing (→ ``missing_g``)."""
    missing_g: float | None = None
    """Quirk 2: g of an exporter with no WGI value that year; None = the package's 0.5."""
    wgi_unjoined: bool = True
    """Quirk 12: WGI economies the package cannot attach to trade rows (no BACI code in its WGI table:
    Taiwan, Puerto Rico, ...) count as missing."""
    intra_group: Literal["zero_risk", "exclude"] = "zero_risk"
    """Quirk 3: for a group, imports from members stay in the denominator with g = 0 ('zero_risk', the
    package and the paper); 'exclude' drops intra-group trade from numerator, denominator and price."""
    convert_mio_m3: bool = False
    """Quirk 5: domestic production in 'Mio m3' (natural gas) is added to tonnes of trade unconverted;
    True converts it at 800 t per million m³ (0.8 kg/m³)."""
    price_rows: Literal["all", "with_qty"] = "all"
    """Quirk 6/8: trade rows without a quantity add their value but no tonnes to the unit value ('all');
    'with_qty' uses only rows that report a quantity."""
    wmd_code_clash: bool = True
    """Quirk 13: Guyana's own gold production is read from French Guiana's row (which carries Guyana's code
    in the bundled World Mining Data); False uses Guyana's row."""
    cu_reference: Literal["fixed", "same_year"] = "fixed"
    """Quirk 7: 'fixed' divides by the constant 0.409412948 (OECD copper CF 2017–2021); 'same_year' divides
    by copper's score × price for the same economy and year (the paper's GSP definition)."""

    @classmethod
    def compat(cls) -> GprOptions:
        """Bit-for-bit geopolrisk-py 2.0.1 behaviour (the default)."""
        return cls()

    @classmethod
    def corrected(cls) -> GprOptions:
        """Every documented quirk fixed."""
        return cls(hhi_truncate=False, g_source="estimate", wgi_unjoined=False, convert_mio_m3=True,
                   price_rows="with_qty", wmd_code_clash=False, cu_reference="same_year")

    @classmethod
    def from_flag(cls, gpr_compat: bool = True, **overrides: Any) -> GprOptions:
        base = cls.compat() if gpr_compat else cls.corrected()
        known = {f.name for f in fields(cls)}
        bad = sorted(set(overrides) - known)
        if bad:
            raise UsageError(f"unknown GeoPolRisk option(s) {bad}; expected one of {sorted(known)}")
        return replace(base, **overrides)


# ------------------------------------------------------------------------------------------ declarative data
@dataclass(frozen=True)
class GprMaterial:
    reference_id: str
    wmd_commodity: str
    hs6: tuple[str, ...]


@lru_cache(maxsize=1)
def gpr_materials() -> dict[str, GprMaterial]:
    """geopolrisk-py's 53 default raw materials (``gpr_materials.csv``), keyed by its reference name."""
    from pydantic import BaseModel, ValidationError, field_validator

    class Row(BaseModel):
        reference_id: str
        wmd_commodity: str
        hs6: str

        @field_validator("hs6")
        @classmethod
        def _codes(cls, v: str) -> str:
            codes = v.split()
            if not codes or not all(len(c) == 6 and c.isdigit() for c in codes):
                raise ValueError("space-separated 6-digit HS codes")
            return v

    out: dict[str, GprMaterial] = {}
    with MATERIALS_FILE.open(encoding="utf-8") as fh:
        lines = [ln for ln in fh if not ln.startswith("#")]
    for n, rec in enumerate(csv.DictReader(lines), start=1):
        try:
            row = Row.model_validate(rec)
        except ValidationError as exc:
            err = exc.errors()[0]
            raise CatalogError(str(MATERIALS_FILE), f"row {n}", ".".join(map(str, err["loc"])), err["msg"],
                               rec) from None
        if row.reference_id in out:
            raise CatalogError(str(MATERIALS_FILE), f"row {n}", "reference_id", "a unique name", row.reference_id)
        out[row.reference_id] = GprMaterial(row.reference_id, row.wmd_commodity, tuple(row.hs6.split()))
    return out


@lru_cache(maxsize=1)
def compat_data() -> dict[str, Any]:
    """Constants and data fixes from ``gpr_compat.yaml`` (validated)."""
    from pydantic import BaseModel

    from critmin.datafile import read_bundled_yaml, validate

    class Unjoined(BaseModel):
        codes: list[str]
        reason: str

    class Clash(BaseModel):
        commodity: str
        country: str
        uses: str

    class Clashes(BaseModel):
        rows: list[Clash]
        reason: str

    class Compat(BaseModel):
        cu_reference: float
        missing_g: float
        wgi_unjoined: Unjoined
        mio_m3_to_t: float
        production_code_clash: Clashes

    return validate(read_bundled_yaml(COMPAT_FILE), Compat, str(COMPAT_FILE), error=CatalogError).model_dump()


def default_materials() -> list[str]:
    """The 53 raw-material names geopolrisk-py assesses by default, in its order."""
    return list(gpr_materials())


# ------------------------------------------------------------------------------------------- input resolution
def _schema(con: duckdb.DuckDBPyConnection) -> dict[str, set[str]]:
    """Tables of the warehouse and their columns, in one query."""
    if getattr(con, "engine", "duckdb") == "spark":
        return con.schema()
    out: dict[str, set[str]] = {}
    for table, column in con.execute("select table_name, column_name from duckdb_columns() "
                                     "where database_name = current_database()").fetchall():
        out.setdefault(table, set()).add(column)
    return out


def resolve_materials(names: list[str], con: duckdb.DuckDBPyConnection | None = None,
                      schema: dict[str, set[str]] | None = None) -> list[GprMaterial]:
    """Map each name to a GeoPolRisk raw material, keeping order. Accepts geopolrisk-py's names ("Rare
    earth", case-insensitive) and, through the catalog, critmin ids and English/Chinese names
    ("rare_earths", "稀土")."""
    mats = gpr_materials()
    by_lower = {k.lower(): m for k, m in mats.items()}
    by_commodity = {m.wmd_commodity: m for m in mats.values()}
    out: list[GprMaterial] = []
    unknown: list[str] = []
    pending: list[tuple[int, str]] = []
    for name in names:
        m = by_lower.get(name.strip().lower())
        out.append(m)  # type: ignore[arg-type]
        if m is None:
            pending.append((len(out) - 1, name))
    if pending:
        lookup = _catalog_material_lookup(con, schema)
        for idx, name in pending:
            commodity = lookup(name)
            m = by_commodity.get(commodity) if commodity else None
            if m is None:
                unknown.append(name)
            out[idx] = m  # type: ignore[call-overload]
    if unknown:
        from critmin.i18n import t

        raise UsageError(t("geopolrisk.unknown_material", names=", ".join(unknown),
                           known=", ".join(default_materials())))
    return out


def _catalog_material_lookup(con, schema: dict[str, set[str]] | None = None):
    """A function name -> WMD commodity, from the warehouse ``materials`` table if present, else the catalog."""
    if con is not None and schema is None:
        schema = _schema(con)
    if con is not None and schema is not None and "materials" in schema:
        cols = schema["materials"]
        keys = [c for c in ("material_id", "id", "name_en", "name_zh", "gpr_name") if c in cols]
        if "wmd_commodity" in cols and keys:
            rows = con.execute(f"select {', '.join(keys)}, wmd_commodity from materials").fetchall()
            table: dict[str, str] = {}
            for r in rows:
                for v in r[:-1]:
                    if v and r[-1]:
                        table.setdefault(str(v).strip().lower(), r[-1])
            return lambda name: table.get(name.strip().lower())

    def via_catalog(name: str) -> str | None:
        try:
            from critmin.catalog import load_catalog

            return load_catalog().material(name).wmd_commodity
        except (ImportError, UsageError, KeyError, AttributeError):
            return None

    return via_catalog


def resolve_units(countries: list[str], years: list[int],
                  groups: dict[str, list[str]] | None = None) -> list[tuple[str, int, str]]:
    """Rows (unit, year, member): ad-hoc ``groups`` (name -> members) first, every other name through
    :func:`critmin.catalog.economies.resolve` (ISO3 codes, catalog and user groups, country names), with each
    group's members as of each year. Unknown names anywhere are refused together."""
    from critmin.catalog.economies import resolve, resolve_one

    adhoc = dict(groups or {})
    names = [c.strip() for c in countries if c.strip()]
    problems: list[str] = []
    units: dict[str, list] = {}
    for name, members in adhoc.items():
        try:
            units[name] = resolve(members, what="member")
        except UsageError as exc:
            problems.append(f"group {name}: {exc}")
    others = [n for n in names if n not in adhoc]
    if others:
        try:
            resolve(others)
        except UsageError as exc:
            problems.append(str(exc))
    if problems:
        raise UsageError("; ".join(problems))
    rows: list[tuple[str, int, str]] = []
    requested: list[str] = []
    for n in names:
        if n in adhoc:
            unit, econ = n, units[n]
        else:
            e = resolve_one(n)
            unit, econ = e.id, [e]
        requested.append(unit)
        rows.extend((unit, y, m) for y in years for e in econ for m in e.members(y))
    rows = list(dict.fromkeys(rows))
    have = {(u, y) for u, y, _ in rows}
    empty = [f"{u} {y}" for u in dict.fromkeys(requested) for y in years if (u, y) not in have]
    if empty:
        from critmin.i18n import t

        raise UsageError(t("geopolrisk.empty_group", cells=", ".join(empty)))
    return rows


def available_years(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Years with both production (for the HHI) and trade data."""
    lo, hi = con.execute("select min(year), max(year) from trade").fetchone()
    rows = con.execute("select distinct year from production where year between ? and ? order by 1",
                       [lo, hi]).fetchall()
    return [r[0] for r in rows]


# ------------------------------------------------------------------------------------------------- the SQL
def _lit(v: Any) -> str:
    if isinstance(v, str):
        return "'" + v.replace("'", "''") + "'"
    return repr(int(v))


def _num(v: Any, name: str) -> str:
    """A finite number as an SQL literal (the statement is also transpiled to Spark, so no parameters)."""
    import math

    from critmin.errors import UsageError

    x = float(v)
    if not math.isfinite(x):
        raise UsageError(f"GeoPolRisk option {name}: expected a finite number, got {v!r}")
    return repr(x)


def _values(name: str, cols: list[str], rows: list[tuple]) -> str:
    body = ", ".join("(" + ", ".join(_lit(v) for v in r) + ")" for r in rows)
    return f"{name}({', '.join(cols)}) as (values {body})"


def _sql(opt: GprOptions, cdata: dict[str, Any], units: list[tuple[str, int, str]],
         mats: list[tuple[int, str, str, str]], hs: list[tuple[str, str]]) -> str:
    """The whole computation as one DuckDB statement over ``trade``, ``production`` and ``governance``, with
    the request inlined as ``gpr_units(unit, year, member)``, ``gpr_upos(unit, upos)``,
    ``gpr_mat(pos, material, ref_id, commodity)`` and ``gpr_hs(ref_id, hs6)``."""
    upos = [(u, i) for i, u in enumerate(dict.fromkeys(u for u, _, _ in units))]
    inputs = ",\n".join([
        _values("gpr_units", ["unit", "year", "member"], units),
        _values("gpr_upos", ["unit", "upos"], upos),
        _values("gpr_mat", ["pos", "material", "ref_id", "commodity"], mats),
        _values("gpr_hs", ["ref_id", "hs6"], hs),
    ])
    missing_g = _num(cdata["missing_g"] if opt.missing_g is None else opt.missing_g, "missing_g")
    unjoined = cdata["wgi_unjoined"]["codes"] if opt.wgi_unjoined else []
    unjoined_sql = ("and country not in (" + ", ".join(_lit(c) for c in unjoined) + ")") if unjoined else ""
    if opt.g_source == "normalized":
        g_expr = "value"
        g_ind = _lit("pv_normalized")
    else:
        g_expr = "least(greatest((2.5 - value) / 5.0, 0.0), 1.0)"
        g_ind = _lit("pv_estimate")
    if opt.hhi_truncate:  # exact integer sums (HUGEINT), like the package's Python ints
        qi = "trunc(p.qty)::HUGEINT"
        hhi_expr = f"sum({qi} * {qi})::DOUBLE / (sum({qi}) * sum({qi}))::DOUBLE"
    else:
        hhi_expr = "sum(p.qty * p.qty) / (sum(p.qty) * sum(p.qty))"
    mio = f"when p.unit = 'Mio m3' then p.qty * {float(cdata['mio_m3_to_t'])!r}::DOUBLE" if opt.convert_mio_m3 else ""
    intra_filter = "and pm.member is null" if opt.intra_group == "exclude" else ""
    price_q = "q" if opt.price_rows == "all" else "q_priced"
    price_v = "v" if opt.price_rows == "all" else "v_priced"
    if opt.cu_reference == "fixed":
        cf_expr = f"score * price / {float(cdata['cu_reference'])!r}::DOUBLE"
    else:
        cf_expr = "case when cu_mid is null or cu_mid = 0 then NULL else score * price / cu_mid end"
    clashes = cdata["production_code_clash"]["rows"] if opt.wmd_code_clash else []
    if clashes:
        values = ", ".join(f"({_lit(c['commodity'])}, {_lit(c['country'])}, {_lit(c['uses'])})" for c in clashes)
        clash_cte = f"""clash(commodity, country, uses) as (values {values}),
prod_own as (
    select p.year, p.country, p.commodity, p.qty, p.unit from production p
    where not exists (select 1 from clash c where c.commodity = p.commodity and c.country = p.country)
    union all
    select p.year, c.country, p.commodity, p.qty, p.unit from production p
    join clash c on c.commodity = p.commodity and c.uses = p.country
),"""
        prod_src = "prod_own"
    else:
        clash_cte, prod_src = "", "production"
    return f"""
with
{inputs},
yrs as (select distinct year from gpr_units),
hs as (select distinct ref_id, hs6 from gpr_hs),
g as (
    -- one value per (country, year): the bundled WGI tables list Guyana twice; the warehouse build keeps the
    -- first row, as the package's lookup does (min() only guards against a warehouse that kept both)
    select country, year, min({g_expr}) as g
    from governance
    where indicator = {g_ind} and year in (select year from yrs)
      {unjoined_sql}
    group by country, year
),
trows as (
    select u.unit, t.year, hs.ref_id, t.importer as member, t.exporter as partner, t.hs6,
           coalesce(t.qty_t, 0.0) as q, t.value_kusd as v, t.qty_t is not null as has_q
    from trade t
    join hs on t.hs6 = hs.hs6
    join gpr_units u on u.member = t.importer and u.year = t.year
),
flows as (
    select r.unit, r.year, r.ref_id,
           r.q, r.v, case when r.has_q then r.q else 0.0 end as q_priced,
           case when r.has_q then r.v else 0.0 end as v_priced,
           case when pm.member is not null then 0.0 else coalesce(g.g, {missing_g}::DOUBLE) end as g
    from trows r
    left join gpr_units pm on pm.unit = r.unit and pm.year = r.year and pm.member = r.partner
    left join g on g.country = r.partner and g.year = r.year
    where true {intra_filter}
),
imp as (
    select unit, year, ref_id, sum(q * g) as num, sum(q) as q, sum(v) as v,
           sum(q_priced) as q_priced, sum(v_priced) as v_priced
    from flows group by unit, year, ref_id
),
mats as (select distinct ref_id, commodity from gpr_mat),
hhi as (
    select p.year, p.commodity,
           {hhi_expr} as hhi
    from production p
    where p.commodity in (select commodity from mats) and p.year in (select year from yrs)
    group by p.year, p.commodity
),
{clash_cte}
dom as (
    select u.unit, u.year, p.commodity,
           sum(case when p.unit = 'kg' then p.qty / 1000.0 {mio} else p.qty end) as prod_t
    from gpr_units u
    join {prod_src} p on p.country = u.member and p.year = u.year
    where p.commodity in (select commodity from mats)
    group by u.unit, u.year, p.commodity
),
cells as (
    select uy.unit, uy.year, m.pos, m.material, m.ref_id, m.commodity, h.hhi,
           coalesce(i.num, 0.0) as num, coalesce(i.q, 0.0) as q, coalesce(i.v, 0.0) as v,
           coalesce(i.q_priced, 0.0) as q_priced, coalesce(i.v_priced, 0.0) as v_priced,
           coalesce(d.prod_t, 0.0) as prod_t
    from (select distinct unit, year from gpr_units) uy
    cross join gpr_mat m
    left join imp i on i.unit = uy.unit and i.year = uy.year and i.ref_id = m.ref_id
    left join hhi h on h.year = uy.year and h.commodity = m.commodity
    left join dom d on d.unit = uy.unit and d.year = uy.year and d.commodity = m.commodity
),
scored as (
    select *,
           case when q + prod_t = 0 then 0.0 else num / (q + prod_t) end as import_risk,
           case when {price_q} = 0 then 0.0 else {price_v} / {price_q} end as price
    from cells
),
scored2 as (select *, hhi * import_risk as score from scored),
cu as (
    select unit, year, score * price as cu_mid from scored2 where ref_id = 'Copper'
)
select s.unit as iso3, s.material, s.year, s.score, {cf_expr} as cf, s.hhi, s.import_risk, s.price,
       s.q as imports_t, s.v as imports_kusd, s.num as weighted_imports_t, s.prod_t as production_t
from scored2 s left join cu on cu.unit = s.unit and cu.year = s.year
join gpr_upos up on up.unit = s.unit
where s.pos >= 0
order by s.year, up.upos, s.pos
"""


# ------------------------------------------------------------------------------------------------ entry point
def build_sql(cur, countries: list[str], materials: list[str], yrs: list[int], opt: GprOptions,
              groups: dict[str, list[str]] | None = None) -> str:
    """The DuckDB statement for a request (countries or groups × materials × years), after validating it
    against the warehouse behind ``cur``. :func:`to_spark_sql` turns it into Spark SQL."""
    have = available_years(cur)
    bad = [y for y in yrs if y not in have]
    if bad:
        from critmin.i18n import t

        rng = f"{have[0]}–{have[-1]}" if have else "none"
        raise UsageError(t("geopolrisk.bad_year", years=", ".join(map(str, bad)), range=rng))
    schema = _schema(cur)
    problems: list[str] = []  # report unknown countries and unknown materials together
    try:
        units = resolve_units(list(countries), yrs, groups)
    except UsageError as exc:
        problems.append(str(exc))
    try:
        resolved = resolve_materials(list(materials), cur, schema)
    except UsageError as exc:
        problems.append(str(exc))
    if problems:
        raise UsageError("; ".join(problems))
    mats = [(i, name, m.reference_id, m.wmd_commodity)
            for i, (name, m) in enumerate(zip(materials, resolved, strict=True))]
    need = {m.reference_id for m in resolved}
    all_m = gpr_materials()
    if opt.cu_reference == "same_year" and "Copper" not in need:
        need.add("Copper")
        mats.append((-1, "__copper__", "Copper", all_m["Copper"].wmd_commodity))
    hs = [(r, h) for r in sorted(need) for h in all_m[r].hs6]
    return _sql(opt, compat_data(), units, mats, hs)


def to_spark_sql(sql: str) -> str:
    """Transpile the DuckDB statement to Spark SQL with SQLGlot (same definition on both engines).

    Spark has no 128-bit integer: the exact integer sums of the HHI use DECIMAL(38, 0) there, which holds the
    squared production totals exactly (World Mining Data figures stay below 10^12).
    """
    import sqlglot
    from sqlglot import exp

    tree = sqlglot.parse_one(sql, read="duckdb")

    def widen(node):
        if isinstance(node, exp.DataType) and node.this == exp.DataType.Type.INT128:
            return exp.DataType.build("DECIMAL(38, 0)")
        return node

    return tree.transform(widen).sql(dialect="spark")


def geopolrisk_rows(
    countries: list[str] | str,
    materials: list[str] | str | None = None,
    years: list[int] | str | int = "2018-2024",
    *,
    warehouse=None,
    con: duckdb.DuckDBPyConnection | None = None,
    gpr_compat: bool = True,
    options: GprOptions | None = None,
    groups: dict[str, list[str]] | None = None,
    detail: bool = False,
) -> tuple[list[str], list[tuple]]:
    """Like :func:`geopolrisk` but returns ``(columns, rows)`` as plain Python tuples (no DataFrame is built
    for the result; the command line writes CSV / JSON from them)."""
    opt = options or GprOptions.from_flag(gpr_compat)
    if isinstance(countries, str):
        countries = [c for c in countries.split(",") if c.strip()]
    if isinstance(materials, str):
        materials = [m for m in materials.split(",") if m.strip()]
    if materials is None:
        materials = default_materials()
    yrs = parse_years(years) or []
    if not countries or not materials or not yrs:
        from critmin.i18n import t

        raise UsageError(t("geopolrisk.empty"))

    from contextlib import nullcontext

    from critmin.warehouse.handle import using

    with (nullcontext() if con is not None else using(warehouse)) as wh:
        if getattr(wh, "engine", "duckdb") == "spark":  # the same statement, transpiled, on the lake
            cols, rows = wh.spark_rows(to_spark_sql(build_sql(wh, list(countries), list(materials), yrs, opt, groups)))
            keep = OUTPUT_COLUMNS + (DETAIL_COLUMNS if detail else [])
            return keep, [tuple(r[cols.index(c)] for c in keep) for r in rows]
        cur = (con if con is not None else wh.con).cursor()
        try:
            sql = build_sql(cur, list(countries), list(materials), yrs, opt, groups)
            # One thread: floating-point sums then add rows in scan order, so every run gives the same bits
            # (with several threads the order, hence the last bit, varies). The statement takes ~0.05 s anyway.
            threads = cur.execute("select current_setting('threads')").fetchone()[0]
            cur.execute("set threads = 1")
            try:
                res = cur.execute(sql)
                cols = [d[0] for d in res.description]
                rows = res.fetchall()
            finally:
                cur.execute(f"set threads = {int(threads)}")
        finally:
            cur.close()
    keep = OUTPUT_COLUMNS + (DETAIL_COLUMNS if detail else [])
    idx = [cols.index(c) for c in keep]
    return keep, [tuple(r[i] for i in idx) for r in rows]


def geopolrisk(
    countries: list[str] | str,
    materials: list[str] | str | None = None,
    years: list[int] | str | int = "2018-2024",
    *,
    warehouse=None,
    con: duckdb.DuckDBPyConnection | None = None,
    gpr_compat: bool = True,
    options: GprOptions | None = None,
    groups: dict[str, list[str]] | None = None,
    detail: bool = False,
) -> pd.DataFrame:
    """GeoPolRisk score, characterisation factor, HHI, import risk and price per economy × material × year.

    ``countries``: ISO3 codes, group ids (EU27, G7, user groups) or country names, resolved by
    :mod:`critmin.catalog.economies`, or keys of ``groups``, a mapping name -> members.
    ``warehouse``: a :class:`~critmin.warehouse.handle.Warehouse` or a path; ``con``: a DuckDB connection. ``materials``: geopolrisk-py raw-material names or catalog
    names (None = the package's 53 defaults); returned exactly as given. ``years``: list or '2018-2024'.
    ``gpr_compat`` picks :meth:`GprOptions.compat` (default, parity with geopolrisk-py 2.0.1) or
    :meth:`GprOptions.corrected`; ``options`` overrides both.

    Returns a DataFrame with columns ``iso3, material, year, score, cf, hhi, import_risk, price`` (score,
    hhi, import_risk 0–1; price USD/kg; cf kg Cu-eq/kg), plus ``imports_t, imports_kusd, weighted_imports_t,
    production_t`` when ``detail``. Rows are ordered year, economy, material as given.
    Raises :class:`~critmin.errors.UsageError` for unknown countries, materials or years out of range.
    """
    import pandas as pd

    cols, rows = geopolrisk_rows(countries, materials, years, warehouse=warehouse, con=con,
                                 gpr_compat=gpr_compat, options=options, groups=groups, detail=detail)
    df = pd.DataFrame.from_records(rows, columns=cols)
    return df.astype({"year": "int64", **{c: "float64" for c in cols[3:]}})
