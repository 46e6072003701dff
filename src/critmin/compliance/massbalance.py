"""Mass balance of a dossier's own batches: no stage yields more than went into it, and no item line ships
more than its batches hold.

The dossier's ``traceability.batches`` form a custody chain (each batch names its parent batches). Two
invariants are checkable without knowing how a parent was split among several children:

1. a batch weighs no more than the sum of its parents;
2. the batches whose *only* parent is P weigh, together, no more than P;

and the item lines that name a batch ship no more than that batch weighs. Masses in kilograms.
"""

from __future__ import annotations

# ASSUMPTION: 1 % relative tolerance for weighing and moisture differences between custody records.
# No Chinese or EU rule states a tolerance for dossier batch masses; every finding and the docs say so.
TOLERANCE = 0.01
TOLERANCE_LABEL = "tolerance 1 % (ASSUMPTION: no rule states one)"


def imbalances(batches: list[dict], items: list[dict], tolerance: float = TOLERANCE) -> list[tuple[str, str]]:
    """(path, detail) for every broken invariant; batches and items as dumped dicts."""
    index = {b["batch_id"]: (i, b) for i, b in enumerate(batches)}
    out: list[tuple[str, str]] = []
    only_child: dict[str, float] = {}
    for i, b in enumerate(batches):
        parents = b.get("parent_batch_ids") or []
        mass = b.get("mass_kg")
        if not parents or mass is None:
            continue
        known = [index[p][1].get("mass_kg") for p in parents if p in index]
        if len(known) == len(parents) and all(m is not None for m in known):
            total = sum(known)
            if mass > total * (1 + tolerance):
                out.append((f"traceability.batches[{i}].mass_kg",
                            f"{b['batch_id']}: {mass:g} kg from parents of {total:g} kg ({TOLERANCE_LABEL})"))
        if len(parents) == 1:
            only_child[parents[0]] = only_child.get(parents[0], 0.0) + mass
    for pid, drawn in only_child.items():
        if pid not in index:
            continue
        j, parent = index[pid]
        pm = parent.get("mass_kg")
        if pm is not None and drawn > pm * (1 + tolerance):
            out.append((f"traceability.batches[{j}].mass_kg",
                        f"{pid}: its sole-parent children weigh {drawn:g} kg vs {pm:g} kg ({TOLERANCE_LABEL})"))
    shipped: dict[str, float] = {}
    for it in items:
        ids = it.get("batch_ids") or []
        if len(ids) == 1 and it.get("quantity_kg") is not None:
            shipped[ids[0]] = shipped.get(ids[0], 0.0) + it["quantity_kg"]
    for bid, qty in shipped.items():
        if bid in index:
            j, b = index[bid]
            if b.get("mass_kg") is not None and qty > b["mass_kg"] * (1 + tolerance):
                out.append((f"traceability.batches[{j}].mass_kg",
                            f"{bid}: item lines ship {qty:g} kg of a {b['mass_kg']:g} kg batch ({TOLERANCE_LABEL})"))
    return out


def check_mass_balance(rule, ctx):
    trace = ctx.root.get("traceability") or {}
    return [(path, "compare", detail)
            for path, detail in imbalances(trace.get("batches") or [], ctx.root.get("items") or [])]


CHECKS = {"mass_balance": check_mass_balance}
