"""Helpers shared by the serve tests: a served workspace on a warehouse copy, and the one error shape."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

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


def assert_error(resp, status: int, code: str | None = None) -> dict:
    """The one error shape: {"error": {"status", "code", "message", "detail"}}, nothing else."""
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith("application/json")
    body = resp.json()
    assert set(body) == {"error"}
    err = body["error"]
    assert set(err) == {"status", "code", "message", "detail"}
    assert err["status"] == status and isinstance(err["message"], str) and err["message"]
    if code:
        assert err["code"] == code
    assert "Traceback" not in resp.text
    return err
