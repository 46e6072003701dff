"""A served workspace on the demo warehouse (real data, real DuckDB, real FastAPI app) with a stored monitor
run, tokens of every role and a sharing agreement granting one partner two datasets."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

pytest.importorskip("fastapi", reason="the serve extra is not installed: pip install -e '.[serve]'")

AGREEMENT = """\
agreement: "Joint risk assessment pilot (seed 002)"
parties:
  jp-partner:
    title: "Partner ministry"
    datasets: [dependency, kb]
    importers: [JPN]
  other-party:
    datasets: [incidents, alerts]
"""


@pytest.fixture(scope="session")
def served_warehouse(demo_warehouse, tmp_path_factory) -> Path:
    """The demo warehouse with one saved monitor run (alerts for rare earths, cobalt and lithium)."""
    from critmin.monitor import run_monitor

    base = tmp_path_factory.mktemp("served")
    wh = base / "critmin.duckdb"
    shutil.copy(demo_warehouse, wh)
    run_monitor(base / "report", lang="en", materials="rare_earths,cobalt,lithium", as_of="2026-11-23",
                warehouse=str(wh), save=True)
    return wh


@dataclass
class Served:
    app: object
    client: object
    ws: object
    tokens: dict[str, str]
    token_ids: dict[str, str]
    root: Path

    def h(self, role: str | None) -> dict[str, str]:
        return {} if role is None else {"authorization": f"Bearer {self.tokens[role]}"}

    def get(self, url: str, role: str | None = "viewer", headers: dict | None = None, **kw):
        return self.client.get(url, headers={**self.h(role), **(headers or {})}, **kw)

    def post(self, url: str, role: str | None = "analyst", headers: dict | None = None, **kw):
        return self.client.post(url, headers={**self.h(role), **(headers or {})}, **kw)


def make_served(src: Path, root: Path, anonymous: bool = False) -> Served:
    from fastapi.testclient import TestClient

    from critmin.serve.app import create_app
    from critmin.serve.config import ServeConfig

    root.mkdir(parents=True, exist_ok=True)
    wh = root / "critmin.duckdb"
    shutil.copy(src, wh)
    state = root / "state"
    state.mkdir()
    (state / "sharing.yaml").write_text(AGREEMENT, encoding="utf-8")
    app = create_app(ServeConfig(warehouse=wh, state=state, anonymous=anonymous))
    ws = app.state.workspace
    tokens, ids = {}, {}
    for role, party in (("viewer", None), ("analyst", None), ("admin", None), ("partner", "jp-partner"),
                        ("other", "other-party")):
        plain, tok = ws.tokens.add("partner" if role == "other" else role, f"{role}-user", party)
        tokens[role], ids[role] = plain, tok.token_id
    client = TestClient(app, raise_server_exceptions=False)
    return Served(app, client, ws, tokens, ids, root)


@pytest.fixture(scope="module")
def served(served_warehouse, tmp_path_factory):
    """A read-mostly workspace shared by a test module (tests that write use ``served_rw``)."""
    s = make_served(served_warehouse, tmp_path_factory.mktemp("srv"))
    yield s
    s.ws.close()


@pytest.fixture()
def served_rw(served_warehouse, tmp_path):
    s = make_served(served_warehouse, tmp_path / "srv")
    yield s
    s.ws.close()


@pytest.fixture()
def a_red_alert(served) -> str:
    rows = served.get("/api/v1/alerts?level=red").json()["rows"]
    assert rows, "the demo monitor run has red alerts"
    return rows[0]["alert_id"]
