"""Backtest 2025: licensing under MOFCOM/GAC No. 18 against China's published magnet exports (HS 8505.11).

No. 18 cut no volume: from its effective day every covered shipment needs a licence, and a licence takes a
review. The model therefore says, per day, which share of the normal flow can leave China:

* shipments already declared before the effective day still leave (``pipeline_days``);
* then nothing covered leaves until the first licences arrive (application time + review time), after which
  licences reach the applicants gradually (``ramp_days``) up to the ``approval_share``;
* goods outside the licence duty (``1 − covered_share``) keep moving;
* part of the orders that waited for a licence and were approved ships later, on top of the normal flow
  (``backlog_release``, spread over 90 days); refused orders are cancelled.

A month's ratio to the same month of 2024 is the mean of that daily share. Nothing is
fitted to the 2025 figures: the dates come from the knowledge base, the review time from a practitioner's
guide, and every other parameter is an ASSUMPTION range (labelled so in every output). The ranges were
written by someone who had read the press reports (the structure — collapse, then recovery through licences —
was chosen knowing there was one episode); with one episode there is no period to hold out, and the docs say
so. No destination-specific rule: No. 18 names none, so every destination gets the same path and what
differs by destination in the actuals (the US tariff war of April–May 2025, Korea's surge) is model error.

The scoring baseline ("nothing changes") is the same month a year earlier: ratio 1.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from critmin.stress.params import Uniform

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

MEASURE = "chn-2025-no18-medium-heavy-ree"
QS = (10, 50, 90)

# name -> (distribution, source or ASSUMPTION)
PARAMETERS: dict[str, tuple[Any, str]] = {
    "pipeline_days": (Uniform(dist="uniform", low=0, high=14),
                      "ASSUMPTION: goods declared to customs before the effective day still leave"),
    "application_days": (Uniform(dist="uniform", low=7, high=21),
                         "ASSUMPTION: time for exporters to file complete applications (end-user papers)"),
    "review_working_days": (Uniform(dist="uniform", low=20, high=45),
                            "dual-use export licence 20-45 working days (sz-yr.com practitioner guide, "
                            "https://sz-yr.com/?p=231); calendar days = working days x 7/5"),
    "ramp_days": (Uniform(dist="uniform", low=30, high=90),
                  "ASSUMPTION: licences reach the applicants over this many days after the first ones"),
    "approval_share": (Uniform(dist="uniform", low=0.6, high=1.0),
                       "ASSUMPTION: MOFCOM said only that 'a certain number' were approved (June 2025)"),
    "covered_share": (Uniform(dist="uniform", low=0.7, high=1.0),
                      "ASSUMPTION: share of HS 8505.11 tonnage that contains a listed element (Sm, Dy, Tb ...)"),
    "backlog_release": (Uniform(dist="uniform", low=0.0, high=0.5),
                        "ASSUMPTION: share of orders held back that ship later (over 90 days)"),
}
RELEASE_DAYS = 90


@dataclass
class Backtest2025:
    cells: pd.DataFrame      # month, destination, actual ratio and level, model P10/P50/P90 (ratio and t)
    scores: dict[str, float]
    by_destination: pd.DataFrame
    path: pd.DataFrame       # month, model_p10/p50/p90 ratio for every month Apr-Dec (all destinations alike)
    meta: dict[str, Any]


def _effective_day() -> tuple[dt.date, str]:
    from critmin.kb.loader import load_kb

    m = load_kb().measures[MEASURE]
    return m.effective, f"knowledge base {MEASURE}: effective {m.effective}"


def licence_path(months: list[str], draws: int, seed: int, effective: dt.date) -> np.ndarray:
    """Ratio of each month's exports to normal, per draw: (draws, months). Vectorised over draws; the only
    loop is over the days of the simulated window."""
    from critmin.stress.backtest_params import draw

    p = draw(PARAMETERS, draws, seed)
    first = dt.date(int(months[0][:4]), int(months[0][5:7]), 1)
    y, mo = int(months[-1][:4]), int(months[-1][5:7])
    last = (dt.date(y + mo // 12, mo % 12 + 1, 1) - dt.timedelta(days=1))
    days = np.arange((last - first).days + 1)
    t = days[None, :] - (effective - first).days  # days since the effective day, (1, T)
    pipe = p["pipeline_days"][:, None]
    first_licence = p["application_days"][:, None] + p["review_working_days"][:, None] * 7 / 5
    ramp = np.clip((t - first_licence) / p["ramp_days"][:, None], 0.0, 1.0)
    licensed = np.where(t < 0, 1.0, np.where(t < pipe, 1.0, p["approval_share"][:, None] * ramp))
    cov = p["covered_share"][:, None]
    share = (1 - cov) + cov * licensed  # (D, T)
    # orders that will be approved but wait for their licence (refused ones are cancelled, not held), from
    # the end of the pipeline to full licensing; a share is released over RELEASE_DAYS afterwards
    waiting = cov * p["approval_share"][:, None] * (1 - ramp) * (t >= pipe)
    total_held = waiting.sum(axis=1, keepdims=True)
    full = first_licence + p["ramp_days"][:, None]
    in_release = (t >= full) & (t < full + RELEASE_DAYS)
    share = share + np.where(in_release, p["backlog_release"][:, None] * total_held / RELEASE_DAYS, 0.0)
    out = np.empty((draws, len(months)))
    month_of = np.array([(first + dt.timedelta(days=int(d))).strftime("%Y-%m") for d in days])
    for k, m in enumerate(months):
        out[:, k] = share[:, month_of == m].mean(axis=1)
    return out


def chain_path(months: list[str], draws: int, seed: int) -> tuple[np.ndarray, dict[str, dict[str, str]]]:
    """The chain model's licence path for No. 18 with its own defaults (``critmin.stress.chain.licence_path``,
    built from the KB measure), as (draws, months), and its parameters with their sources. No. 18 targets
    every destination, so one destination stands for all."""
    from critmin.stress.backtest_params import chain_listed
    from critmin.stress.chain import licence_path as chain_licence_path
    from critmin.stress.chain import shock_from_measure

    share, table = chain_licence_path(shock_from_measure(MEASURE), ["DEU"], [f"{m}-01" for m in months],
                                      stage="magnet", good="magnet", draws=draws, seed=seed)
    return share[:, 0, :], chain_listed(table)


def backtest_2025(*, draws: int = 4000, seed: int = 0, path: str | None = None,
                  model: str = "law") -> Backtest2025:
    """Score a licence model and the "nothing changes" baseline on every published month/destination.

    ``model``: ``law`` (this module's path: review, gradual licensing, backlog) or ``chain`` (the chain
    model's licence path with its default parameters)."""
    import pandas as pd

    from critmin.stress.backtest_data import load_magnets, magnet_table
    from critmin.stress.backtest_params import listed
    from critmin.stress.backtest_score import score_ratios

    eff, eff_src = _effective_day()
    months = [f"2025-{m:02d}" for m in range(4, 13)]
    if model == "law":
        ratios = licence_path(months, draws, seed, eff)
        params = listed(PARAMETERS)
    elif model == "chain":
        ratios, params = chain_path(months, draws, seed)
    else:
        from critmin.errors import UsageError

        raise UsageError(f"model: expected law or chain, got {model!r}")
    q = np.percentile(ratios, QS, axis=0)  # (3, M)
    qm = {m: q[:, k] for k, m in enumerate(months)}
    tab = magnet_table(path)
    cells = tab[tab["month"].isin(months)].copy()
    for j, name in enumerate(("model_p10", "model_p50", "model_p90")):
        cells[name] = [qm[m][j] for m in cells["month"]]
    cells["model_t_p50"] = cells["model_p50"] * cells["base_t"]
    cells["error_share_of_base"] = cells["model_p50"] - cells["ratio"]
    cells["baseline_error_share_of_base"] = 1.0 - cells["ratio"]
    scored = cells[cells["ratio"].notna()]
    scores = score_ratios(scored)
    by = []
    for dest, g in scored.groupby("destination"):
        s = score_ratios(g)
        by.append({"destination": dest, **s})
    # the episode as a whole: China's exports over the consecutive months with both years known (WORLD)
    w = cells[(cells["destination"] == "WORLD") & cells["base_t"].notna() & cells["qty_t"].notna()]
    w = w.sort_values("month")
    if len(w):
        idx = [months.index(m) for m in w["month"]]
        base = w["base_t"].to_numpy(float)
        per_draw = ratios[:, idx] @ base / base.sum()
        actual = float(w["qty_t"].sum() / base.sum())
        qe = np.percentile(per_draw, QS)
        scores.update({"episode_months": f"{w['month'].iloc[0]}..{w['month'].iloc[-1]}",
                       "episode_ratio_actual": actual, "episode_ratio_model_p10": float(qe[0]),
                       "episode_ratio_model_p50": float(qe[1]), "episode_ratio_model_p90": float(qe[2]),
                       "episode_error_model": abs(float(qe[1]) - actual), "episode_error_baseline": abs(1 - actual)})
    pathdf = pd.DataFrame({"month": months, "model_p10": q[0], "model_p50": q[1], "model_p90": q[2]})
    f = load_magnets(path)
    meta = {"model": model, "measure": MEASURE, "effective": str(eff), "effective_source": eff_src, "hs6": f.hs6,
            "draws": draws, "seed": seed, "baseline": "same month a year earlier (ratio 1)",
            "parameters": params,
            "calibration": "none fitted; ranges written after reading the 2025 press reports (no hold-out)",
            "sources": {k: {"publisher": s.publisher, "url": s.url, "date": str(s.date), "customs": s.customs,
                            "via": s.via} for k, s in f.sources.items()}}
    return Backtest2025(cells.reset_index(drop=True), scores, pd.DataFrame(by), pathdf, meta)
