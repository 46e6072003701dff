"""The long fuzz run: every ``tests/reliability/test_fuzz_*.py`` target with many more cases than the test suite
uses, a fresh random seed, and Hypothesis's own statistics (cases run, failing cases) per target.

Side by side, the cost of the hardening itself: critmin's strict data-file reader (duplicate keys, depth,
finite numbers, line numbers) against plain ``yaml.safe_load`` on the bundled YAML files, same process.

Usage: python bench/bench_fuzz.py [--examples 1000]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _results import write_section  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
TARGETS = sorted((ROOT / "tests" / "reliability").glob("test_fuzz_*.py"))
STAT = re.compile(r"^(?P<test>\S+::\S+):\s*$|(?P<pass>\d+) passing, (?P<fail>\d+) failing, and (?P<invalid>\d+) "
                  r"invalid test cases", re.M)


def run_fuzz(examples: int, seed: int) -> tuple[list[dict], float, int]:
    env = {**os.environ, "CRITMIN_FUZZ_EXAMPLES": str(examples), "CRITMIN_FUZZ_SEED": str(seed),
           "OPENBLAS_NUM_THREADS": "1"}
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           "--hypothesis-show-statistics", f"--hypothesis-seed={seed}", *map(str, TARGETS)],
                          cwd=ROOT, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    rows, current = [], None
    for m in STAT.finditer(proc.stdout):
        if m.group("test"):
            current = {"target": m.group("test").split("::")[-1], "passing": 0, "failing": 0, "invalid": 0}
            rows.append(current)
        elif current is not None:
            current["passing"] += int(m.group("pass"))
            current["failing"] += int(m.group("fail"))
            current["invalid"] += int(m.group("invalid"))
    return rows, seconds, proc.returncode


def reader_overhead(repeat: int = 5) -> tuple[float, float, int, int]:
    import yaml

    from critmin.datafile import parse_data

    src = ROOT / "src" / "critmin"
    files = [p for p in src.rglob("*.yaml") if "messages" not in p.parts]
    texts = [p.read_text(encoding="utf-8") for p in files]
    size = sum(len(t.encode()) for t in texts)

    def best(fn) -> float:
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            for t in texts:
                fn(t)
            times.append(time.perf_counter() - t0)
        return min(times)

    plain = best(lambda t: yaml.load(t, Loader=yaml.SafeLoader))  # noqa: S506 - the safe loader
    strict = best(lambda t: parse_data(t, "bench.yaml"))
    return plain, strict, len(files), size


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--examples", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=int(time.time()) % 100_000)
    args = ap.parse_args()
    rows, seconds, code = run_fuzz(args.examples, args.seed)
    total = sum(r["passing"] + r["failing"] for r in rows)
    failing = sum(r["failing"] for r in rows)
    plain, strict, nfiles, size = reader_overhead()
    lines = [f"All `tests/reliability/test_fuzz_*.py` targets, `CRITMIN_FUZZ_EXAMPLES={args.examples}` (the trade-file",
             "ingest targets run a third of that: each case opens the warehouse), Hypothesis seed "
             f"{args.seed}, one process. Each case asserts: a valid result or a typed one-line error (InputError "
             "and its subclasses), never another exception, and nothing written when refused.", "",
             "| target | cases run | failing | invalid (filtered) |", "|---|---|---|---|"]
    lines += [f"| {r['target']} | {r['passing'] + r['failing']:,} | {r['failing']} | {r['invalid']} |" for r in rows]
    lines += ["", f"Total: **{total:,} cases, {failing} failing** (tracebacks or partial writes), "
              f"{seconds:.0f} s wall, pytest exit code {code}.", "",
              f"Cost of the strict reader (`critmin.datafile.parse_data`) against `yaml.safe_load` (pure-Python "
              f"SafeLoader) on the {nfiles} bundled YAML files ({size / 1024:.0f} KiB), best of 5:", "",
              "| reader | time | ratio |", "|---|---|---|",
              f"| yaml.safe_load (reference) | {plain * 1000:.0f} ms | 1× |",
              f"| critmin.datafile.parse_data | {strict * 1000:.0f} ms | {strict / plain:.2f}× |"]
    body = "\n".join(lines)
    print(body)
    write_section("fuzz", body)


if __name__ == "__main__":
    main()
