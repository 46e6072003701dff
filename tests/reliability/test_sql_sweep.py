"""Issue 18: no SQL text is assembled from data. A static sweep of every module under src/critmin.

Values (paths, ids, user strings, numbers) reach SQL as bound parameters. An f-string may still compose SQL
from critmin's own fragments (a table name from a fixed tuple, a column list, a WHERE clause built from
constant pieces); what it must never do is put an interpolation inside a string literal (``'{path}'``), which
is how a file name or header cell became SQL before. The only names allowed inside quotes are UPPERCASE
module constants (e.g. ``'{NUM}'``, a fixed regular expression).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import critmin

SRC = Path(critmin.__file__).parent
SQL_CALLS = {"execute", "executemany", "sql", "query", "fetchall_sql"}
SQL_WORDS = re.compile(r"\b(select|insert|update|delete|create|copy|attach|from|where|set)\b", re.I)


def _quoted_interpolations(node: ast.JoinedStr) -> list[str]:
    """Source of each interpolation that sits between single quotes in the f-string."""
    out, text_before = [], ""
    parts = node.values
    for i, part in enumerate(parts):
        if isinstance(part, ast.Constant) and isinstance(part.value, str):
            text_before = part.value
            continue
        after = parts[i + 1].value if i + 1 < len(parts) and isinstance(parts[i + 1], ast.Constant) else ""
        if (text_before.endswith("'") and str(after).startswith("'")) or part.conversion == ord("r"):
            out.append(ast.unparse(part.value))  # '{x}' or {x!r}: a literal made from a value
    return out


def _is_constant_name(expr: str) -> bool:
    return re.fullmatch(r"[A-Z][A-Z0-9_]*", expr) is not None


def _sql_fstrings(tree: ast.AST):
    """f-strings that are SQL: passed to an execute/sql call, or assigned/returned with SQL keywords."""
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            text = "".join(v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str))
            if len(SQL_WORDS.findall(text)) >= 2:
                yield node


def test_no_interpolation_inside_sql_string_literals():
    offenders = []
    for path in sorted(SRC.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in _sql_fstrings(tree):
            bad = [e for e in _quoted_interpolations(node) if not _is_constant_name(e)]
            if bad:
                offenders.append(f"{path.relative_to(SRC)}:{node.lineno}: {', '.join(bad)}")
    assert offenders == [], "data pasted into SQL string literals:\n" + "\n".join(offenders)


def test_sweep_sees_the_sql_modules():
    """The sweep is not vacuous: it finds SQL f-strings in the modules known to build SQL."""
    seen = set()
    for path in SRC.rglob("*.py"):
        if any(True for _ in _sql_fstrings(ast.parse(path.read_text(encoding="utf-8")))):
            seen.add(path.relative_to(SRC).as_posix())
    assert {"warehouse/ingest.py", "warehouse/build.py", "sources/trade_checks.py"} <= seen


def test_the_sweep_catches_the_old_pattern():
    tree = ast.parse('''sql = f"SELECT * FROM read_csv('{path}', columns = {{{cols}}})"''')
    (node,) = list(_sql_fstrings(tree))
    assert _quoted_interpolations(node) == ["path"]
