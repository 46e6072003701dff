"""`critmin ledger`: the append-only, hash-chained chain-of-custody ledger (SQLite)."""

from __future__ import annotations

from pathlib import Path

import typer

from critmin.cli.output import FORMAT_OPT, Format, check_lang, emit

ledger_app = typer.Typer(
    help="Tamper-evident chain-of-custody ledger / 可防篡改的监管链账本 "
    "(verify exit codes: 0 intact, 6 chain/signature/head break, 7 only mass-balance or custody rule breaks)",
    no_args_is_help=True,
)


@ledger_app.callback()
def _needs_extra() -> None:
    from critmin.extras import require

    require("compliance", "critmin ledger")


def register(app: typer.Typer) -> None:
    app.add_typer(ledger_app, name="ledger")


def plain(value) -> str:
    """``value`` as inert text for the terminal: control characters (escape sequences, carriage returns,
    newlines) shown as ``\\x1b``-style escapes, so data from a ledger or a dossier cannot drive the terminal."""
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in str(value))


@ledger_app.command("init")
def init(
    file: Path = typer.Argument(..., help="New ledger file (never overwritten)"),
    yield_tolerance: float = typer.Option(0.0, "--yield-tolerance", help="Default allowed excess of outputs over inputs (fraction)"),
) -> None:
    """Create an empty ledger / 创建账本."""
    from critmin.compliance.ledger import Ledger
    from critmin.i18n import t

    Ledger.init(file, yield_tolerance=yield_tolerance)
    typer.echo(t("compliance.ledger.initialised", path=plain(file)))


@ledger_app.command("append")
def append(
    file: Path = typer.Argument(..., help="Ledger file"),
    event: Path = typer.Argument(..., help="Event JSON file: one event object, or a list of them"),
    key: Path = typer.Option(None, "--key", help="Ed25519 private key (PEM) to sign with"),
) -> None:
    """Append event(s) atomically; refused if they break mass balance, custody or signature rules / 追加事件."""
    from critmin.compliance.ledger import Ledger, load_private_key
    from critmin.datafile import parse_data
    from critmin.errors import InputError
    from critmin.i18n import t
    from critmin.readtext import read_text

    text = read_text(event, "a readable event JSON file")
    obj = parse_data(text, str(event), fmt="json", expected="an event JSON file")  # duplicate keys refused
    private = None
    if key:
        try:
            pem = Path(key).read_bytes()
        except OSError as exc:
            raise InputError(file=str(key), expected="a readable Ed25519 private key (PEM)", got=exc.strerror) from None
        private = load_private_key(pem, str(key))
    led = Ledger(file)
    items = obj if isinstance(obj, list) else [obj]
    sources = [f"{event}[{i}]" for i in range(len(items))] if isinstance(obj, list) else [str(event)]
    for res in led.append_many(items, private_key=private, sources=sources):  # all or nothing
        typer.echo(t("compliance.ledger.appended", seq=res.seq, kind=res.kind, event_id=plain(res.event_id),
                     head=res.hash[:16]))


@ledger_app.command("history")
def history(
    file: Path = typer.Argument(..., help="Ledger file"),
    batch: str = typer.Argument(..., help="Batch id"),
    fmt: Format = FORMAT_OPT,
) -> None:
    """Events on a batch and its whole lineage, with its recycled share / 批次履历."""
    from critmin.compliance.ledger import Ledger

    led = Ledger(file)
    df = led.history(batch)
    share = led.recycled_share_pct(batch)
    if fmt is Format.table:
        df = df.assign(hash=df["hash"].str[:16])[["seq", "ts", "kind", "party", "summary", "signed", "hash"]]
    emit(df, fmt, title=f"{batch}: recycled share {share:.2f} % / 再生含量 {share:.2f} %")


@ledger_app.command("events")
def events(
    file: Path = typer.Argument(..., help="Ledger file"),
    fmt: Format = FORMAT_OPT,
) -> None:
    """List every event of the ledger / 列出全部事件."""
    from critmin.compliance.ledger import Ledger

    df = Ledger(file).events()
    if fmt is Format.table:
        df = df.assign(hash=df["hash"].str[:16])
    emit(df, fmt, title=str(file))


@ledger_app.command("verify")
def verify(
    file: Path = typer.Argument(..., help="Ledger file"),
    anchor: str = typer.Option(None, "--anchor", help="A head hash kept outside the file; must be in the chain"),
    fmt: Format = FORMAT_OPT,
    lang: str = typer.Option(None, "--lang", callback=check_lang, help="en|zh"),
) -> None:
    """Verify hash chain, signatures, mass balance and custody; name the first bad event / 校验账本."""
    from critmin.compliance.ledger import Ledger
    from critmin.i18n import current_lang, t

    lang = current_lang(lang)
    report = Ledger(file).verify(anchor=anchor)
    if fmt is not Format.table:
        emit(report.to_frame(lang), fmt)
    elif report.ok:
        typer.echo(t("compliance.ledger.ok", lang, path=plain(file), events=report.events, head=report.head_hash))
    else:
        bad = report.first_bad
        typer.echo(t("compliance.ledger.broken", lang, path=plain(file), seq=bad.seq, event_id=plain(bad.event_id or "-"),
                     reason=plain(bad.reason_in(lang))))
        for p in report.problems:
            if p is not bad:
                typer.echo("  " + t("compliance.ledger.problem", lang, seq=p.seq, event_id=plain(p.event_id or "-"),
                                    reason=plain(p.reason_in(lang))))
    raise typer.Exit(report.exit_code)


@ledger_app.command("export")
def export(
    file: Path = typer.Argument(..., help="Ledger file"),
    batch: str = typer.Argument(..., help="Batch id"),
    out: Path = typer.Option(..., "--out", help="Where to write (JSON)"),
    into: Path = typer.Option(None, "--into", help="A dossier to copy, with this evidence as its chain_of_custody"),
) -> None:
    """Export a batch's history as the chain-of-custody section of a dossier / 导出监管链证据."""
    import json

    from critmin.atomic import write_text
    from critmin.compliance.ledger import Ledger
    from critmin.compliance.loader import load_dossier
    from critmin.i18n import t

    evidence = Ledger(file).export_evidence(batch)
    if into is not None:
        dossier = load_dossier(into)
        dossier.chain_of_custody = evidence
        text = dossier.model_dump_json(indent=2, exclude_none=True)
    else:
        text = json.dumps(evidence.model_dump(mode="json", exclude_none=True), ensure_ascii=False, indent=2)
    write_text(out, text + "\n")
    typer.echo(t("compliance.ledger.exported", batch=plain(batch), path=plain(out)))


@ledger_app.command("keygen")
def keygen(out: Path = typer.Option(..., "--out", help="Path prefix: writes PREFIX.pem (private) and PREFIX.pub")) -> None:
    """Generate an Ed25519 key pair for signing events / 生成签名密钥对."""
    from critmin.atomic import write_text
    from critmin.compliance.ledger import generate_keypair, write_private_key
    from critmin.errors import UsageError
    from critmin.i18n import t

    priv, pub = Path(f"{out}.pem"), Path(f"{out}.pub")
    if priv.exists() or pub.exists():
        raise UsageError(f"{priv} or {pub} already exists; keys are never overwritten")
    pem, pub_b64 = generate_keypair()
    write_private_key(priv, pem)  # 0600 from the first byte
    write_text(pub, pub_b64 + "\n")
    typer.echo(t("compliance.ledger.keygen", private=plain(priv), public=plain(pub)))
