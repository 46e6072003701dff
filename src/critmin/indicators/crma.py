"""EU Critical Raw Materials Act diversification benchmark: no single third country above the cap.

Regulation (EU) 2024/1252, Art. 5(1)(b): by 2030 no single third country should supply more than 65 % of the
Union's annual consumption of a strategic raw material at any relevant stage of processing.

Operational proxy (documented in docs/indicators.md): the largest third-country supplier's share of the
importer's extra-group imports of the material at that stage, per year, on both value and quantity bases:

    top1_share_{m,s,t} = max_i a_{i,m,s,t} / Σ_i a_{i,m,s,t},   i ∉ M(EU27, t)

Apparent consumption (production + imports − exports) would be the Act's denominator; EU production at the
traded stages is not in the bundled data, and where it is close to zero (rare earths, gallium, magnesium) the
import share is the usual proxy. ``breach_value``/``breach_qty`` say the share is above the cap on that basis;
``breach`` is true only for materials the benchmark applies to (``in_scope``: the catalog's
``crma_single_country_cap.applies_to`` list, the CRMA's strategic raw materials, a group such as PGMs counting
for its members). Other materials above the cap are shown for comparison, never as a breach.

The cap itself is read from the catalog too (``benchmarks.yaml``, :func:`default_cap`): ``cap=None`` everywhere
means the catalog's figure, so the law's number lives in one place.
"""

from __future__ import annotations

from critmin.indicators.years import parse_years

BENCHMARK = "crma_single_country_cap"
COLUMNS = ("importer", "material_id", "in_scope", "stage", "hs6", "year", "top1_supplier_value", "top1_share_value",
           "top1_supplier_qty", "top1_share_qty", "imports_kusd", "imports_t", "breach_value", "breach_qty",
           "breach", "cap", "years_in_breach", "provenance_ids")


def default_cap() -> float:
    """The catalog's single-third-country cap (a fraction, 0.65 in Art. 5(1)(b))."""
    from critmin.catalog import benchmark

    return benchmark(BENCHMARK).value


def crma_rows(importer: str = "EU27", years=None, cap: float | None = None, materials: list[str] | None = None,
              warehouse=None, only_breaches: bool = True):
    """:func:`crma_check` as :class:`~critmin.tabletext.Rows` (the CLI's hot path: no pandas, no Ibis)."""
    from critmin.catalog import benchmark, load_catalog
    from critmin.indicators.imports import code_rows, concentration_sql, economies, flows_sql, select
    from critmin.indicators.provenance import by_year
    from critmin.tabletext import Rows
    from critmin.warehouse.handle import using

    cat = load_catalog()
    bench = benchmark(BENCHMARK, cat.data_dir)
    cap = bench.value if cap is None else cap
    in_scope = cat.list_materials([bench.applies_to]) if bench.applies_to else set(cat.materials)
    econ = economies(importer)
    mats = {cat.material(m).id for m in materials} if materials else None
    codes = [r for r in code_rows(cat, None, None, None) if mats is None or r[0] in mats]
    hs6 = {}
    for mid, stage, code, *_ in codes:
        hs6.setdefault((mid, stage), []).append(code)
    keys = ["importer", "material_id", "stage", "year"]
    with using(warehouse) as wh:
        yrs = parse_years(years)
        select(wh, econ, codes, yrs or wh.trade_years())
        flows = flows_sql("trade")
        got: dict[tuple, dict] = {}
        for basis in ("value", "qty"):
            sql = (f"SELECT {', '.join(keys)}, top1_supplier, top1_share, total_imports "
                   f"FROM ({concentration_sql(flows, keys, basis)}) AS c")
            for *key, sup, share, total in wh.rows(sql)[1]:
                row = got.setdefault(tuple(key), {})
                row[f"top1_supplier_{basis}"], row[f"top1_share_{basis}"] = sup, share
                row["imports_kusd" if basis == "value" else "imports_t"] = total
        ids = by_year(wh, ("trade",))
    out = []
    for key in sorted(got, key=lambda k: (k[1], k[2], k[3], k[0])):
        r = got[key]
        bv, bq = (r.get(f"top1_share_{b}") is not None and r[f"top1_share_{b}"] > cap for b in ("value", "qty"))
        scoped = key[1] in in_scope
        out.append({"importer": key[0], "material_id": key[1], "in_scope": scoped, "stage": key[2],
                    "hs6": ",".join(sorted(hs6.get((key[1], key[2]), []))), "year": key[3],
                    **{c: r.get(c) for c in ("top1_supplier_value", "top1_share_value", "top1_supplier_qty",
                                             "top1_share_qty", "imports_kusd", "imports_t")},
                    "breach_value": bv, "breach_qty": bq, "breach": scoped and (bv or bq), "cap": cap,
                    "provenance_ids": ids.get(int(key[3]), "")})
    breach_years: dict[tuple, list[int]] = {}
    for r in out:
        if r["breach_value"] or r["breach_qty"]:
            breach_years.setdefault((r["importer"], r["material_id"], r["stage"]), []).append(int(r["year"]))
    for r in out:
        years_in = breach_years.get((r["importer"], r["material_id"], r["stage"]))
        r["years_in_breach"] = ",".join(str(y) for y in sorted(years_in)) if years_in else None
    if only_breaches:  # above the cap on either basis; the benchmark's own materials first
        out = [r for r in out if r["breach_value"] or r["breach_qty"]]
    out.sort(key=lambda r: not r["in_scope"])
    return Rows.typed(list(COLUMNS), [tuple(r[c] for c in COLUMNS) for r in out])


def crma_check(importer: str = "EU27", years=None, cap: float | None = None, materials: list[str] | None = None,
               warehouse=None, only_breaches: bool = True):
    """Per material × stage × year: top third-country supplier and share on value and qty bases vs the cap
    (``cap``: a fraction; None = the catalog's ``crma_single_country_cap``).

    Returns columns importer, material_id, in_scope (the benchmark applies: a strategic raw material), stage,
    hs6 (codes), year, top1_supplier_value, top1_share_value,
    top1_supplier_qty, top1_share_qty, breach_value, breach_qty (above the cap on that basis), breach (either
    basis, in scope only), years_in_breach (all years above the cap of that material × stage × supplier within the selection), provenance_ids.
    ``importer``: ISO3 codes, groups or country names (see :func:`critmin.catalog.economies.resolve`).
    """
    df = crma_rows(importer, years, cap, materials, warehouse, only_breaches).to_pandas()
    for c in ("top1_share_value", "top1_share_qty", "imports_kusd", "imports_t"):
        df[c] = df[c].astype("float64")
    for c in ("in_scope", "breach_value", "breach_qty", "breach"):
        df[c] = df[c].astype(bool)
    return df
