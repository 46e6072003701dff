"""Listings as JSON (default), CSV or Parquet: ``?format=json|csv|parquet`` or the Accept header."""

from __future__ import annotations

import json
from typing import Any

from critmin.serve.errors import ApiError

MEDIA = {"json": "application/json", "csv": "text/csv; charset=utf-8",
         "parquet": "application/vnd.apache.parquet"}


def pick(request, fmt: str | None) -> str:
    if fmt:
        if fmt not in MEDIA:
            raise ApiError(422, "invalid_input", f"query parameter 'format': expected json, csv or parquet, "
                           f"got {fmt[:40]!r}")
        return fmt
    accept = request.headers.get("accept", "")
    if "text/csv" in accept:
        return "csv"
    if "parquet" in accept:
        return "parquet"
    return "json"


def _plain(df):
    """Object columns holding lists/dicts become JSON text (CSV and Parquet need flat cells)."""
    out = df.copy()
    for c in out.columns:
        if out[c].dtype == object and out[c].map(lambda v: isinstance(v, (list, dict))).any():
            out[c] = out[c].map(lambda v: json.dumps(v, ensure_ascii=False, default=str)
                                if isinstance(v, (list, dict)) else v)
    return out


def table(df, fmt: str, name: str, meta: dict[str, Any] | None = None):
    """The response for one table."""
    from fastapi.responses import Response

    if fmt == "csv":
        import csv
        import io

        from critmin.csvsafe import neutralise

        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        flat = _plain(df)
        w.writerow([neutralise(str(c)) for c in flat.columns])
        for row in flat.itertuples(index=False, name=None):
            w.writerow(["" if _missing(v) else neutralise(v) for v in row])
        return Response(buf.getvalue(), media_type=MEDIA["csv"],
                        headers={"content-disposition": f'attachment; filename="{name}.csv"'})
    if fmt == "parquet":
        import io

        import pyarrow as pa
        import pyarrow.parquet as pq

        sink = io.BytesIO()
        pq.write_table(pa.Table.from_pandas(_plain(df), preserve_index=False), sink, compression="zstd")
        return Response(sink.getvalue(), media_type=MEDIA["parquet"],
                        headers={"content-disposition": f'attachment; filename="{name}.parquet"'})
    rows = df.to_json(orient="records", date_format="iso", force_ascii=False, double_precision=15)
    head = json.dumps({"dataset": name, "count": len(df), "columns": [str(c) for c in df.columns],
                       "meta": meta or {}}, ensure_ascii=False, default=str)
    return Response(head[:-1] + ',"rows":' + rows + "}", media_type=MEDIA["json"])


def _missing(v) -> bool:
    try:
        return v is None or v != v
    except (TypeError, ValueError):
        return False


def jsonable(obj: Any) -> Any:
    """Plain JSON values from pandas/numpy/dates (NaN and infinities -> null)."""
    import math

    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, set)):
        return [jsonable(v) for v in obj]
    if hasattr(obj, "columns") and hasattr(obj, "to_dict"):
        return jsonable(obj.to_dict(orient="records"))
    if hasattr(obj, "isoformat"):
        return obj.isoformat()
    if hasattr(obj, "item") and not isinstance(obj, (str, bytes)):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if obj is None or isinstance(obj, (str, int, float, bool)):
        return obj
    return str(obj)
