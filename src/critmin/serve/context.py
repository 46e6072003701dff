"""The server's shared objects and the per-request principal (who is asking, with which role)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from starlette.requests import Request

from critmin.serve.errors import forbidden, unauthorized
from critmin.serve.sharing import DATASETS, PUBLIC

if TYPE_CHECKING:  # pragma: no cover
    from critmin.serve.config import ServeConfig

COOKIE = "critmin_token"


@dataclass(frozen=True)
class Principal:
    token_id: str
    role: str  # viewer | analyst | admin | partner | anonymous
    name: str = ""
    party: str | None = None

    @property
    def is_partner(self) -> bool:
        return self.role == "partner"


ANONYMOUS = Principal("anonymous", "anonymous")


class Workspace:
    """Everything a request needs: config, tokens, audit log, agreement, snapshot store, jobs, workspace KB."""

    def __init__(self, config: ServeConfig):
        from critmin.serve.audit import AuditLog
        from critmin.serve.cache import ResponseCache
        from critmin.serve.jobs import Jobs
        from critmin.serve.kbstore import WorkspaceKB
        from critmin.serve.sharing import AgreementFile
        from critmin.serve.snapshot import SnapshotStore
        from critmin.serve.tokens import TokenStore

        self.config = config
        config.state.mkdir(parents=True, exist_ok=True)
        self.tokens = TokenStore(config.tokens)
        self.audit = AuditLog(config.audit)
        self.agreement = AgreementFile(config.sharing)
        self.store = SnapshotStore(config.warehouse, config.snapshots)
        self.jobs = Jobs(folder=config.jobs)
        self.kb = WorkspaceKB(config.kb_dir)
        self.cache = ResponseCache()

    def close(self) -> None:
        self.jobs.shutdown()
        self.store.close()


def workspace(request: Request) -> Workspace:
    return request.app.state.workspace


def bearer(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    if auth[:7].lower() == "bearer ":
        return auth[7:].strip()
    return request.cookies.get(COOKIE)


def principal(request: Request) -> Principal:
    """Who is asking: a live token's holder; anonymous when no token is given and anonymous mode is on."""
    cached = getattr(request.state, "principal", None)
    if cached is not None:
        return cached
    ws = workspace(request)
    plain = bearer(request)
    if plain is None:
        if not ws.config.anonymous:
            raise unauthorized()
        p = ANONYMOUS
    else:
        tok = ws.tokens.check(plain)
        if tok is None:
            raise unauthorized("the token is unknown or revoked")
        p = Principal(tok.token_id, tok.role, tok.name, tok.party)
    request.state.principal = p
    return p


def can_read(ws: Workspace, p: Principal, dataset: str) -> bool:
    if p.role in ("viewer", "analyst", "admin"):
        return True
    if p.role == "partner":
        return ws.agreement.get().grants(p.party, dataset)
    return p.role == "anonymous" and dataset in PUBLIC


def readable(ws: Workspace, p: Principal) -> list[str]:
    return [d for d in DATASETS if can_read(ws, p, d)]


def reads(dataset: str):
    """Dependency: the principal may read ``dataset`` (partners: when the agreement grants it)."""
    if dataset not in DATASETS:  # pragma: no cover - a programming error
        raise ValueError(dataset)

    async def dep(request: Request) -> Principal:
        p = principal(request)
        if not can_read(workspace(request), p, dataset):
            if p.role == "anonymous":
                raise unauthorized(f"dataset '{dataset}' is not public: a token is required")
            raise forbidden(f"role '{p.role}'" + (f" (party '{p.party}')" if p.party else "")
                            + f" may not read dataset '{dataset}'")
        request.state.dataset = dataset
        return p

    return dep


def runs(dataset: str):
    """Dependency: analyst or admin (runs jobs, opens/advances/annotates incidents, appends to ledgers)."""
    async def dep(request: Request) -> Principal:
        p = principal(request)
        if p.role == "anonymous":
            raise unauthorized()
        if p.role not in ("analyst", "admin"):
            raise forbidden(f"role '{p.role}' may not change '{dataset}': an analyst or admin token is needed")
        request.state.dataset = dataset
        return p

    return dep


async def admin(request: Request) -> Principal:
    p = principal(request)
    if p.role == "anonymous":
        raise unauthorized()
    if p.role != "admin":
        raise forbidden(f"role '{p.role}' may not do this: an admin token is needed")
    return p


def importer_allowed(ws: Workspace, p: Principal, importer: str | None) -> None:
    """A partner whose agreement limits importers may query only those (each name in a comma list)."""
    if not p.is_partner:
        return
    allowed = ws.agreement.get().importers_of(p.party)
    if allowed is None:
        return
    asked = [s.strip().upper() for s in (importer or "").replace("，", ",").split(",") if s.strip()]
    bad = [a for a in asked if a not in allowed] or ([] if asked else ["(all importers)"])
    if bad:
        raise forbidden(f"party '{p.party}' may query importers {', '.join(allowed)} only, not {', '.join(bad)}")
