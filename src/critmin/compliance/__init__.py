"""Compliance wing: a rare-earth shipment / magnet-batch dossier, regime rule packs (China export licence,
EU CSDDD, EU CRMA permanent magnets, product passport), their crosswalk, fill-in templates, and a
tamper-evident chain-of-custody ledger.

Depends only on the core (errors, i18n, settings). Nothing is loaded on import; call the functions:

- :func:`critmin.compliance.loader.load_dossier` — read and validate a dossier file;
- :func:`critmin.compliance.check.check` — findings of a dossier against rule packs;
- :func:`critmin.compliance.crosswalk.crosswalk` — the equivalence matrix of two regimes;
- :func:`critmin.compliance.template.write_template` — bilingual fill-in template (Excel + JSON);
- :class:`critmin.compliance.ledger.Ledger` — the append-only ledger.
"""
