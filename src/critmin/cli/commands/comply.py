"""`critmin comply`: dossier schema, rule-pack checks, regime crosswalk, fill-in templates, control status."""

from __future__ import annotations

from pathlib import Path

import typer

from critmin.cli.commands.ledger import plain
from critmin.cli.output import FORMAT_OPT, Format, check_lang, emit

comply_app = typer.Typer(
    help="Compliance dossiers: China export licence / EU due diligence, magnets, passport / 合规档案",
    no_args_is_help=True,
)

REGIMES_HELP = "Comma-separated: cn-export, eu-csddd, eu-crma-magnet, eu-crma-risk, eu-batteries, eu-dpp"
ALL_REGIMES = "cn-export,eu-csddd,eu-crma-magnet,eu-crma-risk,eu-batteries,eu-dpp"


def register(app: typer.Typer) -> None:
    app.add_typer(comply_app, name="comply")


def _date(value: str | None):
    if value is None:
        return None
    from datetime import date

    from critmin.errors import UsageError

    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"--as-of expects a date YYYY-MM-DD, got {value!r}") from None


@comply_app.command("schema")
def schema(out: Path = typer.Option(None, "--out", help="Write to this file instead of stdout")) -> None:
    """Print the dossier JSON Schema / 输出档案的 JSON Schema."""
    import json

    from critmin.atomic import write_text
    from critmin.compliance.model import json_schema
    from critmin.i18n import t

    text = json.dumps(json_schema(), ensure_ascii=False, indent=2) + "\n"
    if out is None:
        typer.echo(text, nl=False)
        return
    write_text(out, text)
    typer.echo(t("compliance.schema.written", path=plain(out)), err=True)


@comply_app.command("check")
def check(
    dossier: Path = typer.Argument(..., help="Dossier file (.json, .yaml)"),
    regimes: str = typer.Option(ALL_REGIMES, "--regimes", help=REGIMES_HELP),
    lang: str = typer.Option(None, "--lang", callback=check_lang, help="en|zh"),
    as_of: str = typer.Option(None, "--as-of", help="Read control status on this date (default: shipment date)"),
    fmt: Format = FORMAT_OPT,
    ledger: Path = typer.Option(None, "--ledger", help="Ledger the chain_of_custody section was exported from: "
                                "recomputed from it (without one, custody is reported unverified)"),
    readiness: bool = typer.Option(False, "--readiness", help="Also read the rules of regimes that do not (yet) "
                                   "apply; their findings are marked and change neither result nor exit code"),
) -> None:
    """Check a dossier: per regime pass / fail / not applicable / not assessed, with findings; exit 0/3/4/5 / 核查档案.

    Exit code by the worst binding finding: 0 none, 3 advisory, 4 warning, 5 error."""
    import json

    from critmin.compliance.check import check as run_check
    from critmin.compliance.loader import load_dossier
    from critmin.i18n import current_lang, t

    lang = current_lang(lang)

    result = run_check(load_dossier(dossier), regimes, as_of=_date(as_of), ledger=ledger, readiness=readiness)
    names = ",".join(result.regimes)
    if fmt is Format.json:
        typer.echo(json.dumps(result.to_dict(lang), ensure_ascii=False, indent=2, default=str))
        raise typer.Exit(result.exit_code)
    if fmt is Format.table:
        emit(result.summary_frame(lang), fmt,
             title=t("compliance.check.regimes", lang, dossier=plain(result.dossier_id), as_of=result.as_of))
    if fmt is Format.table and not result.findings:
        typer.echo(t("compliance.check.clean", lang, dossier=plain(result.dossier_id), regimes=names, as_of=result.as_of))
    else:
        title = t("compliance.check.title", lang, dossier=plain(result.dossier_id), regimes=names, as_of=result.as_of)
        emit(result.to_frame(lang), fmt, title=title)
    if fmt is Format.table:
        sev = [f.severity for f in result.binding]
        typer.echo(
            t("compliance.check.summary", lang, errors=sev.count("error"), warnings=sev.count("warning"),
              advisories=sev.count("advisory"), code=result.exit_code)
        )
    raise typer.Exit(result.exit_code)


@comply_app.command("crosswalk")
def crosswalk(
    regime_a: str = typer.Argument(..., help="Regime whose requirements are listed, e.g. cn-export"),
    regime_b: str = typer.Argument(..., help="Regime whose evidence may meet them, e.g. eu-csddd"),
    lang: str = typer.Option(None, "--lang", callback=check_lang, help="en|zh"),
    fmt: Format = FORMAT_OPT,
) -> None:
    """Equivalence matrix: which requirements of A are met / partly met / unique given B / 规则对照."""
    from critmin.compliance.crosswalk import crosswalk as run
    from critmin.i18n import current_lang, t

    lang = current_lang(lang)

    df = run(regime_a, regime_b, lang)
    if fmt is Format.table:
        df = df[["rule_id", "severity", "relation_label", "covered_by", "requirement", "reason"]]
    emit(df, fmt, title=t("compliance.crosswalk.title", lang, a=regime_a, b=regime_b))


@comply_app.command("matrix")
def matrix(
    lang: str = typer.Option(None, "--lang", callback=check_lang, help="en|zh"),
    fmt: Format = FORMAT_OPT,
) -> None:
    """Counts of met / partial / unique requirements for every pair of regimes / 各制度两两对照统计."""
    from critmin.compliance.crosswalk import matrix as run
    from critmin.i18n import current_lang

    emit(run(current_lang(lang)), fmt, title="met / partial / unique")


@comply_app.command("template")
def template(
    regimes: str = typer.Option("cn-export,eu-csddd,eu-crma-magnet", "--regimes", help=REGIMES_HELP),
    out: Path = typer.Option(Path("."), "--out", help="Directory to write the .json and .xlsx template into"),
) -> None:
    """Write a bilingual fill-in template (Excel + JSON) covering all chosen regimes / 生成双语填报模板."""
    from critmin.compliance.template import write_template
    from critmin.i18n import t

    paths = write_template(regimes, out)
    typer.echo(t("compliance.template.written", regimes=plain(regimes), files=plain(", ".join(map(str, paths)))))


@comply_app.command("import-xlsx")
def import_xlsx(
    workbook: Path = typer.Argument(..., help="A filled-in template workbook (.xlsx)"),
    out: Path = typer.Option(..., "--out", help="Dossier JSON to write"),
) -> None:
    """Read a filled-in Excel template back into a dossier (JSON) / 读取已填写的 Excel 模板."""
    from critmin.atomic import write_text
    from critmin.compliance.template import read_workbook
    from critmin.i18n import t

    dossier = read_workbook(workbook)
    text = dossier.model_dump_json(indent=2, exclude_none=True) + "\n"
    write_text(out, text)
    typer.echo(t("compliance.import.written", path=plain(out), dossier=plain(dossier.dossier_id)))


@comply_app.command("rules")
def rules(
    regimes: str = typer.Option(ALL_REGIMES, "--regimes", help=REGIMES_HELP),
    lang: str = typer.Option(None, "--lang", callback=check_lang, help="en|zh"),
    fmt: Format = FORMAT_OPT,
) -> None:
    """List the rules of the chosen packs with severity and citation / 列出规则."""
    import pandas as pd

    from critmin.compliance.rules import load_pack, parse_regimes
    from critmin.i18n import current_lang

    lang = current_lang(lang)
    rows = []
    for regime in parse_regimes(regimes):
        for r in load_pack(regime).rules:
            rows.append({"rule_id": r.id, "regime": regime, "type": r.type, "severity": r.severity,
                         "law_specific": r.law_specific, "paths": ";".join(r.field_paths()),
                         "requirement": r.text.in_(lang), "citation": r.citation.source})
    emit(pd.DataFrame(rows), fmt, title="rules")


@comply_app.command("controls")
def controls(
    as_of: str = typer.Option(None, "--as-of", help="Status on this date (default: today)"),
    fmt: Format = FORMAT_OPT,
) -> None:
    """China's export-control measures (from the knowledge base) and their state on a date / 出口管制措施状态."""
    from datetime import date

    from critmin.compliance.controls import controls_table

    day = _date(as_of) or date.today()
    df = controls_table(day)
    if fmt is Format.table:
        df = df[["id", "number", "published", "effective", "elements", "kinds", "status", "as_of"]]
    emit(df, fmt, title=f"CN export controls as of {day}")
