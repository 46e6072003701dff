"""Answers of read-only indicator queries, cached per warehouse snapshot.

A snapshot never changes (a new one replaces it), so an answer computed on it stays right until the snapshot
is renewed; the key holds the snapshot's number, so a renewal makes every old entry unreachable (and the LRU
drops them). Only what the caller was allowed to ask reaches the cache: authorization runs before it.
"""

from __future__ import annotations

import threading
from collections import OrderedDict


class ResponseCache:
    def __init__(self, size: int = 512):
        self.size = size
        self._d: OrderedDict = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def has(self, key) -> bool:
        return key in self._d

    def get(self, key):
        """The cached answer as a Response, or None."""
        with self._lock:
            got = self._d.get(key)
            if got is None:
                return None
            self._d.move_to_end(key)
            self.hits += 1
        return self._response(got, True)

    def put(self, key, made: tuple[bytes, str, dict]):
        """Store (body, media type, headers) and return it as a Response."""
        with self._lock:
            self.misses += 1
            self._d[key] = made
            while len(self._d) > self.size:
                self._d.popitem(last=False)
        return self._response(made, False)

    @staticmethod
    def _response(got, hit: bool):
        from fastapi.responses import Response

        body, media, headers = got
        return Response(body, media_type=media, headers={**headers, "x-critmin-cache": "hit" if hit else "miss"})
