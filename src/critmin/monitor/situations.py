"""Situations: one card per economy × material × stage instead of one row per rule, basis and year.

A situation holds every metric on both bases and per HS6 code, the signals that fired, one level with its
reasons, the cited measures, the trend, the data year against the as-of date and a priority score.

Signals (each gives at most one level; families are independent of each other):
- concentration: the CRMA single-country benchmark (catalog benchmarks.yaml) where the law applies (EU27, strategic raw materials, per stage and per
  code), elsewhere a plainly named single-supplier rule. A breach at one HS6 code is a breach of the stage.
  Concentration alone never makes red;
- control: an export control whose state on the as-of date is in force, from a supplier holding more than the
  red share of the covered items → red; lower shares or other states (announced, suspended, unknown) less;
- trade: the year-on-year import drop rule at orange or red → orange;
- price: the unit-value jump rule at orange or red → orange;
- change points: context only.
Two independent orange signals make red. Under the materiality floor nothing is above yellow.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import TYPE_CHECKING

from critmin.monitor.priority import LEVEL_ORDER, LEVEL_RANK, Policy, benchmark_pct, score

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from critmin.monitor.compute import MonitorData

COLUMNS = ["situation_id", "rank", "priority", "level", "importer", "material", "stage", "hs6", "data_year",
           "as_of", "confidence", "stale_years", "imports_kusd", "imports_t", "stage_share", "top1_supplier_value",
           "top1_share_value", "top1_supplier_qty", "top1_share_qty", "china_share_value", "china_share_qty",
           "hhi_value", "hhi_qty", "yoy_imports", "top1_share_change_pp", "concentration_rule", "worst_share",
           "worst_where", "worst_basis", "worst_supplier", "signals", "reasons_en", "reasons_zh", "measures",
           "control_states", "own_list", "novelty", "change", "previous_level", "below_floor", "flagged_flows",
           "flagged_qty_share", "change_points", "detail"]


def situation_id(importer: str, material: str, stage: str) -> str:
    return f"{importer}|{material}|{stage}"


def _pivot(dep: pd.DataFrame, year: int) -> pd.DataFrame:
    """Latest-year rows, value and qty side by side (suffixes _value/_qty)."""
    keys = ["importer", "material_id", "stage"]
    cols = ["total_imports", "top1_supplier", "top1_share", "china_share", "hhi", "yoy_imports",
            "top1_share_change_pp"]
    d = dep[dep["year"] == year]
    parts = []
    for b in ("value", "qty"):
        s = d[d["basis"] == b][keys + [c for c in cols if c in d.columns]].set_index(keys)
        parts.append(s.add_suffix(f"_{b}"))
    return parts[0].join(parts[1], how="left").reset_index()


def hs6_detail(economies, year: int, materials: list[str], wh) -> pd.DataFrame:
    """Per importer × material × HS6 code (with its stage), latest year, both bases."""
    import pandas as pd

    from critmin.errors import UsageError
    from critmin.indicators.dependency import dependency
    from critmin.monitor.compute import importer_selections

    parts = []
    for b in ("value", "qty"):
        frames = []
        for sel in importer_selections(economies):
            try:
                frames.append(dependency(sel, None, by="hs6", years=[year], basis=b, warehouse=wh))
            except UsageError:  # no imports at all for this selection in the year
                continue
        if not frames:
            return pd.DataFrame()
        d = pd.concat(frames, ignore_index=True)
        d = d[d["material_id"].isin(materials)]
        keep = ["importer", "material_id", "hs6", "total_imports", "top1_supplier", "top1_share", "china_share"]
        parts.append(d[keep].set_index(["importer", "material_id", "hs6"]).add_suffix(f"_{b}"))
    out = parts[0].join(parts[1], how="left").reset_index()
    stages = wh.sql("select material_id, hs6, stage from material_hs6").df()
    return out.merge(stages, on=["material_id", "hs6"], how="left")


def _own_lists(policy: Policy, importers: list[str], wh) -> dict[str, set[str]]:
    lists = wh.sql("select list_id, material_id from critical_lists where material_id is not null").df()
    by_list = lists.groupby("list_id")["material_id"].apply(set).to_dict()
    return {imp: set().union(*[by_list.get(li, set()) for li in policy.priority.own_lists.get(imp, [])])
            for imp in importers}


def _members(economies, year: int) -> dict[str, tuple[set[str], bool]]:
    return {e.id: (set(e.members(year)), e.is_group) for e in economies}


def _level_max(a: str, b: str) -> str:
    return a if LEVEL_RANK[a] >= LEVEL_RANK[b] else b


def _pct(x) -> float:
    return float(x) * 100 if x is not None and x == x else float("nan")


class _Builder:
    def __init__(self, data: MonitorData, economies, wh, policy: Policy, previous: dict[str, str] | None,
                 prev_scope: tuple[set[str], set[str]] | None = None):
        from critmin.monitor.controls import ControlIndex

        self.data, self.wh, self.policy = data, wh, policy
        self.law_pct = benchmark_pct(policy)  # the CRMA figure when the policy sets its own, else None
        self.economies = economies
        self.controls = ControlIndex(data.as_of)
        self.previous = previous
        self.prev_scope = prev_scope or (set(), set())
        self.floor = policy.levels.floor_kusd

    def build(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        import pandas as pd

        from critmin.alerts.engine import list_materials
        from critmin.monitor.unitvalue import outlier_flows

        data, lv = self.data, self.policy.levels
        year = int(data.dependency["year"].max()) if not data.dependency.empty else max(data.years)
        stages = _pivot(data.dependency, year)
        mat_totals = data.dependency_material[data.dependency_material["year"] == year] \
            .set_index(["importer", "material_id"])["total_imports"].to_dict()
        codes = hs6_detail(self.economies, year, data.materials, self.wh)
        by_stage = _records_by(codes, ["importer", "material_id", "stage"])
        all_codes = sorted(set(codes["hs6"])) if not codes.empty else []
        flows = outlier_flows(self.wh, year, all_codes, lv.unit_value.robust_z, lv.unit_value.min_value_kusd,
                              lv.unit_value.min_factor)
        self.flagged = flows
        flows_by = _records_by(flows, ["importer"])
        members = _members(self.economies, year)
        own = _own_lists(self.policy, data.importers, self.wh)
        strategic = list_materials(lv.crma.lists)  # a group on the list (PGMs) brings its members
        at = data.alerts_table
        alerts_by = _records_by(at, ["importer", "material", "stage"])
        stale = data.as_of.year - year
        conf = "high" if stale < lv.staleness.medium_after_years else (
            "medium" if stale < lv.staleness.low_after_years else "low")
        rows = []
        for r in stages.itertuples(index=False):
            key = (r.importer, r.material_id, r.stage)
            rows.append(self._one(r, key, year, by_stage.get(key), alerts_by.get(key, []), flows_by, members,
                                  own.get(r.importer, set()), strategic, mat_totals, stale, conf))
        df = pd.DataFrame(rows, columns=COLUMNS)
        df = df.sort_values(["priority", "imports_kusd", "situation_id"], ascending=[False, False, True],
                            kind="stable")
        df["rank"] = range(1, len(df) + 1)
        return df.reset_index(drop=True), flows

    # -- one situation -------------------------------------------------------------------------------------
    def _one(self, r, key, year, codes, alerts, flows, members, own, strategic, mat_totals, stale, conf) -> dict:
        imp, mat, stage = key
        lv = self.policy.levels
        value = float(r.total_imports_value) if r.total_imports_value == r.total_imports_value else 0.0
        mat_total = mat_totals.get((imp, mat), float("nan"))
        stage_share = value / mat_total if mat_total and mat_total == mat_total else float("nan")
        hs6 = tuple(sorted({c.hs6 for c in codes})) if codes else ()
        reasons_en: list[str] = []
        reasons_zh: list[str] = []
        signals: dict[str, str] = {}
        measures: list[str] = []

        # concentration, per stage and per code, both bases
        crma = imp in lv.crma.importers and mat in strategic
        cands = [("stage", "value", r.top1_supplier_value, _pct(r.top1_share_value), value),
                 ("stage", "qty", getattr(r, "top1_supplier_qty", ""), _pct(getattr(r, "top1_share_qty", None)),
                  value)]
        detail_codes = []
        if codes:
            for c in codes:
                cv = float(c.total_imports_value) if c.total_imports_value == c.total_imports_value else 0.0
                cands.append((c.hs6, "value", c.top1_supplier_value, _pct(c.top1_share_value), cv))
                cands.append((c.hs6, "qty", c.top1_supplier_qty, _pct(c.top1_share_qty), cv))
                detail_codes.append({"hs6": c.hs6, "imports_kusd": round(cv, 3),
                                     "top1_supplier_value": c.top1_supplier_value,
                                     "top1_share_value": _round(c.top1_share_value),
                                     "top1_supplier_qty": _str(c.top1_supplier_qty),
                                     "top1_share_qty": _round(c.top1_share_qty),
                                     "china_share_value": _round(c.china_share_value),
                                     "china_share_qty": _round(c.china_share_qty)})
        cands = [c for c in cands if c[3] == c[3]]
        material_cands = [c for c in cands if c[4] >= self.floor] or cands
        worst = _worst(material_cands)
        conc_level = "none"
        rule = "crma_65" if crma else "single_supplier_concentration"
        if worst is not None:
            share = worst[3]
            if crma:
                conc_level = "orange" if share > lv.crma.benchmark_pct else (
                    "yellow" if share > lv.crma.watch_pct else "none")
            else:
                orange = lv.concentration.orange_pct
                conc_level = "orange" if orange is not None and share > orange else (
                    "yellow" if share > lv.concentration.yellow_pct else "none")
            if worst[4] < self.floor:
                conc_level = _level_min(conc_level, "yellow")
            if conc_level != "none":
                signals["concentration"] = conc_level
                where = f"HS {worst[0]}" if worst[0] != "stage" else "stage total"
                where_zh = f"HS {worst[0]}" if worst[0] != "stage" else "环节合计"
                basis_zh = {"value": "金额", "qty": "重量"}[worst[1]]
                if crma and self.law_pct is None:
                    reasons_en.append(f"{_cname(worst[2], 'en')} {share:.0f} % of {where} ({worst[1]} basis) vs CRMA "
                                      f"{lv.crma.benchmark_pct:g} % benchmark")
                    reasons_zh.append(f"{_cname(worst[2], 'zh')}占{where_zh}的{share:.0f}%（{basis_zh}口径），CRMA基准"
                                      f"{lv.crma.benchmark_pct:g}%")
                    measures.append("eu-2024-crma")
                elif crma:  # a user's priority file set its own figure: say it is theirs, not the law's
                    reasons_en.append(f"{_cname(worst[2], 'en')} {share:.0f} % of {where} ({worst[1]} basis) vs "
                                      f"{lv.crma.benchmark_pct:g} % set in the priority file (CRMA benchmark "
                                      f"{self.law_pct:g} %)")
                    reasons_zh.append(f"{_cname(worst[2], 'zh')}占{where_zh}的{share:.0f}%（{basis_zh}口径），优先级文件"
                                      f"自定{lv.crma.benchmark_pct:g}%（CRMA基准{self.law_pct:g}%）")
                    measures.append("eu-2024-crma")
                else:
                    reasons_en.append(f"single supplier {_cname(worst[2], 'en')} {share:.0f} % of {where} "
                                      f"({worst[1]} basis)")
                    reasons_zh.append(f"单一供应国{_cname(worst[2], 'zh')}占{where_zh}的{share:.0f}%（{basis_zh}口径）")

        tags = ["concentration"] * len(reasons_en)  # the family behind each reason, to put the decisive ones first

        # export controls judged by their state on the as-of date (one reason per issuer and state)
        ctrl_level, states = "none", []
        groups: dict[tuple[str, str, bool], dict] = {}
        dest = members.get(imp, ({imp}, False))[0] or {imp}
        for h in self.controls.hits(mat, hs6):
            if not h.binds_exports_to(dest):  # e.g. No. 46 bans dual-use exports to the USA only
                continue
            share = float("nan") if h.abroad else self._actor_share(h, r, codes)
            states.append(f"{h.measure_id}:{h.state}")
            measures.append(h.measure_id)
            if share != share:
                lvl = "yellow"
            elif h.state == "in_force":
                lvl = "red" if share > lv.control.red_share_pct else (
                    "orange" if share > lv.control.orange_share_pct else ("yellow" if share > 0 else "blue"))
            elif h.state in ("announced", "unknown"):
                lvl = "orange" if share > lv.control.red_share_pct else ("yellow" if share > 0 else "blue")
            else:  # suspended: may re-activate
                lvl = "yellow" if share > lv.control.orange_share_pct else "blue"
            if not h.by_code and not h.abroad and LEVEL_RANK[lvl] > LEVEL_RANK["yellow"]:
                lvl = LEVEL_ORDER[LEVEL_RANK[lvl] - 1]  # matched by element only: coverage of the codes unproven
            ctrl_level = _level_max(ctrl_level, lvl)
            if LEVEL_RANK[lvl] >= LEVEL_RANK["yellow"]:
                g = groups.setdefault((h.actor, h.state, h.abroad, h.by_code),
                                      {"ids": [], "codes": set(), "share": share})
                g["ids"].append(h.measure_id)
                g["codes"].update(h.hs6)
                if share == share and (g["share"] != g["share"] or share > g["share"]):
                    g["share"] = share
        day = self.data.as_of.isoformat()
        for (actor, state, abroad, by_code), g in groups.items():
            ids, codes_txt = ", ".join(g["ids"]), ", ".join(sorted(g["codes"]))
            who, who_zh = _cname(actor, "en") if actor else "?", _cname(actor, "zh") if actor else "?"
            if abroad:
                reasons_en.append(f"{who} extraterritorial control(s) {state.replace('_', ' ')} on {day} ({ids}) "
                                  f"reach HS {codes_txt} from other suppliers")
                reasons_zh.append(f"{who_zh}域外管制（{ids}）于{day}状态为{_STATE_ZH.get(state, state)}，涉及其他供应国"
                                  f"的HS {codes_txt}")
                continue
            sh = "an unknown share" if g["share"] != g["share"] else f"{g['share']:.0f} %"
            sh_zh = "未知" if g["share"] != g["share"] else f"{g['share']:.0f}%"
            if by_code:
                # the share here is the smaller of the value and weight shares (dependence on both bases), which
                # can sit far below the concentration line's single-basis share of the same code: say which it is
                reasons_en.append(f"{who} export control(s) {state.replace('_', ' ')} on {day} ({ids}) cover HS "
                                  f"{codes_txt}; {who} supplies {sh} of them (the lower of its value and weight "
                                  "shares)")
                reasons_zh.append(f"{who_zh}出口管制（{ids}）于{day}状态为{_STATE_ZH.get(state, state)}，覆盖HS "
                                  f"{codes_txt}；{who_zh}供应占比{sh_zh}（金额与重量口径中较低者）")
            else:
                reasons_en.append(f"{who} export control(s) {state.replace('_', ' ')} on {day} ({ids}) name the "
                                  f"material but no HS code: they may cover HS {codes_txt}; {who} supplies {sh} "
                                  "(the lower of its value and weight shares)")
                reasons_zh.append(f"{who_zh}出口管制（{ids}）于{day}状态为{_STATE_ZH.get(state, state)}，列明该矿产但未列HS"
                                  f"编码，可能覆盖HS {codes_txt}；{who_zh}供应占比{sh_zh}（金额与重量口径中较低者）")
        if ctrl_level != "none":
            signals["control"] = ctrl_level
        tags += ["control"] * (len(reasons_en) - len(tags))

        # trade and price signals from the rules; change points as context
        cps = 0
        if alerts:
            for fam, rule_id, metric in (("trade", "import_drop_yoy", "import_qty_yoy_pct"),
                                         ("price", "unit_value_jump", "unit_value_yoy_pct")):
                a = [x for x in alerts if x.rule_id == rule_id and x.metric == metric
                     and x.level in ("orange", "red")]
                if a:
                    # one annual value, years old: one step below the rule's own level
                    signals[fam] = "orange" if any(x.level == "red" for x in a) else "yellow"
                    v = float(a[0].value)
                    if fam == "trade":
                        reasons_en.append(f"import quantity fell {abs(v):.0f} % year on year")
                        reasons_zh.append(f"进口量同比下降{abs(v):.0f}%")
                    else:
                        reasons_en.append(f"unit value rose {v:.0f} % year on year")
                        reasons_zh.append(f"单位价值同比上涨{v:.0f}%")
                    tags.append(fam)
            cp = sorted({str(x.period) for x in alerts if x.rule_kind == "changepoint"})
            cps = len(cp)
            for x in alerts:
                if x.rule_kind != "changepoint":
                    measures.extend(m for m in str(x.cited_events).split(";") if m and m not in measures)

        level = "none"
        for s in signals.values():
            level = _level_max(level, s)
        decisive = {f for f, s in signals.items() if s == level}  # the signals the level rests on
        oranges = list(dict.fromkeys(FAMILY[f] for f, s in signals.items() if LEVEL_RANK[s] >= LEVEL_RANK["orange"]))
        if len(oranges) >= 2 and level != "red":
            if "control" in oranges or stale < lv.staleness.medium_after_years:
                level = "red"
                reasons_en.append(f"two independent signals ({' + '.join(oranges)})")
                reasons_zh.append(f"两项独立信号同时出现（{' + '.join(_FAMILY_ZH[f] for f in oranges)}）")
            else:  # both read off trade data years old: nothing says the situation holds today
                reasons_en.append(f"two signals ({' + '.join(oranges)}) but both from {year} trade data: orange "
                                  "until newer data or a current measure confirm them")
                reasons_zh.append(f"两项信号（{' + '.join(_FAMILY_ZH[f] for f in oranges)}）均来自{year}年贸易数据："
                                  "在更新数据或现行措施证实前为橙色")
        if level == "orange" and oranges == ["market"]:
            # methods_brief 5.4: orange is a breach of a policy cap or two concurrent signals; a volume drop and a
            # unit-value jump read off the same annual flows are one signal, so on their own they stay yellow
            level = "yellow"
            reasons_en.append("a market signal alone (volume or unit value of the same flows): yellow until a "
                              "second signal or a measure confirms it")
            reasons_zh.append("仅有市场信号（同一批流量的数量或单位价值）：在出现第二项信号或相关措施前为黄色")
        below = value < self.floor
        if below and LEVEL_RANK[level] > LEVEL_RANK["yellow"]:
            level = "yellow"
            reasons_en.append(f"imports USD {value / 1000:.2f} M under the USD {self.floor / 1000:g} M floor: "
                              "capped at yellow")
            reasons_zh.append(f"进口额{value / 1000:.2f}百万美元，低于{self.floor / 1000:g}百万美元门槛，最高为黄色")
        tags += ["verdict"] * (len(reasons_en) - len(tags))  # two signals, market alone, floor
        if level == "none" and cps:
            level = "blue"
        if cps:
            reasons_en.append(f"structural break in the import series in {', '.join(cp)} (context)")
            reasons_zh.append(f"进口序列在{'、'.join(cp)}年出现结构断点（背景信息）")

        # unit-value flags on flows feeding this situation
        fl = _flows_for(flows, hs6, members.get(imp, ({imp}, False)))
        qty = float(r.total_imports_qty) if getattr(r, "total_imports_qty", None) == getattr(
            r, "total_imports_qty", None) and getattr(r, "total_imports_qty", None) else float("nan")
        flagged_qty = float(sum(f.qty_t for f in fl))
        flagged_share = flagged_qty / qty if qty and qty == qty else float("nan")
        confidence = conf
        if fl:
            f0 = fl[0]
            reasons_en.append(f"{len(fl)} flow(s) with an implausible unit value, e.g. {_cname(f0.exporter, 'en')}→"
                              f"{_cname(f0.importer, 'en')} "
                              f"HS {f0.hs6} {tonnes(f0.qty_t)} t at USD {f0.usd_per_kg:,.2f}/kg (code median "
                              f"{f0.median_usd_per_kg:,.2f})")
            reasons_zh.append(f"{len(fl)}笔流量单位价值异常，如{_cname(f0.exporter, 'zh')}→{_cname(f0.importer, 'zh')} "
                              f"HS {f0.hs6} "
                              f"{tonnes(f0.qty_t)}吨，每千克{f0.usd_per_kg:,.2f}美元（该编码中位数{f0.median_usd_per_kg:,.2f}）")
            if flagged_share == flagged_share and flagged_share > 0.1:
                confidence = _lower(confidence)
        if stale >= lv.staleness.medium_after_years:
            reasons_en.append(f"data year {year}, {stale} years before the as-of date")
            reasons_zh.append(f"数据年份{year}，早于评估日期{stale}年")

        tags += ["context"] * (len(reasons_en) - len(tags))
        # the reason the level rests on comes first (the summary shows one line): a red set by an in-force control
        # must not open with the concentration line that alone would be yellow
        order = sorted(range(len(reasons_en)), key=lambda i: 0 if tags[i] in decisive else
                       (1 if tags[i] == "verdict" else 2))
        reasons_en, reasons_zh = [reasons_en[i] for i in order], [reasons_zh[i] for i in order]
        sid = situation_id(imp, mat, stage)
        novelty, prev = self._novelty(sid, level, alerts, signals)
        pr = score(self.policy, level, value, stage_share if stage_share == stage_share else 1.0, mat in own,
                   novelty, mat)
        return {
            "situation_id": sid, "rank": 0, "priority": round(pr, 4), "level": level, "importer": imp,
            "material": mat, "stage": stage, "hs6": ",".join(hs6), "data_year": year,
            "as_of": self.data.as_of.isoformat(), "confidence": confidence, "stale_years": stale,
            "imports_kusd": value, "imports_t": qty, "stage_share": stage_share,
            "top1_supplier_value": _str(r.top1_supplier_value), "top1_share_value": _round(r.top1_share_value),
            "top1_supplier_qty": _str(getattr(r, "top1_supplier_qty", "")),
            "top1_share_qty": _round(getattr(r, "top1_share_qty", None)),
            "china_share_value": _round(r.china_share_value), "china_share_qty": _round(getattr(r, "china_share_qty", None)),
            "hhi_value": _round(r.hhi_value), "hhi_qty": _round(getattr(r, "hhi_qty", None)),
            "yoy_imports": _round(r.yoy_imports_value), "top1_share_change_pp": _round(r.top1_share_change_pp_value),
            "concentration_rule": rule, "worst_share": None if worst is None else round(worst[3], 3),
            "worst_where": "" if worst is None else worst[0], "worst_basis": "" if worst is None else worst[1],
            "worst_supplier": "" if worst is None else _str(worst[2]),
            "signals": ";".join(f"{k}={v}" for k, v in signals.items()),
            "reasons_en": " | ".join(reasons_en), "reasons_zh": " | ".join(reasons_zh),
            "measures": ";".join(dict.fromkeys(measures)), "control_states": ";".join(states),
            "own_list": mat in own, "novelty": novelty, "change": novelty, "previous_level": prev,
            "below_floor": below, "flagged_flows": len(fl), "flagged_qty_share": _round(flagged_share),
            "change_points": cps,
            "detail": json.dumps({"hs6": detail_codes, "flagged": [f._asdict() for f in fl[:5]]},
                                 ensure_ascii=False, default=str),
        }

    def _actor_share(self, h, r, codes) -> float:
        """The issuer's share (%) of the covered items: per code, the smaller of the value and quantity shares (an
        economy depends on a supplier when both bases say so); the largest over the covered codes with imports
        above the floor. NaN when it cannot be known."""
        def share_of(china, top_sup, top_share):
            if h.actor == "CHN":
                return _pct(china)
            if h.actor and top_sup == h.actor:
                return _pct(top_share)
            return 0.0 if h.actor else float("nan")

        if codes and h.hs6:
            c = [x for x in codes if x.hs6 in h.hs6 and x.total_imports_value >= self.floor] or \
                [x for x in codes if x.hs6 in h.hs6]
            vals = [_nanmin(share_of(x.china_share_value, x.top1_supplier_value, x.top1_share_value),
                        share_of(x.china_share_qty, x.top1_supplier_qty, x.top1_share_qty))
                    for x in c]
            vals = [v for v in vals if v == v]
            return max(vals) if vals else float("nan")
        return _nanmin(share_of(r.china_share_value, r.top1_supplier_value, r.top1_share_value),
                   share_of(getattr(r, "china_share_qty", None), getattr(r, "top1_supplier_qty", ""),
                            getattr(r, "top1_share_qty", None)))

    def _novelty(self, sid: str, level: str, alerts, signals) -> tuple[str, str]:
        """Against the previous run when there is one; else against the previous year (the rules' transitions)."""
        imp, mat, _ = sid.split("|")
        if self.previous is not None and imp in self.prev_scope[0] and mat in self.prev_scope[1]:
            prev = self.previous.get(sid, "none")
            now, was = LEVEL_RANK[level], LEVEL_RANK[prev]
            if now > was:
                return ("new" if was < LEVEL_RANK["yellow"] else "escalated"), prev
            return ("deescalated" if now < was else "unchanged"), prev
        if alerts and LEVEL_RANK[level] >= LEVEL_RANK["yellow"]:
            tr = {x.transition for x in alerts if x.level in ("orange", "red")}
            if "new" in tr:
                return "new", ""
            if "escalated" in tr:
                return "escalated", ""
        return "unchanged", ""


_STATE_ZH = {"in_force": "生效", "announced": "已公布未生效", "suspended": "暂停", "unknown": "无法核实"}
#: Independent families: a quantity drop and a unit-value jump come from the same flows, so they count once.
FAMILY = {"concentration": "concentration", "control": "control", "trade": "market", "price": "market"}
_FAMILY_ZH = {"concentration": "集中度", "control": "出口管制", "market": "进口量或价格"}


@lru_cache(maxsize=2048)
def _cname(code: str, lang: str) -> str:
    """A country's name in the reader's language (groups keep their id; unknown codes stay as they are)."""
    from critmin.catalog.economies import resolve_one
    from critmin.errors import UsageError

    if not code:
        return ""
    try:
        e = resolve_one(code)
    except UsageError:
        return code
    return e.id if e.is_group else e.name(lang)


def _worst(cands: list[tuple]) -> tuple | None:
    """The candidate (where, basis, supplier, share %, imports) with the highest share. Ties are broken explicitly,
    not by arrival order: shares equal to 1e-6 pp (a stage of one code equals that code up to float noise) go to
    the stage total, then the value basis, then the lowest code, then the supplier."""
    if not cands:
        return None
    return min(cands, key=lambda c: (-round(c[3], 6), c[0] != "stage", c[1] != "value", c[0], _str(c[2])))


def tonnes(t: float) -> str:
    """A weight for a sentence: whole tonnes from 10 t, two decimals below (a 0.4 t parcel is not '0 t')."""
    return f"{t:,.0f}" if abs(t) >= 10 else f"{t:,.2f}"


def _nanmin(a: float, b: float) -> float:
    """The smaller of two shares, ignoring a missing one (a flow without quantities has only the value basis)."""
    vals = [v for v in (a, b) if v == v]
    return min(vals) if vals else float("nan")


def _level_min(a: str, b: str) -> str:
    return a if LEVEL_RANK[a] <= LEVEL_RANK[b] else b


def _lower(conf: str) -> str:
    return {"high": "medium", "medium": "low"}.get(conf, "low")


def _round(x, n: int = 6):
    return None if x is None or x != x else round(float(x), n)


def _str(x) -> str:
    return x if isinstance(x, str) else ""


def _records_by(df: pd.DataFrame, keys: list[str]) -> dict:
    """Rows of ``df`` as named tuples, grouped by ``keys`` (plain dict look-ups in the per-situation loop)."""
    out: dict = {}
    if df is None or df.empty:
        return out
    pos = [list(df.columns).index(k) for k in keys]
    for row in df.itertuples(index=False):
        k = row[pos[0]] if len(pos) == 1 else tuple(row[i] for i in pos)
        out.setdefault(k, []).append(row)
    return out


def _flows_for(flows_by: dict, hs6: tuple[str, ...], member: tuple[set[str], bool]) -> list:
    """Flagged flows into the economy (extra-group only for a group) at the situation's codes, largest first."""
    if not flows_by or not hs6:
        return []
    iso, group = member
    codes = set(hs6)
    out = [f for i in iso for f in flows_by.get(i, []) if f.hs6 in codes and not (group and f.exporter in iso)]
    # members come from a set: equal values are ordered by the flow's own keys, never by hash order
    return sorted(out, key=lambda f: (-f.value_kusd, f.importer, f.exporter, f.hs6))


def build_situations(data: MonitorData, economies, wh, policy: Policy, previous: dict[str, str] | None = None,
                     prev_scope: tuple[set[str], set[str]] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Situations of a monitor run (ranked, highest priority first) and the flagged flows behind them.

    ``previous``: situation id → level of the run compared against, covering ``prev_scope`` (importers,
    materials); outside it, or on the first run, novelty comes from the rules' year-on-year transitions."""
    return _Builder(data, economies, wh, policy, previous, prev_scope).build()


def level_counts(df: pd.DataFrame) -> dict[str, int]:
    return {lv: int((df["level"] == lv).sum()) for lv in reversed(LEVEL_ORDER)}


def diff(now: pd.DataFrame, before: pd.DataFrame, scope: tuple[set[str], set[str]] | None = None) -> pd.DataFrame:
    """What changed between two runs: new, escalated, de-escalated and cleared situations (the rest omitted).

    A situation is listed from yellow up; 'cleared' = yellow or above before, below yellow (or gone) now.
    ``scope`` (importers, materials): only situations both runs covered are compared (default: the importers
    and materials seen in both tables), so a narrower run does not 'clear' what it did not look at."""
    import pandas as pd

    if scope is None:
        scope = (set(now["importer"]) & set(before["importer"]), set(now["material"]) & set(before["material"]))
    imps, mats = scope

    def inside(df):
        return df[df["importer"].isin(imps) & df["material"].isin(mats)]

    a = inside(before).set_index("situation_id")["level"].to_dict()
    b = inside(now).set_index("situation_id")["level"].to_dict()
    y = LEVEL_RANK["yellow"]
    rows = []
    for sid in sorted(set(a) | set(b)):
        was, is_ = a.get(sid, "none"), b.get(sid, "none")
        rw, ri = LEVEL_RANK[was], LEVEL_RANK[is_]
        if ri >= y and rw < y:
            change = "new"
        elif rw >= y and ri < y:
            change = "cleared"
        elif ri > rw:
            change = "escalated"
        elif ri < rw:
            change = "deescalated"
        else:
            continue
        imp, mat, stage = sid.split("|")
        rows.append({"situation_id": sid, "importer": imp, "material": mat, "stage": stage, "change": change,
                     "previous_level": was, "level": is_})
    order = {"new": 0, "escalated": 1, "deescalated": 2, "cleared": 3}
    df = pd.DataFrame(rows, columns=["situation_id", "importer", "material", "stage", "change", "previous_level",
                                     "level"])
    return df.sort_values(["change", "level"], key=lambda s: s.map(order) if s.name == "change"
                          else -s.map(LEVEL_RANK)).reset_index(drop=True)


__all__ = ["COLUMNS", "build_situations", "diff", "level_counts", "situation_id"]
