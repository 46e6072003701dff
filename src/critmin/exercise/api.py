"""``run_exercise(file, out)``: validate the exercise, judge its injects with the alert rules, run the shock
through the chain model, and write the bilingual brief (``brief.html``) and its data (``exercise.json``).

Everything the brief shows is computed here from the warehouse, the knowledge base, the built-in rules and the
crisis-process file; :mod:`critmin.exercise.brief` only lays it out.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from critmin.exercise.model import Exercise

BRIEF = "brief.html"
DATA = "exercise.json"


@dataclass
class ExerciseResult:
    exercise: Exercise
    brief: Path | None
    data: dict[str, Any]
    files: list[Path] = field(default_factory=list)

    @property
    def n_alerts(self) -> int:
        return sum(len(i["alerts"]) for i in self.data["injects"])


def _facts(ex: Exercise, tables) -> list[dict[str, Any]]:
    """Stage 1's table: per importer and stage, the supplier's share of imports on both bases and the tonnage."""
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for basis, dep in tables.items():
        for r in dep.to_dict("records"):
            share = r.get("china_share") if ex.supplier == "CHN" else (
                r.get("top1_share") if r.get("top1_supplier") == ex.supplier else None)
            row = rows.setdefault((r["importer"], r["stage"]), {"importer": r["importer"], "stage": r["stage"]})
            row[f"share_{basis}"] = None if share is None or share != share else round(float(share) * 100, 1)
            if basis == "qty":
                row["imports_t"] = round(float(r["total_imports"]), 1)
    return [rows[k] for k in sorted(rows)]


def _conditions(process) -> list[dict[str, Any]]:
    """The seed's four trigger conditions with the thresholds the built-in rules apply."""
    from critmin.alerts import load_rules

    rules = {r.id: r for r in load_rules()}
    out = []
    for c in process.trigger.conditions:
        r = rules[c.rule]
        th = dict(r.thresholds.items())
        out.append({"id": c.id, "en": c.en, "zh": c.zh, "rule": r.id, "title_en": r.title_en, "title_zh": r.title_zh,
                    "metric": ",".join(r.metrics) + (" ÷ warning line" if r.normalise == "reference" else ""),
                    "comparison": r.comparison, "persistence": r.persistence,
                    "thresholds": " / ".join("—" if th.get(lv) is None else f"{th[lv]:g}"
                                             for lv in ("blue", "yellow", "orange", "red"))})
    return out


def chain_context(ex: Exercise, wh) -> dict[str, Any]:
    """The chain model's part of the brief: weekly impact per sector, stage 2 lines, parameters, alternatives."""
    from critmin.exercise import impact
    from critmin.exercise.brief import impact_section

    r = impact.run(ex, wh)
    weekly = impact.weekly_table(r)
    shock_params, assumed = impact.parameters(r)
    alts, notes = impact.alternatives_by_stage(ex, wh)
    marks: dict[int, list[str]] = {}
    for i in ex.timeline():
        marks.setdefault(i.week, []).append(i.id)
    state = dict(zip(r.legal["week"].astype(int), r.legal["state"].astype(str), strict=True))
    prev = None
    for wk in range(1, ex.weeks + 1):  # the legal state where it changes
        if state.get(wk) != prev:
            marks.setdefault(wk, []).append(f"[{state.get(wk)}]")
            prev = state.get(wk)
    text = {wk: ", ".join(v) for wk, v in marks.items()}
    return {"run_id": r.run_id, "weekly": weekly, "impact_section": impact_section(weekly, text),
            "impact_lines": impact.impact_lines(ex, r), "parameters": shock_params, "alternatives": alts,
            "alternatives_notes": notes, "legal": r.legal, "assumptions": r.assumptions,
            "sources": [f"Chain model run {r.run_id} (critmin.stress.chain; docs/stress.md): {ex.draws} draws, seed "
                        f"{ex.seed}, baseline {ex.year}; " + "; ".join(r.meta.get("notes", [])[:3]), *assumed]}


def brief_context(ex: Exercise, wh, *, chain: dict[str, Any] | None = None) -> dict[str, Any]:
    """Everything the brief shows, as plain data (also written to exercise.json)."""
    from critmin.catalog import load_catalog
    from critmin.exercise.alerts import dependency_tables, inject_alerts
    from critmin.exercise.brief import both
    from critmin.incidents.kbentry import kb_entry
    from critmin.incidents.process import load_process, measures_for

    cat = load_catalog()
    process = load_process()
    tables = dependency_tables(ex, wh)
    judged = {j["inject"]: j for j in inject_alerts(ex, tables)}
    names = {p.id: p for p in ex.participants}
    timeline = []
    for inj in ex.timeline():
        j = judged[inj.id]
        day = ex.day(inj.week)
        timeline.append({
            **inj.model_dump(exclude={"measure", "decisions", "observations", "relief"}), "date": j["date"],
            "relief": inj.relief.model_dump() if inj.relief else None,
            "level": j["level"], "alerts": j["alerts"],
            "measure": kb_entry(inj.measure, day) if inj.measure else None,
            "observations": [o.model_dump() for o in inj.observations],
            "decisions": [{**d.model_dump(), "name_en": names[d.participant].name_en,
                           "name_zh": names[d.participant].name_zh} for d in inj.decisions],
        })
    measure_ids = [m for m in [ex.shock.get("measure")] if m]
    start = ex.start.isoformat()
    chain = chain if chain is not None else chain_context(ex, wh)
    material = cat.material(ex.material)
    sources = [{"text": process.citation(process.stages[0].locator) + " — the three-stage process and the "
                "transition measures", "assumption": False},
               {"text": process.citation(process.trigger.locator) + " — the early-warning trigger and the joint "
                "exercises for autos, permanent-magnet motors and wind", "assumption": False},
               {"text": f"Trade: BACI {ex.year} (warehouse provenance "
                        f"{', '.join(sorted({p for d in tables.values() for ids in d.get('provenance_ids', []) for p in str(ids).split(';') if p}))})",
                "assumption": False},
               {"text": "Alert levels: critmin built-in rules (alerts/data/rules.yaml); priority weights: "
                        "monitor/data/priority.yaml (level weights are an ASSUMPTION there)", "assumption": False}]
    sources += [{"text": s, "assumption": s.upper().startswith("ASSUMPTION")} for s in chain.get("sources", [])]
    if any(not i.source and i.observations for i in ex.injects):
        sources.append({"text": "ASSUMPTION: inject values without a source are exercise inputs, not observations",
                        "assumption": True})
    return {
        "ex": {**ex.model_dump(mode="json", exclude={"participants", "injects"}), "supplier": ex.supplier},
        "subtitle": both("exercise.brief.subtitle", id=ex.id, weeks=ex.weeks, start=start,
                         material=f"{material.name_en} / {material.name_zh}", importers=", ".join(ex.importers), supplier=ex.supplier),
        "participants": [{**p.model_dump(), "decisions": [
            {"week": i.week, "inject": i.id} for i in ex.timeline() for d in i.decisions if d.participant == p.id]}
            for p in ex.participants],
        "shock": {"start": start, "measures": [kb_entry(m, ex.start) for m in measure_ids],
                  "parameters": chain.get("parameters", [])},
        "timeline": timeline,
        "impact": chain.get("impact_section") or {"charts": [], "tables": [], "notes": chain.get("impact_notes", [])},
        "process": {
            "exercises": process.exercises.model_dump(), "trigger": process.trigger.model_dump(),
            "citation_exercises": process.citation(process.exercises.locator),
            "citation_trigger": process.citation(process.trigger.locator),
            "conditions": _conditions(process),
            "stages": [{**s.model_dump(), "citation": process.citation(s.locator)} for s in process.stages],
            "measures": measures_for(start),
            "facts": _facts(ex, tables),
            "facts_source": f"critmin dependency, BACI {ex.year}, by stage (HS codes of the catalog); shares in %",
            "impact_lines": chain.get("impact_lines", []),
            "alternatives_notes": chain.get("alternatives_notes", []),
        },
        "alternatives": chain.get("alternatives", []),
        "sources": sources,
        "chain_run_id": chain.get("run_id"),
        "chain_parameters": ([] if chain.get("assumptions") is None
                             else json.loads(chain["assumptions"].to_json(orient="records"))),
        "weekly": chain.get("weekly"),
    }


def run_exercise(file: str | Path, out: str | Path | None = None, warehouse=None, *, draws: int | None = None,
                 seed: int | None = None, replace: bool = False) -> ExerciseResult:
    """Validate ``file``, compute the brief's data on the warehouse and, with ``out`` (a folder), write
    ``brief.html`` (+ plotly.js beside it) and ``exercise.json`` there. A brief already in ``out`` is kept
    unless ``replace`` (checked before any work, so a refused run writes nothing)."""
    from critmin.atomic import write_text
    from critmin.exercise.brief import render_brief
    from critmin.exercise.model import load_exercise
    from critmin.warehouse.handle import using

    if out is not None and not replace:
        there = [n for n in (BRIEF, DATA) if (Path(out) / n).exists()]
        if there:
            from critmin.errors import UsageError
            from critmin.i18n import t

            raise UsageError(t("exercise.exists", folder=str(out), files=", ".join(there)))
    ex, _data = load_exercise(file)
    if draws is not None or seed is not None:
        ex = ex.model_copy(update={k: v for k, v in (("draws", draws), ("seed", seed)) if v is not None})
    with using(warehouse) as wh:
        ctx = brief_context(ex, wh)
    files: list[Path] = []
    brief = None
    if out is not None:
        folder = Path(out)
        folder.mkdir(parents=True, exist_ok=True)
        data = {k: v for k, v in ctx.items() if k not in ("impact", "weekly")}
        data["impact_tables"] = ctx["impact"].get("tables", [])
        if ctx.get("weekly") is not None:
            data["weekly"] = json.loads(ctx["weekly"].to_json(orient="records", date_format="iso"))
        text = json.dumps(data, ensure_ascii=False, indent=1, default=str)  # fails before anything is written
        brief = render_brief(folder / BRIEF, ctx)
        files += [brief, write_text(folder / DATA, text)]
    ctx["injects"] = ctx["timeline"]
    return ExerciseResult(ex, brief, ctx, files)
