"""Benchmark for the analyst experience (issue 16): everyday command latency, install size, HTML sizes.

Latency: each command runs as a fresh process (start, imports, catalog, warehouse open and query included), the
reference checkout (``--before``: a git revision, extracted with ``git archive``) and this checkout interleaved,
median of ``--repeat`` runs, on the same warehouse. Install size: the size of ``site-packages`` and the number
of distributions in two virtual environments made with ``pip install .`` and ``pip install '.[all]'``
(``--venv-core`` / ``--venv-all``; made beforehand, since that needs the registry). HTML sizes: the files the
report commands write, and the shared plotly asset beside them.

Run: python bench/bench_ux.py [--before REV] [--repeat N] [--venv-core DIR --venv-all DIR] [--warehouse PATH]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _results import write_section  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
COMMANDS = {
    "dependency EU27 rare earths 2024": ["dependency", "--importer", "EU27", "--material", "rare_earths",
                                         "--years", "2024"],
    "crma EU27 2024": ["crma", "--years", "2024"],
    "kb events rare earths": ["kb", "events", "--material", "rare_earths"],
    "--help": ["--help"],
}


def _bytecode_env(env: dict) -> dict:
    """Children may read and write bytecode as an installed package does (pip compiles it at install); a
    shell with PYTHONDONTWRITEBYTECODE would otherwise recompile every module of both sides on every run."""
    env = dict(env)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def _run(src: Path, args: list[str], env: dict) -> tuple[float, float]:
    """(wall seconds, CPU seconds user+sys) of one fresh ``critmin`` process. CPU time is reported beside wall
    time because the machine is shared: under load the wall time mostly measures the queue."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    r = subprocess.run([sys.executable, "-m", "critmin", *args], env=_bytecode_env({**env, "PYTHONPATH": str(src)}),
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    dt = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if r.returncode != 0:
        raise SystemExit(f"critmin {' '.join(args)} failed ({src}): {r.stderr.strip()[-300:]}")
    return dt, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def latency(before: Path, repeat: int, env: dict) -> str:
    lines = ["| command | wall before (reference) | wall after | ratio | CPU before | CPU after | ratio |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for label, args in COMMANDS.items():
        b, a = [], []
        _run(ROOT / "src", args, env)  # warm the OS file cache for both sides
        _run(before, args, env)
        for _ in range(repeat):
            b.append(_run(before, args, env))
            a.append(_run(ROOT / "src", args, env))
        wb, wa = statistics.median(x[0] for x in b), statistics.median(x[0] for x in a)
        cb, ca = statistics.median(x[1] for x in b), statistics.median(x[1] for x in a)
        lines.append(f"| {label} | {wb:.2f} s | {wa:.2f} s | {wa / wb:.2f}× | {cb:.2f} s | {ca:.2f} s | "
                     f"{ca / cb:.2f}× |")
        print(lines[-1], flush=True)
    return "\n".join(lines)


FLOOR = {
    "python -c pass": "pass",
    "import duckdb": "import duckdb",
    "typer + its pydantic coercion + duckdb + rich (the CLI's own floor)":
        "import typer, typer._adapters, duckdb, rich.console, rich.table",
    "import pandas": "import pandas",
    "import ibis; ibis.duckdb.connect()": "import ibis; ibis.duckdb.connect()",
}


def floor(repeat: int) -> str:
    """What a command costs before it does anything: the libraries every command imports (typer, which
    coerces options through pydantic, DuckDB, rich), and for comparison pandas and Ibis, which the indicator
    commands imported before they answered from DuckDB rows."""
    import resource

    lines = ["| fresh process doing only | wall | CPU |", "|---|---:|---:|"]
    for label, code in FLOOR.items():
        w, c = [], []
        for _ in range(repeat):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], check=True, env=_bytecode_env(dict(os.environ)))
            w.append(time.perf_counter() - t0)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            c.append((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime))
        lines.append(f"| `{label}` | {statistics.median(w):.2f} s | {statistics.median(c):.2f} s |")
    return "\n".join(lines)


def _du(path: Path) -> int:
    total = 0
    for root, _dirs, files in os.walk(path):
        for f in files:
            p = os.path.join(root, f)
            if not os.path.islink(p):
                total += os.path.getsize(p)
    return total


def install_size(core: Path, allv: Path) -> str:
    lines = ["| install | site-packages | distributions |", "|---|---:|---:|"]
    for label, venv in (("core: `pip install critmin`", core), ("all: `pip install 'critmin[all]'`", allv)):
        site = next(venv.glob("lib/python*/site-packages"))
        n = len(list(site.glob("*.dist-info")))
        lines.append(f"| {label} | {_du(site) / 2**20:,.0f} MiB | {n} |")
    return "\n".join(lines)


def html_sizes(env: dict, before: Path) -> str:
    """Each page as the reference checkout writes it (plotly.js inlined) and as this one writes it (plotly.js in
    one shared file beside the pages)."""
    from critmin.html import ASSET_NAME

    jobs = {
        "kb timeline": (["kb", "timeline", "--out"], "kb_timeline.html"),
        "stress chart": (["stress", "--supplier", "CHN", "--material", "rare_earths", "--stage", "compound", "--cut",
                          "0.4", "--months", "12", "--importer", "EU27", "--draws", "200", "--chart"], "stress.html"),
        "monitor report": (["monitor", "--importers", "EU27", "--materials", "rare_earths", "--no-save",
                            "--no-progress", "--out"], "monitor"),
    }
    lines = ["| output | page before (reference) | page after | shared plotly.min.js (once per folder) |",
             "|---|---:|---:|---:|"]
    for label, (args, name) in jobs.items():
        sizes = []
        for src in (before, ROOT / "src"):
            out = Path(tempfile.mkdtemp(prefix="critmin-bench-html-"))
            r = subprocess.run([sys.executable, "-m", "critmin", *args, str(out / name)],
                               env={**env, "PYTHONPATH": str(src)}, capture_output=True, text=True)
            page = out / name / "report.html" if name == "monitor" else out / name
            if r.returncode != 0 or not page.exists():
                sizes.append((None, None))
                continue
            asset = page.parent / ASSET_NAME
            sizes.append((page.stat().st_size, asset.stat().st_size if asset.exists() else None))
        (b, _), (a, asset) = sizes
        fmt = lambda n: "failed" if n is None else f"{n / 2**20:.2f} MiB"  # noqa: E731
        lines.append(f"| {label} | {fmt(b)} | {fmt(a)} | {fmt(asset) if asset else 'none'} |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--before", default="d474cbd", help="reference revision (default: before issue 16)")
    ap.add_argument("--section", default="ux (issue 16)", help="heading of the section in bench/RESULTS.md")
    ap.add_argument("--no-html", action="store_true", help="skip the HTML sizes")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--venv-core", type=Path)
    ap.add_argument("--venv-all", type=Path)
    ap.add_argument("--warehouse")
    args = ap.parse_args()
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1"}
    if args.warehouse:
        env["CRITMIN_WAREHOUSE"] = args.warehouse
    before = Path(tempfile.mkdtemp(prefix="critmin-before-"))
    subprocess.run(f"git -C {ROOT} archive {args.before} src | tar -x -C {before}", shell=True, check=True)
    load = os.getloadavg()[0]
    body = [f"Reference: `{args.before}`. Load average (1 min) at start: {load:.2f} on "
            f"{os.cpu_count()} cores; CPU time (user + sys of the process) is the fairer comparison when the "
            "machine is shared.", "",
            f"**Command latency**, fresh process each, interleaved, median of {args.repeat}:", "",
            latency(before / "src", args.repeat, env)]
    if args.venv_core and args.venv_all:
        body += ["", "**Install size** (fresh virtual environments, Python "
                 f"{sys.version_info.major}.{sys.version_info.minor}):", "", install_size(args.venv_core, args.venv_all)]
    body += ["", f"Load average (1 min) after the latency runs: {os.getloadavg()[0]:.2f}.", "",
             "**The floor**: fresh processes importing only libraries (same run, median of "
             f"{args.repeat}):", "", floor(args.repeat)]
    if not args.no_html:
        body += ["", "**HTML outputs** (one plotly.js file per output folder instead of one per page):", "",
                 html_sizes(env, before / "src")]
    body += ["", "Children run with bytecode caching on, as an installed package runs. Wall times taken on a loaded "
             "shared machine mostly measure the run queue; compare the CPU columns."]
    write_section(args.section, "\n".join(body))


if __name__ == "__main__":
    main()
