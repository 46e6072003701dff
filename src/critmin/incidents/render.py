"""An incident as text for the terminal (English or Chinese), from its stored data."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from critmin.incidents.api import Incident


def _n(x, digits: int = 1) -> str:
    if x is None or (isinstance(x, float) and x != x):
        return "—"
    if isinstance(x, (int, float)):
        return f"{x:,.{digits}f}"
    return str(x)


def render_text(inc: Incident, lang: str | None = None) -> str:
    """Header, alert, the three stages (those completed) and the history, as rich tables in plain text."""
    import pandas as pd

    from critmin.i18n import current_lang, t
    from critmin.tabletext import write_table

    lang = current_lang(lang)
    zh = lang == "zh"
    buf = io.StringIO()

    def line(s: str = "") -> None:
        buf.write(s + "\n")

    def table(rows, cols, title=None):
        if rows:
            df = pd.DataFrame(rows)
            write_table(df[[c for c in cols if c in df.columns]], title=title, out=buf)

    a = inc.alert or {}
    line(t("incident.header", lang, id=inc.incident_id, status=t(f"incident.status.{inc.status}", lang),
           stage=t(f"incident.stage.{inc.stage}", lang)))
    line(t("incident.alert", lang, alert_id=a.get("id"), level=t(f"monitor.level.{a.get('level')}", lang),
           title=a.get("title_zh" if zh else "title_en"), importer=a.get("importer"), material=a.get("material"),
           stage=a.get("stage") or "—", supplier=a.get("supplier") or "—", period=a.get("period"),
           metric=a.get("metric"), value=_n(a.get("value"), 2), comparison=a.get("comparison"),
           threshold=_n(a.get("threshold"), 2)))
    f = inc.fact_check
    if f:
        line()
        line("== " + t("incident.stage.fact_check", lang))
        if f.get("verified") is None:
            line(t("incident.fact.feed", lang, note=f.get("note", "")))
        elif f.get("verified"):
            line(t("incident.fact.verified", lang, value=_n(f.get("recomputed_value"), 4)))
        else:
            line(t("incident.fact.mismatch", lang, value=_n(f.get("recomputed_value"), 4),
                   alert_value=_n(f.get("alert_value"), 4)))
        tr = f.get("trade_rows")
        if tr:
            sr = tr.get("supplier_rows") or {}
            line(t("incident.fact.rows", lang, n_rows=tr.get("n_rows"), value_kusd=_n(tr.get("value_kusd")),
                   qty_t=_n(tr.get("qty_t")), sup_value=_n(sr.get("value_kusd")), sup_qty=_n(sr.get("qty_t"))))
        table(f.get("top_suppliers"), ["supplier", "share", "imports_kusd", "imports_t"])
        table(f.get("provenance"), ["provenance_id", "vintage", "licence"], t("incident.fact.provenance", lang))
        kb_rows = [{"id": e["id"], "date": e.get("date", ""), "title": e.get("title_zh" if zh else "title_en", ""),
                    "status": e.get("status_on_as_of") or "",
                    "sources": "; ".join(f"{c['primary']} [{c['seed']}]" + (f" {c['url']}" if c.get("url") else "")
                                         for c in e.get("citations", []))}
                   for e in f.get("kb_entries", [])]
        table(kb_rows, ["id", "date", "title", "status", "sources"], t("incident.fact.kb", lang))
        ctl = [{"id": c["id"], "date": c["date"], "reference": c.get("reference") or "",
                "title": c["title_zh" if zh else "title_en"]} for c in f.get("active_controls", [])]
        table(ctl, ["id", "date", "reference", "title"], t("incident.fact.controls", lang, date=f.get("as_of")))
        if f.get("rests_on_derived_date"):
            line(t("incident.fact.derived", lang))
    im = inc.impact
    if im:
        line()
        line("== " + t("incident.stage.impact_assessment", lang))
        sh = im.get("shock", {})
        if im.get("skipped"):
            line(t("incident.impact.skipped", lang, reason=im["skipped"]))
        else:
            line(t("incident.impact.run", lang, run_id=im.get("stress_run_id"), supplier=sh.get("supplier"),
                   cut=sh.get("cut", 0), material=sh.get("material"), hs6=", ".join(sh.get("hs6", [])),
                   months=sh.get("duration_months"), year=sh.get("baseline_year"), draws=sh.get("draws"),
                   seed=sh.get("seed")))
            table(im.get("affected_importers"), ["importer", "demand_t", "exposure_share", "shortfall_t_p50",
                                                 "shortfall_share_p50", "stockout_month_p50", "stock0_t_p50"],
                  t("incident.impact.importers", lang))
            ch = im.get("chain")
            if ch:
                table(ch.get("magnet_shortfall_t"), ["importer", "p10", "p50", "p90"],
                      t("incident.impact.chain", lang, run_id=ch.get("run_id"), shock=ch.get("shock"),
                        first_day=ch.get("first_day"), weeks=ch.get("weeks")))
            sect = [{"importer": r["importer"], "sector": r["name_zh" if zh else "name_en"], "unit": r.get("unit"),
                     "units_at_risk_p50": r.get("units_at_risk_p50")} for r in im.get("downstream_sectors", [])]
            table(sect, ["importer", "sector", "unit", "units_at_risk_p50"], t("incident.impact.sectors", lang))
    tr = inc.transition
    if tr:
        line()
        line("== " + t("incident.stage.transition_arrangements", lang))
        if tr.get("skipped"):
            line(t("incident.trans.skipped", lang, reason=tr["skipped"]))
        alts = [{**r, "name": r.get("name_zh" if zh else "name_en")} for r in tr.get("alternatives", [])]
        table(alts, ["rank", "iso3", "name", "stage", "capacity_t_low", "capacity_t_high", "spare_t_per_year_mid",
                     "exports_to_importer_t", "production_t", "exports_t", "spare_t", "pv_estimate", "tie_kusd",
                     "stress_extra_t_p50", "score", "tag"],
              t("incident.trans.alternatives_chain" if tr.get("chain") else "incident.trans.alternatives", lang))
        grouped: dict[tuple[str, str], list[str]] = {}
        for r in tr.get("excluded") or []:  # one line per stage and reason, not one per economy
            grouped.setdefault((r.get("stage") or "", str(r.get("reason", "")).split(":")[0]), []).append(r["iso3"])
        table([{"stage": st, "reason": why, "n": len(v), "iso3": ", ".join(v[:12]) + (" …" if len(v) > 12 else "")}
               for (st, why), v in grouped.items()], ["stage", "reason", "n", "iso3"],
              t("incident.trans.excluded", lang))
        c = tr.get("stock_cover")
        if c:
            line(t("incident.trans.cover", lang, importer=c["importer"], months=_n(c.get("cover_months_p50")),
                   stock=_n(c.get("stock0_t_p50")), p10=_n(c.get("stockout_month_p10"), 0),
                   p50=_n(c.get("stockout_month_p50"), 0), p90=_n(c.get("stockout_month_p90"), 0)))
        ms = [{"measure": m["zh"] if zh else m["en"], "cited": m["citation"],
               "evidence": "; ".join(f"{e.get('date', '')} {e.get('id')}" for e in m.get("evidence", []))}
              for m in tr.get("transition_measures", [])]
        table(ms, ["measure", "evidence", "cited"], t("incident.trans.measures", lang))
        if tr.get("arrangements"):
            line(t("incident.trans.arrangements", lang) + ":")
            for k, s in enumerate(tr["arrangements"], 1):
                line(f"  {k}. " + t(s["key"], lang, **s.get("fields", {})))
    line()
    hist = inc.history.copy()
    write_table(hist, title=t("incident.history", lang), out=buf)
    return buf.getvalue()
