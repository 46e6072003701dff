"""Typed errors. Every error about input names the file, the record (line/key) and the field, and what
was expected, so a user can fix the input without reading code (house rule 8).

The CLI turns any :class:`CritminError` into one line on stderr and a non-zero exit; the API will turn it
into one JSON error shape via :meth:`CritminError.to_dict`.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any


class CritminError(Exception):
    """Base class of every error critmin raises on purpose."""

    exit_code = 2

    def to_dict(self) -> dict[str, Any]:
        return {"error": type(self).__name__, "message": str(self)}


@dataclass(eq=False)
class InputError(CritminError):
    """Bad input data: names where (file, record, field) and what was expected."""

    file: str
    record: str | int | None = None
    field: str | None = None
    expected: str = ""
    got: Any = None
    extra: dict[str, Any] = dc_field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__init__(str(self))

    def __str__(self) -> str:
        """'file, line 3, field 'v': expected …, got …' — the frame in the user's language (CRITMIN_LANG)."""
        from critmin.i18n import t

        where = [_one_line(self.file)]
        if self.record is not None:
            where.append(t("error.line", n=self.record) if isinstance(self.record, int) else
                         t("error.record", r=_one_line(self.record)))
        if self.field:
            where.append(t("error.field", f=_one_line(self.field)))
        msg = t("error.sep").join(where) + t("error.expected", e=self.expected)
        if self.got is not None:
            msg += t("error.got", g=repr(self.got)[:120])
        return msg

    def to_dict(self) -> dict[str, Any]:
        return {
            "error": type(self).__name__,
            "message": str(self),
            "file": str(self.file),
            "record": self.record,
            "field": self.field,
            "expected": self.expected,
            "got": None if self.got is None else str(self.got),
        }


def _one_line(value) -> str:
    """A file name, record or field taken from data, kept on one line (a key may hold a newline)."""
    return str(value).replace("\r", "\\r").replace("\n", "\\n")


class CatalogError(InputError):
    """A catalog file (materials, groups, lists, …) fails validation."""


class UnknownCodeError(InputError):
    """Country or product codes not in the catalog; ``extra['offenders']`` lists all of them."""


class WarehouseMissing(CritminError):
    """No warehouse was found where one was expected."""

    def __init__(self, path: str):
        self.path = path
        super().__init__(
            f"no warehouse at {path}: run `critmin build` first (or pass --warehouse / set CRITMIN_WAREHOUSE)"
        )


class WarehouseOutdated(CritminError):
    """The warehouse file was built by a critmin whose tables lack columns this version reads; one sentence in
    English and Chinese says which file and to rebuild it (a rebuild carries user-ingested rows over)."""

    def __init__(self, path: str, missing: list[str]):
        from critmin.i18n import t

        self.path, self.missing = path, missing
        shown = ", ".join(missing[:4]) + (f" (+{len(missing) - 4})" if len(missing) > 4 else "")
        super().__init__(t("warehouse.outdated", path=path, columns=shown))


class ValidationFailed(CritminError):
    """A freshly built warehouse failed its checks; the previous warehouse was left in place."""


class UsageError(CritminError):
    """A request that cannot be answered as asked (unknown importer, empty selection, …)."""


class EmptyResult(UsageError):
    """A well-formed request that matched no rows: one sentence saying what was asked, exit code 8 (bad input
    is 2; 3-5 are compliance findings, 6-7 ledger breaks), so a script can tell "nothing there" from "asked
    wrongly"."""

    exit_code = 8
