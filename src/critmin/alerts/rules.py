"""Load early-warning rules from YAML (a mapping ``rule id -> rule``), validated by pydantic."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path

from critmin.datafile import keyed_by_id
from critmin.errors import InputError

from .models import Rule


class RuleError(InputError):
    """A rule file or rule fails validation."""


_RuleFile = keyed_by_id(Rule)


def parse_rules(path: str | Path, text: str | None = None) -> list[Rule]:
    """Rules from a YAML file (or ``text``); the first problem raises RuleError with the file, the line and
    the field (``rule-id.field``). Duplicate keys and non-finite numbers are refused by critmin.datafile."""
    from critmin.datafile import read_yaml, validate

    name = Path(path).name
    data = read_yaml(path, RuleError, "a YAML rule file", name=name, text=text)
    if not isinstance(data, dict):
        raise RuleError(name, None, None, "a mapping of rule id -> rule", type(data).__name__)
    return list(validate(_with_benchmarks(data, name), _RuleFile, name, error=RuleError).root.values())


def _with_benchmarks(data: dict, name: str) -> dict:
    """Thresholds written ``{benchmark: <id>}`` replaced by the catalog benchmark's value in the rule's unit, and
    noted in the rule's ``from_benchmark`` (level -> id), so a law's figure lives only in benchmarks.yaml; a
    ``scope.lists`` written so becomes the benchmark's own scope (``applies_to``).
    Changes the freshly parsed ``data`` in place, which keeps the line numbers later errors name."""
    from critmin.catalog import benchmark_ref, benchmark_scope
    from critmin.datafile import line_of
    from critmin.i18n import t

    for rid, rule in data.items():
        if not isinstance(rule, dict):
            continue
        refs: dict[str, str] = {}
        for block in ("thresholds", "clear"):
            levels = rule.get(block)
            if not isinstance(levels, dict):
                continue
            for lvl, v in list(levels.items()):
                if isinstance(v, dict):
                    line = line_of(data, [rid, block, lvl])
                    record = f"{rid}" + (t("error.sep") + t("error.line", n=line) if line else "")
                    levels[lvl], bid = benchmark_ref(v, str(rule.get("unit", "")), error=RuleError, file=name,
                                                     record=record, field=f"{block}.{lvl}")
                    if block == "thresholds":
                        refs[lvl] = bid
        scope = rule.get("scope")
        if isinstance(scope, dict) and isinstance(scope.get("lists"), dict):
            line = line_of(data, [rid, "scope", "lists"])
            record = f"{rid}" + (t("error.sep") + t("error.line", n=line) if line else "")
            scope["lists"] = benchmark_scope(scope["lists"], error=RuleError, file=name, record=record,
                                             field="scope.lists")
        rule["from_benchmark"] = refs
    return data


def check_cites(rules: list[Rule], file: str = "rules") -> None:
    """Every knowledge-base id a rule cites must exist."""
    from critmin.kb import load_kb

    kb = load_kb()
    for r in rules:
        for c in r.cites:
            if kb.find(c) is None:
                raise RuleError(file, r.id, "cites", "ids of knowledge-base entries", c)


def check_lists(rules: list[Rule], file: str = "rules") -> None:
    """Every critical list a rule's scope names must be in the catalog."""
    from critmin.catalog import load_catalog

    known = load_catalog().critical_lists
    for r in rules:
        for li in r.scope.lists:
            if li not in known:
                raise RuleError(file, r.id, "scope.lists", f"ids of catalog critical lists ({', '.join(sorted(known))})",
                                li)


def builtin_rules_path() -> Path:
    return Path(str(resources.files("critmin.alerts") / "data" / "rules.yaml"))


@lru_cache(maxsize=1)
def _builtin() -> tuple[Rule, ...]:
    rules = parse_rules(builtin_rules_path())
    check_cites(rules, "rules.yaml")
    check_lists(rules, "rules.yaml")
    return tuple(rules)


def load_rules(path: str | Path | None = None) -> list[Rule]:
    """The built-in rule set, or the rules in ``path``."""
    if path is None:
        return list(_builtin())
    rules = parse_rules(path)
    check_cites(rules, Path(path).name)
    check_lists(rules, Path(path).name)
    return rules


def _scope_text(r: Rule) -> str:
    """The rule's scope in one cell ('' = every series)."""
    parts = [f"{f}={','.join(v)}" for f in ("importer", "material", "stage", "supplier")
             if (v := r.scope.allowed(f)) is not None]
    if r.scope.lists:
        parts.append(f"lists={','.join(r.scope.lists)}")
    return "; ".join(parts)


def rules_frame(rules: list[Rule]):
    """The rules as a table: id, kind, metric, comparison, thresholds per level, persistence, hysteresis."""
    import pandas as pd

    rows = []
    for r in rules:
        th = dict(r.thresholds.items())
        rows.append({
            "id": r.id, "kind": r.kind, "source": r.source, "metric": ",".join(r.metrics), "unit": r.unit,
            "comparison": r.comparison if r.kind != "changepoint" else "change",
            "blue": th.get("blue"), "yellow": th.get("yellow"), "orange": th.get("orange"), "red": th.get("red"),
            "persistence": r.persistence, "hysteresis": r.hysteresis, "scope": _scope_text(r),
            "title_en": r.title_en, "title_zh": r.title_zh, "cites": ",".join(r.cites),
        })
    return pd.DataFrame(rows)
