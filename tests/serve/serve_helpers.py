"""Assertions shared by the serve tests."""

from __future__ import annotations


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
