"""Economies, resolved once: "is this a country or a group, and who are its members in year Y?"

Every command and the Python API turn what a user typed (``EU27``, ``usa``, ``QUAD``, ``Japan``, ``日本``,
``欧盟27国``) into :class:`Economy` objects here and nowhere else. Group membership reaches the indicators
from these objects (:func:`membership_frame`), not from a table frozen in the warehouse at build time, so a
user group defined in ``CRITMIN_GROUPS`` works at once, without a rebuild.

Unknown names are collected and refused together, each with its closest matches ("did you mean").
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Literal

from critmin.errors import UsageError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from critmin.catalog import Catalog

# Columns of a membership frame (and of the warehouse table ``group_members``, which it replaces for queries).
MEMBERSHIP_COLUMNS = ["group_id", "year", "iso3"]


@dataclass(frozen=True)
class Economy:
    """A country (ISO3) or a group of countries whose members may change by year. Names are looked up when
    asked for (a country's names need the full country table; a code alone does not)."""

    id: str
    kind: Literal["country", "group"]
    catalog: Catalog = field(repr=False, compare=False, hash=False)

    @property
    def name_en(self) -> str:
        return self.catalog.country_name(self.id, "en")

    @property
    def name_zh(self) -> str:
        return self.catalog.country_name(self.id, "zh")

    @property
    def is_group(self) -> bool:
        return self.kind == "group"

    def name(self, lang: str = "en") -> str:
        return self.name_zh if lang == "zh" else self.name_en

    def members(self, year: int) -> list[str]:
        """ISO3 members in ``year`` (a country is its own only member); [] when the group did not exist."""
        if not self.is_group:
            return [self.id]
        g = self.catalog.groups[self.id]
        if (g.valid_to is not None and year > g.valid_to) or (g.valid_from is not None and year < g.valid_from):
            return []
        return self.catalog.members(self.id, year)

    def exists_in(self, year: int) -> bool:
        return bool(self.members(year))


def _fold(text: str) -> str:
    """Case-, accent- and punctuation-insensitive key for matching names."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return "".join(c for c in text if c.isalnum())


class EconomyIndex:
    """Every name an economy can be called by (codes, English and Chinese names) → its id."""

    def __init__(self, catalog: Catalog):
        self.catalog = catalog

    @cached_property
    def _names(self) -> dict[str, str]:
        names: dict[str, str] = {}
        cat = self.catalog
        first = cat.countries.drop_duplicates("iso3")
        for r in first.itertuples():
            for n in (r.name_en, r.name_zh):
                if isinstance(n, str) and n:
                    names.setdefault(_fold(n), r.iso3)
        for gid, g in cat.groups.items():
            for n in (g.name_en, g.name_zh):
                names.setdefault(_fold(n), gid)
                short = re.split(r"\s*[（(]", n, maxsplit=1)[0]  # 欧盟28国（2013—2019年成员构成） -> 欧盟28国
                if short and short != n:
                    names.setdefault(_fold(short), gid)
        # the codes themselves win over any name that folds the same way
        names.update({_fold(i): i for i in first["iso3"]})
        names.update({_fold(gid): gid for gid in cat.groups})
        return names

    def lookup(self, token: str) -> str | None:
        """The id a token names, or None. Codes are matched case-insensitively, names after folding; a
        country name that only country_converter knows (``South Korea``) is tried last."""
        tok = token.strip()
        if not tok:
            return None
        if tok in self.catalog.groups:
            return tok
        up = tok.upper()
        if up in self.catalog.groups or self.catalog.is_country(up):
            return up
        hit = self._names.get(_fold(tok))
        if hit is not None:
            return hit
        if len(tok) > 3 and tok.isascii():
            iso = self.catalog._cc.convert(tok, to="ISO3", not_found=None)
            if isinstance(iso, str) and self.catalog.is_country(iso):
                return iso
        return None

    def suggestions(self, token: str, n: int = 3) -> list[str]:
        keys = difflib.get_close_matches(_fold(token), list(self._names), n=n, cutoff=0.6)
        return list(dict.fromkeys(self._names[k] for k in keys))

    def economy(self, eid: str) -> Economy:
        return Economy(eid, "group" if eid in self.catalog.groups else "country", self.catalog)


def _tokens(spec: str | Iterable[str]) -> list[str]:
    parts = spec.replace("，", ",").split(",") if isinstance(spec, str) else [str(s) for s in spec]
    return [p.strip() for p in parts if p and p.strip()]


def resolve(spec: str | Iterable[str], catalog: Catalog | None = None, *, what: str = "economy") -> list[Economy]:
    """The economies a comma-separated spec (or list) names, in order, without repeats.

    Raises one :class:`UsageError` listing every unknown name with its closest matches.
    """
    from critmin.catalog import load_catalog

    cat = catalog or load_catalog()
    index = _index(cat)
    out: dict[str, Economy] = {}
    unknown: list[str] = []
    for tok in _tokens(spec):
        eid = index.lookup(tok)
        if eid is None:
            sugg = index.suggestions(tok)
            names = [f"{s} {index.economy(s).name_en}" for s in sugg]
            unknown.append(f"'{tok}'" + (f" (did you mean {', '.join(names)}?)" if names else ""))
        else:
            out.setdefault(eid, index.economy(eid))
    if unknown:
        plural = (what[:-1] + "ies" if what.endswith("y") else what + "s") if len(unknown) > 1 else what
        raise UsageError(f"unknown {plural}: {'; '.join(unknown)}; expected ISO3 "
                         f"codes, country names (English or Chinese) or groups ({', '.join(sorted(cat.groups))})")
    if not out:
        raise UsageError(f"no {what} given: expected ISO3 codes, country names or groups")
    return list(out.values())


def resolve_one(spec: str, catalog: Catalog | None = None, *, what: str = "economy") -> Economy:
    found = resolve(spec, catalog, what=what)
    if len(found) != 1:
        raise UsageError(f"expected one {what}, got {len(found)}: {', '.join(e.id for e in found)}")
    return found[0]


def membership_frame(economies: Iterable[Economy], years: Iterable[int]) -> pd.DataFrame:
    """Members of each group economy by year, as (group_id, year, iso3) rows — what the indicators join on.
    Countries need no rows (they import as themselves)."""
    import pandas as pd

    rows = [(e.id, y, iso) for e in economies if e.is_group for y in years for iso in e.members(y)]
    return pd.DataFrame(rows, columns=MEMBERSHIP_COLUMNS).astype({"year": "int32"})


_INDEXES: dict[int, EconomyIndex] = {}


def _index(cat: Catalog) -> EconomyIndex:
    idx = _INDEXES.get(id(cat))
    if idx is None or idx.catalog is not cat:
        idx = _INDEXES[id(cat)] = EconomyIndex(cat)
    return idx
