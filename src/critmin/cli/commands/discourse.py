"""`critmin discourse ...`: corpus loading, sentence scoring, findings report, folder watch, evaluation."""

from __future__ import annotations

import typer

from critmin.cli.output import FORMAT_OPT, Format, check_lang, clean, emit

sub = typer.Typer(help="Discourse analysis of critical-minerals policy texts (zh/en/ja) / 关键矿产政策话语分析",
                  no_args_is_help=True)

WAREHOUSE = typer.Option(None, "--warehouse", help="DuckDB warehouse file (else CRITMIN_WAREHOUSE, else default)")


@sub.callback()
def _needs_extra() -> None:
    from critmin.extras import require

    require("discourse", "critmin discourse")


def register(app: typer.Typer) -> None:
    app.add_typer(sub, name="discourse")


def _print_add(result, lang: str | None, fmt: Format) -> None:
    from critmin.i18n import t

    for e in result.errors:
        typer.echo(clean(t("discourse.add.error", lang, message=e["error"])), err=True)
    for d in result.duplicates:
        typer.echo(clean(t("discourse.add.duplicate", lang, path=d["path"], doc_id=d["duplicate_of"])), err=True)
    df = result.frame()
    if not df.empty:
        emit(df, fmt, title="discourse add")
    typer.echo(clean(t("discourse.add.done", lang, added=len(result.added), sentences=result.n_sentences,
                 duplicates=len(result.duplicates), errors=len(result.errors))), err=True)
    if result.errors:
        raise typer.Exit(1)


@sub.command("add")
def add(manifest: str = typer.Argument(..., help="corpus manifest (.csv, .yaml)"),
        warehouse: str = WAREHOUSE,
        max_mb: float = typer.Option(20.0, "--max-mb", help="refuse files larger than this (MB)"),
        embed: bool = typer.Option(False, "--embed", help="also store the embedding path's second opinion (slow)"),
        fmt: Format = FORMAT_OPT,
        lang: str = typer.Option(None, "--lang", callback=check_lang, help="message language en|zh")) -> None:
    """Load the documents of MANIFEST into the warehouse (checksums, duplicates skipped; bad files named and
    skipped, exit code 1 if any) / 按清单载入语料."""
    from critmin.discourse.corpus import add_corpus
    from critmin.errors import UsageError

    if not max_mb > 0:
        raise UsageError(f"--max-mb {max_mb}: expected a size in MB above 0")
    _print_add(add_corpus(manifest, warehouse, int(max_mb * 1024 * 1024), embed=embed), lang, fmt)


@sub.command("demo")
def demo(seeds: str = typer.Option(None, "--seeds", help="folder with the seed texts (else CRITMIN_SEEDS, else "
                                                         "../shared/seeds beside the source checkout)"),
         no_seeds: bool = typer.Option(False, "--no-seeds", help="only the synthetic demo texts"),
         embed: bool = typer.Option(False, "--embed", help="also store the embedding path's second opinion (slow)"),
         warehouse: str = WAREHOUSE,
         fmt: Format = FORMAT_OPT,
         lang: str = typer.Option(None, "--lang", callback=check_lang, help="message language en|zh")) -> None:
    """Load the demonstration corpus (synthetic texts, clearly labelled) and the seed texts when they can be
    found (they are an extra beside a clone) / 载入演示语料."""
    from critmin.discourse import demo as d
    from critmin.i18n import t
    from critmin.settings import get

    with_seeds = not no_seeds
    if with_seeds and not seeds and not get("seeds") and d.default_seeds_dir() is None:
        typer.echo(t("discourse.demo.no_seeds", lang), err=True)
        with_seeds = False
    _print_add(d.load_demo(warehouse, seeds, with_seeds=with_seeds, embed=embed), lang, fmt)


@sub.command("score")
def score(file: str = typer.Argument(..., help="text file (.txt/.md/.html/.pdf) or - for stdin"),
          lang: str = typer.Option("auto", "--lang", help="auto|zh|en|ja"),
          fmt: Format = typer.Option(Format.csv, "--format", help="csv|json|table"),
          detail: bool = typer.Option(False, "--detail", help="add marker counts and matched terms"),
          embed: bool = typer.Option(False, "--embed", help="add the embedding path's second opinion (slower)"),
          encoding: str = typer.Option(None, "--encoding", help="text encoding of FILE if not UTF-8 (e.g. gb18030)")
          ) -> None:
    """Score a text sentence by sentence: frames, top frame, polarity, subjectivity / 逐句打分."""
    import sys

    from critmin.discourse.scoring import score_frame

    if file == "-":
        text = sys.stdin.read()
    else:
        from critmin.discourse.corpus import read_document

        text, _ = read_document(file, encoding)
    emit(score_frame(text, lang, detail=detail, embed=embed), fmt, title="discourse score")


@sub.command("report")
def report(economies: str = typer.Option(None, "--economies", help="comma list, e.g. US,EU,JP,AU,CN"),
           by: str = typer.Option("year", "--by", help="time grain of the evolution (year)"),
           fmt: str = typer.Option("html", "--format", help="html|json"),
           out: str = typer.Option(None, "--out", help="output file (default discourse_report.<fmt>)"),
           lang: str = typer.Option(None, "--lang", callback=check_lang, help="report language en|zh"),
           warehouse: str = WAREHOUSE) -> None:
    """Findings: frame radar, shared frames, divergences, sentiment vs subjectivity, evolution and change
    points, evidence sentences; self-contained offline HTML or JSON / 生成话语分析报告."""
    from critmin.discourse.report import build_findings, write_report
    from critmin.errors import UsageError
    from critmin.i18n import current_lang, t

    if fmt not in ("html", "json"):
        raise UsageError(f"--format {fmt!r}: expected html or json")
    econ = [e.strip().upper() for e in economies.split(",") if e.strip()] if economies else None
    findings = build_findings(warehouse, econ, by)
    missing = [e for e in econ or [] if e not in findings.economies]
    if missing:  # an economy with no documents is named, not silently left out of the report
        from critmin.errors import EmptyResult

        raise EmptyResult(t("discourse.report.no_economy", lang, names=", ".join(missing),
                            found=", ".join(findings.economies) or "-"))
    path = write_report(findings, out or f"discourse_report.{fmt}", fmt, current_lang(lang))
    typer.echo(clean(t("discourse.report.written", lang, path=path)), err=True)


@sub.command("watch")
def watch(directory: str = typer.Argument(..., help="folder of new texts (ECON_YYYY-MM-DD_title.ext or a manifest)"),
          sentiment_threshold: float = typer.Option(0.15, "--sentiment-threshold", help="|polarity shift| for blue"),
          share_threshold: float = typer.Option(0.10, "--share-threshold", help="|frame share shift| for blue"),
          warehouse: str = WAREHOUSE,
          fmt: Format = FORMAT_OPT,
          lang: str = typer.Option(None, "--lang", callback=check_lang, help="message language en|zh")) -> None:
    """Process new files in DIR once: update aggregates, raise alerts on shifts / 处理监视文件夹中的新文本并预警."""
    from critmin.discourse.monitor import watch_folder
    from critmin.i18n import t

    res = watch_folder(directory, warehouse, sentiment_threshold, share_threshold)
    for e in res.errors:
        typer.echo(clean(t("discourse.add.error", lang, message=e["error"])), err=True)
    for r in res.alerts.itertuples() if res.alerts is not None else []:
        typer.echo(clean(t("discourse.watch.alert", lang, level=r.level, economy=r.economy, metric=r.metric, value=r.value,
                     baseline=r.baseline, shift=r.shift, threshold=r.threshold)), err=True)
    if res.alerts is not None and not res.alerts.empty:
        emit(res.alerts, fmt, title="discourse alerts")
    typer.echo(clean(t("discourse.watch.done", lang, files=len(res.files), dir=directory, added=len(res.added),
                 errors=len(res.errors), alerts=0 if res.alerts is None else len(res.alerts))), err=True)


@sub.command("eval")
def eval_(split: str = typer.Option("test", "--split", help="dev|test|all"),
          method: str = typer.Option("both", "--method", help="lexicon|embedding|both"),
          language: str = typer.Option(None, "--language", help="only zh|en|ja items"),
          fmt: Format = FORMAT_OPT,
          lang: str = typer.Option(None, "--lang", callback=check_lang, help="message language en|zh")) -> None:
    """Per-label precision, recall, F1 and macro-F1 on the labelled evaluation set, lexicon and embedding
    paths side by side / 在标注评测集上计算精确率、召回率与 F1."""
    from critmin.discourse.evaluate import evaluate
    from critmin.i18n import t

    methods = ("lexicon", "embedding") if method == "both" else (method,)
    emit(evaluate(split, methods, language), fmt, title=t("discourse.eval.title", lang, split=split))


@sub.command("list")
def list_(warehouse: str = WAREHOUSE,
          fmt: Format = FORMAT_OPT) -> None:
    """List the documents stored in the warehouse / 列出已载入的文档."""
    from critmin.discourse.store import list_documents

    emit(list_documents(warehouse), fmt, title="discourse documents")


@sub.command("alerts")
def alerts(economy: str = typer.Option(None, "--economy", help="only this economy"),
           warehouse: str = WAREHOUSE,
           fmt: Format = FORMAT_OPT) -> None:
    """List the alerts raised by `discourse watch`, newest first / 列出话语监测预警."""
    from critmin.discourse.store import list_alerts

    emit(list_alerts(warehouse, economy), fmt, title="discourse alerts")
