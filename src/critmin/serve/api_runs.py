"""Stress runs and exercises as background jobs: start (analyst), poll the job, fetch the saved run."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from critmin.serve import formats
from critmin.serve.context import Principal, reads, runs, workspace
from critmin.serve.errors import ApiError, forbidden, not_found

router = APIRouter(tags=["runs"])
MAX_DRAWS = 20000  # a shared server bounds one job's work


class RunKnobs(BaseModel):
    model_config = ConfigDict(extra="forbid")
    draws: int | None = Field(None, ge=1, le=MAX_DRAWS)
    seed: int | None = Field(None, ge=0, le=2**32 - 1)


def bundled_scenarios() -> dict[str, Any]:
    """The scenario files shipped with critmin (stress/scenarios), by name: the exercises a team can run."""
    from importlib import resources

    folder = resources.files("critmin.stress") / "scenarios"
    return {p.name.rsplit(".", 1)[0]: p for p in folder.iterdir() if p.name.endswith((".yaml", ".yml"))}


def start_job(request: Request, p: Principal, kind: str, scenario, params: dict, draws, seed):
    """Queue a stress job: simulate on the read snapshot, then save the result under the writer lock."""
    from critmin.stress.api import as_scenario, checked_draws_seed

    ws = workspace(request)
    sc = as_scenario(scenario)  # bad scenario: refused now, with the field named, not later in the job
    d, _ = checked_draws_seed(sc, draws, seed)
    if d > MAX_DRAWS:
        raise ApiError(422, "invalid_input", f"draws {d} exceeds this server's limit of {MAX_DRAWS}; pass draws")

    def work(step):
        from critmin.stress.api import run
        from critmin.stress.store import save_result

        step("simulating", 0.2)
        with ws.store.read() as wh:
            result = run(sc, warehouse=wh, draws=draws, seed=seed, save=False)
        step("saving", 0.9)
        with ws.store.write(f"{kind} save") as wh:
            save_result(result, wh)
        return {"run_id": result.run_id, "name": sc.name, "summary": formats.jsonable(result.summary)}

    job = ws.jobs.submit(kind, p.token_id, {**params, "draws": draws, "seed": seed}, work)
    return job.public()


@router.post("/stress/runs", status_code=202, summary="Start a stress run from a scenario body (analyst)")
def stress_start(request: Request, scenario: dict[str, Any] = Body(..., embed=True), draws: int | None = Body(None, embed=True, ge=1, le=MAX_DRAWS),
                 seed: int | None = Body(None, embed=True, ge=0, le=2**32 - 1),
                 p: Principal = Depends(runs("stress"))):
    return start_job(request, p, "stress", scenario, {"scenario": scenario.get("name")}, draws, seed)


@router.get("/exercises", summary="Bundled scenarios a team can run as an exercise")
def exercises(request: Request, p: Principal = Depends(reads("stress"))):
    from critmin.datafile import read_bundled_yaml

    out = []
    for name, path in sorted(bundled_scenarios().items()):
        data = read_bundled_yaml(str(path)) or {}
        shock = data.get("shock", {})
        out.append({"name": name, "title_en": data.get("title_en"), "title_zh": data.get("title_zh"),
                    "supplier": shock.get("supplier"), "material": shock.get("material"),
                    "draws": data.get("draws"), "horizon_months": data.get("horizon_months")})
    return {"count": len(out), "exercises": out}


@router.post("/exercises/{name}/runs", status_code=202, summary="Run a bundled exercise scenario (analyst)")
def exercise_start(request: Request, name: str, body: RunKnobs | None = None, p: Principal = Depends(runs("stress"))):
    found = bundled_scenarios()
    if name not in found:  # a name, never a path: only bundled files are reachable
        raise not_found(f"no exercise '{name[:80]}'; available: {', '.join(sorted(found))}")
    body = body or RunKnobs()
    return start_job(request, p, "exercise", str(found[name]), {"exercise": name}, body.draws, body.seed)


@router.get("/jobs", summary="Your jobs (admins: all)")
def jobs(request: Request, p: Principal = Depends(reads("stress"))):
    ws = workspace(request)
    mine = [j.public() for j in ws.jobs.list() if p.role == "admin" or j.owner == p.token_id]
    return {"count": len(mine), "jobs": mine}


@router.get("/jobs/{job_id}", summary="A job's status, progress and result")
def job(request: Request, job_id: str, p: Principal = Depends(reads("stress"))):
    j = workspace(request).jobs.get(job_id[:80])
    if j is None:
        raise not_found(f"no job '{job_id[:80]}'")
    if p.role != "admin" and j.owner != p.token_id:
        raise forbidden("this job was started by another token")
    return j.public()


@router.get("/stress/runs", summary="Saved stress and exercise runs")
def stress_runs(request: Request, format: str | None = Query(None), p: Principal = Depends(reads("stress"))):
    import pandas as pd

    from critmin.stress.store import list_runs

    with workspace(request).store.read() as wh:
        df = list_runs(wh) if "stress_runs" in wh.tables() else pd.DataFrame(columns=["run_id"])
    return formats.table(df, formats.pick(request, format), "stress_runs")


@router.get("/stress/runs/{run_id}", summary="One saved run: scenario, summary bands, monthly bands")
def stress_run(request: Request, run_id: str = ..., p: Principal = Depends(reads("stress"))):
    from critmin.errors import UsageError
    from critmin.stress.store import load_run

    with workspace(request).store.read() as wh:
        if "stress_runs" not in wh.tables():
            raise not_found("no stress runs saved yet")
        try:
            return formats.jsonable(load_run(run_id[:80], wh))
        except UsageError as exc:
            raise not_found(str(exc)) from None
