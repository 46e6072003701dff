"""When does a regime (or one rule) bind this dossier? Applicability before findings.

A pack, and any rule in it, carries ``applies``: a list of alternative conditions (any one suffices), each
naming the dates the law applies, the goods (elements, forms, product categories), the origin and
destination, and the operator it binds (role, establishment, size). The dossier is reduced once to a
:class:`Scope`, and each condition gives one of three answers:

- ``applies``         every condition holds;
- ``not_applicable``  one condition fails on the evidence (the reason names it);
- ``not_assessed``    evidence the question needs is missing, or the law's state on that date cannot be
                      verified (``unknown_from``): never read as "applies" nor as "does not apply".

Per regime the result is then ``pass`` / ``fail`` / ``not_applicable`` / ``not_assessed``: a regime that does
not apply never passes. China's licence obligation is not a date in a pack: it holds for an item only
when the knowledge base has a goods control in force on the shipment date that matches the item
(``cn_controls: true``; see :mod:`critmin.compliance.cnlicence`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Status = Literal["applies", "not_applicable", "not_assessed"]
RegimeResult = Literal["pass", "fail", "not_applicable", "not_assessed"]


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class OperatorCondition(_M):
    """Who the obligation binds. Thresholds are 'more than' as the EU acts write them."""

    roles: list[str] | None = None
    established_in: list[str] | None = None  # ISO3 codes or catalog groups (EU27)
    not_established_in: list[str] | None = None
    min_employees: int | None = None  # more than
    min_turnover_eur: float | None = None  # more than
    min_eu_turnover_eur: float | None = None  # more than
    large_company: bool | None = None
    strategic_technologies: bool = False  # manufactures at least one CRMA Art. 24(1) technology


class Applies(_M):
    """One alternative: every stated condition must hold."""

    label: str = Field(..., min_length=3)  # which provision / group this alternative stands for
    label_zh: str | None = None  # the label in Chinese (English shown when missing)
    citation: str = Field(..., min_length=3)
    from_: date | None = Field(None, alias="from")
    until: date | None = None  # exclusive
    unknown_from: date | None = None  # the state on or after this date cannot be verified
    unknown_note: str | None = None
    # the obligation exists only once an act not yet adopted (or not verified) sets it: never binding now
    pending_act: str | None = None
    origins: list[str] | None = None
    destinations: list[str] | None = None
    elements: list[str] | None = None  # any of
    forms: list[str] | None = None  # any of
    products: list[str] | None = None  # any of
    operator: OperatorCondition | None = None
    cn_controls: bool = False  # an item is controlled on the day by a measure in the knowledge base


@dataclass
class Scope:
    """What the applicability questions read from a dossier (None: the dossier does not say)."""

    day: date | None
    elements: set[str]
    forms: set[str]
    hs6: set[str]
    origin: str | None
    destination: str | None
    products: set[str] | None
    operator: dict | None
    controlled_lines: dict[int, list[str]] = field(default_factory=dict)  # line -> measure ids in force
    unknown_lines: dict[int, list[str]] = field(default_factory=dict)  # line -> measures in unknown state
    control_notes: list[str] = field(default_factory=list)


@dataclass
class Verdict:
    status: Status
    reasons: list[str] = field(default_factory=list)  # English
    missing: list[str] = field(default_factory=list)  # dossier fields the question needs
    reasons_zh: list[str] = field(default_factory=list)  # the same reasons in Chinese

    def add(self, key: str, **params) -> None:
        """One reason from the message catalogue (``compliance.applies.<key>``), in both languages."""
        from critmin.i18n import t

        self.reasons.append(t(f"compliance.applies.{key}", "en", **params))
        self.reasons_zh.append(t(f"compliance.applies.{key}", "zh", **params))


def scope_of(dossier, as_of: date | None = None) -> Scope:
    """Reduce a Dossier to its Scope (the CN control state of each item is filled in by cnlicence)."""
    items = dossier.items or []
    parties = dossier.parties
    end_user = parties.end_user if parties else None
    importer = parties.importer if parties else None
    exporter = parties.exporter if parties else None
    destination = dossier.destination_country or (end_user.country if end_user else None) or (
        importer.country if importer else None
    )
    return Scope(
        day=as_of or dossier.shipment_date or dossier.prepared_on,
        elements={e for it in items for e in it.elements},
        forms={it.form for it in items if it.form},
        hs6={it.hs_code[:6] for it in items if it.hs_code},
        origin=exporter.country if exporter else None,
        destination=destination,
        products=set(dossier.products) if dossier.products else None,  # [] is "not filled in"; ["none"] states none
        operator=dossier.operator.model_dump() if dossier.operator is not None else None,
    )


def _expand(codes: list[str], day: date | None) -> set[str]:
    """ISO3 codes, with catalog groups (EU27, G7, ...) replaced by their members in the day's year."""
    from critmin.catalog import load_catalog

    out: set[str] = set()
    cat = None
    for code in codes:
        if len(code) == 3 and code.isupper() and code.isalpha() and code not in ("EU27",):
            out.add(code)
            continue
        cat = cat or load_catalog()
        out.update(cat.members(code, (day or date.today()).year))
    return out


def _operator(cond: OperatorCondition, op: dict | None, day: date | None, v: Verdict) -> None:
    if op is None:
        v.missing.append("operator")
        return

    def need(key: str, path: str):
        val = op.get(key)
        if val is None or val == []:  # an empty list is a field not filled in (templates write []); "none" says none
            v.missing.append(f"operator.{path}")
            return None
        return val

    if cond.roles is not None:
        roles = need("roles", "roles")
        if roles is not None and not set(roles) & set(cond.roles):
            v.add("role", got=", ".join(sorted(roles)), want="/".join(cond.roles))
    if cond.established_in is not None or cond.not_established_in is not None:
        country = need("country", "country")
        if country is not None:
            if cond.established_in is not None and country not in _expand(cond.established_in, day):
                v.add("established_not_in", got=country, want="/".join(cond.established_in))
            if cond.not_established_in is not None and country in _expand(cond.not_established_in, day):
                v.add("established_in_excluded", got=country, want="/".join(cond.not_established_in))
    for key, limit in (
        ("employees", cond.min_employees),
        ("net_turnover_eur", cond.min_turnover_eur),
        ("eu_net_turnover_eur", cond.min_eu_turnover_eur),
    ):
        if limit is None:
            continue
        val = need(key, key)
        if val is not None and not val > limit:
            v.add(key, got=f"{val:,.0f}", limit=f"{limit:,.0f}")
    if cond.large_company is not None:
        val = need("large_company", "large_company")
        if val is not None and val != cond.large_company:
            v.add("not_large" if cond.large_company else "large")
    if cond.strategic_technologies:
        val = need("strategic_technologies", "strategic_technologies")
        if val is not None and not set(val) - {"none"}:
            v.add("no_strategic_technology")


def evaluate_one(a: Applies, scope: Scope, ignore_dates: bool = False) -> Verdict:
    """The answer of one alternative for ``scope`` (``ignore_dates``: as if the law applied on the day,
    which is what a readiness check asks: would this bind the operator once it applies?)."""
    v = Verdict("applies")
    day = scope.day
    if (a.from_ or a.until or a.unknown_from or a.pending_act) and not ignore_dates:
        if day is None:
            v.missing.append("shipment_date")
        else:
            if a.from_ and day < a.from_:
                v.add("from", start=a.from_.isoformat(), day=day.isoformat())
            if a.until and day >= a.until:
                v.add("until", until=a.until.isoformat())
            if a.pending_act:
                v.add("pending_act", act=a.pending_act)
            if not v.reasons and a.unknown_from and day >= a.unknown_from:
                # the law may have changed any of the conditions below: nothing is read from them
                note = a.unknown_note or f"not verified after {a.unknown_from.isoformat()}"
                return Verdict("not_assessed", [], [f"the law's state on {day.isoformat()} ({note})"])
    if a.origins is not None:
        if scope.origin is None:
            v.missing.append("parties.exporter.country")
        elif scope.origin not in _expand(a.origins, day):
            v.add("origin", got=scope.origin, want="/".join(a.origins))
    if a.destinations is not None:
        if scope.destination is None:
            v.missing.append("destination_country")
        elif scope.destination not in _expand(a.destinations, day):
            v.add("destination", got=scope.destination, want="/".join(a.destinations))
    for name, have, want in (("elements", scope.elements, a.elements), ("forms", scope.forms, a.forms)):
        if want is None:
            continue
        if not have:
            v.missing.append(f"items[*].{name[:-1] if name == 'elements' else 'form'}")
        elif not have & set(want):
            v.add(name, want="/".join(want), got=", ".join(sorted(have)))
    if a.products is not None:
        if scope.products is None:
            v.missing.append("products")
        elif not scope.products & set(a.products):
            v.add("products", got=", ".join(sorted(scope.products)), want="/".join(a.products))
    if a.operator is not None:
        _operator(a.operator, scope.operator, day, v)
    if a.cn_controls and not ignore_dates:
        if day is None:
            v.missing.append("shipment_date")
        elif not scope.controlled_lines:
            if scope.unknown_lines:
                v.missing.append("knowledge base: state of " + ", ".join(sorted({m for ms in scope.unknown_lines.values() for m in ms})))
            else:
                v.add("no_cn_control", day=day.isoformat(),
                      notes="; " + "; ".join(scope.control_notes) if scope.control_notes else "")
    if v.reasons:
        v.status = "not_applicable"
    elif v.missing:
        v.status = "not_assessed"
    v.missing = list(dict.fromkeys(v.missing))
    return v


def evaluate(alternatives: list[Applies] | None, scope: Scope, ignore_dates: bool = False) -> Verdict:
    """Any-of over ``alternatives`` (None or []: applies unconditionally)."""
    if not alternatives:
        return Verdict("applies")
    verdicts = [(a, evaluate_one(a, scope, ignore_dates)) for a in alternatives]
    if any(v.status == "applies" for _, v in verdicts):
        ok = [a for a, v in verdicts if v.status == "applies"]
        return Verdict("applies", [a.label for a in ok], reasons_zh=[a.label_zh or a.label for a in ok])
    open_ = [(a, v) for a, v in verdicts if v.status == "not_assessed"]
    if open_:
        out = Verdict("not_assessed", missing=list(dict.fromkeys(m for _, v in open_ for m in v.missing)))
        from critmin.i18n import t

        for a, v in open_:
            fields = ", ".join(v.missing)
            out.reasons.append(t("compliance.applies.needs", "en", label=a.label, fields=fields))
            out.reasons_zh.append(t("compliance.applies.needs", "zh", label=a.label_zh or a.label, fields=fields))
        return out
    return Verdict("not_applicable", [f"{a.label}: {'; '.join(v.reasons)}" for a, v in verdicts],
                   reasons_zh=[f"{a.label_zh or a.label}：{'；'.join(v.reasons_zh)}" for a, v in verdicts])


_OPERATOR_FIELDS = {
    "roles": "roles", "established_in": "country", "not_established_in": "country", "min_employees": "employees",
    "min_turnover_eur": "net_turnover_eur", "min_eu_turnover_eur": "eu_net_turnover_eur",
    "large_company": "large_company", "strategic_technologies": "strategic_technologies",
}


def paths_read(alternatives: list[Applies] | None) -> list[str]:
    """The dossier fields the applicability questions read (for templates and docs)."""
    out: list[str] = []
    for a in alternatives or []:
        if a.from_ or a.until or a.unknown_from or a.cn_controls or a.pending_act:
            out.append("shipment_date")
        if a.origins is not None or a.cn_controls:
            out.append("parties.exporter.country")
        if a.destinations is not None or a.cn_controls:
            out.append("destination_country")
        if a.elements is not None or a.cn_controls:
            out.append("items[*].elements")
        if a.forms is not None or a.cn_controls:
            out.append("items[*].form")
        if a.products is not None:
            out.append("products")
        if a.operator is not None:
            for key, field in _OPERATOR_FIELDS.items():
                if getattr(a.operator, key) not in (None, False):
                    out.append(f"operator.{field}")
    return list(dict.fromkeys(out))
