"""Where the server keeps its own state, resolved once from the settings registry."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ServeConfig:
    """``warehouse``: the DuckDB file served; ``state``: the server's folder (tokens.json, audit.jsonl,
    sharing.yaml, ledgers/, kb/, jobs/, snapshots/); ``anonymous``: public indicators readable without a token."""

    warehouse: Path
    state: Path
    anonymous: bool = False

    @property
    def tokens(self) -> Path:
        return self.state / "tokens.json"

    @property
    def audit(self) -> Path:
        return self.state / "audit.jsonl"

    @property
    def sharing(self) -> Path:
        return self.state / "sharing.yaml"

    @property
    def ledgers(self) -> Path:
        return self.state / "ledgers"

    @property
    def kb_dir(self) -> Path:
        return self.state / "kb"

    @property
    def jobs(self) -> Path:
        return self.state / "jobs"

    @property
    def snapshots(self) -> Path:
        return self.state / "snapshots"


def resolve(warehouse=None, state=None, anonymous: bool | None = None) -> ServeConfig:
    """The config from explicit values, else the settings (CRITMIN_WAREHOUSE, CRITMIN_SERVE_DIR,
    CRITMIN_SERVE_ANONYMOUS), else defaults (the state folder sits beside the warehouse)."""
    from critmin.settings import get, warehouse_path

    wh = warehouse_path(warehouse).resolve()
    st = Path(get("serve_dir", None if state is None else str(state)) or wh.with_name(wh.name + ".serve"))
    anon = bool(get("serve_anonymous")) if anonymous is None else anonymous
    return ServeConfig(warehouse=wh, state=st.expanduser().resolve(), anonymous=anon)
