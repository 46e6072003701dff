"""`critmin serve`: the shared workspace — an HTTP API (``/api/v1``) and a server-rendered dashboard over one
warehouse, with token roles, a sharing agreement for outside parties and an append-only audit log.

Nothing is imported or opened here; :func:`critmin.serve.app.create_app` builds the application when asked.
The server reads from a private snapshot of the warehouse (:mod:`critmin.serve.snapshot`) and opens the real
file for writing only for the duration of one write request, under the warehouse writer lock.
"""
