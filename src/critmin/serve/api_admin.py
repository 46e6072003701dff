"""Who am I, what may I read, and the admin's routes: tokens and the audit log."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from critmin.serve.context import Principal, admin, principal, readable, workspace
from critmin.serve.sharing import DATASETS

router = APIRouter(tags=["access"])


@router.get("/me", summary="The caller's role, party and readable datasets")
def me(request: Request, p: Principal = Depends(principal)):
    ws = workspace(request)
    return {"token_id": p.token_id, "role": p.role, "name": p.name, "party": p.party,
            "datasets": readable(ws, p)}


@router.get("/datasets", summary="Datasets the caller may read (partners: what the sharing agreement grants)")
def datasets(request: Request, p: Principal = Depends(principal)):
    ws = workspace(request)
    return {"datasets": [{"name": d, "description": DATASETS[d][0]} for d in readable(ws, p)]}


class NewToken(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Literal["viewer", "analyst", "admin", "partner"]
    name: str = Field("", max_length=200)
    party: str | None = Field(None, max_length=64)


@router.get("/tokens", summary="Tokens (never their hashes) (admin)")
def tokens(request: Request, p: Principal = Depends(admin)):
    return {"tokens": [t.public() for t in workspace(request).tokens.list()]}


@router.post("/tokens", status_code=201, summary="Create a token; the plain token is returned once (admin)")
def token_add(request: Request, body: NewToken, p: Principal = Depends(admin)):
    plain, tok = workspace(request).tokens.add(body.role, body.name, body.party)
    return {"token": plain, **tok.public()}


@router.delete("/tokens/{token_id}", summary="Revoke a token (admin)")
def token_revoke(request: Request, token_id: str, p: Principal = Depends(admin)):
    from critmin.errors import UsageError
    from critmin.serve.errors import not_found

    try:
        tok = workspace(request).tokens.revoke(token_id[:40])
    except UsageError as exc:
        raise not_found(str(exc)) from None
    return tok.public()


@router.get("/audit", summary="The latest audit records (admin)")
def audit(request: Request, limit: int = Query(200, ge=1, le=10000), p: Principal = Depends(admin)):
    recs = workspace(request).audit.records(limit)
    return {"count": len(recs), "records": recs}


@router.get("/audit/verify", summary="Check the audit log's hash chain (admin)")
def audit_verify(request: Request, p: Principal = Depends(admin)):
    return workspace(request).audit.verify()
