"""Before and after a refit, side by side: the same commands from an older checkout of critmin (the reference)
and from this one, interleaved in one run on the same machine and the same data.

Why: bench/RESULTS.md's other sections compare critmin against outside references; a refactor (issue 10: one
economy model, one warehouse handle, adapters) must also show it did not make critmin itself slower. The old
checkout is a git worktree of ``--ref`` (default: the commit before the issue 10 refit); its sources run with
this environment's packages.

Usage: python bench/bench_refit.py [--ref 61e8d8f] [--repeat 5]
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

ROOT = Path(__file__).resolve().parent.parent
COUNTRIES = "USA,JPN,DEU,FRA,ITA,KOR,IND,BRA,CAN,GBR,CHN,AUS"


def commands(wh: Path, out: Path, old: bool) -> dict[str, list[str]]:
    imp = "--countries" if old else "--importer"  # geopolrisk's option before and after the refit
    w = ["--warehouse", str(wh)]
    return {
        "geopolrisk, 12 economies × 53 materials × 7 years, CSV": [
            "geopolrisk", imp, COUNTRIES, "-y", "2018-2024", "--format", "csv", "--out", str(out / "g.csv"), *w],
        "dependency EU27 rare earths by stage 2015–2024": [
            "dependency", "--importer", "EU27", "--material", "rare_earths", "--years", "2015-2024", "--format",
            "csv", *w],
        "crma EU27 2024 (all materials × stages)": ["crma", "--importer", "EU27", "--years", "2024", "--all",
                                                    "--format", "csv", *w],
        "monitor (defaults, report written, no save)": [
            "monitor", "--out", str(out / "report"), "--no-save", "--no-progress", "--as-of", "2026-11-23", *w],
    }


def run(src: Path, args: list[str]) -> float:
    env = {**os.environ, "PYTHONPATH": str(src), "OPENBLAS_NUM_THREADS": "1"}
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "critmin", *args], env=env, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--ref", default="61e8d8f")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        old_tree = tmp / "old"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "-q", "--detach", str(old_tree), args.ref],
                       check=True)
        try:
            wh = tmp / "wh.duckdb"
            subprocess.run([sys.executable, "-m", "critmin", "build", "--warehouse", str(wh)], check=True,
                           env={**os.environ, "PYTHONPATH": str(ROOT / "src")}, stdout=subprocess.DEVNULL)
            rows = []
            new_cmds, old_cmds = commands(wh, tmp, old=False), commands(wh, tmp, old=True)
            for label in new_cmds:
                t_old, t_new = [], []
                for _ in range(args.repeat):  # interleaved, so drift in the machine's load hits both
                    t_old.append(run(old_tree / "src", old_cmds[label]))
                    t_new.append(run(ROOT / "src", new_cmds[label]))
                o, n = statistics.median(t_old), statistics.median(t_new)
                rows.append(f"| {label} | {o:.2f} s | {n:.2f} s | {n / o:.2f}× |")
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(old_tree)], check=False)
    body = "\n".join([
        f"Each command in a fresh process (start, imports, catalog, warehouse open included), the old checkout "
        f"(`{args.ref}`, before the issue 10 refit) and this one interleaved, median of {args.repeat}; same "
        "warehouse (built by this checkout; the old code reads the same tables).", "",
        "| command | before (reference) | after | ratio after / before |", "|---|---|---|---|", *rows])
    print(body)
    write_section("refit", body)


if __name__ == "__main__":
    main()
