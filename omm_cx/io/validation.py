"""The one validation layer of omm_cx's YAML inputs (pydantic v2).

Each input kind (parameter file, recipe, run configuration, fit file) is an
:class:`InputModel`: unknown keys, wrong types and impossible values are refused before
any work starts. :func:`validate_input` turns pydantic's ``ValidationError`` into ONE
line naming the file, the key path and the fix::

    recipe.yaml: key 'nanocrystal.diameter_nm': -1.0 nm is impossible, must be > 0 nm
    run.yaml: unknown key 'temprature_K' (did you mean 'temperature_K'?); known keys: ...

Checks that relate several keys (or need the force field) raise :func:`key_error` with
the same format.
"""

from __future__ import annotations

import difflib
import functools
import typing
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    model_validator,
)
from pydantic_core import PydanticCustomError

from omm_cx.errors import ConfigError

#: Units named in range messages, from the key's suffix (longest first).
_UNIT_SUFFIXES = (("_eV_per_A", "eV/Å"), ("_per_ps", "1/ps"), ("_GPa", "GPa"), ("_K", "K"),
                  ("_fs", "fs"), ("_ps", "ps"), ("_ns", "ns"), ("_nm", "nm"), ("_A", "Å"))


class InputModel(BaseModel):
    """Base of every input model: unknown keys, text for numbers, booleans for numbers
    and non-finite numbers are refused."""

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def _refuse_unknown_keys(cls, data: Any) -> Any:
        if isinstance(data, dict):
            known = [f.alias or name for name, f in cls.model_fields.items()]
            for key in data:
                if key not in known:
                    raise PydanticCustomError("unknown_key", "unknown key {key}",
                                              {"key": str(key), "known": known})
        return data


def _whole(v: Any) -> Any:
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return v


def _vector3(v: Any) -> Any:
    if (not isinstance(v, (list, tuple)) or len(v) != 3
            or not all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in v)):
        raise PydanticCustomError("vector", "expected a list of 3 numbers, got {value}",
                                  {"value": repr(v)})
    return [float(x) for x in v]


def _lower(v: Any) -> Any:
    return v.lower() if isinstance(v, str) else v


#: A finite number > 0 / >= 0 (int or float; never text or a boolean).
Positive = Annotated[float, Field(gt=0)]
NonNegative = Annotated[float, Field(ge=0)]
#: A whole number (``25`` or ``25.0``).
Whole = Annotated[int, BeforeValidator(_whole)]
#: Three numbers, e.g. a crystal axis.
Vector3 = Annotated[list[float], BeforeValidator(_vector3)]


def lower(choices: Any) -> Any:
    """A case-insensitive choice: ``lower(Literal["nvt", "npt"])``."""
    return Annotated[choices, BeforeValidator(_lower)]


def key_error(origin: str, path: str, problem: str, error: type = ConfigError) -> Exception:
    """The one-line error of this layer: ``origin: key 'path': problem``."""
    return error(f"{origin}: key {path!r}: {problem}" if path else f"{origin}: {problem}")


def validate_input(model: Any, doc: Any, origin: str, *, error: type = ConfigError,
                   context: dict | None = None):
    """Validate ``doc`` (a mapping read from ``origin``) against ``model`` (an
    :class:`InputModel`, or a type such as a discriminated union of them); raise
    ``error`` with one line naming the file, the key path and what is accepted."""
    try:
        if isinstance(model, type) and issubclass(model, BaseModel):
            return model.model_validate(doc, context=context)
        return _adapter(model).validate_python(doc, context=context)
    except ValidationError as exc:
        raise error(describe(exc, doc, origin, model)) from None


@functools.lru_cache(maxsize=None)
def _adapter(tp: Any) -> TypeAdapter:
    return TypeAdapter(tp)


def json_schema_of(model: Any) -> dict:
    """The JSON schema (draft 2020-12) of an input model or type."""
    if isinstance(model, type) and issubclass(model, BaseModel):
        return model.model_json_schema()
    return _adapter(model).json_schema()


def describe(exc: ValidationError, doc: Any, origin: str, model: Any = None) -> str:
    """One line for a ``ValidationError``: the first problem and how many more there are."""
    errors = exc.errors(include_url=False)
    e = errors[0]
    path = _data_path(e["loc"], doc)
    others = len({_data_path(o["loc"], doc) for o in errors[1:]} - {path})
    more = f" (and {others} more problem{'s' * (others > 1)})" if others else ""
    if e["type"] == "unknown_key":
        key, known = e["ctx"]["key"], e["ctx"]["known"]
        full = f"{path}.{key}" if path else key
        near = difflib.get_close_matches(key, known, n=1)
        hint = f" (did you mean {(path + '.' if path else '') + near[0]!r}?)" if near else ""
        return (f"{origin}: unknown key {full!r}{hint}; known keys"
                f"{' in ' + path if path else ''}: {', '.join(known)}{more}")
    field = _field_at(model, e["loc"])
    if e["type"] in ("union_tag_invalid", "union_tag_not_found"):
        tag_key = e["ctx"]["discriminator"].strip("'")
        path = f"{path}.{tag_key}" if path else tag_key
    if e["type"] == "missing":
        path = f"{path}.{e['loc'][-1]}" if path else str(e["loc"][-1])
    return key_error(origin, path, _problem(e, path, field) + more).args[0]


def _problem(e: dict, path: str, field: Any) -> str:
    kind, v, ctx = e["type"], e.get("input"), e.get("ctx") or {}
    last = path.rsplit(".", 1)[-1]
    unit = next((f" {u}" for s, u in _UNIT_SUFFIXES if last.endswith(s)), "")
    desc = getattr(field, "description", None)
    if kind == "missing" or (v is None and kind.endswith("_type")):
        got = "is missing" if kind == "missing" else "is null"
        return f"required key {got}{' (' + desc + ')' if desc else ''}"
    if kind in ("float_type", "int_type", "float_parsing", "int_parsing"):
        if kind == "int_type" and isinstance(v, float) and not isinstance(v, bool):
            return f"expected a whole number, got {v!r}"
        return f"expected a number{' in' + unit if unit else ''}, got {v!r}"
    if kind == "bool_type":
        return f"expected true or false, got {v!r}"
    if kind == "string_type":
        return f"expected text, got {v!r}"
    if kind in ("list_type", "tuple_type"):
        return f"expected a list, got {v!r}"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return f"expected a mapping (key: value), got {v!r}"
    if kind == "finite_number":
        return f"{v!r} is not finite"
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        op = {"greater_than": ">", "greater_than_equal": ">=", "less_than": "<",
              "less_than_equal": "<="}[kind]
        bound = next(iter(ctx.values()))
        what = "too large" if op.startswith("<") else "impossible"
        return f"{v!r}{unit} is {what}, must be {op} {bound:g}{unit}"
    if kind == "literal_error":
        return f"{v!r} is not one of {', '.join(map(str, _choices(field) or [ctx['expected']]))}"
    if kind == "union_tag_invalid":
        return f"{ctx['tag']!r} is not one of {ctx['expected_tags'].replace(chr(39), '')}"
    if kind == "union_tag_not_found":
        return "required key is missing"
    if kind == "string_too_short":
        return f"must not be empty, got {v!r}"
    if kind in ("too_short", "too_long"):
        return f"expected {ctx.get('min_length', ctx.get('max_length'))} items, got {v!r}"
    msg = e["msg"]
    return msg[len("Value error, "):] if msg.startswith("Value error, ") else msg


def _data_path(loc: tuple, doc: Any) -> str:
    """The key path of ``loc`` in the document (union tags and branch names dropped)."""
    parts: list[str] = []
    data = doc
    for elem in loc:
        if isinstance(data, dict) and elem in data:
            data = data[elem]
            parts.append(f".{elem}" if parts else str(elem))
        elif isinstance(data, (list, tuple)) and isinstance(elem, int) and 0 <= elem < len(data):
            data = data[elem]
            parts.append(f"[{elem}]")
    return "".join(parts)


def _field_at(model: Any, loc: tuple) -> Any:
    """The pydantic ``FieldInfo`` at ``loc`` in ``model`` (None where it cannot be told)."""
    tp: Any = model
    info = None
    for elem in loc:
        tp = _unwrap(tp)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            if elem not in tp.model_fields:
                return None
            info = tp.model_fields[elem]
            tp = info.annotation
            continue
        origin, args = typing.get_origin(tp), typing.get_args(tp)
        if origin in (dict, list) and args:
            tp = args[-1]
        elif origin is typing.Union or str(origin) == "<class 'types.UnionType'>":
            tp = next((a for a in args if isinstance(a, type) and issubclass(a, BaseModel)
                       and _tag_of(a, elem)), None)
            if tp is None:
                return info if elem is loc[-1] else None
        else:
            return None
    return info


def _unwrap(tp: Any) -> Any:
    while typing.get_origin(tp) is Annotated:
        tp = typing.get_args(tp)[0]
    args = [a for a in typing.get_args(tp) if a is not type(None)]
    if typing.get_origin(tp) is typing.Union and len(args) == 1:
        return _unwrap(args[0])
    return tp


def _tag_of(model: type, tag: Any) -> bool:
    for f in model.model_fields.values():
        if typing.get_origin(_unwrap(f.annotation)) is Literal and tag in typing.get_args(
                _unwrap(f.annotation)):
            return True
    return False


def _choices(field: Any) -> list | None:
    if field is None:
        return None
    tp = _unwrap(field.annotation)
    if typing.get_origin(tp) is Literal:
        return list(typing.get_args(tp))
    return None
