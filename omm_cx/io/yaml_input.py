"""Small helpers to read YAML mappings with errors that name the key.

    sec = Section(doc, "recipe.yaml: nanocrystal")
    d = sec.number("diameter_nm", minimum=0, strict=True)
    sec.finish()   # raises for keys that were never read (unknown keys)
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import yaml

from omm_cx.errors import OmmCxError


class ConfigError(OmmCxError, ValueError):
    """An invalid recipe or run configuration; the message names the file and key."""


_MISSING = object()


def load_yaml(path: str | Path, what: str = "file") -> dict:
    """Load a YAML mapping; raise :class:`ConfigError` naming the file when it is not one."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{what} {str(path)!r} not found")
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(doc, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")
    return doc


class Section:
    """A mapping being read; remembers which keys were used."""

    def __init__(self, doc: Any, where: str):
        if doc is None:
            doc = {}
        if not isinstance(doc, dict):
            raise ConfigError(f"{where}: expected a mapping, got {type(doc).__name__}")
        self.doc, self.where, self.used = doc, where, set()

    def has(self, key: str) -> bool:
        return key in self.doc

    def raw(self, key: str, default=_MISSING):
        self.used.add(key)
        if key not in self.doc:
            if default is _MISSING:
                raise ConfigError(f"{self.where}: required key {key!r} is missing")
            return default
        return self.doc[key]

    def section(self, key: str, default=_MISSING) -> "Section":
        return Section(self.raw(key, {} if default is _MISSING else default), f"{self.where}.{key}")

    def string(self, key: str, default=_MISSING, choices=None) -> str | None:
        v = self.raw(key, default)
        if v is None and default is None:
            return None
        if not isinstance(v, str):
            raise ConfigError(f"{self.where}.{key}: expected text, got {v!r}")
        if choices is not None and v not in choices:
            raise ConfigError(f"{self.where}.{key}: {v!r} is not one of {', '.join(map(str, choices))}")
        return v

    def number(self, key: str, default=_MISSING, *, minimum=None, maximum=None,
               strict: bool = False, integer: bool = False):
        v = self.raw(key, default)
        if v is None and default is None:
            return None
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise ConfigError(f"{self.where}.{key}: expected a number, got {v!r}")
        if integer and not float(v).is_integer():
            raise ConfigError(f"{self.where}.{key}: expected a whole number, got {v!r}")
        if not math.isfinite(float(v)):
            raise ConfigError(f"{self.where}.{key}: {v!r} is not finite")
        if minimum is not None and (v < minimum or (strict and v == minimum)):
            raise ConfigError(f"{self.where}.{key}: {v!r} is impossible, must be "
                              f"{'>' if strict else '>='} {minimum}")
        if maximum is not None and v > maximum:
            raise ConfigError(f"{self.where}.{key}: {v!r} is too large, must be <= {maximum}")
        return int(v) if integer else float(v)

    def vector(self, key: str, default=_MISSING, length: int = 3) -> list[float] | None:
        v = self.raw(key, default)
        if v is None and default is None:
            return None
        if (not isinstance(v, (list, tuple)) or len(v) != length
                or not all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in v)):
            raise ConfigError(f"{self.where}.{key}: expected a list of {length} numbers, got {v!r}")
        return [float(x) for x in v]

    def boolean(self, key: str, default=_MISSING) -> bool:
        v = self.raw(key, default)
        if not isinstance(v, bool):
            raise ConfigError(f"{self.where}.{key}: expected true or false, got {v!r}")
        return v

    def finish(self) -> None:
        """Raise for keys that were never read: they are unknown here."""
        unknown = sorted(set(self.doc) - self.used)
        if unknown:
            raise ConfigError(
                f"{self.where}: unknown key {unknown[0]!r}; known keys: "
                f"{', '.join(sorted(self.used))}"
            )
