"""The one CSV and JSON writer/reader of omm_cx. Writes are atomic (temporary file, then
rename: :mod:`omm_cx.io.atomic`); JSON has no NaN, so non-finite numbers become ``null``;
numpy scalars and arrays, paths and enums are written as plain JSON values."""

from __future__ import annotations

import csv
import enum
import io
import json
import os
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from omm_cx.errors import OmmCxError
from omm_cx.io.atomic import atomic_write_text


def to_jsonable(obj: Any) -> Any:
    """``obj`` with numpy values, paths and enums turned into JSON types and NaN/inf into
    None, recursively."""
    if isinstance(obj, Mapping):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, np.ndarray)):
        return [to_jsonable(v) for v in (obj.tolist() if isinstance(obj, np.ndarray) else obj)]
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        return float(obj) if np.isfinite(obj) else None
    if isinstance(obj, enum.Enum):
        return to_jsonable(obj.value)
    if isinstance(obj, os.PathLike):
        return os.fspath(obj)
    if obj is None or isinstance(obj, str):
        return obj
    if hasattr(obj, "model_dump"):  # pydantic models
        return to_jsonable(obj.model_dump(mode="json"))
    raise TypeError(f"not JSON serializable: {type(obj).__name__}")


def json_text(data: Any, indent: int = 1) -> str:
    """The JSON text :func:`write_json` writes (ends with a newline)."""
    return json.dumps(to_jsonable(data), indent=indent) + "\n"


def write_json(path: str | os.PathLike, data: Any, indent: int = 1) -> Path:
    """Write JSON atomically (NaN written as null). Returns the path."""
    atomic_write_text(path, json_text(data, indent))
    return Path(path)


def read_json(path: str | os.PathLike, what: str = "JSON file") -> Any:
    """Parse a JSON file; a missing or malformed file is an :class:`OmmCxError` naming it."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise OmmCxError(f"{what} {str(path)!r} not found") from None
    except OSError as exc:
        raise OmmCxError(f"{path}: cannot read the {what} ({exc.strerror})") from None
    if not text.strip():
        raise OmmCxError(f"{path}: the {what} is empty (an interrupted write?); regenerate it")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise OmmCxError(f"{path}: the {what} is not valid JSON (line {exc.lineno}: {exc.msg}); "
                         f"regenerate it") from None


def _cell(v: Any, float_format: str) -> str:
    if isinstance(v, (bool, np.bool_)):
        return "1" if v else "0"
    if isinstance(v, (float, np.floating)):
        return float_format % v if np.isfinite(v) else "nan"
    return str(v)


def write_csv(path: str | os.PathLike, columns: Mapping[str, Sequence],
              float_format: str = "%.6g") -> Path:
    """Write columns (equal lengths) as CSV with a header line, atomically."""
    names = list(columns)
    cols = [np.asarray(columns[k]) for k in names]
    n = len(cols[0]) if cols else 0
    if any(len(c) != n for c in cols):
        raise OmmCxError(f"{path}: columns of different lengths "
                         f"{ {k: len(c) for k, c in zip(names, cols)} }")
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(names)
    for i in range(n):
        w.writerow([_cell(c[i], float_format) for c in cols])
    atomic_write_text(path, buf.getvalue())
    return Path(path)


def read_csv(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """Columns of a CSV file with a header line (numbers as float, text as str)."""
    path = Path(path)
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            rows = [r for r in csv.reader(fh) if r]
    except FileNotFoundError:
        raise OmmCxError(f"CSV file {str(path)!r} not found") from None
    if not rows:
        raise OmmCxError(f"{path}: empty CSV file (no header line)")
    names = [h.strip() for h in rows[0]]
    out: dict[str, np.ndarray] = {}
    for k, name in enumerate(names):
        vals = [r[k] if k < len(r) else "" for r in rows[1:]]
        try:
            out[name] = np.array([float(v) for v in vals])
        except ValueError:
            out[name] = np.array(vals, dtype=object)
    return out
