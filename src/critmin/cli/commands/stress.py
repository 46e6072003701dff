"""`critmin stress`: export-restriction stress tests (quick form, scenario files, saved runs, backtest)."""

from __future__ import annotations

from pathlib import Path

import typer

from critmin.cli.output import FORMAT_OPT, Format, check_lang, emit

HELP = (
    "Stress-test an export restriction through the real trade network / 出口限制压力测试. "
    "Quick form: critmin stress --supplier CHN --material rare_earths --stage compound --cut 0.4 "
    "--months 12 --importer EU27 --draws 10000"
)

stress_app = typer.Typer(help=HELP, invoke_without_command=True, no_args_is_help=False)

_FMT = FORMAT_OPT
_OUT = typer.Option(None, "--out", help="directory for result.json, monthly.csv and the chart (HTML)")
_WH = typer.Option(None, "--warehouse", help="warehouse file (else CRITMIN_WAREHOUSE, else the default)")
_SAVE = typer.Option(True, "--save/--no-save", help="save the run in the warehouse (stress_runs, stress_results)")
_CHART = typer.Option(None, "--chart", help="write the stock/shortfall band chart (offline HTML) here")
_LANG = typer.Option(None, "--lang", callback=check_lang, help="en|zh (else CRITMIN_LANG)")
_STAGE = typer.Option(None, "--stage", help="ore_concentrate|processed_refined|metal|compound (default all)")
_IMPORTER = typer.Option(None, "--importer", "--importers",
                         help="importers to report: ISO3 codes, groups (EU27, G7, MSP, user groups) or country "
                         "names; comma-separated or repeated")
_DRAWS = typer.Option(10_000, "--draws", help="Monte Carlo draws")
_SEED = typer.Option(0, "--seed", help="random seed (same seed, same bands)")
_YEAR = typer.Option(2024, "--year", help="baseline year of the BACI flows")


def register(app: typer.Typer) -> None:
    app.add_typer(stress_app, name="stress")


@stress_app.callback()
def stress(
    ctx: typer.Context,
    supplier: str = typer.Option(None, "--supplier", help="supplier ISO3 or group, e.g. CHN"),
    material: str = typer.Option(None, "--material", help="material id or name, e.g. rare_earths"),
    stage: str = _STAGE,
    cut: float = typer.Option(None, "--cut", help="fraction of the supplier's exports withheld, 0–1"),
    months: int = typer.Option(None, "--months", help="duration of the shock in months"),
    importer: list[str] = _IMPORTER,
    target: list[str] = typer.Option(None, "--target", help="restrict the cut to these importers (repeatable)"),
    exempt: list[str] = typer.Option(None, "--exempt", help="exempt these importers from the cut (repeatable)"),
    draws: int = _DRAWS,
    seed: int = _SEED,
    year: int = _YEAR,
    horizon: int = typer.Option(None, "--horizon", help="months simulated (default: the shock's duration)"),
    allocation: str = typer.Option("ties", "--allocation", help="ties (pro rata to pre-shock ties) | shortfall"),
    fmt: Format = _FMT,
    out: Path = _OUT,
    chart: Path = _CHART,
    warehouse: str = _WH,
    save: bool = _SAVE,
    lang: str = _LANG,
) -> None:
    """Stress-test an export restriction / 出口限制压力测试 (quick form when no subcommand is given)."""
    if ctx.invoked_subcommand is not None:
        return
    from critmin.errors import UsageError
    from critmin.i18n import t

    if supplier is None or material is None or cut is None or months is None:
        if supplier is None and material is None and cut is None and months is None:
            typer.echo(ctx.get_help())
            raise typer.Exit(0)
        raise UsageError(t("stress.no_args", lang))
    from critmin.stress.quick import quick_scenario

    sc = quick_scenario(supplier, material, cut, months, stage=stage, importers=list(importer or []) or None,
                        targets=list(target or []) or None, exempt=list(exempt or []) or None, year=year, draws=draws,
                        seed=seed, horizon_months=horizon, allocation=allocation)
    _run_and_emit(sc, fmt, out, chart, warehouse, save, lang)


@stress_app.command("quick")
def quick(
    supplier: str = typer.Option(..., "--supplier", help="supplier ISO3 or group, e.g. CHN"),
    material: str = typer.Option(..., "--material", help="material id or name, e.g. rare_earths"),
    cut: float = typer.Option(..., "--cut", help="fraction withheld, 0–1"),
    months: int = typer.Option(..., "--months", help="duration in months"),
    stage: str = _STAGE,
    importer: list[str] = _IMPORTER,
    draws: int = _DRAWS,
    seed: int = _SEED,
    year: int = _YEAR,
    fmt: Format = _FMT,
    out: Path = _OUT,
    chart: Path = _CHART,
    warehouse: str = _WH,
    save: bool = _SAVE,
    lang: str = _LANG,
) -> None:
    """The quick form as a subcommand / 快捷形式（子命令）."""
    from critmin.stress.quick import quick_scenario

    sc = quick_scenario(supplier, material, cut, months, stage=stage, importers=list(importer or []) or None,
                        year=year, draws=draws, seed=seed)
    _run_and_emit(sc, fmt, out, chart, warehouse, save, lang)


@stress_app.command("run")
def run_file(
    file: Path = typer.Argument(..., help="scenario YAML file"),
    draws: int = typer.Option(None, "--draws", help="override the scenario's draws"),
    seed: int = typer.Option(None, "--seed", help="override the scenario's seed"),
    fmt: Format = _FMT,
    out: Path = _OUT,
    chart: Path = _CHART,
    warehouse: str = _WH,
    save: bool = _SAVE,
    lang: str = _LANG,
) -> None:
    """Run a scenario file / 运行情景文件."""
    from critmin.stress.scenario import load_scenario

    sc = load_scenario(file)
    _run_and_emit(sc, fmt, out, chart, warehouse, save, lang, draws=draws, seed=seed)


@stress_app.command("runs")
def runs(fmt: Format = _FMT, warehouse: str = _WH, lang: str = _LANG) -> None:
    """List saved stress runs / 列出已保存的压力测试."""
    from critmin.i18n import t
    from critmin.stress.store import list_runs
    from critmin.warehouse.handle import using

    with using(warehouse) as wh:
        df = list_runs(wh)
    emit(df, fmt, title=t("stress.runs.title", lang, count=len(df)))


@stress_app.command("show")
def show(run_id: str = typer.Argument(..., help="run id, e.g. stress-1a2b3c4d5e6f"), fmt: Format = _FMT,
         warehouse: str = _WH) -> None:
    """Show a saved run's totals / 显示已保存运行的汇总."""
    from critmin.stress.store import load_run
    from critmin.warehouse.handle import using

    with using(warehouse) as wh:
        got = load_run(run_id, wh)
    res = got["results"]
    emit(res[res["month"].isna()].reset_index(drop=True), fmt, title=run_id)


@stress_app.command("backtest")
def backtest(fmt: Format = _FMT, warehouse: str = _WH, draws: int = typer.Option(2000, "--draws"),
             seed: int = typer.Option(0, "--seed"), chart: Path = _CHART, lang: str = _LANG,
             episode: str = typer.Option("2010", "--episode", help="2010 (quota, BACI 2010-2012) | 2025 (No. 18 "
                                         "licensing, published magnet exports)"),
             model: str = typer.Option("all", "--model", help="comma-separated or 'all'. 2010: engine (30-50 % "
                                       "cut), law (quota as a ceiling), chain (the chain model's quota regime); "
                                       "2025: law (review, gradual licensing, backlog), chain (the chain "
                                       "model's licence path)"),
             demand_year: int = typer.Option(2008, "--demand-year", help="2010 law model: year whose China exports "
                                             "stand for demand without the quota"),
             cdn: bool = typer.Option(False, "--cdn", help="chart loads plotly.js from the CDN (small file)")) -> None:
    """Backtests against "nothing changes": the 2010 quota episode or 2025 licensing / 回测：2010 年配额事件或 2025 年许可管理."""
    from critmin.errors import UsageError
    from critmin.i18n import t

    if episode not in ("2010", "2025"):
        raise UsageError(f"--episode: expected 2010 or 2025, got {episode!r}")
    allowed = ("engine", "law", "chain") if episode == "2010" else ("law", "chain")
    models = list(allowed) if model == "all" else [m.strip() for m in model.split(",") if m.strip()]
    bad = [m for m in models if m not in allowed]
    if bad or not models:
        raise UsageError(f"--model for episode {episode}: expected 'all' or some of {', '.join(allowed)}, "
                         f"got {model!r}")
    if episode == "2025":
        _backtest_2025(fmt, draws, seed, chart, lang, cdn, models)
        return
    from critmin.stress.backtest import backtest_2010, write_backtest_chart
    from critmin.warehouse.handle import using

    others = {}
    with using(warehouse) as wh:
        bt = backtest_2010(wh, draws=draws, seed=seed)
        if "law" in models:
            from critmin.stress.backtest_law import backtest_2010_law

            others["law"] = backtest_2010_law(wh, draws=draws, seed=seed, demand_year=demand_year, engine=bt)
        if "chain" in models:
            from critmin.stress.backtest_law import backtest_2010_chain

            others["chain"] = backtest_2010_chain(wh, draws=draws, seed=seed, engine=bt)
    if fmt is Format.json:
        doc = {}
        if "engine" in models:
            doc["engine"] = {"importers": bt.importers, "suppliers": bt.suppliers, "errors": bt.errors,
                             "meta": bt.meta}
        for m, r in others.items():
            doc[m] = {"importers": r.importers, "suppliers": r.suppliers, "prices": r.prices, "errors": r.errors,
                      "meta": r.meta}
            if r.from_china is not None:
                doc[m]["from_china"] = r.from_china
        _print_json(doc)
    elif fmt is Format.csv:
        import pandas as pd

        parts = [bt.importers.assign(model="engine")] if "engine" in models else []
        parts += [r.importers.assign(model=m) for m, r in others.items()]
        emit(pd.concat(parts, ignore_index=True), fmt)
    else:
        if "engine" in models:
            emit(bt.importers, fmt, title=t("stress.backtest.importers", lang))
            emit(bt.suppliers, fmt, title=t("stress.backtest.suppliers", lang))
            emit(bt.errors, fmt, title=t("stress.backtest.errors", lang))
        for m, r in others.items():
            tag = f" [{m}]"
            emit(r.importers, fmt, title=t("stress.backtest.law.importers", lang) + tag)
            if r.from_china is not None:
                emit(r.from_china, fmt, title=t("stress.backtest.law.from_china", lang) + tag)
            if len(r.suppliers):
                emit(r.suppliers, fmt, title=t("stress.backtest.law.suppliers", lang) + tag)
            emit(r.prices, fmt, title=t("stress.backtest.law.prices", lang) + tag)
            emit(r.errors, fmt, title=t("stress.backtest.law.errors", lang) + tag)
            _emit_parameters(r.meta, fmt, lang, "chain" if m == "chain" else "2010")
    if chart:
        if "law" in others:
            from critmin.stress.backtest_chart import write_2010_chart

            write_2010_chart(others["law"], chart, engine=bt if "engine" in models else None,
                             chain=others.get("chain"), offline=not cdn, lang=lang)
        else:
            write_backtest_chart(bt, chart, offline=not cdn)


def _emit_parameters(meta: dict, fmt: Format, lang, episode: str) -> None:
    import pandas as pd

    from critmin.i18n import t

    rows = [{"parameter": k, "value": v["value"], "source": v["source"]} for k, v in meta["parameters"].items()]
    emit(pd.DataFrame(rows), fmt, title=t("stress.backtest.parameters", lang))
    typer.echo(t(f"stress.backtest.calibration_{episode}", lang))


def _print_json(doc: dict) -> None:
    """One JSON document; data frames become lists of rows, NaN becomes null."""
    import json
    import math
    import sys

    import pandas as pd

    def plain(v):
        if isinstance(v, pd.DataFrame):
            return [plain(r) for r in v.to_dict(orient="records")]
        if isinstance(v, dict):
            return {str(k): plain(x) for k, x in v.items()}
        if isinstance(v, list | tuple):
            return [plain(x) for x in v]
        if hasattr(v, "item"):  # numpy scalars
            v = v.item()
        if isinstance(v, float) and not math.isfinite(v):
            return None
        return v

    sys.stdout.write(json.dumps(plain(doc), ensure_ascii=False, indent=2, allow_nan=False) + "\n")


def _backtest_2025(fmt: Format, draws: int, seed: int, chart: Path | None, lang, cdn: bool,
                   models: list[str]) -> None:
    import pandas as pd

    from critmin.i18n import t
    from critmin.stress.backtest_2025 import backtest_2025

    bts = {m: backtest_2025(draws=draws, seed=seed, model=m) for m in models}
    cols = ["month", "destination", "qty_t", "qty_how", "base_t", "ratio", "ratio_how", "model_p10", "model_p50",
            "model_p90", "sources"]
    if fmt is Format.json:
        _print_json({m: {"cells": b.cells, "scores": b.scores, "by_destination": b.by_destination, "path": b.path,
                         "meta": b.meta} for m, b in bts.items()})
    elif fmt is Format.csv:
        emit(pd.concat([b.cells[cols].assign(model=m) for m, b in bts.items()], ignore_index=True), fmt)
    else:
        for m, b in bts.items():
            emit(b.cells[cols], fmt, title=t("stress.backtest.2025.cells", lang) + f" [{m}]")
            emit(pd.DataFrame([b.scores]), fmt, title=t("stress.backtest.2025.scores", lang) + f" [{m}]")
            emit(b.by_destination, fmt, title=t("stress.backtest.2025.destinations", lang) + f" [{m}]")
            _emit_parameters(b.meta, fmt, lang, "chain" if m == "chain" else "2025")
    if chart:
        from critmin.stress.backtest_chart import write_2025_chart

        write_2025_chart(list(bts.values()), chart, offline=not cdn, lang=lang)


def _run_and_emit(sc, fmt: Format, out: Path | None, chart: Path | None, warehouse, save: bool, lang,
                  draws=None, seed=None) -> None:
    import json
    import sys

    from critmin.i18n import t
    from critmin.stress.api import run
    from critmin.warehouse.handle import using

    with using(warehouse, read_only=not save, command="stress") as wh:  # the command's one handle
        res = run(sc, warehouse=wh, draws=draws, seed=seed, save=save)
    note = sys.stderr if fmt is not Format.table else sys.stdout
    if fmt is Format.json:
        rows = [{"run_id": res.run_id, **res.importer_json(i)} for i in res.summary["importer"]]
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2, allow_nan=False) + "\n")
    elif fmt is Format.csv:
        emit(res.summary, fmt)
    else:
        months = res.meta["months"]
        table = res.table().copy()
        never = t("stress.stockout_never", lang)
        table["stockout_month_p50"] = [never if v == float("inf") else f"{v:g}" for v in table["stockout_month_p50"]]
        emit(table, fmt, title=t("stress.table.title", lang, run_id=res.run_id, months=months))
        if not res.downstream.empty:
            d = res.downstream[["importer", "sector", "unit", "units_at_risk_p10", "units_at_risk_p50",
                                "units_at_risk_p90", "tag"]]
            emit(d, fmt, title=t("stress.downstream.title", lang))
        mk = res.market.pivot(index="month", columns="metric", values="p50").reset_index()
        emit(mk, fmt, title=t("stress.market.title", lang))
        typer.echo(t("stress.spare_source", lang, source=res.meta["spare_source"]), file=note)
    if out is not None:
        from critmin.atomic import write_text
        from critmin.csvsafe import csv_safe

        write_text(out / "result.json", res.to_json())
        write_text(out / "monthly.csv", csv_safe(res.monthly).to_csv(index=False))
        path = res.chart(out / f"{res.run_id}.html", lang=lang or "en")
        typer.echo(t("stress.chart_written", lang, path=path), file=note)
    if chart is not None:
        path = res.chart(chart, lang=lang or "en")
        typer.echo(t("stress.chart_written", lang, path=path), file=note)
    if save:
        typer.echo(t("stress.saved", lang, run_id=res.run_id, path=wh.path), file=note)



@stress_app.command("chain")
def chain(
    file: Path = typer.Argument(None, help="chain scenario YAML (shock + importers, year, draws, seed, weeks)"),
    measure: str = typer.Option(None, "--measure", help="KB measure id, e.g. chn-2025-no18-medium-heavy-ree"),
    stage: list[str] = typer.Option(None, "--stage", help="hand-written volume cut: stage(s) covered "
                                    "(ore|oxide|metal|magnet), all element groups"),
    cut: float = typer.Option(None, "--cut", help="hand-written volume cut: fraction withheld, 0–1"),
    start: str = typer.Option(None, "--start", help="hand-written shock: first day in force (YYYY-MM-DD)"),
    end: str = typer.Option(None, "--end", help="hand-written shock: last day in force (YYYY-MM-DD)"),
    importer: list[str] = _IMPORTER,
    year: int = typer.Option(None, "--year", help="baseline year of the BACI flows (default 2024)"),
    draws: int = typer.Option(None, "--draws", help="Monte Carlo draws (default 10,000)"),
    seed: int = typer.Option(None, "--seed", help="random seed (same seed, same bands)"),
    weeks: int = typer.Option(None, "--weeks", help="weeks simulated (default 52)"),
    first_day: str = typer.Option(None, "--first-day", help="first simulated day (default: first day in force)"),
    unknown_as: str = typer.Option(None, "--unknown-as", help="where the KB says 'unknown': stop (default) | "
                                   "in_force | lifted (your assumption, labelled in the output)"),
    fmt: Format = _FMT,
    out: Path = _OUT,
    warehouse: str = _WH,
    lang: str = _LANG,
) -> None:
    """Multi-stage chain shock, week by week: ore → oxide → metal → magnet → end uses / 多环节产业链冲击（按周）."""
    import sys

    from critmin.errors import UsageError
    from critmin.i18n import t
    from critmin.stress.chain import run_chain
    from critmin.stress.chain_shock import ChainRunFile, load_chain_run, parse_shock, shock_from_measure

    given = [x for x in (file, measure, cut) if x is not None]
    if len(given) != 1:
        raise UsageError(t("stress.chain.need_shock", lang))
    if file is not None:
        spec = load_chain_run(file)
    else:
        if measure is not None:
            sh = shock_from_measure(measure, unknown_as=unknown_as or "stop")
        else:
            if not stage or start is None:
                raise UsageError(t("stress.chain.need_shock", lang))
            sh = parse_shock({"name": "cli", "start": start, "end": end, "coverage": {s: "all" for s in stage},
                              "regime": {"kind": "volume", "cut": cut}, "unknown_as": unknown_as or "stop"}, "--cut")
        spec = ChainRunFile(shock=sh)
    if unknown_as is not None and file is not None:
        spec.shock = spec.shock.model_copy(update={"unknown_as": unknown_as})
    r = run_chain(spec.shock, list(importer or []) or spec.importers, year=year or spec.year,
                  draws=draws or spec.draws, seed=spec.seed if seed is None else seed, weeks=weeks or spec.weeks,
                  first_day=first_day or spec.first_day, warehouse=warehouse)
    note = sys.stderr if fmt is not Format.table else sys.stdout
    if fmt is Format.json:
        sys.stdout.write(r.to_json() + "\n")
    elif fmt is Format.csv:
        emit(r.totals, fmt)
    else:
        tot = r.totals[r.totals["good"] == "all"]
        wide = tot.pivot_table(index=["node", "stage"], columns="metric", values="p50", sort=False).reset_index()
        cols = ["node", "stage", "withheld_t", "production_loss_t", "replacement_t", "stock_draw_t", "substitution_t",
                "recycling_t", "demand_reduction_t", "shortfall_t", "terminal_shortfall_t"]
        emit(wide[cols].round(1), fmt, title=t("stress.chain.stages.title", lang, run_id=r.run_id, weeks=r.meta["weeks"],
                                                first_day=r.meta["first_day"]))
        sec = r.sector_totals[["node", "sector", "shortfall_t_magnet_p10", "shortfall_t_magnet_p50",
                               "shortfall_t_magnet_p90", "units_at_risk_p50", "unit", "tag_share", "tag_intensity"]]
        emit(sec.round(1), fmt, title=t("stress.chain.sectors.title", lang))
        if not r.replacement.empty:
            emit(r.replacement[["node", "stage", "good", "supplier", "t_p10", "t_p50", "t_p90"]].round(1), fmt,
                 title=t("stress.chain.replacement.title", lang))
        ass = r.assumptions.loc[r.assumptions["assumption"], "parameter"].tolist()
        typer.echo(t("stress.chain.assumptions", lang, count=len(ass), total=len(r.assumptions),
                     names=", ".join(ass)), file=note)
        for line in r.meta["notes"]:
            typer.echo(f"- {line}", file=note)
    if out is not None:
        from critmin.atomic import write_text
        from critmin.csvsafe import csv_safe

        write_text(out / "chain.json", r.to_json())
        write_text(out / "weekly.csv", csv_safe(r.weekly).to_csv(index=False))
        write_text(out / "sectors.csv", csv_safe(r.sectors).to_csv(index=False))
        write_text(out / "assumptions.csv", csv_safe(r.assumptions).to_csv(index=False))
        typer.echo(t("stress.chain.written", lang, path=out), file=note)
