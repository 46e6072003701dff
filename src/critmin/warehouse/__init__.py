"""The warehouse: one DuckDB file built atomically from the source adapters (see :mod:`.build`)."""
