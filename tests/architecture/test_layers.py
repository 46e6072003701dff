"""The architecture in DESIGN.md, enforced (issue 10): the import contracts of pyproject.toml
(``[tool.importlinter]``: no domain module imports the CLI, data flows down, the wings share only catalog and
kb, no import cycles), no import of another module's private name, and every ``CRITMIN_*`` variable read
through the settings registry."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).parents[2]
SRC = ROOT / "src" / "critmin"

# Known offenders, as (importing module, private name); none are left. A new private import fails the test.
PRIVATE_IMPORTS_TO_FIX: set[tuple[str, str]] = set()


def _modules():
    for f in sorted(SRC.rglob("*.py")):
        name = ".".join(f.relative_to(SRC.parent).with_suffix("").parts).removesuffix(".__init__")
        yield f, name, ast.parse(f.read_text(encoding="utf-8"), str(f))


def test_import_contracts():
    """`lint-imports` over pyproject's contracts; on failure the captured output names each broken import."""
    from importlinter.cli import lint_imports

    assert lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True, no_logo=True) == 0


def test_no_private_name_is_imported_from_another_module():
    found = set()
    for f, module, tree in _modules():
        package = module if f.name == "__init__.py" else module.rpartition(".")[0]
        for node in ast.walk(tree):
            if not isinstance(node, ast.ImportFrom):
                continue
            source = node.module or ""
            if node.level:  # relative: resolve against the importing package
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                source = ".".join([*base, *([node.module] if node.module else [])])
            if source.startswith("critmin") and source != module:
                found |= {(module, a.name, f"{f.relative_to(ROOT)}:{node.lineno}") for a in node.names
                          if a.name.startswith("_") and not a.name.startswith("__")}
    new = sorted(loc + f" imports {name}" for module, name, loc in found
                 if (module, name) not in PRIVATE_IMPORTS_TO_FIX)
    assert not new, "make the name public or keep it in its module:\n" + "\n".join(new)


def _environ_reads(tree):
    """(line, key) of each read of the environment: os.environ[...], os.environ.get(...), os.getenv(...),
    ``... in os.environ``; key is the literal variable name, or None when it is computed."""
    def is_environ(n):
        return isinstance(n, ast.Attribute) and n.attr == "environ" or isinstance(n, ast.Name) and n.id == "environ"

    def literal(n):
        return n.value if isinstance(n, ast.Constant) and isinstance(n.value, str) else None

    for n in ast.walk(tree):
        if isinstance(n, ast.Subscript) and is_environ(n.value) and isinstance(n.ctx, ast.Load):
            yield n.lineno, literal(n.slice)
        elif isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.args and (
                (n.func.attr in ("get", "setdefault", "pop") and is_environ(n.func.value)) or n.func.attr == "getenv"):
            yield n.lineno, literal(n.args[0])
        elif isinstance(n, ast.Compare) and any(is_environ(c) for c in n.comparators):
            yield n.lineno, literal(n.left)


# Environment reads outside settings.py that are not critmin settings, each with its reason.
ENV_ALLOWED = {
    ("critmin.warehouse.lake", "SPARK_LOCAL_IP"),  # PySpark's own variable, defaulted before Spark starts
}


def test_critmin_variables_are_read_only_through_the_settings_registry():
    """Only critmin/settings.py reads CRITMIN_* variables; a computed key counts as one (it usually is)."""
    bad = [f"{f.relative_to(ROOT)}:{line} reads {key or 'a computed variable name'}"
           for f, module, tree in _modules() if module != "critmin.settings"
           for line, key in _environ_reads(tree) if (module, key) not in ENV_ALLOWED]
    assert not bad, "register the option in critmin/settings.py and read it with settings.get:\n" + "\n".join(bad)


def test_every_critmin_variable_named_in_the_code_is_a_setting():
    """Help texts and errors name CRITMIN_* variables; each must be one the registry knows."""
    from critmin.settings import SETTINGS

    known = {s.env for s in SETTINGS.values()}
    named = {(v, str(f.relative_to(ROOT))) for f in SRC.rglob("*.py")
             for v in re.findall(r"CRITMIN_[A-Z0-9_]+", f.read_text(encoding="utf-8"))}
    assert not sorted(x for x in named if x[0] not in known)


def test_settings_command_lists_every_setting():
    from typer.testing import CliRunner

    from critmin.cli import app
    from critmin.settings import SETTINGS

    out = CliRunner().invoke(app, ["settings", "--format", "json"])
    assert out.exit_code == 0, out.output
    assert {s.env for s in SETTINGS.values()} <= set(re.findall(r"CRITMIN_[A-Z0-9_]+", out.output))
