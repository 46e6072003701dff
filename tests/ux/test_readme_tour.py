"""The README tour, run verbatim, line by line, in a fresh virtual environment in an empty folder.

The environment is new (``python -m venv``) and critmin is installed into it by pip from this checkout, as the
tour's first line says; its dependencies are borrowed from the running environment through a ``.pth`` file,
because the test machine reaches no package index for ~50 packages (``scripts/test.sh`` already installed them,
with every extra, in the environment running this test). The warehouse goes to a temporary path
(``CRITMIN_WAREHOUSE``), never the user's. A line may end in ``# exit N`` when N is its documented exit code.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]


def tour_lines() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- tour -->\s*```bash\n(.*?)```", text, flags=re.S)
    assert block, "README.md lost its <!-- tour --> block"
    return [ln for ln in block.group(1).splitlines() if ln.strip() and not ln.lstrip().startswith("#")]


def expected_exit(line: str) -> int:
    m = re.search(r"#\s*exit (\d+)", line)
    return int(m.group(1)) if m else 0


def test_the_tour_starts_with_the_install_and_covers_the_main_commands():
    lines = tour_lines()
    assert lines[0].startswith("pip install .")
    words = {ln.split()[1] for ln in lines[1:] if ln.startswith("critmin ")}
    assert {"build", "dependency", "crma", "geopolrisk", "kb", "monitor", "incident", "stress", "comply",
            "ledger", "discourse", "examples"} <= words


@pytest.mark.slow
def test_readme_tour_runs_verbatim_in_a_fresh_venv(tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    site = next((venv / "lib").glob("python*/site-packages"))
    (site / "_critmin_test_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    work = tmp_path / "work"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CRITMIN_", "PYTHON", "VIRTUAL_ENV"))}
    env.update(PATH=f"{venv / 'bin'}:{env.get('PATH', '')}", CRITMIN_WAREHOUSE=str(tmp_path / "tour.duckdb"),
               OPENBLAS_NUM_THREADS="1", PIP_DISABLE_PIP_VERSION_CHECK="1")
    timings = []
    for line in tour_lines():
        cmd = line
        if line.startswith("pip install ."):  # this checkout, from the empty folder (dependencies: see docstring)
            cmd = f"pip install -q --no-deps {ROOT}"
        t0 = time.perf_counter()
        r = subprocess.run(["bash", "-c", cmd], cwd=work, env=env, capture_output=True, text=True, timeout=600)
        timings.append((time.perf_counter() - t0, line[:60]))
        assert r.returncode == expected_exit(line), f"{line}\nexit {r.returncode}\n{r.stdout[-2000:]}\n{r.stderr[-2000:]}"
    assert (work / "critmin-report" / "report.html").exists() and (work / "critmin-report" / "plotly.min.js").exists()
    assert (work / "cobalt.xlsx").stat().st_size > 0 and (work / "gpr.csv").stat().st_size > 0
    assert (work / "discourse.html").exists() and (work / "stress.html").exists()
    print("\n".join(f"{s:6.1f} s  {what}" for s, what in timings))
