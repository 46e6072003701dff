"""Check a dossier against rule packs: ``check(dossier, ["cn-export", "eu-csddd"])`` -> :class:`CheckResult`.

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

from critmin.compliance.rules import SEVERITY_RANK, Context, Finding, evaluate, load_pack, parse_regimes

EXIT_CODES = {None: 0, "advisory": 3, "warning": 4, "error": 5}


@dataclass
class CheckResult:
    dossier_id: str
    regimes: list[str]
    as_of: date
    findings: list[Finding] = field(default_factory=list)
    custody: str | None = None  # 'verified', 'unverified: <reason>', or None without a chain_of_custody section

    @property
    def worst(self) -> str | None:
        if not self.findings:
            return None
        return max((f.severity for f in self.findings), key=SEVERITY_RANK.__getitem__)

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.worst]

    @property
    def rule_ids(self) -> set[str]:
        return {f.rule_id for f in self.findings}

    def to_dict(self, lang: str = "en") -> dict:
        """The JSON shape an API returns: summary plus one record per finding."""
        return {
            "dossier_id": self.dossier_id,
            "regimes": self.regimes,
            "as_of": self.as_of.isoformat(),
            "worst": self.worst,
            "exit_code": self.exit_code,
            "custody": self.custody,
            "findings": self.to_frame(lang).to_dict(orient="records"),
        }

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
                    "citation": f.citation,
                }
            )
        cols = ["rule_id", "regime", "severity", "path", "problem", "requirement", "law_specific", "citation"]
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


def check(dossier, regimes, as_of: date | None = None, ledger=None) -> CheckResult:
    """Findings of ``dossier`` (a Dossier) under each regime in ``regimes`` (list or 'a,b'), in pack order;
    ``ledger`` (path or Ledger) backs the chain-of-custody section (see the module docstring)."""
    from critmin.compliance.controls import controlled_elements

    regimes = parse_regimes(regimes)
    day = as_of_date(dossier, as_of)
    root = dossier.model_dump(mode="python")
    custody, root["chain_of_custody"] = custody_evidence(dossier, ledger)
    ctx = Context(root=root, as_of=day, refs={"cn_controlled_elements": sorted(controlled_elements(day))})
    result = CheckResult(dossier_id=dossier.dossier_id, regimes=regimes, as_of=day, custody=custody)
    for regime in regimes:
        for rule in load_pack(regime).rules:
            result.findings.extend(evaluate(rule, regime, ctx))
    return result
