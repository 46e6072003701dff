"""Fixtures of the compliance tests."""

from __future__ import annotations

import pytest
from compliance_helpers import complete_doc_dict


@pytest.fixture
def complete_doc() -> dict:
    return complete_doc_dict()
