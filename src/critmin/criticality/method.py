"""The EU criticality formulas (European Commission, *Methodology for establishing the EU list of critical raw
materials — Guidelines*, 2017; applied in the 2017, 2020 and 2023 assessments), as pure functions.

Supply risk of a material at a stage::

    SR = [ (HHI_WGI,t)_GS · IR/2 + (HHI_WGI,t)_EUs · (1 − IR/2) ] · (1 − EoL_RIR) · SI_SR
    HHI_WGI,t = Σ_i S_i² · WGI_i · t_i        S_i: shares as fractions (0–1), WGI_i scaled 0–10, t_i ≥ 0

GS is global supply (world production shares), EUs the sourcing of the assessing economy (its own production plus
its imports by origin), IR its import reliance (I − E)/(P + I − E) bounded to [0, 1]. The bottleneck stage is the
stage with the higher SR. A governance score on the World Bank scale (−2.5 best-worst +2.5 inverted) is scaled as
``WGI_scaled = (2.5 − WGI) / 0.5``, so 0 is the best and 10 the worst governance.

Economic importance::

    EI = Σ_s (A_s · Q_s) / max_s' Q_s' · 10 · SI_EI

A_s the share of the material's end uses in NACE 2-digit sector s, Q_s the sector's value added, scaled by the
largest manufacturing sector's value added so EI runs 0–10. Critical when SR ≥ 1 and EI ≥ 2.8.

Every function takes scalars or numpy/pandas arrays alike (no loops over rows).
"""

from __future__ import annotations

SR_THRESHOLD = 1.0
EI_THRESHOLD = 2.8
WGI_RANGE = (-2.5, 2.5)


def scale_wgi(estimate):
    """A WGI estimate (about −2.5 … +2.5, higher = better) on the method's 0–10 scale (10 = worst), clipped."""
    import numpy as np

    return np.clip((WGI_RANGE[1] - np.asarray(estimate, dtype=float)) / 0.5, 0.0, 10.0)


def hhi_wgi(shares, wgi_scaled, t=1.0):
    """Σ_i S_i² · WGI_i · t_i over suppliers i of one material (shares as fractions; 0–10 when shares sum to 1)."""
    import numpy as np

    s = np.asarray(shares, dtype=float)
    return float(np.sum(s * s * np.asarray(wgi_scaled, dtype=float) * np.asarray(t, dtype=float)))


def import_reliance(production, imports, exports):
    """(I − E) / (P + I − E), bounded to [0, 1]; 0 where the economy is a net exporter or nothing is consumed."""
    import numpy as np

    p, i, e = (np.asarray(x, dtype=float) for x in (production, imports, exports))
    net = i - e
    denom = p + net
    with np.errstate(divide="ignore", invalid="ignore"):
        ir = np.where(denom > 0, net / denom, 0.0)
    return np.clip(ir, 0.0, 1.0)


def supply_risk(hhi_gs, hhi_eus, ir, eol_rir=0.0, si_sr=1.0):
    """SR = [HHI_GS · IR/2 + HHI_EUs · (1 − IR/2)] · (1 − EoL_RIR) · SI_SR."""
    import numpy as np

    ir = np.asarray(ir, dtype=float)
    core = np.asarray(hhi_gs, dtype=float) * ir / 2 + np.asarray(hhi_eus, dtype=float) * (1 - ir / 2)
    return core * (1 - np.asarray(eol_rir, dtype=float)) * np.asarray(si_sr, dtype=float)


def economic_importance(end_use_shares, value_added, si_ei=1.0, max_value_added=None):
    """EI = Σ_s A_s·Q_s / max Q · 10 · SI_EI (``max_value_added`` defaults to the largest Q_s given)."""
    import numpy as np

    a = np.asarray(end_use_shares, dtype=float)
    q = np.asarray(value_added, dtype=float)
    top = float(max_value_added) if max_value_added is not None else float(q.max())
    return float(np.sum(a * q) / top * 10 * float(si_ei))


def bottleneck(sr_by_stage: dict):
    """(stage, SR) of the stage with the highest known SR; (None, None) when none is known."""
    known = {k: v for k, v in sr_by_stage.items() if v is not None}
    if not known:
        return None, None
    stage = max(known, key=known.get)
    return stage, known[stage]


def is_critical(sr, ei):
    """SR ≥ 1 and EI ≥ 2.8, element-wise; a missing SR or EI gives a missing answer (pandas' nullable boolean)."""
    import pandas as pd

    sr, ei = pd.Series(sr, dtype="Float64"), pd.Series(ei, dtype="Float64")
    return ((sr >= SR_THRESHOLD) & (ei >= EI_THRESHOLD)).astype("boolean")
