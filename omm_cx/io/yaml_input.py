"""The one strict YAML loader of omm_cx: every YAML input is read through it.

    doc = load_yaml("systems/pbse-nc-cd-psl.yaml", "recipe")

It refuses (with :class:`ConfigError`, naming the file):

- a key given twice in any mapping, at any depth (PyYAML keeps the last one silently):
  ``x.yaml: key 'temperature_K' is given twice (lines 4 and 9); keep one``; a nested
  key is named with its path, ``(pairs.Zn-S, lines 9 and 10)``;
- an empty file, a file whose top level is not a mapping, malformed YAML (with the line).

Numbers in exponent form without a dot or sign (``1e7``, ``2.64e9``) are numbers, as in
YAML 1.2 (PyYAML's YAML 1.1 would read them as text).
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from omm_cx.errors import ConfigError

__all__ = ["ConfigError", "StrictLoader", "load_yaml", "loads_yaml"]


#: YAML 1.2 floats that YAML 1.1 reads as text: 1e7, 2.64e9, 1.0e-3 (no dot or no sign).
_FLOAT_12 = re.compile(r"^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9_]+)[eE][-+]?[0-9]+$")


class StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate mapping keys at any depth (see module doc)."""

    def __init__(self, stream):
        super().__init__(stream)
        self._key_paths: dict[int, str] = {}  # id(mapping node) -> its key path

    def construct_document(self, node):
        self._key_paths = _key_paths(node)
        return super().construct_document(node)

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            self._check_duplicates(node)
        return super().construct_mapping(node, deep=deep)

    def _check_duplicates(self, node: yaml.MappingNode) -> None:
        first_line: dict = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue  # '<<' merges: explicit keys may override merged ones
            key = self.construct_object(key_node, deep=True)
            try:
                hash(key)
            except TypeError:
                continue  # PyYAML reports unhashable keys itself
            line = key_node.start_mark.line + 1
            if key in first_line:
                parent = self._key_paths.get(id(node), "")
                path = f"{parent}.{key}" if parent else str(key)
                where = f"{path}, " if parent else ""
                raise ConfigError(
                    f"{self.name}: key {key!r} is given twice ({where}lines "
                    f"{first_line[key]} and {line}); keep one"
                )
            first_line[key] = line


StrictLoader.add_implicit_resolver("tag:yaml.org,2002:float", _FLOAT_12,
                                   list("-+0123456789."))


def _key_paths(root) -> dict[int, str]:
    """Dotted key path of every mapping node below ``root`` (``targets[0].source``)."""
    paths: dict[int, str] = {}
    stack = [(root, "")]
    while stack:
        node, path = stack.pop()
        if isinstance(node, yaml.MappingNode):
            paths[id(node)] = path
            for k, v in node.value:
                label = k.value if isinstance(k, yaml.ScalarNode) else "?"
                stack.append((v, f"{path}.{label}" if path else str(label)))
        elif isinstance(node, yaml.SequenceNode):
            for i, v in enumerate(node.value):
                stack.append((v, f"{path}[{i}]"))
    return paths


#: ``omm-cx schema`` kind of each kind of YAML file named by :func:`load_yaml`'s ``what``.
_SCHEMA_KIND = {"recipe": "recipe", "run config": "run", "force-field file": "forcefield",
                "fit file": "fit"}


def _empty_hint(what: str | None) -> str:
    kind = _SCHEMA_KIND.get(what or "")
    if kind is None:
        return ""
    return f"; 'omm-cx schema {kind}' lists the keys of a {what}"


def loads_yaml(text: str, name: str = "<text>", what: str | None = None) -> dict:
    """Parse YAML text with the strict loader; ``name`` is the file named in errors,
    ``what`` the kind of input (``recipe``, ``run config``, ...) for the fix.

    Raises :class:`ConfigError` for duplicate keys, malformed YAML, an empty document or
    a top level that is not a mapping.
    """
    loader = StrictLoader(text)
    loader.name = name
    try:
        doc = loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f" at line {mark.line + 1}" if mark is not None else ""
        problem = exc.problem or exc.context or "malformed"
        raise ConfigError(f"{name}: not valid YAML{line}: {problem}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{name}: not valid YAML: {exc}") from None
    finally:
        loader.dispose()
    if doc is None:
        raise ConfigError(f"{name}: the file is empty (an interrupted write?); expected a "
                          f"mapping of keys{_empty_hint(what)}")
    if not isinstance(doc, dict):
        raise ConfigError(f"{name}: expected a mapping (key: value) at the top level, got "
                          f"{type(doc).__name__}{_empty_hint(what)}")
    return doc


def load_yaml(path: str | Path, what: str = "file") -> dict:
    """Load a YAML mapping from a file with the strict loader (see :func:`loads_yaml`).

    ``what`` names the kind of file in the not-found message (``recipe``, ``run config``).
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{what} {str(path)!r} not found")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot be read as UTF-8 text ({exc})") from None
    return loads_yaml(text, str(path), what)
