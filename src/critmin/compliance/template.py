"""A bilingual fill-in template that satisfies several regimes at once: every dossier field any chosen
rule reads, with its English and Chinese label, the rules (and worst severity) that need it and the allowed
format. Written as JSON (a loadable skeleton dossier plus a field guide) and as an Excel workbook
(openpyxl): one sheet for single fields, one sheet per repeating section, drop-down lists for value sets.
"""

from __future__ import annotations

import json
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path

from critmin.compliance.rules import SEVERITY_RANK, load_pack, parse_regimes

ALWAYS = ["schema_version", "dossier_id", "kind", "prepared_on"]
LEDGER_FILLED = ("chain_of_custody.events", "chain_of_custody.recycled_by_element")


@dataclass
class TemplateField:
    path: str  # e.g. items[*].hs_code
    label_en: str
    label_zh: str
    kind: str  # text | number | date | bool | choice | list
    choices: list[str] = field(default_factory=list)
    required_by: list[str] = field(default_factory=list)
    severity: str = ""
    pattern: str = ""
    many: bool = False  # a list of values in one field (comma-separated in Excel)

    @property
    def section(self) -> str:
        """'' for single fields, else the repeating section (e.g. 'items', 'due_diligence.measures')."""
        return self.path.split("[*]")[0] if "[*]" in self.path else ""

    @property
    def column(self) -> str:
        if not self.section:
            return self.path
        rest = self.path[len(self.section) + 4 :]
        return rest.split("[*]")[0] or "value"


def _unwrap(ann):
    """(inner type, is_list) of an annotation such as ``list[Item] | None``."""
    is_list = False
    while True:
        origin = typing.get_origin(ann)
        if origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(ann) if a is not type(None)]
            ann = args[0]
        elif origin is typing.Annotated:
            ann = typing.get_args(ann)[0]
        elif origin is list:
            is_list = True
            ann = typing.get_args(ann)[0]
        else:
            return ann, is_list


def _describe(path: str):
    """(FieldInfo, inner type, is_list) for a dotted dossier path, or None if the path is unknown."""
    from pydantic import BaseModel

    from critmin.compliance.model import Dossier

    model = Dossier
    info = inner = None
    is_list = False
    for name in path.replace("[*]", "").split("."):
        if model is None or name not in model.model_fields:
            return None
        info = model.model_fields[name]
        inner, is_list = _unwrap(info.annotation)
        model = inner if isinstance(inner, type) and issubclass(inner, BaseModel) else None
    return info, inner, is_list


def _kind(inner) -> tuple[str, list[str]]:
    from datetime import date

    if typing.get_origin(inner) is typing.Literal:
        return "choice", [str(a) for a in typing.get_args(inner)]
    if inner is bool:
        return "bool", ["true", "false"]
    if inner in (int, float):
        return "number", []
    if inner is date:
        return "date", []
    return "text", []


def template_fields(regimes) -> list[TemplateField]:
    """The fields the chosen regimes read, with labels, required-by rules and worst severity."""
    from pydantic import BaseModel

    from critmin.compliance.model import Dossier

    regimes = parse_regimes(regimes)
    need: dict[str, list[tuple[str, str, str]]] = {p: [] for p in ALWAYS}
    from critmin.compliance.applicability import paths_read

    for regime in regimes:
        pack = load_pack(regime)
        for rule in pack.rules:
            for p in rule.field_paths():
                p = p[:-3] if p.endswith("[*]") else p
                need.setdefault(p, []).append((rule.id, rule.severity, rule.pattern or ""))
        # what decides whether the regime applies: without it the regime is "not assessed"
        for p in paths_read([*(pack.applies or []), *(a for r in pack.rules for a in (r.applies or []))]):
            p = p[:-3] if p.endswith("[*]") else p
            need.setdefault(p, []).append((f"{regime}:applies", "warning", ""))
    # a path naming a repeated section or sub-model expands to its leaves; required keys of list rows too
    expanded: dict[str, list[tuple[str, str, str]]] = {}
    for p, reqs in need.items():
        d = _describe(p)
        if d is None:
            continue
        _, inner, is_list = d
        if p.startswith(LEDGER_FILLED):
            expanded.setdefault(p, []).extend(reqs)  # written by `critmin ledger export`, not by hand
        elif isinstance(inner, type) and issubclass(inner, BaseModel):
            prefix = p + ("[*]" if is_list else "")
            for name, f in inner.model_fields.items():
                sub_inner, _ = _unwrap(f.annotation)
                if isinstance(sub_inner, type) and issubclass(sub_inner, BaseModel):
                    continue
                if is_list or f.is_required():
                    expanded.setdefault(f"{prefix}.{name}", []).extend(reqs if not f.is_required() else [])
        else:
            expanded.setdefault(p, []).extend(reqs)
        # a repeated row is a record: every scalar field of each enclosing list row becomes a column
        parts = p.split("[*]")
        for i in range(1, len(parts)):
            section = "[*]".join(parts[:i])
            d2 = _describe(section)
            if d2 and isinstance(d2[1], type) and issubclass(d2[1], BaseModel) and not section.startswith(LEDGER_FILLED):
                for name, f in d2[1].model_fields.items():
                    sub_inner, _ = _unwrap(f.annotation)
                    if not (isinstance(sub_inner, type) and issubclass(sub_inner, BaseModel)):
                        expanded.setdefault(f"{section}[*].{name}", [])
    out = []
    order = list(Dossier.model_fields)
    for p, reqs in expanded.items():
        info, inner, is_list = _describe(p)
        kind, choices = _kind(inner)
        if is_list and kind != "choice":
            kind = "list"
        en, sep, zh = (info.description or p).rpartition(" / ")
        if not sep:
            en = zh
        ids = sorted({r for r, _, _ in reqs})
        sev = max((s for _, s, _ in reqs), key=SEVERITY_RANK.__getitem__, default="")
        pattern = next((pat for _, _, pat in reqs if pat), "")
        out.append(TemplateField(p, en, zh, kind, choices, ids, sev, pattern, many=is_list))
    top = {name: i for i, name in enumerate(order)}
    out.sort(key=lambda f: (top.get(f.path.split(".")[0].split("[")[0], 99), f.section, f.path))
    return out


def _set(doc: dict, path: str, value) -> None:
    parts = path.split(".")
    node = doc
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if part.endswith("[*]"):
            key = part[:-3]
            lst = node.setdefault(key, [{}] if not last else [])
            if last:
                if value is not None:
                    lst.append(value)
                return
            node = lst[0]
        elif last:
            node.setdefault(part, value)
        else:
            node = node.setdefault(part, {})


_PLACEHOLDER = {"line_no": 1, "item_line": 1, "batch_id": "BATCH-1", "risk_id": "R1", "measure_id": "M1",
                "element": "Nd", "dossier_id": "DOSSIER-ID", "schema_version": "1", "kind": "shipment"}


def skeleton(fields: list[TemplateField]) -> dict:
    """A dossier with every template field present (None / one placeholder row); it loads as a Dossier.

    Only keys the model requires get a placeholder value (first choice, 1, or a sample id)."""
    doc: dict = {}
    for f in fields:
        info, _, _ = _describe(f.path)
        leaf = f.path.split(".")[-1].replace("[*]", "")
        if f.many:
            _set(doc, f.path + "[*]", None)
            continue
        value = None
        if info.is_required() or f.path in ("schema_version", "dossier_id", "kind"):
            value = _PLACEHOLDER.get(leaf) or (f.choices[0] if f.choices else (1 if f.kind == "number" else "TODO"))
        _set(doc, f.path, value)
    return doc


def write_template(regimes, out_dir: str | Path) -> list[Path]:
    """Write ``dossier_template.json`` and ``dossier_template.xlsx`` to ``out_dir``; return their paths."""
    from critmin.compliance.model import SCHEMA_VERSION

    regimes = parse_regimes(regimes)
    fields = template_fields(regimes)
    out_dir = Path(out_dir)
    stem = "dossier_template_" + "_".join(r.replace("-", "") for r in regimes)
    jpath, xpath = out_dir / f"{stem}.json", out_dir / f"{stem}.xlsx"
    guide = {
        f.path: {"en": f.label_en, "zh": f.label_zh, "kind": f.kind, "choices": f.choices,
                 "required_by": f.required_by, "severity": f.severity, "pattern": f.pattern}
        | ({"filled_by": "critmin ledger export --into"} if f.path.startswith("chain_of_custody") else {})
        for f in fields
    }
    doc = {"_template": {"schema_version": SCHEMA_VERSION, "regimes": regimes,
                         "how_to": {"en": "Fill in the values under 'dossier', delete '_template', then run critmin comply check.",
                                    "zh": "在 dossier 下填写各项数值，删除 _template，然后运行 critmin comply check。"},
                         "fields": guide},
           "dossier": skeleton(fields)}

    from critmin.atomic import write_text, write_with

    write_text(jpath, json.dumps(doc, ensure_ascii=False, indent=2))
    write_with(xpath, lambda tmp: _workbook(fields, regimes).save(tmp))
    return [jpath, xpath]


def _workbook(fields: list[TemplateField], regimes: list[str]):
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    fill = {"error": "F8CBAD", "warning": "FFE699", "advisory": "DDEBF7", "": "EDEDED"}
    bold = Font(bold=True)
    wb = Workbook()
    ws = wb.active
    ws.title = "README 说明"
    ws.append(["critmin dossier template / critmin 档案填报模板"])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append(["Regimes / 适用制度", ", ".join(regimes)])
    for regime in regimes:
        pack = load_pack(regime)
        ws.append([regime, f"{pack.title.en} / {pack.title.zh}"])
        for c in pack.legal_basis:
            ws.append(["", c.source])
    ws.append([])
    ws.append(["Colours / 颜色", "red = error 错误, yellow = warning 警告, blue = advisory 建议"])
    ws.append(["Lists / 列表", "Several values in one cell: separate with commas / 一格多值用逗号分隔"])
    ws.column_dimensions["A"].width = 22
    ws.column_dimensions["B"].width = 110

    single = wb.create_sheet("Dossier 档案")
    single.append(["path 路径", "field 字段", "字段", "value 填写值", "format 格式", "required by 规则", "severity 级别"])
    for c in single[1]:
        c.font = bold
    for f in [f for f in fields if not f.section]:
        fmt = "|".join(f.choices) if f.choices else (f.pattern or f.kind)
        prefill = _PLACEHOLDER.get(f.path) if f.path in ("schema_version", "dossier_id", "kind") else None
        single.append([f.path, f.label_en, f.label_zh, prefill, fmt, ",".join(f.required_by), f.severity])
        row = single.max_row
        single.cell(row, 4).fill = PatternFill("solid", fgColor=fill[f.severity])
        if f.choices:
            dv = DataValidation(type="list", formula1='"' + ",".join(f.choices) + '"', allow_blank=True)
            single.add_data_validation(dv)
            dv.add(single.cell(row, 4))
    for col, width in zip("ABCDEFG", (42, 44, 28, 36, 30, 30, 10), strict=True):
        single.column_dimensions[col].width = width
    single.freeze_panes = "D2"

    sections: dict[str, list[TemplateField]] = {}
    for f in fields:
        if f.section:
            sections.setdefault(f.section, []).append(f)
    for section, fs in sections.items():
        sh = wb.create_sheet(section[:31])
        cols: list[TemplateField] = []
        for f in fs:
            if f.column not in [c.column for c in cols]:
                cols.append(f)
        sh.append([c.column for c in cols])
        sh.append([c.label_en for c in cols])
        sh.append([c.label_zh for c in cols])
        sh.append([(("|".join(c.choices)) if c.choices else (c.pattern or c.kind)) + (f" [{c.severity}]" if c.severity else "") for c in cols])
        for r in range(1, 5):
            for c in sh[r]:
                c.font = bold if r == 1 else Font(italic=True, color="555555")
                c.alignment = Alignment(wrap_text=True)
        for i, c in enumerate(cols, start=1):
            sh.cell(1, i).fill = PatternFill("solid", fgColor=fill[c.severity])
            sh.column_dimensions[sh.cell(1, i).column_letter].width = 24
            if c.choices:
                dv = DataValidation(type="list", formula1='"' + ",".join(c.choices) + '"', allow_blank=True)
                sh.add_data_validation(dv)
                dv.add(f"{sh.cell(5, i).column_letter}5:{sh.cell(5, i).column_letter}500")
        sh.freeze_panes = "A5"
    return wb


# ------------------------------------------------------------------------------------------- reading back

SINGLE_SHEET = "Dossier 档案"
SECTION_FIRST_ROW = 5


def _cell_value(raw, path: str, source: str, where: str):
    """Convert an Excel cell to the JSON value the model expects for ``path``."""
    from datetime import date, datetime

    from critmin.errors import InputError

    d = _describe(path)
    if d is None:
        raise InputError(file=source, record=where, field=path, expected="a known dossier field")
    info, inner, is_list = d
    kind, _ = _kind(inner)
    if isinstance(raw, str):
        raw = raw.strip()
        if raw == "":
            return None
    if is_list:
        parts = [p.strip() for p in str(raw).split(",") if p.strip()]
        return [_scalar(p, kind) for p in parts]
    if isinstance(raw, datetime):
        return raw.date().isoformat()
    if isinstance(raw, date):
        return raw.isoformat()
    return _scalar(raw, kind)


def _scalar(raw, kind: str):
    if kind == "bool" and isinstance(raw, str):
        low = raw.lower()
        return True if low in ("true", "yes", "1", "是") else False if low in ("false", "no", "0", "否") else raw
    if kind in ("text", "choice") and isinstance(raw, int | float) and not isinstance(raw, bool):
        return str(int(raw)) if float(raw).is_integer() else str(raw)
    if kind == "number" and isinstance(raw, str):
        try:
            return float(raw) if any(c in raw for c in ".eE") else int(raw)
        except ValueError:
            return raw
    return raw


MAX_UNCOMPRESSED = 50 << 20  # bytes, all parts of the workbook together
MAX_PARTS = 1000
MAX_ROWS = 10_000  # per sheet
_DTD = [b"<!DOCTYPE", "<!DOCTYPE".encode("utf-16-le"), "<!DOCTYPE".encode("utf-16-be")]


def _check_package(path: Path) -> None:
    """Refuse a workbook openpyxl should not open: more parts or uncompressed bytes than the caps (zipfile never
    inflates a part beyond the size its directory declares, so the declared sizes bound the work), or any part
    with a DTD, which an .xlsx never needs and which is how XML entity bombs and external entities begin.
    (openpyxl also parses through defusedxml when it is installed.)"""
    import zipfile
    import zlib

    from critmin.errors import InputError

    expected = "an .xlsx workbook written by `critmin comply template`"
    try:
        with zipfile.ZipFile(path) as z:
            infos = z.infolist()
            total = sum(i.file_size for i in infos)
            if len(infos) > MAX_PARTS or total > MAX_UNCOMPRESSED:
                raise InputError(file=str(path), expected=f"{expected}, at most {MAX_UNCOMPRESSED >> 20} MiB "
                                 f"uncompressed in at most {MAX_PARTS} parts", got=f"{total} bytes in {len(infos)} parts")
            for info in infos:
                with z.open(info) as fh:
                    tail = b""
                    while chunk := fh.read(1 << 20):
                        if any(n in tail + chunk for n in _DTD):
                            raise InputError(file=str(path), record=f"part {info.filename}",
                                             expected="XML without a DTD (<!DOCTYPE …>)", got="a DOCTYPE declaration")
                        tail = chunk[-20:]
    except InputError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, RuntimeError, NotImplementedError, EOFError,
            zlib.error, ValueError) as exc:
        raise InputError(file=str(path), expected=expected, got=type(exc).__name__) from None


def _rows(sheet, path: Path, name: str, min_row: int):
    """(row number, values) of ``sheet`` from ``min_row``, refusing sheets longer than MAX_ROWS."""
    from critmin.errors import InputError

    for r, row in enumerate(sheet.iter_rows(min_row=min_row, values_only=True), start=min_row):
        if r > MAX_ROWS:
            raise InputError(file=str(path), record=f"sheet '{name}'", expected=f"at most {MAX_ROWS} rows",
                             got=f"row {r}")
        yield r, row


def read_workbook(path: str | Path):
    """Read a filled-in Excel template back into a Dossier. Errors name the sheet, row and field.

    ``chain_of_custody`` is not read from the workbook: it comes from the ledger (`critmin ledger export --into`).
    """
    from openpyxl import load_workbook

    from critmin.compliance.loader import dossier_from_obj
    from critmin.errors import InputError

    path = Path(path)
    _check_package(path)
    wb = None
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
        doc, rows_of = _read_sheets(wb, path)
    except InputError:
        raise
    except Exception as exc:  # openpyxl raises many types (and defusedxml its own) for a broken workbook
        raise InputError(file=str(path), expected="an .xlsx workbook written by `critmin comply template`",
                         got=type(exc).__name__) from None
    finally:
        if wb is not None:
            wb.close()
    try:
        return dossier_from_obj(doc, str(path))
    except InputError as exc:
        rec = str(exc.record or "")
        for section, rows in rows_of.items():
            prefix = section + "["
            if rec.startswith(prefix):
                idx = int(rec[len(prefix):].split("]")[0])
                exc.record = f"sheet '{section}' row {rows.get(idx, '?')} ({rec})"
                exc.args = (str(exc),)
        raise


def _read_sheets(wb, path: Path) -> tuple[dict, dict[str, dict[int, int]]]:
    from critmin.errors import InputError

    if SINGLE_SHEET not in wb.sheetnames:
        raise InputError(file=str(path), record=f"sheet '{SINGLE_SHEET}'", expected="the template's single-field sheet")
    doc: dict = {}
    rows_of: dict[str, dict[int, int]] = {}
    for r, row in _rows(wb[SINGLE_SHEET], path, SINGLE_SHEET, 2):
        if not row or not row[0] or len(row) < 4 or row[3] is None:
            continue
        fpath = str(row[0])
        if fpath.startswith("chain_of_custody"):
            continue
        value = _cell_value(row[3], fpath, str(path), f"sheet '{SINGLE_SHEET}' row {r}")
        if value is not None:
            _put(doc, fpath, value)
    for name in wb.sheetnames:
        if name in (SINGLE_SHEET, "README 说明") or " " in name or name.startswith("chain_of_custody"):
            continue
        sheet = wb[name]
        header = next(sheet.iter_rows(min_row=1, max_row=1, values_only=True), ())
        items = []
        for r, row in _rows(sheet, path, name, SECTION_FIRST_ROW):
            entry = {}
            for key, raw in zip(header, row, strict=False):
                if key is None or raw is None:
                    continue
                value = _cell_value(raw, f"{name}[*].{key}", str(path), f"sheet '{name}' row {r}")
                if value is not None:
                    entry[str(key)] = value
            if entry:
                rows_of.setdefault(name, {})[len(items)] = r
                items.append(entry)
        if items:
            _put(doc, name, items)
    return doc, rows_of


def _put(doc: dict, dotted: str, value) -> None:
    parts = dotted.split(".")
    node = doc
    for p in parts[:-1]:
        node = node.setdefault(p, {})
    node[parts[-1]] = value
