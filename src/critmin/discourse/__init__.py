"""Discourse analysis of critical-minerals policy texts in Chinese, English and Japanese (a wing).

Corpus ► language ► sentences/segments ► frames, sentiment, subjectivity ► aggregates ► report, alerts.
Depends only on the core (errors, i18n, settings, cli) and the warehouse file. Nothing is loaded on import:
lexicons, tokenizers and the embedding model load on first use.

Main entry points::

    from critmin.discourse.scoring import score_text        # sentence scores (lexicon path)
    from critmin.discourse.corpus import add_corpus         # manifest -> warehouse tables discourse_*
    from critmin.discourse.report import build_findings     # aggregates, shared traits, divergences
    from critmin.discourse.evaluate import evaluate         # macro-F1, lexicon vs embedding
"""

FRAMES: tuple[str, ...] = (
    "security",
    "industry_technology",
    "green_transition",
    "alliances_cooperation",
    "rules_standards",
    "market",
    "development_sharing",
    "risk",
)
LANGS: tuple[str, ...] = ("zh", "en", "ja")
