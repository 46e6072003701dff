"""Exercise mode: a rehearsed crisis (seed 002's joint scenario exercises) run on the real data — a shock through
the chain model, a timeline of injects judged by the real alert rules, and a bilingual printable brief with the
three-stage crisis process.

    from critmin.exercise import run_exercise
    res = run_exercise("exercise.yaml", out="brief/")

Nothing is loaded on import.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from critmin.lazy import lazy_getattr

if TYPE_CHECKING:  # pragma: no cover
    from critmin.exercise.model import Exercise, ExerciseError, load_exercise, parse_exercise

_LAZY = {name: ("critmin.exercise.model", name) for name in ("Exercise", "ExerciseError", "load_exercise",
                                                             "parse_exercise")}

__getattr__ = lazy_getattr(__name__, _LAZY)

__all__ = ["Exercise", "ExerciseError", "load_exercise", "parse_exercise"]
