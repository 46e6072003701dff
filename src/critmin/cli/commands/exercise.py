"""`critmin exercise run FILE`: a joint scenario exercise (seed 002) run on the real data, written as a bilingual,
printable brief / 联合情景推演：生成中英双语、可打印的推演简报."""

from __future__ import annotations

from pathlib import Path

import typer

from critmin.cli.output import FORMAT_OPT, Format, check_lang, emit

HELP = ("Joint scenario exercises: injects, alerts, impact per sector, the three-stage crisis process / "
        "联合情景推演：推演事件、预警、分行业影响、三段式危机处置")


def register(app: typer.Typer) -> None:
    sub = typer.Typer(help=HELP, no_args_is_help=True)
    sub.command("run")(run_cmd)
    sub.command("check")(check_cmd)
    app.add_typer(sub, name="exercise")


def run_cmd(
    file: Path = typer.Argument(..., help="exercise YAML file (see `critmin examples`)"),
    out: Path = typer.Option(Path("exercise-brief"), "--out", help="folder for brief.html (+ plotly.min.js) and "
                             "exercise.json"),
    draws: int = typer.Option(None, "--draws", help="override the file's Monte Carlo draws"),
    seed: int = typer.Option(None, "--seed", help="override the file's random seed"),
    warehouse: str = typer.Option(None, "--warehouse", help="warehouse file (else CRITMIN_WAREHOUSE, else the default)"),
    replace: bool = typer.Option(False, "--replace", help="overwrite a brief already in --out"),
    fmt: Format = FORMAT_OPT,
    lang: str = typer.Option(None, "--lang", callback=check_lang, help="en|zh for the terminal (the brief has both)"),
) -> None:
    """Run an exercise file and write its brief / 运行推演文件并生成简报."""
    from critmin.exercise.api import run_exercise
    from critmin.i18n import t
    from critmin.tabletext import Rows

    res = run_exercise(file, out=out, warehouse=warehouse, draws=draws, seed=seed, replace=replace)
    rows = [(i["week"], i["date"], i["id"], i["kind"], i["level"], len(i["alerts"]),
             ", ".join(sorted({a["rule_id"] for a in i["alerts"]}))) for i in res.data["timeline"]]
    emit(Rows(["week", "date", "inject", "kind", "level", "alerts", "rules"], rows), fmt,
         title=res.exercise.title_zh if (lang or "").startswith("zh") else res.exercise.title_en)
    if fmt == Format.table:
        typer.echo(t("exercise.done", lang, path=str(res.brief), injects=len(rows), alerts=res.n_alerts,
                     weeks=res.exercise.weeks))
        typer.echo(t("exercise.print_hint", lang))


def check_cmd(
    file: Path = typer.Argument(..., help="exercise YAML file"),
    fmt: Format = FORMAT_OPT,
    lang: str = typer.Option(None, "--lang", callback=check_lang, help="en|zh"),
) -> None:
    """Check an exercise file without running it (no warehouse needed) / 仅校验推演文件（无需数据仓库）."""
    from critmin.exercise import load_exercise
    from critmin.i18n import t
    from critmin.tabletext import Rows

    ex, _ = load_exercise(file)
    zh = (lang or "").startswith("zh")
    rows = [(i.week, ex.day(i.week).isoformat(), i.id, i.kind, len(i.observations), len(i.decisions),
             i.measure or "", i.title_zh if zh else i.title_en) for i in ex.timeline()]
    emit(Rows(["week", "date", "inject", "kind", "observations", "decisions", "measure", "title"], rows), fmt,
         title=ex.title_zh if zh else ex.title_en)
    if fmt == Format.table:
        typer.echo(t("exercise.checked", lang, path=str(file), injects=len(rows), people=len(ex.participants),
                     weeks=ex.weeks))
