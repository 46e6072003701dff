"""`assess`: the EU method applied from the warehouse, per economy × material × year, with the provenance of
every input; threshold crossings over the years; the comparison with the Commission's published scores.

SR comes from :mod:`critmin.criticality.supply` (concentration, sourcing, import reliance) and the cited factors
of :mod:`critmin.criticality.inputs` (or the stated assumption where none is cited). EI cannot be computed from
the warehouse (it needs end-use shares and Eurostat sector value added): it is the Commission's published EI of
the latest assessment up to the year, used only when the caller accepts unverified values, else missing — so
``critical`` is missing (not False) where EI is unknown.
"""

from __future__ import annotations

from critmin.errors import UsageError

WGI_BASIS = "WGI political stability (pv_estimate), scaled (2.5 - x) / 0.5"
COLUMNS = ["economy", "material_id", "material", "year", "window_years", "sr", "ei", "critical", "sr_at_least_1", "sr_basis",
           "hhi_wgi_gs", "hhi_wgi_sourcing", "sourcing_basis", "import_reliance", "production_t", "imports_t",
           "exports_t", "eol_rir", "eol_rir_source", "si_sr", "si_sr_source", "ei_source", "top_producer",
           "top_producer_share", "top_import_source", "top_import_source_share", "gs_share_without_wgi",
           "trade_stages", "wgi_basis", "provenance_ids"]


def parse_assignments(specs, what: str, upper: bool = False) -> dict[str, float]:
    """``["CHN=8", "RUS=7.5"]`` (or one comma-separated string) → {"CHN": 8.0, "RUS": 7.5}."""
    from critmin.i18n import t

    if isinstance(specs, str):
        specs = [specs]
    out: dict[str, float] = {}
    for spec in (p.strip() for s in specs or [] for p in s.split(",")):
        if not spec:
            continue
        key, sep, value = spec.partition("=")
        try:
            number = float(value)
        except ValueError:
            number = None
        if not sep or not key.strip() or number is None or number != number:
            raise UsageError(t("criticality.bad_assignment", spec=spec, what=what))
        out[key.strip().upper() if upper else key.strip()] = number
    return out


def _years(wh, years) -> tuple[list[int], list[int]]:
    """(asked years, years with production data); asked years without data are refused."""
    from critmin.i18n import t
    from critmin.indicators.years import parse_years

    have = [r[0] for r in wh.sql("SELECT DISTINCT year FROM production ORDER BY 1").fetchall()]
    asked = parse_years(years) or have
    bad = [y for y in asked if y not in have]
    if bad or not have:
        raise UsageError(t("criticality.bad_years", years=",".join(map(str, bad)),
                           range=f"{have[0]}-{have[-1]}" if have else "none"))
    return asked, have


def _materials(catalog, materials):
    from critmin.i18n import t

    if materials is None:
        return [m for m in catalog.materials.values() if m.wmd_commodity]
    names = [m.strip() for m in (materials.split(",") if isinstance(materials, str) else materials) if m.strip()]
    found = [catalog.material(n) for n in names]
    missing = [m.id for m in found if not m.wmd_commodity]
    if missing:
        raise UsageError(t("criticality.no_production", materials=", ".join(missing)))
    return list({m.id: m for m in found}.values())


def _factor_columns(df, include_unverified: bool, eol_rir_factor: float, eol_rir: dict[str, float]):
    """EoL-RIR and SI_SR per row: a cited value where there is one, else the file's assumption; scenario
    changes (a factor on EoL-RIR, explicit values) on top, each saying so in its source column."""
    from critmin.criticality.inputs import factor_table, factors
    from critmin.i18n import t

    assumption = factors().assumption
    cited = factor_table(include_unverified)
    for name in ("eol_rir", "si_sr"):
        rows = cited[cited["factor"] == name].drop_duplicates("material", keep="last").set_index("material")
        value = df["material_id"].map(rows["value"])
        source = df["material_id"].map(rows["source"] + ", " + rows["locator"] + " (" + rows["status"] + ")")
        df[name] = value.fillna(getattr(assumption, name)).astype(float)
        df[f"{name}_source"] = source.fillna(t("criticality.assumed", value=getattr(assumption, name)))
    if eol_rir:
        unknown = sorted(set(eol_rir) - set(df["material_id"]))
        if unknown:
            raise UsageError(t("criticality.unknown_scenario_material", names=", ".join(unknown)))
        hit = df["material_id"].isin(list(eol_rir))
        df.loc[hit, "eol_rir"] = df.loc[hit, "material_id"].map(eol_rir)
        df.loc[hit, "eol_rir_source"] = t("criticality.scenario_value")
    if eol_rir_factor != 1.0:
        df["eol_rir"] = (df["eol_rir"] * eol_rir_factor).clip(upper=1.0)
        df["eol_rir_source"] = df["eol_rir_source"] + f" × {eol_rir_factor:g}"
    cited_both = df["eol_rir_source"].str.contains(r"\((?:verified|unverified)\)") & df["si_sr_source"].str.contains(
        r"\((?:verified|unverified)\)")
    df["sr_basis"] = cited_both.map({True: t("criticality.basis_cited"), False: t("criticality.basis_upper")})
    return df


def _ei_columns(df, include_unverified: bool):
    """EI from the latest published assessment up to the row's year (unverified values only when accepted);
    materials published under several labels (HREE, LREE for rare earths) stay missing."""
    from critmin.criticality.inputs import published_scores
    from critmin.i18n import t

    pub = published_scores(include_unverified=include_unverified)
    df["ei"] = float("nan")
    df["ei_source"] = t("criticality.ei_unknown")
    if pub.empty:
        return df
    labels = pub.groupby(["assessment", "material_id"])["label"].transform("count")
    several = pub[labels > 1]
    pub = pub[labels == 1]
    for year in sorted(df["year"].unique()):
        usable = pub[pub["assessment_year"] <= year]
        if usable.empty:
            usable = pub[pub["assessment_year"] == pub["assessment_year"].min()]
        latest = usable.sort_values("assessment_year").drop_duplicates("material_id", keep="last").set_index(
            "material_id")
        rows = df["year"] == year
        df.loc[rows, "ei"] = df.loc[rows, "material_id"].map(latest["ei_published"])
        src = (latest["source"] + " (" + latest["assessment_year"].astype(str) + ", " + latest["status"] + ")")
        df.loc[rows, "ei_source"] = df.loc[rows, "material_id"].map(src).fillna(df.loc[rows, "ei_source"])
    split = df["material_id"].isin(set(several["material_id"])) & df["ei"].isna()
    df.loc[split, "ei_source"] = t("criticality.ei_split")
    return df


def assess(economy="EU27", years=None, materials=None, *, wgi=None, eol_rir_factor: float = 1.0,
           eol_rir=None, include_unverified: bool = False, window: int = 1, warehouse=None):
    """The EU method for ``economy`` (ISO3, group or name; comma-separated or a list for several) in ``years``
    (default: every year with production data), per material that has a World Mining Data series.

    Scenario switches: ``wgi`` = {ISO3: scaled score 0–10} (or "CHN=8" strings) replaces a supplier's
    governance score in every year; ``eol_rir_factor`` multiplies EoL-RIR (capped at 1); ``eol_rir`` =
    {material: value} sets it. ``include_unverified`` lets values marked unverified in the data files (the
    recalled 2020 EI) enter the computation. ``window`` = 5 sums each year's inputs over the five years ending
    with it (as far as the data reach back; the column ``window_years`` says which), as the Commission does.
    Returns a DataFrame with :data:`COLUMNS`.
    """
    import numpy as np

    from critmin.catalog import load_catalog
    from critmin.criticality import method
    from critmin.criticality.inputs import factors
    from critmin.criticality.supply import supply_frame, window_years
    from critmin.i18n import current_lang, t
    from critmin.indicators.imports import economies as resolve_economies
    from critmin.indicators.provenance import SEP, by_year, split
    from critmin.warehouse.handle import using

    if not (isinstance(window, int) and 1 <= window <= 10):
        raise UsageError(t("criticality.bad_window", value=window))
    if not (eol_rir_factor >= 0 and np.isfinite(eol_rir_factor)):
        raise UsageError(t("criticality.bad_factor", value=eol_rir_factor))
    wgi = wgi if isinstance(wgi, dict) else parse_assignments(wgi, "ISO3=score", upper=True)
    bad = {k: v for k, v in wgi.items() if not 0 <= v <= 10}
    if bad:
        raise UsageError(t("criticality.bad_wgi", spec=", ".join(f"{k}={v:g}" for k, v in bad.items())))
    eol_rir = eol_rir if isinstance(eol_rir, dict) else parse_assignments(eol_rir, "material=value")
    if any(not 0 <= v <= 1 for v in eol_rir.values()):
        raise UsageError(t("criticality.bad_eol", spec=", ".join(f"{k}={v:g}" for k, v in eol_rir.items())))
    cat = load_catalog()
    econ = resolve_economies(economy, what="economy")
    for iso in wgi:
        if not cat.is_country(iso):
            raise UsageError(t("criticality.bad_wgi_country", iso=iso))
    mats = _materials(cat, materials)
    eol_rir = {cat.material(k).id: v for k, v in eol_rir.items()}
    with using(warehouse) as wh:
        yrs, have = _years(wh, years)
        df = supply_frame(wh, econ, mats, yrs, wgi_overrides=wgi,
                          wgi_missing=factors().assumption.wgi_missing_scaled, window=window, have=have)
        spans = {y: [d for d, _ in window_years([y], window, have)] for y in yrs}
        df["window_years"] = df["year"].map(lambda y: f"{spans[y][0]}-{spans[y][-1]}" if len(spans[y]) > 1
                                            else str(y))
        by_id = {m.id: m for m in mats}
        lang = current_lang()
        df["material"] = df["material_id"].map(lambda i: by_id[i].name(lang))
        df["trade_stages"] = df["material_id"].map(lambda i: ",".join(sorted({h.stage for h in by_id[i].hs})))
        # a code catalogued but absent from the loaded trade data (gallium's 811291 in the bundled subset, since
        # issue 13) is no code in the trade data: no row of the material's codes in any economy or year
        traded = (df["imports_t"].fillna(0).gt(0) | df["exports_t"].fillna(0).gt(0)).groupby(
            df["material_id"]).transform("any")
        has_trade = (df["trade_stages"] != "") & traded
        df["import_reliance"] = np.where(has_trade, method.import_reliance(
            df["production_t"], df["imports_t"], df["exports_t"]), np.nan)
        # no trade codes, or nothing produced or imported: the economy's sourcing is unknown -> global supply only
        own = has_trade & df["hhi_wgi_sourcing"].notna()
        df["sourcing_basis"] = np.where(own, t("criticality.sourcing_own"),
                                        np.where(has_trade, t("criticality.sourcing_none"),
                                                 t("criticality.sourcing_no_codes")))
        ir = df["import_reliance"].where(own, 1.0)
        eus = df["hhi_wgi_sourcing"].where(own, df["hhi_wgi_gs"])
        df = _factor_columns(df, include_unverified, eol_rir_factor, eol_rir)
        df["sr"] = method.supply_risk(df["hhi_wgi_gs"], eus, ir, df["eol_rir"], df["si_sr"])
        df = _ei_columns(df, include_unverified)
        df["critical"] = method.is_critical(df["sr"], df["ei"]).to_numpy()
        df["sr_at_least_1"] = df["sr"] >= method.SR_THRESHOLD
        df["wgi_basis"] = WGI_BASIS + (f"; scenario {', '.join(f'{k}={v:g}' for k, v in wgi.items())}" if wgi else "")
        ids = by_year(wh, ("production", "trade", "governance"))
        span_ids = {y: SEP.join(sorted({i for d in spans[y] for i in split(ids.get(d))})) for y in yrs}
        df["provenance_ids"] = df["year"].map(span_ids).fillna("")
    return df[COLUMNS].sort_values(["economy", "material_id", "year"]).reset_index(drop=True)


def threshold_crossings(df):
    """Per economy × material over the years of ``df``: first and last year, SR in each, the years SR was at or
    above 1, and the years it crossed the threshold upwards or downwards."""
    import pandas as pd

    rows = []
    for (econ, mat), g in df.sort_values("year").groupby(["economy", "material_id"], sort=True):
        above = g["sr"] >= 1.0
        prev = above.shift(1, fill_value=False)
        rows.append({"economy": econ, "material_id": mat, "material": g["material"].iloc[0],
                     "first_year": int(g["year"].iloc[0]), "last_year": int(g["year"].iloc[-1]),
                     "sr_first": g["sr"].iloc[0], "sr_last": g["sr"].iloc[-1],
                     "years_at_least_1": ",".join(map(str, g.loc[above, "year"])),
                     "crossed_up": ",".join(map(str, g.loc[above & ~prev & (g.index != g.index[0]), "year"])),
                     "crossed_down": ",".join(map(str, g.loc[~above & prev, "year"]))})
    return pd.DataFrame(rows)


def compare_published(df, assessment: str = "eu_2020"):
    """Our rows beside a published assessment's scores (one row per published label) and the 2023 list's
    classification: sr, sr_published, ei_published, their differences, on_list_2023, agrees."""
    from critmin.catalog import load_catalog
    from critmin.criticality.inputs import published, published_scores

    pub = published_scores(assessment)
    out = pub.merge(df[["material_id", "sr", "hhi_wgi_gs", "hhi_wgi_sourcing", "import_reliance", "top_producer",
                        "top_import_source", "sourcing_basis"]], on="material_id", how="left")
    out["sr_difference"] = out["sr"] - out["sr_published"]
    listed = _list_2023(published(), load_catalog())
    out["on_list_2023"] = out["material_id"].isin(listed)
    return out


def _list_2023(assessments, catalog) -> set[str]:
    """Materials the 2023 list names, with those its group entries also cover (bauxite, PGM members)."""
    a = assessments["eu_2023"]
    named = {i.material for i in catalog.critical_lists[a.critical_list].items if i.material}
    # a catalog group named on the list (pgms) counts with its members (issue 13: PGMs were mapped to platinum)
    return named | {m for x in named for m in catalog.expand(x)} | set(a.also_covers)


def classification_agreement(df):
    """Our SR >= 1 against the 2023 list, per material we assess. EI is not ours, so this checks the SR side
    only: a listed material should have SR >= 1; an unlisted one with SR >= 1 may fail on EI. Copper and nickel
    are listed as strategic without passing the thresholds and are read as such."""
    from critmin.catalog import load_catalog
    from critmin.criticality.inputs import published
    from critmin.i18n import t

    pubs = published()
    listed = _list_2023(pubs, load_catalog())
    strategic_only = set(pubs["eu_2023"].listed_without_thresholds)
    out = df[["material_id", "material", "sr", "sr_at_least_1"]].copy()
    out["on_list_2023"] = out["material_id"].isin(listed)
    by_thresholds = out["on_list_2023"] & ~out["material_id"].isin(strategic_only)
    out["agrees"] = (by_thresholds == out["sr_at_least_1"]).where(~out["material_id"].isin(strategic_only))
    keys = {(True, True): "listed_sr", (True, False): "listed_low_sr", (False, True): "unlisted_sr",
            (False, False): "unlisted_low_sr"}
    out["reading"] = [t("criticality.reading_strategic_only") if m in strategic_only else
                      t(f"criticality.reading_{keys[(bool(a), bool(b))]}")
                      for m, a, b in zip(out["material_id"], by_thresholds, out["sr_at_least_1"], strict=True)]
    return out
