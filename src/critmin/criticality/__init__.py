"""Criticality by the EU method (JRC 2017 guidelines): supply risk from the warehouse, every year, any economy,
and the official critical lists side by side.

Nothing is loaded on import. The entry points import their modules when called:

* :func:`assess` — one row per economy × material × year: ``sr``, ``ei``, ``critical`` and every input with its
  provenance (:mod:`critmin.criticality.assessment`);
* :func:`lists_matrix`, :func:`list_leaders` — the critical lists side by side (:mod:`critmin.criticality.lists`).

The formulas are pure functions in :mod:`critmin.criticality.method`; inputs the warehouse does not hold
(EoL-RIR, substitution indices, EI, published scores) come from the cited files in ``criticality/data``.
"""

from __future__ import annotations


def assess(*args, **kwargs):
    """See :func:`critmin.criticality.assessment.assess`."""
    from critmin.criticality.assessment import assess as _assess

    return _assess(*args, **kwargs)


def lists_matrix(*args, **kwargs):
    """See :func:`critmin.criticality.lists.lists_matrix`."""
    from critmin.criticality.lists import lists_matrix as _matrix

    return _matrix(*args, **kwargs)


def list_leaders(*args, **kwargs):
    """See :func:`critmin.criticality.lists.list_leaders`."""
    from critmin.criticality.lists import list_leaders as _leaders

    return _leaders(*args, **kwargs)
