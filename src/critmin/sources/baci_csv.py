"""Adapter for full BACI CSV files exactly as CEPII publishes them.

Format: header ``t,i,j,k,v,q``; t year, i exporter and j importer as numeric country codes, k HS6 product
(HS92 or a later revision, named in the file name ``BACI_HS17_Y2022_V202401b.csv``), v value in thousand USD,
q quantity in tonnes, ``NA`` (often space-padded) where unknown. Files are streamed by DuckDB (plain or .gz),
so their size does not matter. Rows go to ``trade``, where a file's (year, HS6) slices replace older rows.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from critmin.errors import InputError, UnknownCodeError
from critmin.sources.base import Checked, Raw
from critmin.sources.files import header_columns, read_csv_sql, require_complete, stage
from critmin.sources.provenance import Provenance, sha256_file

SOURCE = "CEPII BACI (user file)"
# CEPII publishes BACI in each HS revision: HS92 (1995 on), HS96, HS02, HS07, HS12, HS17, HS22 (each from the
# year the revision entered into force).
REVISIONS = ("HS92", "HS96", "HS02", "HS07", "HS12", "HS17", "HS22")
HEADER = ["t", "i", "j", "k", "v", "q"]
NAME_RE = re.compile(r"BACI_(HS\d{2})_Y(\d{4})_(V\d{6}[a-z]?)", re.IGNORECASE)


def describe(path: Path) -> dict:
    """Nomenclature, year and release parsed from CEPII's file name (when it follows their pattern)."""
    m = NAME_RE.search(path.name)
    if not m:
        return {"nomenclature": "unknown", "year": None, "release": "unknown"}
    return {"nomenclature": m.group(1).upper(), "year": int(m.group(2)), "release": m.group(3)}


def check_file(path: Path) -> None:
    """Header must be exactly CEPII's; a plain file must end with a newline (else it was truncated)."""
    cols = header_columns(path, "a readable UTF-8 CSV file (plain or .gz)")
    if cols != HEADER:
        raise InputError(str(path), 1, "header", "CEPII BACI columns t,i,j,k,v,q", ",".join(cols))
    require_complete(path)


def raw_relation_sql(path: Path) -> tuple[str, dict]:
    """DuckDB SQL (and its parameters) reading the file as text columns plus a line number."""
    return read_csv_sql(path, HEADER)


def _revision(raw: Raw) -> str:
    """The HS revision of a file: from its name (CEPII's pattern) or ``--hs-revision``; they must agree, one must
    be given. A revision other than HS92 (the catalog's) is converted: with the user's ``--correlation`` table,
    else with the bundled UNSD table (HS17, HS22); other revisions without a table are refused, since loading
    their codes as if they were HS92 would file flows under the wrong products without a word."""
    named, given = raw.info["nomenclature"], raw.info.get("hs_revision_option")
    given = given.upper() if given else None
    if given and given not in REVISIONS:
        raise InputError(raw.label, None, "--hs-revision", "one of " + ", ".join(REVISIONS), given)
    if named != "unknown" and named not in REVISIONS:
        raise InputError(raw.label, None, "file name", "an HS revision among " + ", ".join(REVISIONS), named)
    if named != "unknown" and given and named != given:
        raise InputError(raw.label, None, "file name", f"the revision given with --hs-revision ({given})", named)
    revision = given or (named if named != "unknown" else None)
    if revision is None:
        raise InputError(raw.label, None, "file name", "the HS revision in CEPII's file name pattern "
                         "(BACI_HS92_Y2022_V202401b.csv) or given with --hs-revision HS92", raw.path.name)
    corr_path = raw.info.get("correlation_option")
    if revision != "HS92" and not corr_path:
        from critmin.sources.hs_correlation import bundled_correlation, bundled_revisions

        bundled = bundled_correlation(revision)
        if bundled is None:
            raise InputError(raw.label, None, "HS revision",
                             "HS92, or a revision with a bundled correlation table ("
                             + ", ".join(bundled_revisions()) + f"): the catalog's codes are HS92 and critmin "
                             f"bundles no HS correlation table to convert {revision} codes to HS92 "
                             f"(docs/warehouse.md, 'HS revisions'); CEPII publishes every BACI release in HS92 "
                             f"too, or pass your {revision}→HS92 table with --correlation", revision)
        raw.info["correlation"] = bundled
    raw.info["nomenclature"] = revision
    if corr_path:
        from critmin.sources.hs_correlation import read_correlation

        corr = read_correlation(corr_path, REVISIONS)
        if corr.source != revision:
            raise InputError(str(corr_path), 1, "header", f"a {revision}→HS92 table, as {raw.path.name} is "
                             f"{revision}", f"{corr.source}→HS92")
        raw.info["correlation"] = corr
    return revision


class BaciCsv:
    name = "baci_csv"
    source = SOURCE
    kind = "file"
    tables = ("trade",)

    def detect(self, path: Path) -> bool:
        try:
            return header_columns(Path(path), "a CSV file") == HEADER
        except InputError:
            return False

    def inputs(self, table: str) -> dict[str, str]:
        return {}

    def read_raw(self, con, table: str = "trade", path: Path | None = None) -> Iterator[Raw]:
        path = Path(path)
        check_file(path)
        stage(con, "raw", raw_relation_sql(path), str(path))
        yield Raw("trade", "raw", str(path), path, describe(path))

    def check(self, con, raw: Raw, allow_unknown: bool = False) -> Checked:
        """Numbers, codes and years (one scan), the year the file name states, known country codes and, for HS92
        files, codes in CEPII's HS92 list (unknown ones listed in full, or allowed). Each flow once is checked
        by the ingest on the canonical rows (one grouping of typed keys catches a flow repeated as written and
        one written two ways), then :meth:`locate_duplicate` finds the line."""
        from critmin.sources.trade_checks import check_raw, raise_unknown_countries, unknown_countries

        label, r = raw.label, raw.relation
        check_raw(con, r, label)
        revision = _revision(raw)
        named_year = raw.info["year"]
        if named_year is not None:
            other = con.execute(f"SELECT line, t FROM {r} WHERE CAST(trim(t) AS INTEGER) <> ? ORDER BY line LIMIT 1",
                                [named_year]).fetchall()
            if other:
                raise InputError(label, int(other[0][0]), "t", f"the year {named_year} that the file name states",
                                 other[0][1])
        corr = raw.info.get("correlation")
        if corr is not None:  # every code of the file must be in the user's table, or its flows would be lost
            from critmin.sources.hs_correlation import stage_correlation

            stage_correlation(con, corr)
            missing = con.execute(f"""SELECT lpad(trim(k), 6, '0'), min(line) FROM {r}
                                      WHERE lpad(trim(k), 6, '0') NOT IN (SELECT from_code FROM hs_corr)
                                      GROUP BY 1 ORDER BY 2""").fetchall()
            if missing:
                raise InputError(label, int(missing[0][1]), "k", f"{revision} codes listed in {corr.path.name} "
                                 "(not listed: " + ", ".join(m[0] for m in missing[:20])
                                 + (" …" if len(missing) > 20 else "") + ")", missing[0][0])
        unknown = unknown_countries(con, r)
        if unknown and not allow_unknown:
            raise_unknown_countries(unknown, label)
        if revision == "HS92":  # codes checked against CEPII's HS92 list
            from critmin.sources.geopolrisk_bundle import hs92_codes

            known = hs92_codes()  # the file's distinct codes against the set: one grouping scan, no per-row list
            bad_k = [(c, line) for c, line in con.execute(f"""SELECT lpad(trim(k), 6, '0') AS code, min(line)
                                                             FROM {r} GROUP BY 1 ORDER BY 2""").fetchall()
                     if c not in known]
            if bad_k and not allow_unknown:
                raise UnknownCodeError(label, int(bad_k[0][1]), "k", "HS92 product codes, as the file states HS92 "
                                       "(not in HS92: " + ", ".join(b[0] for b in bad_k) + "; a file of a later "
                                       "revision must say so in its name or with --hs-revision; codes that are "
                                       "truly HS92 but unknown to CEPII's list load with --allow-unknown)",
                                       bad_k[0][0], extra={"offenders": [b[0] for b in bad_k]})
            unknown = [*unknown, *((code, line, "k") for code, line in bad_k)]
        return Checked(r, unknown=unknown)

    def locate_duplicate(self, con, raw: Raw) -> None:
        """Raise InputError at the second line of the first flow the file states twice (only called once the
        canonical rows are known to repeat a flow: the window over line numbers sorts the file)."""
        from critmin.sources.trade_checks import canonical_select, first_duplicate

        con.execute(f"CREATE OR REPLACE TEMP TABLE canon_lines AS {canonical_select(raw.relation, with_line=True)}",
                    {"provenance_id": ""})
        first_duplicate(con, "canon_lines", ["year", "exporter", "importer", "hs6"], raw.label,
                        "each flow (year t, exporter i, importer j, product k)")

    def canonical_select(self, raw: Raw, checked: Checked) -> str:
        from critmin.sources.trade_checks import canonical_select

        sql = canonical_select(checked.relation)
        if raw.info.get("correlation") is None:
            return sql
        # HS revision → HS92 through the user's table: one-to-many split by share, many-to-one summed; a
        # quantity stays known only if every part of the merged flow had one
        return f"""SELECT year, exporter, importer, c.hs6, sum(x.value_kusd * c.share) AS value_kusd,
                          CASE WHEN count(x.qty_t) = count(*) THEN sum(x.qty_t * c.share) END AS qty_t,
                          x.provenance_id
                   FROM ({sql}) x JOIN hs_corr c ON c.from_code = x.hs6
                   GROUP BY year, exporter, importer, c.hs6, x.provenance_id"""

    def provenance(self, raw: Raw, row_count: int) -> Provenance:
        path, d = raw.path, raw.info
        return Provenance(
            source=SOURCE, file=str(path.resolve()), table="trade", row_count=row_count, sha256=sha256_file(path),
            vintage=f"BACI {d['nomenclature']} {d['release']}" + (f", year {d['year']}" if d["year"] else "")
                + (", converted to HS92" if d.get("correlation") else "")
                + (", release not stated in the file name" if d["release"] == "unknown" else ""),
            licence="Etalab Open Licence 2.0 (CEPII BACI)",
            url="https://www.cepii.fr/CEPII/en/bdd_modele/bdd_modele_item.asp?id=37",
            note=f"nomenclature {d['nomenclature']}" + (_conversion_note(d["correlation"])
                                                       if d.get("correlation") else ""),
        )


def _conversion_note(corr) -> str:
    if not corr.bundled:
        return f"; codes converted to HS92 with the user's {corr.label}"
    from critmin.sources.hs_correlation import BUNDLED_METHOD

    return (f"; codes converted to HS92 with the {corr.label}; {BUNDLED_METHOD}: the file's such codes are "
            "listed in trade_hs_conversion")


ADAPTER = BaciCsv()
