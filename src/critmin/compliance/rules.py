"""Rule packs: declarative requirements per regime (YAML in ``packs/``), validated by pydantic on load,
and the small evaluator that turns a dossier into findings.

A rule names the field path(s) it reads (dotted, ``[*]`` for every list element), a requirement
``type`` — ``presence``, ``format`` (regex), ``value_set``, ``condition`` (a cross-field ``compare`` or
``covers``) or ``builtin`` (a named check registered in :data:`BUILTIN_CHECKS`, for what a path expression
cannot say) — optional ``when`` guards and an ``each`` scope, ``applies`` (when the rule binds; see
:mod:`critmin.compliance.applicability`; the pack's own ``applies`` holds for all its rules), a severity (error / warning / advisory), a
citation (legal source, plus the seed where we learnt it) and its text in English and Chinese.
``law_specific: false`` marks a rule where the law does not (yet) say this precisely; such rules must be
advisory, which the loader enforces.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from critmin.compliance.applicability import Applies
from critmin.errors import CatalogError, UsageError

SEVERITIES = ("advisory", "warning", "error")
SEVERITY_RANK = {s: i + 1 for i, s in enumerate(SEVERITIES)}
REGIMES = {
    "cn-export": "cn_export.yaml",
    "eu-csddd": "eu_csddd.yaml",
    "eu-crma-magnet": "eu_crma_magnet.yaml",
    "eu-dpp": "eu_dpp.yaml",
    "eu-crma-risk": "eu_crma_risk.yaml",
    "eu-batteries": "eu_batteries.yaml",
}
VALUE_REFS = ("destination",)
# item fields the check derives before the rules run (the KB's controls in force on the day for the line)
DERIVED = ("cn_controls",)


def builtin_checks() -> dict:
    """Named checks a ``type: builtin`` rule may call: ``check(rule, ctx) -> [(path, problem, detail)]``."""
    from critmin.compliance import cnlicence, massbalance

    return {**cnlicence.CHECKS, **massbalance.CHECKS}


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Bilingual(_M):
    en: str = Field(..., min_length=1)
    zh: str = Field(..., min_length=1)

    def in_(self, lang: str | None) -> str:
        """The text in ``lang`` ('zh' gives Chinese, anything else English)."""
        return self.zh if lang == "zh" else self.en


class Citation(_M):
    source: str = Field(..., min_length=3)
    url: str | None = None
    seed: str | None = None


class When(_M):
    path: str
    op: Literal["exists", "missing", "eq", "ne", "in", "intersects", "gt", "lt"]
    value: Any = None
    values: list[Any] | None = None
    value_ref: str | None = None

    @model_validator(mode="after")
    def _ref(self):
        if self.value_ref is not None and self.value_ref not in VALUE_REFS:
            raise ValueError(f"value_ref must be one of {VALUE_REFS}")
        return self


class Compare(_M):
    left: list[str]
    left_agg: Literal["each", "max", "min", "sum"] = "each"
    op: Literal["ge", "le", "gt", "lt", "eq"]
    right: list[str] | None = None
    right_agg: Literal["max", "min", "sum", "first"] = "first"
    value: Any = None
    offset_years: int = 0
    offset_months: int = 0
    offset: float = 0.0


class Covers(_M):
    of: str | None = None
    of_values: list[Any] | None = None
    by: str
    only: list[Any] | None = None

    @model_validator(mode="after")
    def _one(self):
        if (self.of is None) == (self.of_values is None):
            raise ValueError("covers needs exactly one of 'of' or 'of_values'")
        return self


class Match(_M):
    """Rows of two lists joined on ``key``; ``field`` of each left row compared with the right row's."""

    left: str
    right: str
    key: str
    field: str
    op: Literal["ge", "le", "gt", "lt", "eq"]
    offset: float = 0.0


class Rule(_M):
    id: str = Field(..., pattern=r"^[A-Z]+(-[A-Z]+)*-\d{3}$")
    type: Literal["presence", "format", "value_set", "condition", "builtin"]
    check: str | None = None
    applies: list[Applies] | None = None
    paths: list[str] = []
    each: str | None = None
    when: list[When] = []
    pattern: str | None = None
    values: list[Any] | None = None
    required: bool = False
    compare: Compare | None = None
    covers: Covers | None = None
    match: Match | None = None
    severity: Literal["error", "warning", "advisory"]
    law_specific: bool = True
    citation: Citation
    text: Bilingual
    note: Bilingual | None = None
    field_label: Bilingual | None = None

    @model_validator(mode="after")
    def _consistent(self):
        if not self.law_specific and self.severity != "advisory":
            raise ValueError("a rule the law is not specific about (law_specific: false) must be advisory")
        if not self.law_specific and self.note is None:
            raise ValueError("law_specific: false needs a note saying what the law leaves open")
        if self.type in ("presence", "format", "value_set") and not self.paths:
            raise ValueError(f"type {self.type} needs paths")
        if self.type == "format":
            if not self.pattern:
                raise ValueError("format needs pattern")
            re.compile(self.pattern)
        if self.type == "value_set" and self.values is None:
            raise ValueError("value_set needs values")
        if self.type == "condition" and sum(x is not None for x in (self.compare, self.covers, self.match)) != 1:
            raise ValueError("condition needs exactly one of compare, covers or match")
        if (self.type == "builtin") != (self.check is not None):
            raise ValueError("type builtin needs check (and only builtin takes check)")
        if self.check is not None and self.check not in builtin_checks():
            raise ValueError(f"unknown builtin check {self.check!r}; known: {', '.join(sorted(builtin_checks()))}")
        return self

    def field_paths(self) -> list[str]:
        """All dossier paths the rule reads (absolute, ``[*]`` for lists)."""
        def absolute(p: str) -> str:
            if p.startswith("$."):
                return p[2:]
            return f"{self.each}[*].{p}" if self.each else p

        out = [absolute(p) for p in self.paths]
        out += [absolute(w.path) for w in self.when]
        if self.compare:
            out += [absolute(p) for p in self.compare.left + (self.compare.right or [])]
        if self.covers:
            out += [absolute(p) for p in ([self.covers.of] if self.covers.of else []) + [self.covers.by]]
        if self.match:
            out += [absolute(f"{self.match.left}[*].{f}") for f in (self.match.key, self.match.field)]
            out += [absolute(f"{self.match.right}[*].{f}") for f in (self.match.key, self.match.field)]
        seen: list[str] = []
        for p in out:
            if p.rsplit(".", 1)[-1] in DERIVED:  # filled in by the check, not by the dossier
                continue
            if p not in seen:
                seen.append(p)
        return seen


class Pack(_M):
    regime: str
    title: Bilingual
    legal_basis: list[Citation]
    notes: Bilingual | None = None
    applies: list[Applies] | None = None
    rules: list[Rule]


@cache
def load_pack(regime: str) -> Pack:
    """The validated rule pack of ``regime`` (e.g. 'cn-export'); CatalogError names file, line and rule.
    Read through :mod:`critmin.datafile`: a duplicate key (one silently winning) or a non-finite number is refused."""
    from critmin.datafile import parse_data

    if regime not in REGIMES:
        raise UsageError(f"unknown regime '{regime}'; known: {', '.join(REGIMES)}")
    rel = f"compliance/packs/{REGIMES[regime]}"
    text = (resources.files("critmin") / rel).read_text(encoding="utf-8")
    data = parse_data(text, rel, error=CatalogError, expected="a rule pack") or {}
    return pack_from_data(data, rel, regime)


def pack_from_data(data: dict, rel: str, regime: str) -> Pack:
    """Validate a parsed pack; a broken entry raises CatalogError naming the file and the rule id."""
    if not isinstance(data, dict):
        raise CatalogError(file=rel, record="pack", expected="a mapping with regime, title, legal_basis, rules")
    from critmin.datafile import validate

    for i, raw in enumerate(data.get("rules") or []):
        key = raw.get("id", f"rules[{i}]") if isinstance(raw, dict) else f"rules[{i}]"
        try:
            validate(raw, Rule, rel, error=CatalogError)
        except CatalogError as exc:  # name the rule; the line is in the pack's own error below when known
            raise CatalogError(rel, key, exc.field, exc.expected, exc.got) from None
    try:
        pack = validate(data, Pack, rel, error=CatalogError)
    except CatalogError as exc:
        raise CatalogError(rel, "pack", exc.field, exc.expected, exc.got) from None
    if pack.regime != regime:
        raise CatalogError(file=rel, record="pack", field="regime", expected=regime, got=pack.regime)
    ids = [r.id for r in pack.rules]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise CatalogError(file=rel, record=dup[0], field="id", expected="unique rule ids", got=dup)
    return pack


def parse_regimes(spec: str | list[str]) -> list[str]:
    items = spec.split(",") if isinstance(spec, str) else list(spec)
    regimes = [s.strip() for s in items if s.strip()]
    unknown = [r for r in regimes if r not in REGIMES]
    if unknown or not regimes:
        raise UsageError(f"unknown regime(s) {', '.join(unknown) or '(none)'}; known: {', '.join(REGIMES)}")
    return regimes


# --------------------------------------------------------------------------------------------- evaluation

_SEG = re.compile(r"([^.\[\]]+)|\[(\*|\d+)\]")


def _segments(path: str) -> list[str | int]:
    out: list[str | int] = []
    for name, idx in _SEG.findall(path):
        if name:
            out.append(name)
        else:
            out.append("*" if idx == "*" else int(idx))
    return out


def resolve(obj: Any, path: str, base: str = "") -> list[tuple[str, Any]]:
    """Concrete (path, value) pairs for a path with ``[*]``; a missing leaf yields (path, None)."""
    results = [(base, obj)]
    for seg in _segments(path):
        nxt: list[tuple[str, Any]] = []
        for where, val in results:
            if seg == "*":
                if isinstance(val, list):
                    nxt.extend((f"{where}[{i}]", v) for i, v in enumerate(val))
            elif isinstance(seg, int):
                v = val[seg] if isinstance(val, list) and -len(val) <= seg < len(val) else None
                nxt.append((f"{where}[{seg}]", v))
            else:
                v = val.get(seg) if isinstance(val, dict) else None
                nxt.append((f"{where}.{seg}" if where else seg, v))
        results = nxt
    return results


def is_empty(v: Any) -> bool:
    return v is None or v == "" or v == [] or v == {}


def add_months(d: date, months: int) -> date:
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    import calendar

    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


@dataclass
class Finding:
    rule_id: str
    regime: str
    severity: str
    path: str
    problem: str  # machine code: missing | format | value | compare | not_covered
    detail: str  # the offending value / the missing members, language-neutral
    law_specific: bool
    citation: str
    text_en: str
    text_zh: str
    readiness: bool = False  # found while the regime does not (yet) apply: shown, never counted


@dataclass
class Context:
    root: dict
    as_of: date
    refs: dict[str, Any]


def _flat(values: list[Any]) -> list[Any]:
    out: list[Any] = []
    for v in values:
        if isinstance(v, list):
            out.extend(_flat(v))
        elif v is not None:
            out.append(v)
    return out


def _when_holds(w: When, scope: dict, scope_path: str, ctx: Context) -> bool:
    obj, base = (ctx.root, "") if w.path.startswith("$.") else (scope, scope_path)
    vals = [v for _, v in resolve(obj, w.path[2:] if w.path.startswith("$.") else w.path, base)]
    present = [v for v in vals if not is_empty(v)]
    if w.op == "exists":
        return bool(present)
    if w.op == "missing":
        return not present
    target = ctx.refs[w.value_ref] if w.value_ref else (w.values if w.values is not None else w.value)
    flat = _flat(present)
    if w.op == "eq":
        return any(v == target for v in flat)
    if w.op == "ne":
        return bool(flat) and all(v != target for v in flat)
    if w.op == "in":
        return any(v in target for v in flat)
    if w.op == "intersects":
        return bool(set(map(str, flat)) & set(map(str, target)))
    nums = [v for v in flat if isinstance(v, int | float) and not isinstance(v, bool)]
    if w.op == "gt":
        return any(v > target for v in nums)
    return any(v < target for v in nums)  # lt


def _cmp(a: Any, op: str, b: Any) -> bool | None:
    try:
        if op == "ge":
            return a >= b
        if op == "le":
            return a <= b
        if op == "gt":
            return a > b
        if op == "lt":
            return a < b
        return a == b
    except TypeError:
        return None


def _agg(values: list[Any], how: str):
    values = [v for v in values if v is not None]
    if not values:
        return None
    try:
        if how == "max":
            return max(values)
        if how == "min":
            return min(values)
        if how == "sum":
            return sum(values)
    except TypeError:
        return None
    return values[0]


def _shift(v: Any, c: Compare) -> Any:
    if isinstance(v, date) and (c.offset_years or c.offset_months):
        return add_months(v, 12 * c.offset_years + c.offset_months)
    if isinstance(v, int | float) and not isinstance(v, bool) and c.offset:
        return v + c.offset
    return v


def _fmt(v: Any) -> str:
    if isinstance(v, date):
        return v.isoformat()
    return str(v)


def evaluate(rule: Rule, regime: str, ctx: Context) -> list[Finding]:
    """Findings of one rule on the dossier in ``ctx`` (empty list: satisfied or not applicable)."""
    if rule.each:
        scopes = resolve(ctx.root, rule.each + "[*]")
    else:
        scopes = [("", ctx.root)]
    found: list[Finding] = []

    def finding(path: str, problem: str, detail: str) -> None:
        found.append(
            Finding(
                rule.id, regime, rule.severity, path, problem, detail, rule.law_specific,
                rule.citation.source, rule.text.en, rule.text.zh,
            )
        )

    if rule.type == "builtin":
        for path, problem, detail in builtin_checks()[rule.check](rule, ctx):
            finding(path, problem, detail)
        return found

    for scope_path, scope in scopes:
        if not isinstance(scope, dict):
            continue
        if not all(_when_holds(w, scope, scope_path, ctx) for w in rule.when):
            continue

        def res(p: str, scope=scope, scope_path=scope_path):
            if p.startswith("$."):
                return resolve(ctx.root, p[2:])
            return resolve(scope, p, scope_path)

        if rule.type == "presence":
            for p in rule.paths:
                pairs = res(p)
                if not pairs and "[*]" in p:
                    continue
                for where, v in pairs:
                    if is_empty(v):
                        finding(where, "missing", "")
        elif rule.type in ("format", "value_set"):
            for p in rule.paths:
                for where, v in res(p):
                    if is_empty(v):
                        if rule.required:
                            finding(where, "missing", "")
                        continue
                    for item in v if isinstance(v, list) else [v]:
                        if rule.type == "format":
                            if not re.fullmatch(rule.pattern, _fmt(item)):
                                finding(where, "format", _fmt(item)[:80])
                        elif item not in rule.values:
                            finding(where, "value", _fmt(item)[:80])
        elif rule.compare is not None:
            c = rule.compare
            left = [(w, v) for p in c.left for w, v in res(p) if v is not None]
            if c.right is not None:
                right = _agg([v for p in c.right for _, v in res(p)], c.right_agg)
            else:
                right = c.value
            if right is None or not left:
                continue
            if c.left_agg != "each":
                agg = _agg([v for _, v in left], c.left_agg)
                left = [(left[0][0], agg)] if agg is not None else []
            for where, v in left:
                ok = _cmp(_shift(v, c), c.op, right)
                if ok is False:
                    finding(where, "compare", f"{_fmt(v)} vs {_fmt(right)}")
        elif rule.match is not None:
            mt = rule.match
            right_rows = {}
            for _, row in res(mt.right + "[*]"):
                if isinstance(row, dict) and row.get(mt.key) is not None and row.get(mt.field) is not None:
                    right_rows.setdefault(row[mt.key], row[mt.field])
            for where, row in res(mt.left + "[*]"):
                if not isinstance(row, dict) or row.get(mt.field) is None or row.get(mt.key) not in right_rows:
                    continue
                other = right_rows[row[mt.key]]
                value = row[mt.field]
                if isinstance(value, int | float) and not isinstance(value, bool):
                    value = value + mt.offset
                if _cmp(value, mt.op, other) is False:
                    finding(f"{where}.{mt.field}", "compare", f"{row[mt.key]}: {_fmt(row[mt.field])} vs {_fmt(other)}")
        elif rule.covers is not None:
            cv = rule.covers
            need = cv.of_values if cv.of_values is not None else _flat([v for _, v in res(cv.of)])
            if cv.only is not None:
                need = [v for v in need if v in cv.only]
            have = set(map(_fmt, _flat([v for _, v in res(cv.by)])))
            missing = sorted({_fmt(v) for v in need} - have)
            if missing:
                where = res(cv.by)[0][0] if res(cv.by) else cv.by
                where = where.split("[")[0] if "[" in where else where
                finding(where, "not_covered", ", ".join(missing))
    return found
