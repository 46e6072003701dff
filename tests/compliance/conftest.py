"""Fixtures of the compliance tests."""

from __future__ import annotations

import pytest
from compliance_helpers import complete_doc_dict, custody_ledger, verified_doc_dict


@pytest.fixture
def complete_doc() -> dict:
    return complete_doc_dict()


@pytest.fixture(scope="session")
def custody(tmp_path_factory):
    """The ledger behind complete.json's batch MAG-2026-007 (shared; tests must not append to it)."""
    return custody_ledger(tmp_path_factory.mktemp("custody") / "custody.db")


@pytest.fixture
def verified_doc(custody) -> dict:
    """complete.json whose chain_of_custody is a real export of ``custody``."""
    return verified_doc_dict(custody)
