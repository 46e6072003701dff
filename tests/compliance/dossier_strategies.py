"""Hypothesis strategies for dossiers: random values, and structured mutations of the complete dossier (set or
delete 1-3 fields anywhere), as JSON text. Shared by the slow loader fuzz here and tests/reliability."""

from __future__ import annotations

import json

from compliance_helpers import complete_doc_dict
from hypothesis import strategies as st

DOC = complete_doc_dict()
DOC_TEXT = json.dumps(DOC)


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, (*prefix, i))


PATHS = [p for p in _paths(DOC) if p]
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-10**12, 10**12), st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12), st.sampled_from(["", "2026-02-30", "9999-12-31", "CHN", "chn", "Dy", "1C902", "magnet",
                                           "-1", "1e309", "NaN", "true", "\u0000", "钕铁硼"]),
)
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                       st.dictionaries(st.text(max_size=8), inner, max_size=3)),
                      max_leaves=3)


@st.composite
def mutated_doc(draw) -> dict:
    doc = json.loads(DOC_TEXT)  # a fresh copy, faster than deepcopy
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(PATHS))
        node = doc
        try:
            for p in path[:-1]:
                node = node[p]
            if draw(st.booleans()):
                node[path[-1]] = draw(values)
            else:
                del node[path[-1]]
        except (KeyError, IndexError, TypeError):
            continue
    return doc


@st.composite
def mutated(draw) -> str:
    return json.dumps(draw(mutated_doc()), ensure_ascii=draw(st.booleans()))


inputs = st.one_of(
    mutated(),
    mutated(),
    mutated().map(lambda s: s[: len(s) // 2]),  # truncated
    st.binary(max_size=200),
    st.text(max_size=200),
    values.map(json.dumps),
)
