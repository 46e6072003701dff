"""Check a dossier against rule packs: ``check(dossier, ["cn-export", "eu-csddd"])`` -> :class:`CheckResult`.

Each regime first answers whether it binds the dossier (:mod:`critmin.compliance.applicability`); only
then are its rules read, and the regime's result is ``pass`` (no error finding), ``fail``,
``not_applicable`` or ``not_assessed``, with the reasons. ``readiness=True`` also reads the rules that do
not apply *yet* (they would bind the dossier but for the date, or the law's state on it is unknown),
marking those findings as readiness findings that change neither the result nor the exit code.

Exit codes of ``critmin comply check`` by worst severity (documented in docs/compliance.md):

====  =========================================
0     no findings
3     advisory findings only
4     at least one warning, no error
5     at least one error
2     the dossier could not be read (input error)
====  =========================================

The dossier's ``chain_of_custody`` section is evidence only when a ledger backs it: ``check(..., ledger=FILE)``
recomputes the section from the ledger (see :meth:`~critmin.compliance.ledger.Ledger.check_evidence`) and the
rules read the recomputed figures. Its ``verified`` flag is never taken from the dossier: the rules see ``true``
only when the ledger verifies and the section is an export of it, else ``"unverified: <reason>"`` (without a
ledger: ``"unverified: no ledger evidence …"``), which is what the custody findings show.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from critmin.compliance.applicability import RegimeResult, Scope, Verdict, scope_of
from critmin.compliance.applicability import evaluate as applies
from critmin.compliance.rules import SEVERITY_RANK, Context, Finding, evaluate, load_pack, parse_regimes

EXIT_CODES = {None: 0, "advisory": 3, "warning": 4, "error": 5}


@dataclass
class RegimeSummary:
    regime: str
    result: RegimeResult
    reasons: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    rules_applied: int = 0
    rules_not_applicable: int = 0
    rules_not_assessed: int = 0
    errors: int = 0
    warnings: int = 0
    advisories: int = 0
    reasons_zh: list[str] = field(default_factory=list)

    def reasons_in(self, lang: str = "en") -> list[str]:
        return self.reasons_zh if lang == "zh" and self.reasons_zh else self.reasons

    def to_dict(self, lang: str = "en") -> dict:
        out = {k: v for k, v in self.__dict__.items() if k != "reasons_zh"}
        out["reasons"] = self.reasons_in(lang)
        return out


@dataclass
class CheckResult:
    dossier_id: str
    regimes: list[str]
    as_of: date
    findings: list[Finding] = field(default_factory=list)
    custody: str | None = None  # 'verified', 'unverified: <reason>', or None without a chain_of_custody section
    summary: list[RegimeSummary] = field(default_factory=list)

    @property
    def binding(self) -> list[Finding]:
        """Findings of regimes that apply (readiness findings left out)."""
        return [f for f in self.findings if not f.readiness]

    @property
    def worst(self) -> str | None:
        if not self.binding:
            return None
        return max((f.severity for f in self.binding), key=SEVERITY_RANK.__getitem__)

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.worst]

    @property
    def rule_ids(self) -> set[str]:
        return {f.rule_id for f in self.binding}

    def result_of(self, regime: str) -> str:
        return next(s.result for s in self.summary if s.regime == regime)

    def to_dict(self, lang: str = "en") -> dict:
        """The JSON shape an API returns: per-regime summary plus one record per finding."""
        return {
            "dossier_id": self.dossier_id,
            "regimes": self.regimes,
            "as_of": self.as_of.isoformat(),
            "worst": self.worst,
            "exit_code": self.exit_code,
            "custody": self.custody,
            "summary": [s.to_dict(lang) for s in self.summary],
            "findings": self.to_frame(lang).to_dict(orient="records"),
        }

    def summary_frame(self, lang: str = "en"):
        """One row per regime: result (in ``lang``), counts and the reasons."""
        import pandas as pd

        from critmin.i18n import t

        rows = [{"regime": s.regime, "result": t(f"compliance.result.{s.result}", lang), "errors": s.errors,
                 "warnings": s.warnings, "advisories": s.advisories, "reasons": " | ".join(s.reasons_in(lang))}
                for s in self.summary]
        return pd.DataFrame(rows, columns=["regime", "result", "errors", "warnings", "advisories", "reasons"])

    def to_frame(self, lang: str = "en"):
        """One row per finding: rule, regime, severity, path, problem (in ``lang``), requirement, citation."""
        import pandas as pd

        from critmin.i18n import t

        rows = []
        for f in self.findings:
            problem = t(f"compliance.problem.{f.problem}", lang, detail=f.detail)
            rows.append(
                {
                    "rule_id": f.rule_id,
                    "regime": f.regime,
                    "severity": t(f"compliance.severity.{f.severity}", lang),
                    "path": f.path,
                    "problem": problem,
                    "requirement": f.text_zh if lang == "zh" else f.text_en,
                    "law_specific": f.law_specific,
                    "readiness": f.readiness,
                    "citation": f.citation,
                }
            )
        cols = ["rule_id", "regime", "severity", "path", "problem", "requirement", "law_specific", "readiness", "citation"]
        return pd.DataFrame(rows, columns=cols)


def as_of_date(dossier, explicit: date | None = None) -> date:
    """The date the rules are read at: explicit, else the shipment date, else the preparation date, else today."""
    return explicit or dossier.shipment_date or dossier.prepared_on or date.today()


def custody_evidence(dossier, ledger=None) -> tuple[str | None, dict | None]:
    """(status, the chain_of_custody the rules should read) — recomputed from ``ledger`` (a path or a Ledger)
    when given; the dossier's own section, marked unverified, when not."""
    if dossier.chain_of_custody is None:
        return None, None
    section = dossier.chain_of_custody.model_dump(mode="python")
    if ledger is None:
        status = "unverified: no ledger evidence (check with --ledger FILE)"
    else:
        from critmin.compliance.ledger import Ledger

        led = ledger if isinstance(ledger, Ledger) else Ledger(Path(ledger))
        status, fresh = led.check_evidence(dossier.chain_of_custody)
        if fresh is not None:
            section = fresh.model_dump(mode="python")
    section["verified"] = True if status == "verified" else status
    return status, section


def _needs_cn_controls(packs) -> bool:
    return any(a.cn_controls for p in packs for a in (p.applies or [])) or any(
        a.cn_controls for p in packs for r in p.rules for a in (r.applies or []))


def _summarise(regime: str, pack_verdict: Verdict, rule_verdicts: list[Verdict], found: list[Finding]) -> RegimeSummary:
    sev = [f.severity for f in found if not f.readiness]
    s = RegimeSummary(regime, "pass", errors=sev.count("error"), warnings=sev.count("warning"),
                      advisories=sev.count("advisory"))
    if pack_verdict.status != "applies":
        s.result, s.reasons, s.missing = pack_verdict.status, pack_verdict.reasons, pack_verdict.missing
        s.reasons_zh = pack_verdict.reasons_zh
        return s
    s.rules_applied = sum(v.status == "applies" for v in rule_verdicts)
    s.rules_not_applicable = sum(v.status == "not_applicable" for v in rule_verdicts)
    s.rules_not_assessed = sum(v.status == "not_assessed" for v in rule_verdicts)
    open_ = [v for v in rule_verdicts if v.status == "not_assessed"]
    s.missing = list(dict.fromkeys(m for v in open_ for m in v.missing))
    if s.errors:
        s.result = "fail"
    elif open_:
        s.result = "not_assessed"
    elif not s.rules_applied:
        s.result = "not_applicable"
    if s.result in ("pass", "fail"):
        s.reasons, s.reasons_zh = pack_verdict.reasons, pack_verdict.reasons_zh
    else:
        s.reasons = list(dict.fromkeys(r for v in rule_verdicts if v.status != "applies" for r in v.reasons))
        s.reasons_zh = list(dict.fromkeys(r for v in rule_verdicts if v.status != "applies" for r in v.reasons_zh))
    return s


def check(dossier, regimes, as_of: date | None = None, ledger=None, readiness: bool = False) -> CheckResult:
    """Findings of ``dossier`` (a Dossier) under each regime in ``regimes`` (list or 'a,b'), in pack order,
    with each regime's applicability and result; ``ledger`` (path or Ledger) backs the chain-of-custody
    section (see the module docstring); ``readiness`` also reads regimes that do not apply."""
    regimes = parse_regimes(regimes)
    day = as_of_date(dossier, as_of)
    packs = {r: load_pack(r) for r in regimes}
    scope: Scope = scope_of(dossier, as_of)
    root = dossier.model_dump(mode="python")
    refs: dict = {"destination": scope.destination, "cn_control_numbers": {}}
    if _needs_cn_controls(packs.values()):
        from critmin.compliance.cnlicence import annotate, hit_control_numbers

        hits = annotate(scope, dossier)
        for row in root.get("items") or []:
            row["cn_controls"] = scope.controlled_lines.get(row["line_no"], [])
            nums = set().union(*[hit_control_numbers(h) for h in hits.get(row["line_no"], [])
                                 if str(getattr(h, "state", "")) == "in_force"] or [set()])
            refs["cn_control_numbers"][row["line_no"]] = nums
    custody, root["chain_of_custody"] = custody_evidence(dossier, ledger)
    ctx = Context(root=root, as_of=day, refs=refs)
    result = CheckResult(dossier_id=dossier.dossier_id, regimes=regimes, as_of=day, custody=custody)
    for regime, pack in packs.items():
        pack_verdict = applies(pack.applies, scope)
        pack_ready = readiness and applies(pack.applies, scope, ignore_dates=True).status != "not_applicable"
        rule_verdicts, found = [], []
        for rule in pack.rules:
            verdict = applies(rule.applies, scope) if pack_verdict.status == "applies" else pack_verdict
            rule_verdicts.append(verdict)
            ready = pack_ready and applies(rule.applies, scope, ignore_dates=True).status != "not_applicable"
            if verdict.status == "applies" or ready:
                new = evaluate(rule, regime, ctx)
                for f in new:
                    f.readiness = verdict.status != "applies"
                found.extend(new)
        result.findings.extend(found)
        summary = _summarise(regime, pack_verdict, rule_verdicts, found)
        if any(a.cn_controls for a in pack.applies or []) and summary.result in ("pass", "fail"):
            from critmin.i18n import t

            for line, ids in sorted(scope.controlled_lines.items()):
                params = {"line": line, "ids": ", ".join(ids), "day": scope.day.isoformat()}
                summary.reasons = [*summary.reasons, t("compliance.applies.cn_line", "en", **params)]
                summary.reasons_zh = [*summary.reasons_zh, t("compliance.applies.cn_line", "zh", **params)]
        result.summary.append(summary)
    return result
