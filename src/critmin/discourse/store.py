"""Storage of the discourse wing in the warehouse DuckDB file (tables prefixed ``discourse_``)."""

from __future__ import annotations

from pathlib import Path

from critmin.discourse import FRAMES

DOCS = "discourse_documents"
SENTS = "discourse_sentences"
PROV = "discourse_provenance"
ERRORS = "discourse_load_errors"
ALERTS = "discourse_alerts"
WATCH = "discourse_watch_files"
SNAPSHOTS = "discourse_aggregates"
EMBED = "discourse_embedding_scores"

_FRAME_COLS = ", ".join(f"{f} DOUBLE" for f in FRAMES)

SCHEMA = [
    f"""CREATE TABLE IF NOT EXISTS {DOCS} (
        doc_id VARCHAR PRIMARY KEY, sha256 VARCHAR NOT NULL, path VARCHAR, title VARCHAR,
        economy VARCHAR NOT NULL, actor VARCHAR, date DATE, year INTEGER, genre VARCHAR, language VARCHAR,
        synthetic BOOLEAN, n_sentences INTEGER, n_chars INTEGER, size_bytes BIGINT, lexicon_version VARCHAR,
        manifest VARCHAR, provenance_id VARCHAR, added_at TIMESTAMP)""",
    f"""CREATE TABLE IF NOT EXISTS {SENTS} (
        doc_id VARCHAR NOT NULL, sent_idx INTEGER NOT NULL, sentence VARCHAR, language VARCHAR,
        n_tokens INTEGER, {_FRAME_COLS}, top_frame VARCHAR, polarity DOUBLE, subjectivity DOUBLE,
        evaluative DOUBLE, modal DOUBLE, stance DOUBLE, first_person DOUBLE, sentiment_sum DOUBLE,
        terms VARCHAR, provenance_id VARCHAR)""",
    f"""CREATE TABLE IF NOT EXISTS {PROV} (
        provenance_id VARCHAR PRIMARY KEY, source VARCHAR, file VARCHAR, vintage VARCHAR, licence VARCHAR,
        url VARCHAR, row_count BIGINT, sha256 VARCHAR, loaded_at TIMESTAMP)""",
    f"""CREATE TABLE IF NOT EXISTS {ERRORS} (
        file VARCHAR, manifest VARCHAR, error VARCHAR, logged_at TIMESTAMP)""",
    f"""CREATE TABLE IF NOT EXISTS {ALERTS} (
        alert_id VARCHAR PRIMARY KEY, rule VARCHAR, level VARCHAR, economy VARCHAR, metric VARCHAR,
        value DOUBLE, baseline DOUBLE, shift DOUBLE, threshold DOUBLE, period VARCHAR, n_docs INTEGER,
        evidence VARCHAR, raised_at TIMESTAMP)""",
    f"""CREATE TABLE IF NOT EXISTS {WATCH} (
        path VARCHAR, sha256 VARCHAR, status VARCHAR, doc_id VARCHAR, message VARCHAR, processed_at TIMESTAMP)""",
    f"""CREATE TABLE IF NOT EXISTS {EMBED} (
        doc_id VARCHAR NOT NULL, sent_idx INTEGER NOT NULL, emb_top_frame VARCHAR, emb_polarity DOUBLE,
        emb_polarity_label VARCHAR, emb_subjectivity DOUBLE, emb_subjectivity_label VARCHAR, model VARCHAR,
        prototypes_version VARCHAR)""",
    f"""CREATE TABLE IF NOT EXISTS {SNAPSHOTS} (
        computed_at TIMESTAMP, period VARCHAR, economy VARCHAR, metric VARCHAR, value DOUBLE, baseline DOUBLE,
        shift DOUBLE, n_docs INTEGER, n_baseline_docs INTEGER)""",
]


def connect(warehouse: str | Path | None = None, read_only: bool = False):
    """Open the warehouse DuckDB file (``--warehouse`` / CRITMIN_WAREHOUSE / per-user default).

    For writing, the file (and its folder) is created if missing and the discourse tables ensured.
    """
    import duckdb

    from critmin.errors import InputError, WarehouseMissing
    from critmin.settings import warehouse_path

    path = warehouse_path(warehouse)
    if read_only and not path.is_file():  # a read never creates the file (or its folder)
        raise WarehouseMissing(str(path))
    from critmin.warehouse.handle import Warehouse
    from critmin.warehouse.lock import connect

    try:
        if read_only:
            return connect(path, read_only=True)
        con = _LockedConnection(Warehouse.create_or_open(path, command="discourse"))
    except (duckdb.Error, OSError) as exc:  # not a DuckDB file, not writable
        raise InputError(str(path), expected="a DuckDB warehouse file that can be opened"
                         + ("" if read_only else " for writing"), got=str(exc).splitlines()[0][:160]) from None
    for ddl in SCHEMA:
        con.execute(ddl)
    return con


class _LockedConnection:
    """The connection of a writable warehouse handle; closing it also releases the writer lock."""

    def __init__(self, wh):
        self._wh = wh

    def __getattr__(self, name):
        return getattr(self._wh.con, name)

    def close(self) -> None:
        self._wh.close()


def has_tables(con) -> bool:
    rows = con.execute(
        "select count(*) from information_schema.tables where table_name in (?, ?)", [DOCS, SENTS]
    ).fetchone()
    return rows[0] == 2


def list_documents(warehouse=None):
    """The stored documents (one row each), newest first."""
    con = connect(warehouse, read_only=True)
    try:
        if not has_tables(con):
            import pandas as pd

            return pd.DataFrame(columns=["doc_id", "economy", "date", "language", "genre", "n_sentences", "title"])
        return con.execute(f"select doc_id, economy, actor, date, language, genre, synthetic, n_sentences, title "
                           f"from {DOCS} order by date desc, doc_id").df()
    finally:
        con.close()


def list_alerts(warehouse=None, economy: str | None = None):
    """Stored alert records (``discourse watch``), newest first."""
    con = connect(warehouse, read_only=True)
    try:
        if not con.execute("select count(*) from information_schema.tables where table_name = ?",
                           [ALERTS]).fetchone()[0]:
            import pandas as pd

            return pd.DataFrame(columns=["alert_id", "level", "economy", "metric", "value", "threshold", "period"])
        where, params = ("where economy = ?", [economy.upper()]) if economy else ("", [])
        return con.execute(f"select alert_id, rule, level, economy, metric, value, baseline, shift, threshold, period, "
                           f"n_docs, evidence, raised_at from {ALERTS} {where} order by raised_at desc, alert_id",
                           params).df()
    finally:
        con.close()
