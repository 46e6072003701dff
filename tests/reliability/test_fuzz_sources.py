"""Fuzz the two trade-file parsers (CEPII BACI, UN Comtrade) end to end through ``ingest``.

Property: an ingest either adds valid rows (finite, non-negative, each flow once) or raises InputError and
leaves the warehouse exactly as it was — never another exception, never a partial write.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest
from fuzzing import FUZZ_EXAMPLES, fuzz
from hypothesis import given, settings
from hypothesis import strategies as st

from critmin.errors import InputError
from critmin.warehouse.ingest import ingest_baci, ingest_comtrade

FIX = Path(__file__).parent.parent / "fixtures"
COMTRADE = FIX / "comtrade" / "comtrade_sample.csv"
# each ingest opens the warehouse and reads the catalog: a third of the usual count keeps this file light
fewer = settings(fuzz, max_examples=max(10, FUZZ_EXAMPLES // 3))

CELLS = st.one_of(
    st.sampled_from(["2022", "156", "392", "842", "280530", "284690", "1", "0", "-1", "NA", " NA", "", "1e309",
                     "nan", "inf", "-0", "9999", "1066", "0x10", "1,5", '"', "'", "';DROP TABLE trade;--",
                     "[/x]", "\x1b[31m", "=1+1", "2023", "JPN", "CHN", "W00", "M", "X", "TOTAL", "C00"]),
    st.text(max_size=12),
    st.integers(-10**6, 10**12).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)


def _fingerprint(path: Path):
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute("""SELECT (SELECT count(*) FROM trade), (SELECT bit_xor(hash(year, exporter, importer,
                                  hs6, value_kusd, qty_t, provenance_id)) FROM trade),
                                  (SELECT count(*) FROM trade_comtrade), (SELECT count(*) FROM provenance)""").fetchall()


def _check_valid(path: Path) -> None:
    with duckdb.connect(str(path), read_only=True) as con:
        bad = con.execute("""SELECT count(*) FROM trade WHERE NOT isfinite(value_kusd) OR value_kusd < 0
                             OR (qty_t IS NOT NULL AND (NOT isfinite(qty_t) OR qty_t < 0))""").fetchall()[0][0]
        dup = con.execute("""SELECT count(*) FROM (SELECT year, exporter, importer, hs6 FROM trade
                             GROUP BY ALL HAVING count(*) > 1)""").fetchall()[0][0]
        bad_ct = con.execute("""SELECT count(*) FROM trade_comtrade WHERE NOT isfinite(value_kusd) OR value_kusd < 0
                                OR year NOT BETWEEN 1962 AND year(current_date)""").fetchall()[0][0]
    assert (bad, dup, bad_ct) == (0, 0, 0)


@pytest.fixture(scope="module")
def wh(built_warehouse, tmp_path_factory):
    dst = tmp_path_factory.mktemp("fuzz") / "wh.duckdb"
    shutil.copy(built_warehouse, dst)
    return dst


def _ingest(fn, path: Path, wh: Path) -> None:
    before = _fingerprint(wh)
    try:
        fn([path], wh, progress=False, replace=True)
    except InputError:
        assert _fingerprint(wh) == before, "a refused file changed the warehouse"
        return
    _check_valid(wh)


@fewer
@given(rows=st.lists(st.lists(CELLS, min_size=4, max_size=8), max_size=6),
       header=st.sampled_from(["t,i,j,k,v,q", "t,i,j,k,v", "t,i,j,k,v,q,x", "k,t,i,j,v,q", ""]),
       newline=st.booleans())
def test_fuzz_baci(wh, tmp_path_factory, rows, header, newline):
    f = tmp_path_factory.mktemp("b") / "BACI_HS92_Y2022_V202401b.csv"
    text = "\n".join([header, *(",".join(r) for r in rows)]) + ("\n" if newline else "")
    f.write_bytes(text.encode("utf-8", errors="replace"))
    _ingest(ingest_baci, f, wh)


@fewer
@given(data=st.data())
def test_fuzz_comtrade_mutations(wh, tmp_path_factory, data):
    """Mutate cells of the real sample export (its header kept, or one header cell replaced)."""
    lines = COMTRADE.read_text(encoding="utf-8").splitlines()
    header, body = lines[0].split(","), lines[1:]
    ncols = len(header)
    if data.draw(st.booleans(), label="mutate header"):
        header[data.draw(st.integers(0, ncols - 1))] = data.draw(CELLS)
    out = [",".join(header)]
    for ln in body[: data.draw(st.integers(0, len(body)))]:
        cells = ln.split(",")
        for _ in range(data.draw(st.integers(0, 3))):
            cells[data.draw(st.integers(0, len(cells) - 1))] = data.draw(CELLS)
        out.append(",".join(cells))
    if data.draw(st.booleans(), label="duplicate a row") and len(out) > 1:
        out.append(out[-1])
    f = tmp_path_factory.mktemp("c") / "export.csv"
    f.write_bytes(("\n".join(out) + "\n").encode("utf-8", errors="replace"))
    _ingest(ingest_comtrade, f, wh)


@fuzz
@given(raw=st.binary(max_size=400))
def test_fuzz_baci_random_bytes_header_check(tmp_path_factory, raw):
    """The header check alone (no warehouse): random bytes, gzip or not, give InputError or pass."""
    from critmin.sources import baci_csv

    d = tmp_path_factory.mktemp("r")
    for name in ("BACI_HS92_Y2022_V202401b.csv", "BACI_HS92_Y2022_V202401b.csv.gz"):
        f = d / name
        f.write_bytes(raw)
        try:
            baci_csv.check_file(f)
        except InputError:
            pass
