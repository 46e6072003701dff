"""`critmin serve`: the shared workspace (HTTP API + dashboard) and its tokens / 协作工作台（接口与看板）."""

from __future__ import annotations

import typer

from critmin.cli.output import Format, emit

serve_app = typer.Typer(help="The shared workspace: HTTP API and dashboard / 协作工作台", invoke_without_command=True)
token_app = typer.Typer(help="API tokens (stored hashed) / 访问令牌", no_args_is_help=True)
_WH = typer.Option(None, "--warehouse", help="warehouse file (else CRITMIN_WAREHOUSE)")
_STATE = typer.Option(None, "--state", help="the server's folder (else CRITMIN_SERVE_DIR, else <warehouse>.serve)")


def register(app: typer.Typer) -> None:
    serve_app.add_typer(token_app, name="token")
    app.add_typer(serve_app, name="serve")


@serve_app.callback()
def serve(
    ctx: typer.Context,
    host: str = typer.Option("127.0.0.1", "--host", help="address to listen on (loopback by default)"),
    port: int = typer.Option(8765, "--port", help="TCP port"),
    anonymous: bool = typer.Option(None, "--anonymous/--no-anonymous",
                                   help="let visitors without a token read the public indicators "
                                        "(else CRITMIN_SERVE_ANONYMOUS)"),
    check: bool = typer.Option(False, "--check", help="check the set-up (warehouse snapshot, sharing agreement, "
                                                      "tokens) and exit instead of serving"),
    warehouse: str = _WH,
    state: str = _STATE,
) -> None:
    """Serve the API (/api/v1, docs at /docs) and the dashboard on one warehouse / 启动接口与看板."""
    if ctx.invoked_subcommand is not None:
        return
    try:
        import uvicorn

        from critmin.serve.app import create_app
    except ImportError as exc:  # the serve extra is not installed
        from critmin.errors import UsageError

        raise UsageError(f"`critmin serve` needs the serve extra: pip install 'critmin[serve]' ({exc.name} missing)") from None
    from critmin.serve.config import resolve

    cfg = resolve(warehouse, state, anonymous)
    app = create_app(cfg)
    if check:
        ws = app.state.workspace
        ag = ws.agreement.get()
        live = [t for t in ws.tokens.list() if t.revoked_at is None]
        routes = sum(len(ops) for p, ops in app.openapi()["paths"].items() if p.startswith("/api/"))
        typer.echo(f"ok: warehouse {cfg.warehouse} (snapshot taken); {routes} API routes; {len(live)} live tokens "
                   f"({', '.join(sorted({t.role for t in live})) or 'none yet: critmin serve token add'}); sharing "
                   f"agreement: {len(ag.parties)} parties ({cfg.sharing}); anonymous reads "
                   f"{'on' if cfg.anonymous else 'off'}")
        ws.close()
        return
    typer.echo(f"critmin serve: http://{host}:{port}/ (API {host}:{port}/api/v1, docs /docs); warehouse {cfg.warehouse}; "
               f"state {cfg.state}; anonymous reads {'on' if cfg.anonymous else 'off'}", err=True)
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)


def _tokens(warehouse, state):
    from critmin.serve.config import resolve
    from critmin.serve.tokens import TokenStore

    cfg = resolve(warehouse, state)
    return cfg, TokenStore(cfg.tokens)


@token_app.command("add")
def token_add(
    role: str = typer.Option(..., "--role", help="viewer | analyst | admin | partner"),
    name: str = typer.Option("", "--name", help="who holds it (shown in histories and the audit log)"),
    party: str = typer.Option(None, "--party", help="partner tokens: the party named in the sharing agreement"),
    warehouse: str = _WH,
    state: str = _STATE,
) -> None:
    """Create a token and print it once (only its sha256 is stored) / 创建令牌（仅保存其哈希）."""
    from critmin.serve.audit import AuditLog

    cfg, store = _tokens(warehouse, state)
    plain, tok = store.add(role, name, party)
    AuditLog(cfg.audit).append(token_id="cli", role="admin", party=None, method="CLI", path="serve token add",
                               query=f"{tok.token_id} role={role} party={party or ''}", dataset=None, status=0)
    typer.echo(plain)
    typer.echo(f"{tok.token_id} ({role}{', party ' + party if party else ''}) saved in {cfg.tokens}; "
               "the token above is not shown again", err=True)


@token_app.command("list")
def token_list(fmt: Format = typer.Option(Format.table, "--format", help="table|csv|json"), warehouse: str = _WH,
               state: str = _STATE) -> None:
    """List tokens (never their hashes) / 列出令牌."""
    import pandas as pd

    _, store = _tokens(warehouse, state)
    cols = ["token_id", "role", "name", "party", "created_at", "revoked_at"]
    emit(pd.DataFrame([t.public() for t in store.list()], columns=cols), fmt, title="critmin serve tokens")


@token_app.command("revoke")
def token_revoke(token_id: str = typer.Argument(..., help="token id, e.g. tok_1a2b3c4d5e6f"), warehouse: str = _WH,
                 state: str = _STATE) -> None:
    """Revoke a token / 吊销令牌."""
    from critmin.serve.audit import AuditLog

    cfg, store = _tokens(warehouse, state)
    tok = store.revoke(token_id)
    AuditLog(cfg.audit).append(token_id="cli", role="admin", party=None, method="CLI", path="serve token revoke",
                               query=tok.token_id, dataset=None, status=0)
    typer.echo(f"{tok.token_id} revoked at {tok.revoked_at}")
