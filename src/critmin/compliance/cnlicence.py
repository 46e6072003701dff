"""China's export licence, read against the knowledge base: which item lines a measure controls on the
shipment date, and whether the licence record covers them (items, quantity, consignee, end user,
destination).

The facts about the measures (dates, suspensions, scope, the "unknown after" state) are the knowledge
base's (:func:`critmin.kb.controls.controls_on`); this module only asks it, per item line, and compares
the dossier's licence record with the dossier's shipment. A line is *controlled* when a goods control
is ``in_force`` on the day and matches the line's element (or HS6) and form; ``unknown`` leaves the line
open (the regime is then not assessed), and suspended, ended or never-in-force measures are named as the
reason no licence is asked for.
"""

from __future__ import annotations

from datetime import date

from critmin.errors import UsageError

# The dossier's item forms in the words the KB's scope items use (singular, lower case).
_FORM_WORDS = {
    "ore_concentrate": {"ore", "ores", "concentrate", "concentrates", "ore_concentrate"},
    "oxide": {"oxide", "oxides"},
    "compound": {"compound", "compounds", "salt", "salts"},
    "metal": {"metal", "metals"},
    "alloy": {"alloy", "alloys"},
    "magnet": {"magnet", "magnets", "permanent_magnet", "permanent_magnets"},
    "scrap": {"scrap", "waste"},
    "product": {"product", "products"},
}


def _hit_forms(hit) -> set[str] | None:
    item = getattr(hit, "scope_item", None) or getattr(hit, "item", None)
    forms = getattr(hit, "forms", None) or (getattr(item, "forms", None) if item is not None else None)
    return {str(f).lower() for f in forms} if forms else None


def hit_control_numbers(hit) -> set[str]:
    item = getattr(hit, "scope_item", None) or getattr(hit, "item", None)
    for name in ("control_list", "control_list_numbers", "control_list_nos"):
        nums = getattr(hit, name, None) or (getattr(item, name, None) if item is not None else None)
        if nums:
            return {str(n) for n in nums}
    return set()


def _hit_id(hit) -> str:
    return str(getattr(hit, "measure_id", None) or getattr(hit, "measure", None) or getattr(hit, "id", "?"))


def _form_matches(item_form: str | None, hit) -> bool:
    forms = _hit_forms(hit)
    if forms is None or item_form is None or "any" in forms:  # no form named / the line states none: element decides
        return True
    return bool(_FORM_WORDS.get(item_form, {item_form}) & forms)


def line_hits(day: date, item, destination: str | None, exporter: str | None = "CHN") -> list:
    """Goods-control hits of China's measures in the knowledge base for one item line on ``day`` (by its
    elements, else its HS6), for goods leaving ``exporter`` (extraterritorial items bind exports from abroad)."""
    from critmin.kb.controls import controls_on

    hits, seen = [], set()
    # The control list defines items by element and form; the HS6 codes a measure lists are customs
    # references. A line that states its elements is matched on them; the HS6 decides only when it does not.
    queries = [{"element": el} for el in item.elements]
    if not queries and item.hs_code:
        queries.append({"hs6": item.hs_code[:6]})
    for q in queries:
        try:
            found = controls_on(day, destination=destination, jurisdiction="CHN", exporter=exporter, **q)
        except UsageError:  # an element no catalog material names (Fe in NdFeB): no measure can list it
            continue
        for hit in found:
            if getattr(hit, "kind", "goods") != "goods" or not _form_matches(item.form, hit):
                continue
            key = (_hit_id(hit), str(getattr(hit, "state", "")))
            if key not in seen:
                seen.add(key)
                hits.append(hit)
    return hits


def annotate(scope, dossier) -> dict[int, list]:
    """Fill ``scope.controlled_lines`` / ``unknown_lines`` / ``control_notes`` from the KB; return the hits per line."""
    by_line: dict[int, list] = {}
    if scope.day is None:
        return by_line
    for item in dossier.items or []:
        hits = line_hits(scope.day, item, scope.destination, scope.origin or "CHN")
        by_line[item.line_no] = hits
        for hit in hits:
            state = str(getattr(hit, "state", ""))
            if state == "in_force":
                scope.controlled_lines.setdefault(item.line_no, []).append(_hit_id(hit))
            elif state == "unknown":
                scope.unknown_lines.setdefault(item.line_no, []).append(_hit_id(hit))
            else:
                note = f"{_hit_id(hit)} {state} on {scope.day.isoformat()}"
                if note not in scope.control_notes:
                    scope.control_notes.append(note)
    return by_line


# ------------------------------------------------------------------------------------- licence record checks


def _norm(s: str | None) -> str:
    return " ".join((s or "").casefold().split())


def _licence_item_for(item, lic_items: list[dict]) -> tuple[int, dict] | None:
    """The licence line that licenses a shipped line: same control-list number, else same HS6."""
    for i, li in enumerate(lic_items):
        if item.get("controlled_item_id") and li.get("control_list_no") == item["controlled_item_id"]:
            return i, li
    for i, li in enumerate(lic_items):
        by_hs = not li.get("control_list_no") or not item.get("controlled_item_id")  # a number is missing: HS6 decides
        if by_hs and item.get("hs_code") and li.get("hs_code") and str(li["hs_code"])[:6] == str(item["hs_code"])[:6]:
            return i, li
    return None


def _controlled(ctx) -> list[tuple[int, dict]]:
    """The controlled lines, when the dossier has a licence record (without one CN-EXP-010 says so, once)."""
    if not ctx.root.get("licence"):
        return []
    return [(i, it) for i, it in enumerate(ctx.root.get("items") or []) if it.get("cn_controls")]


def check_licence_items(rule, ctx):
    """Every controlled line is licensed: a licence item with its control-list number (or HS6)."""
    lic = ctx.root.get("licence") or {}
    out = []
    for i, it in _controlled(ctx):
        if _licence_item_for(it, lic.get("items") or []) is None:
            out.append((f"items[{i}]", "not_covered", f"line {it['line_no']} ({it.get('controlled_item_id') or it.get('hs_code')})"))
    return out


def check_licence_quantity(rule, ctx):
    """The controlled lines matched to one licence item, with what was already exported under it (``used_kg``),
    do not exceed the quantity it licenses."""
    lic_items = (ctx.root.get("licence") or {}).get("items") or []
    shipped: dict[int, float] = {}
    for _, it in _controlled(ctx):
        m = _licence_item_for(it, lic_items)
        if m is not None and it.get("quantity_kg") is not None:
            shipped[m[0]] = shipped.get(m[0], 0.0) + it["quantity_kg"]
    out = []
    for j, qty in sorted(shipped.items()):
        allowed, used = lic_items[j].get("quantity_kg"), lic_items[j].get("used_kg") or 0.0
        if allowed is None:
            out.append((f"licence.items[{j}].quantity_kg", "missing", ""))
        elif qty + used > allowed:
            before = f" after {used:g} kg already exported" if used else ""
            out.append((f"licence.items[{j}].quantity_kg", "compare", f"{qty:g} kg shipped{before} vs {allowed:g} kg licensed"))
    return out


def _party_check(licensed: dict | None, actual: dict | None, lpath: str, apath: str):
    if not actual or not actual.get("name"):
        return []  # the party itself is missing: the presence rules (CN-EXP-003) say so
    if not licensed or not licensed.get("name"):
        return [(f"{lpath}.name", "missing", "")]
    out = []
    if _norm(licensed["name"]) != _norm(actual["name"]):
        out.append((f"{apath}.name", "compare", f"{actual['name']} vs licensed {licensed['name']}"))
    if licensed.get("country") and actual.get("country") and licensed["country"] != actual["country"]:
        out.append((f"{apath}.country", "compare", f"{actual['country']} vs licensed {licensed['country']}"))
    return out


def _general_without(lic: dict, key: str) -> bool:
    """A general licence that names no such party: it is not a single-transaction licence, and what it
    covers is in its own terms, which the dossier does not carry; nothing to compare."""
    return lic.get("kind") == "general" and not (lic.get(key) or {}).get("name")


def check_licence_end_user(rule, ctx):
    """The end user of the shipment is the end user the licence names."""
    lic = ctx.root.get("licence") or {}
    if not _controlled(ctx) or _general_without(lic, "end_user"):
        return []
    return _party_check(lic.get("end_user"), (ctx.root.get("parties") or {}).get("end_user"), "licence.end_user", "parties.end_user")


def check_licence_consignee(rule, ctx):
    """The importer (consignee) of the shipment is the consignee the licence names."""
    lic = ctx.root.get("licence") or {}
    if not _controlled(ctx) or _general_without(lic, "consignee"):
        return []
    return _party_check(lic.get("consignee"), (ctx.root.get("parties") or {}).get("importer"), "licence.consignee", "parties.importer")


def check_licence_destination(rule, ctx):
    """The goods go to the destination the licence names."""
    if not _controlled(ctx):
        return []
    licensed = (ctx.root.get("licence") or {}).get("destination")
    actual = ctx.refs.get("destination")
    if licensed is None:
        return [("licence.destination", "missing", "")]
    if actual is not None and actual != licensed:
        return [("destination_country", "compare", f"{actual} vs licensed {licensed}")]
    return []


def check_licence_validity(rule, ctx):
    """The shipment date lies in the licence's validity [valid_from (else issue date), valid_until]."""
    if not _controlled(ctx):
        return []
    lic = ctx.root.get("licence") or {}
    day = ctx.root.get("shipment_date")
    start, end = lic.get("valid_from") or lic.get("issued_on"), lic.get("valid_until")
    if day is None or start is None or end is None:
        return []  # presence is CN-EXP-010's finding
    if day < start:
        return [("shipment_date", "compare", f"{day.isoformat()} before licence validity from {start.isoformat()}")]
    if day > end:
        return [("shipment_date", "compare", f"{day.isoformat()} after licence expiry {end.isoformat()}")]
    return []


def check_control_list_number(rule, ctx):
    """A controlled line's control-list number is one the measure in force lists (when the KB has them)."""
    out = []
    numbers = ctx.refs.get("cn_control_numbers") or {}
    for i, it in _controlled(ctx):
        allowed = numbers.get(it["line_no"])
        cid = it.get("controlled_item_id")
        if allowed and cid and not any(cid == n or cid.startswith(n + ".") for n in allowed):
            out.append((f"items[{i}].controlled_item_id", "value", f"{cid} not in {', '.join(sorted(allowed))}"))
    return out


CHECKS = {
    "cn_licence_items": check_licence_items,
    "cn_licence_quantity": check_licence_quantity,
    "cn_licence_end_user": check_licence_end_user,
    "cn_licence_consignee": check_licence_consignee,
    "cn_licence_destination": check_licence_destination,
    "cn_licence_validity": check_licence_validity,
    "cn_control_list_number": check_control_list_number,
}
