"""Early-warning engine: declarative rules (YAML) evaluated over indicator and operational-feed series.

    from critmin.alerts import load_rules, evaluate, load_feed, alerts_frame
    alerts = evaluate(load_rules(), series_df)     # list[Alert]

Nothing is loaded on import.
"""

from __future__ import annotations

from .adapters import series_from_dependency
from .engine import alerts_frame, change_points, evaluate, prepare, threshold_levels
from .feeds import FeedError, load_feed, sample_feed_path
from .models import LEVELS, Alert, Rule
from .rules import RuleError, load_rules, parse_rules

__all__ = [
    "Alert", "Rule", "LEVELS", "evaluate", "alerts_frame", "prepare", "threshold_levels", "change_points",
    "load_rules", "parse_rules", "RuleError", "load_feed", "FeedError", "sample_feed_path",
    "series_from_dependency",
]
