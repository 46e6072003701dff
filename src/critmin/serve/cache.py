"""Answers of read-only indicator queries, cached per warehouse snapshot.

A snapshot never changes (a new one replaces it), so an answer computed on it stays right until the snapshot
is renewed; the key holds the snapshot's number, so a renewal makes every old entry unreachable (and the LRU
drops them). Only what the caller was allowed to ask reaches the cache: authorization runs before it.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable


class ResponseCache:
    def __init__(self, size: int = 512):
        self.size = size
        self._d: OrderedDict = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get_or_make(self, key, make: Callable[[], tuple[bytes, str, dict]]):
        """``make()`` returns (body, media type, headers); the cached tuple is returned as a Response."""
        from fastapi.responses import Response

        with self._lock:
            got = self._d.get(key)
            if got is not None:
                self._d.move_to_end(key)
                self.hits += 1
        hit = got is not None
        if not hit:
            got = make()
            with self._lock:
                self.misses += 1
                self._d[key] = got
                while len(self._d) > self.size:
                    self._d.popitem(last=False)
        body, media, headers = got
        return Response(body, media_type=media, headers={**headers, "x-critmin-cache": "hit" if hit else "miss"})
