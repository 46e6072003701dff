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
def add(manifest: str = typer.Argument(..., help="corpus manifest (.csv, .yaml), a document (.txt .md .html .pdf) "
                                               "or a folder of documents"),
        economy: str = typer.Option(None, "--economy", help="for a document or folder: who speaks (US, EU, CN ...)"),
        actor: str = typer.Option(None, "--actor", help="for a document or folder: the speaking body"),
        date: str = typer.Option(None, "--date", help="for a document or folder: YYYY-MM-DD, YYYY-MM or YYYY"),
        genre: str = typer.Option(None, "--genre", help="law|strategy|speech|press|media|research|other"),
        language: str = typer.Option(None, "--language", help="zh|en|ja|auto (default: per sentence)"),
        title: str = typer.Option(None, "--title", help="for a single document"),
        warehouse: str = WAREHOUSE,
        max_mb: float = typer.Option(20.0, "--max-mb", help="refuse files larger than this (MB)"),
        embed: bool = typer.Option(False, "--embed", help="also store the embedding path's second opinion (slow)"),
        fmt: Format = FORMAT_OPT,
        lang: str = typer.Option(None, "--lang", callback=check_lang, help="message language en|zh")) -> None:
    """Load documents into the warehouse: the records of a manifest, or a document or folder with metadata from
    the options and from names ECON_YYYY-MM-DD_title.ext (checksums, duplicates skipped; bad files named and
    skipped, exit code 1 if any) / 按清单、文件或文件夹载入语料."""
    from critmin.discourse.corpus import add_paths
    from critmin.errors import UsageError

    if not max_mb > 0:
        raise UsageError(f"--max-mb {max_mb}: expected a size in MB above 0")
    meta = {"economy": economy, "actor": actor, "date": date, "genre": genre, "language": language, "title": title}
    _print_add(add_paths(manifest, warehouse, meta, int(max_mb * 1024 * 1024), embed=embed), lang, fmt)


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


def _alerts_detector(candidates: list[dict]) -> list:
    """Levels of opinion shifts from the early-warning engine (thresholds at 1, 1.5, 2, 3 x, hysteresis 25 %);
    injected here because the discourse wing does not import the alerts layer."""
    import pandas as pd

    from critmin.alerts.engine import evaluate
    from critmin.alerts.models import Rule
    from critmin.discourse.monitor import HYSTERESIS, LEVEL_FACTORS

    levels: list = [None] * len(candidates)
    for kind in ("tone", "share"):
        idx = [i for i, c in enumerate(candidates) if (c["metric"] == "tone") == (kind == "tone")]
        if not idx:
            continue
        thr = candidates[idx[0]]["threshold"]
        names = [f"opinion.{candidates[i]['metric']}.{candidates[i]['economy']}" for i in idx]
        rule = Rule.model_validate({
            "id": f"discourse-opinion-{kind}-shift", "kind": "threshold", "metric": sorted(set(names)),
            "comparison": ">=", "title_en": f"Public opinion: {kind} shift at a change point",
            "title_zh": "舆情：语气变点" if kind == "tone" else "舆情：框架占比变点",
            "thresholds": {lvl: round(f * thr, 6) for lvl, f in LEVEL_FACTORS},
            "hysteresis": round(HYSTERESIS * thr, 6), "source": "feed",
            "rationale_en": "news/social monitoring of the critical-minerals discourse",
            "rationale_zh": "关键矿产舆情监测"})
        series = pd.DataFrame({"metric": names, "period": [str(candidates[i]["latest"]) for i in idx],
                               "value": [abs(candidates[i]["shift"]) for i in idx], "source": "discourse monitor",
                               "vintage": ""})
        found = {a.metric: a.level for a in evaluate([rule], series, use_kb=False, latest_only=True)}
        for i, name in zip(idx, names, strict=True):
            levels[i] = found.get(name)
    return levels


@sub.command("monitor")
def monitor(target: str = typer.Argument(None, help="feed file (.rss .xml .atom .jsonl .ndjson .csv) or a watched "
                                                    "folder of them; omit to re-detect on the stored items"),
            economy: str = typer.Option(None, "--economy", help="economy of items that do not name one (RSS, Atom)"),
            outlet: str = typer.Option(None, "--outlet", help="outlet of items that do not name one"),
            topic: str = typer.Option(None, "--topic", help="topic of items that do not name one"),
            language: str = typer.Option(None, "--language", help="zh|en|ja|auto for items that do not say"),
            min_support: int = typer.Option(5, "--min-support", help="items needed on each side of a change point"),
            tone_threshold: float = typer.Option(0.15, "--tone-threshold", help="|tone shift| for blue (ASSUMPTION)"),
            share_threshold: float = typer.Option(0.10, "--share-threshold",
                                                  help="|frame share shift| for blue (ASSUMPTION)"),
            period: str = typer.Option("week", "--period", help="day|week|month for the series and the page"),
            by: str = typer.Option(None, "--by", help="also print the tone/frame series grouped by a comma list of "
                                                      "economy,outlet,topic"),
            out: str = typer.Option(None, "--out", help="write the monitoring page (HTML) here"),
            warehouse: str = WAREHOUSE,
            fmt: Format = FORMAT_OPT,
            lang: str = typer.Option(None, "--lang", callback=check_lang, help="message language en|zh")) -> None:
    """Public-opinion monitoring: read news/social items (RSS, Atom, JSON Lines, CSV; zh/en/ja), score tone and
    frames, detect tone and frame shifts at change points with minimum support, raise alerts through the
    early-warning engine, write the monitoring page / 舆情监测：读取新闻与社交条目，检测语气与框架变点并预警."""
    from critmin.discourse import opinion
    from critmin.i18n import t

    if target:
        res = opinion.ingest(target, warehouse, {"economy": economy, "outlet": outlet, "topic": topic,
                                                 "language": language})
        for e in res.errors:
            typer.echo(clean(t("discourse.add.error", lang, message=e["error"])), err=True)
        typer.echo(clean(t("discourse.monitor.done", lang, files=len(res.files), added=res.added,
                           duplicates=res.duplicates, errors=len(res.errors))), err=True)
    alerts = opinion.detect(warehouse, min_support, tone_threshold, share_threshold, detector=_alerts_detector,
                            engine="critmin.alerts")
    for r in alerts.itertuples():
        typer.echo(clean(t("discourse.monitor.alert", lang, level=r.level, economy=r.economy, metric=r.metric,
                           before=r.before, after=r.after, n_before=r.n_before, n_after=r.n_after,
                           change_date=r.change_date, threshold=r.threshold)), err=True)
    if not alerts.empty:
        emit(alerts, fmt, title="discourse opinion alerts")
    if by:
        keys = tuple(k.strip() for k in by.split(",") if k.strip())
        emit(opinion.series(opinion.load_items(warehouse), keys, period), fmt, title="discourse opinion series")
    if out:
        path = opinion.write_page(warehouse, out, period)
        typer.echo(clean(t("discourse.monitor.page", lang, path=path)), err=True)


@sub.command("eval")
def eval_(split: str = typer.Option("test", "--split", help="dev|test|all (team set); dev|heldout|all with --texts"),
          method: str = typer.Option("both", "--method", help="lexicon|embedding|both"),
          language: str = typer.Option(None, "--language", help="only zh|en|ja items"),
          texts: str = typer.Option(None, "--texts", help="real-text evaluation: a file of the referenced sentences, "
                                                          "one per line (matched to data/eval/real_refs.csv by SHA-256)"),
          refs: str = typer.Option(None, "--refs", help="reference file instead of the bundled real_refs.csv"),
          confusion: bool = typer.Option(False, "--confusion", help="confusion matrices instead of P/R/F1"),
          fmt: Format = FORMAT_OPT,
          lang: str = typer.Option(None, "--lang", callback=check_lang, help="message language en|zh")) -> None:
    """Per-label precision, recall, F1 and macro-F1 on the team's labelled set or, with --texts, on the real
    public sentences the reference file points to; lexicon and embedding paths side by side / 在标注评测集或真实文本
    参考集上计算精确率、召回率与 F1."""
    from critmin.discourse.evaluate import confusion_table, evaluate, load_real_set
    from critmin.i18n import t

    methods = ("lexicon", "embedding") if method == "both" else (method,)
    items = None
    if texts:
        items, missing = load_real_set(texts, refs)
        if missing:
            typer.echo(f"{len(missing)} referenced sentences not found in {texts}: {', '.join(missing[:10])}"
                       f"{' ...' if len(missing) > 10 else ''}", err=True)
    if confusion:
        emit(confusion_table(split, methods, language, items=items), fmt, title="confusion")
        return
    emit(evaluate(split, methods, language, items=items), fmt, title=t("discourse.eval.title", lang, split=split))


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
