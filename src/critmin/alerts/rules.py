"""Load early-warning rules from YAML (a mapping ``rule id -> rule``), validated by pydantic."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path

from critmin.errors import InputError

from .models import Rule


class RuleError(InputError):
    """A rule file or rule fails validation."""


def parse_rules(path: str | Path, text: str | None = None) -> list[Rule]:
    import yaml
    from pydantic import ValidationError

    from critmin.kb.loader import _yaml_loader
    from critmin.readtext import read_text

    name = Path(path).name
    if text is None:
        text = read_text(path, "a readable YAML rule file", RuleError)
    try:
        data = yaml.load(text, Loader=_yaml_loader())  # noqa: S506 - SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise RuleError(name, mark.line + 1 if mark else None, None, "valid YAML",
                        str(exc).splitlines()[0]) from None
    if not isinstance(data, dict):
        raise RuleError(name, None, None, "a mapping of rule id -> rule", type(data).__name__)
    rules = []
    for key, body in data.items():
        if not isinstance(body, dict):
            raise RuleError(name, str(key), None, "a mapping of rule fields", body)
        try:
            rules.append(Rule.model_validate({**body, "id": key}))
        except ValidationError as exc:
            err = exc.errors()[0]
            field = ".".join(str(p) for p in err["loc"]) or None
            got = err.get("input")
            raise RuleError(name, str(key), field, err["msg"], None if isinstance(got, dict) else got) from None
    return rules


def check_cites(rules: list[Rule], file: str = "rules") -> None:
    """Every knowledge-base id a rule cites must exist."""
    from critmin.kb import load_kb

    kb = load_kb()
    for r in rules:
        for c in r.cites:
            if c not in kb.entries:
                raise RuleError(file, r.id, "cites", "ids of knowledge-base entries", c)


def builtin_rules_path() -> Path:
    return Path(str(resources.files("critmin.alerts") / "data" / "rules.yaml"))


@lru_cache(maxsize=1)
def _builtin() -> tuple[Rule, ...]:
    rules = parse_rules(builtin_rules_path())
    check_cites(rules, "rules.yaml")
    return tuple(rules)


def load_rules(path: str | Path | None = None) -> list[Rule]:
    """The built-in rule set, or the rules in ``path``."""
    if path is None:
        return list(_builtin())
    rules = parse_rules(path)
    check_cites(rules, Path(path).name)
    return rules


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
            "persistence": r.persistence, "hysteresis": r.hysteresis,
            "title_en": r.title_en, "title_zh": r.title_zh, "cites": ",".join(r.cites),
        })
    return pd.DataFrame(rows)
