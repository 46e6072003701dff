"""Benchmark: the situation report (issue 12) against the current report, and the global run.

* report: ``python -m critmin monitor`` (defaults, as of 2026-11-23, no save) in a fresh process, by this
  checkout and by the reference checkout (``--reference``, default /work/main: the report before situations),
  interleaved, median of 2; same warehouse copy. Measured: wall time, size of the page and of the files beside
  it, and in headless Chromium (Debian's, through chromedriver): DOMContentLoaded, the load event, and the time
  until every chart is drawn; for this checkout also the moment the situation table is usable (``cm-usable``).
* global: ``--importer all`` (every importing country in the latest trade year) in one process, warm (median of
  2), against the four default economies in the same process; the situations of USA, JPN and CHN must carry
  the same level and priority, in the same order, in both runs (one ranking).

Run: OPENBLAS_NUM_THREADS=1 python bench/bench_monitor_report.py [--reference /work/main] [--warehouse PATH]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).parent))
HERE = Path(__file__).resolve().parents[1]
AS_OF = "2026-11-23"


def _run_cli(src: Path, out: Path, wh: Path) -> float:
    env = {**os.environ, "PYTHONPATH": str(src), "OPENBLAS_NUM_THREADS": "1"}
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "critmin", "monitor", "--out", str(out), "--warehouse", str(wh),
                           "--as-of", AS_OF, "--no-save", "--no-progress"], capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise SystemExit(f"monitor ({src}) failed: {proc.stderr[-2000:]}")
    return time.perf_counter() - t0


def _driver(profile: Path):
    os.environ["SE_OFFLINE"] = "true"
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    for f in ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-dev-shm-usage",
              "--disable-background-networking", "--window-size=1280,1000", f"--user-data-dir={profile}"]:
        opts.add_argument(f)
    return webdriver.Chrome(service=Service(executable_path="/usr/bin/chromedriver"), options=opts)


def _load(drv, html: Path) -> dict[str, float]:
    from selenium.webdriver.support.ui import WebDriverWait

    drv.get("about:blank")
    t0 = time.perf_counter()
    drv.get(html.as_uri())
    WebDriverWait(drv, 300).until(lambda d: d.execute_script("return document.readyState") == "complete")
    WebDriverWait(drv, 300).until(lambda d: d.execute_script(
        "return Array.from(document.querySelectorAll('.js-plotly-plot'))"
        ".filter(x => x.querySelector('svg.main-svg')).length") == d.execute_script(
        "return document.querySelectorAll('div.chart').length"))
    charts = time.perf_counter() - t0
    nav = drv.execute_script("var n = performance.getEntriesByType('navigation')[0];"
                             "return [n.domContentLoadedEventEnd - n.startTime, n.loadEventEnd - n.startTime];")
    usable = drv.execute_script("var m = performance.getEntriesByName('cm-usable');"
                                "return m.length ? m[0].startTime : null;")
    return {"dcl_ms": nav[0], "load_ms": nav[1], "charts_s": charts, "usable_ms": usable}


def _size(out: Path) -> tuple[int, int]:
    page = (out / "report.html").stat().st_size
    beside = sum(p.stat().st_size for p in out.iterdir() if p.name != "report.html")
    return page, beside


def _global(wh: Path) -> dict:
    sys.path.insert(0, str(HERE / "src"))
    from critmin.monitor import run_monitor

    base = Path(tempfile.mkdtemp(prefix="bench_global_"))
    run_monitor(base / "warmup", as_of=AS_OF, warehouse=str(wh), save=False)  # imports, caches
    four, glob = [], []
    res4 = resg = None
    for i in range(2):
        t0 = time.perf_counter()
        res4 = run_monitor(base / f"four{i}", as_of=AS_OF, warehouse=str(wh), save=False)
        four.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        resg = run_monitor(base / f"all{i}", as_of=AS_OF, warehouse=str(wh), save=False, importers="all")
        glob.append(time.perf_counter() - t0)
    a = res4.situations[res4.situations["importer"].isin(["USA", "JPN", "CHN"])]
    b = resg.situations[resg.situations["situation_id"].isin(set(a["situation_id"]))]
    same_order = list(a["situation_id"]) == list(b["situation_id"])
    same_values = (a.set_index("situation_id")[["level", "priority"]]
                   .equals(b.set_index("situation_id").loc[a["situation_id"], ["level", "priority"]]))
    counts = resg.situations["level"].value_counts().to_dict()
    timings = {k: round(v, 2) for k, v in resg.timings.items()}
    page = resg.html.stat().st_size
    shutil.rmtree(base, ignore_errors=True)
    return {"four": four, "all": glob, "economies": len(resg.data.importers), "n": len(resg.situations),
            "same_order": same_order, "same_values": same_values, "counts": counts, "timings": timings,
            "page": page}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reference", default="/work/main", help="checkout whose report is the reference")
    ap.add_argument("--warehouse", default=None, help="a built warehouse to copy (default: the user's)")
    opts = ap.parse_args()
    from _results import write_section

    sys.path.insert(0, str(HERE / "src"))
    from critmin.settings import warehouse_path

    src_wh = Path(opts.warehouse) if opts.warehouse else warehouse_path()
    base = Path(tempfile.mkdtemp(prefix="bench_report_"))
    wh = base / "wh.duckdb"
    shutil.copy(src_wh, wh)
    ref_src = Path(opts.reference) / "src"
    ref_rev = subprocess.run(["git", "-C", opts.reference, "rev-parse", "--short", "HEAD"], capture_output=True,
                             text=True).stdout.strip()
    new_rev = subprocess.run(["git", "-C", str(HERE), "rev-parse", "--short", "HEAD"], capture_output=True,
                             text=True).stdout.strip()
    build = {"ref": [], "new": []}
    for i in range(2):  # interleaved
        build["ref"].append(_run_cli(ref_src, base / f"ref{i}", wh))
        build["new"].append(_run_cli(HERE / "src", base / f"new{i}", wh))
    sizes = {k: _size(base / f"{k}0") for k in ("ref", "new")}
    ref_shared = (base / "ref0" / "plotly.min.js").exists()
    drv = _driver(base / "profile")
    loads = {"ref": [], "new": []}
    try:
        for _ in range(2):
            for k in ("ref", "new"):
                loads[k].append(_load(drv, base / f"{k}0" / "report.html"))
    finally:
        drv.quit()
    g = _global(wh)

    def med(xs):
        return statistics.median(xs)

    def mload(k, f):
        vals = [x[f] for x in loads[k] if x[f] is not None]
        return med(vals) if vals else float("nan")

    rows = [
        ("wall time, fresh process (s)", med(build["ref"]), med(build["new"])),
        ("page size (MB)", sizes["ref"][0] / 1e6, sizes["new"][0] / 1e6),
        ("files beside the page (MB)", sizes["ref"][1] / 1e6, sizes["new"][1] / 1e6),
        ("Chromium: DOMContentLoaded (ms)", mload("ref", "dcl_ms"), mload("new", "dcl_ms")),
        ("Chromium: load event (ms)", mload("ref", "load_ms"), mload("new", "load_ms")),
        ("Chromium: every chart drawn (s)", mload("ref", "charts_s"), mload("new", "charts_s")),
    ]
    lines = [
        f"Default run (4 economies, as of {AS_OF}, no save), fresh process each, reference checkout `{ref_rev}` "
        f"(`{opts.reference}`, the report before situations) and this checkout `{new_rev}` interleaved, median "
        "of 2; pages opened in headless Chromium (median of 2).",
        "",
        "| measure | reference | situations report | ratio new / ref |",
        "|---|---:|---:|---:|",
    ]
    for name, r, n in rows:
        lines.append(f"| {name} | {r:,.2f} | {n:,.2f} | {n / r:.2f}× |")
    lines += [
        "",
        f"Situation table usable (performance mark `cm-usable`): {mload('new', 'usable_ms'):,.0f} ms after "
        "navigation start (target: 2 s). The situations report writes plotly.js once beside the page "
        "(`plotly.min.js`) and fetches it after the page is parsed; the reference "
        + ("loads the same shared file from its head." if ref_shared else "embeds it in the page."),
        "",
        f"Global run (`--importer all`): {g['economies']} economies, {g['n']:,} situations, warm "
        f"{med(g['all']):.1f} s (runs {', '.join(f'{x:.1f}' for x in g['all'])}) against the four default "
        f"economies in the same process {med(g['four']):.1f} s ({med(g['all']) / med(g['four']):.1f}×); target "
        f"≤ 30 s. Stages of the last global run (s): {g['timings']}. Page {g['page'] / 1e6:.2f} MB.",
        f"Levels: {g['counts']}. USA, JPN and CHN situations: same level and priority in both runs: "
        f"{g['same_values']}; same order: {g['same_order']}.",
    ]
    body = "\n".join(lines)
    print(body)
    write_section("monitor report (issue 12)", body)
    shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
