"""The fit file (YAML): which force field, which parameters are free, which targets.

Layout (see examples/fit-*.yaml and docs/fitting.md)::

    name: pbcds-omm_cx            # name of the force field the fit writes
    title: ...                    # optional, copied to the output file
    citation: ...                 # optional, copied to the output file
    forcefield: pbcdse            # template: a parameter-file name/path, or the keys of a
                                  # parameter file inline (species, pairs, no_short_range...)
    start:                        # optional: start values replacing the template's
      Cd-Se: {A: 1.0e7, rho: 0.15, C: 100.0}
    free:                         # the parameters to fit, per pair; all others stay fixed
      Cd-Se: [A, rho, C]          # default bounds, or
      Pb-Se: {A: [1.0e3, 1.0e10], rho: [0.1, 0.4], C: [0, 1000]}
    initial:                      # optional starting geometries of phases (a, c, u)
      CdS-rocksalt: {a: 5.4}
    targets:
      - {phase: CdSe-wurtzite, property: a_A, value: 4.30, weight: 1, source: "000 Table S8"}
      - {phase: CdS-rocksalt, property: dE_eV, min: 0.1, source: "..."}
    optimizer: {method: trf, max_nfev: 400, ftol: 1.0e-10, xtol: 1.0e-10, gtol: 1.0e-10,
                diff_step: 1.0e-4, x_scale: jac}
    failure_penalty: 1000         # residual of a target whose phase cannot be relaxed
    round_digits: 6               # significant digits of the written parameters
    output: {assumptions: [...], notes: ...}   # copied to the output file

Free parameters are fitted in transformed variables: ln A, rho, C.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from omm_cx.crystals import ALL_PHASES, Phase
from omm_cx.errors import ConfigError, FitError, ForceFieldError
from omm_cx.fitting.spec_schema import DEFAULT_OPTIMIZER, FitInput, TargetInput
from omm_cx.fitting.targets import Target, applicable_properties, default_sigma
from omm_cx.forcefield.params import (
    ForceField,
    forcefield_from_doc,
    pair_key,
    pair_label,
    resolve_forcefield_file,
)
from omm_cx.io.validation import key_error, validate_input
from omm_cx.io.yaml_input import load_yaml

__all__ = ["DEFAULT_BOUNDS", "DEFAULT_OPTIMIZER", "VARIABLES", "ConfigError", "FitError",
           "FitSpec", "FreeParameter", "load_fit_spec"]

#: Default bounds of the free parameters (eV, Å, eV Å^6).
DEFAULT_BOUNDS = {"A": (1.0, 1.0e13), "rho": (0.05, 1.0), "C": (0.0, 5000.0)}
#: Transformed variable per parameter.
VARIABLES = {"A": "ln A", "rho": "rho", "C": "C"}


@dataclass(frozen=True)
class FreeParameter:
    """One fitted parameter: ``name`` (A, rho or C) of the pair ``pair`` (sorted key)."""

    pair: tuple[str, str]
    name: str
    start: float
    lower: float
    upper: float

    @property
    def label(self) -> str:
        return f"{pair_label(self.pair)}.{self.name}"

    @property
    def variable(self) -> str:
        return VARIABLES[self.name]

    def to_x(self, value: float) -> float:
        return math.log(value) if self.name == "A" else float(value)

    def from_x(self, x: float) -> float:
        return math.exp(x) if self.name == "A" else float(x)

    def bounds_x(self) -> tuple[float, float]:
        return self.to_x(self.lower), self.to_x(self.upper)

    def describe(self) -> dict:
        return {"pair": pair_label(self.pair), "parameter": self.name,
                "variable": self.variable, "start": self.start,
                "lower": self.lower, "upper": self.upper}


@dataclass
class FitSpec:
    """A parsed fit file. ``base`` is the force field with the start values."""

    path: Path | None
    name: str
    title: str
    citation: str
    description: str
    template: dict
    base: ForceField
    free: list[FreeParameter]
    targets: list[Target]
    phases: dict[str, Phase]
    initial: dict[str, dict[str, float]]
    optimizer: dict
    failure_penalty: float
    round_digits: int
    output: dict = field(default_factory=dict)
    template_source: str = "inline"

    @property
    def elastic_phases(self) -> set[str]:
        from omm_cx.fitting.targets import ELASTIC_PROPERTIES

        return {t.phase for t in self.targets if t.prop in ELASTIC_PROPERTIES}

    def start_values(self) -> list[float]:
        return [p.start for p in self.free]


def _fail(where: str, key: str, problem: str) -> FitError:
    return key_error(where, key, problem, FitError)


def _template_doc(m: FitInput, where: str) -> tuple[dict, str]:
    """The template parameter file's content and where it came from."""
    if isinstance(m.forcefield, str):
        try:
            path = resolve_forcefield_file(m.forcefield)
        except ForceFieldError as exc:
            raise _fail(where, "forcefield", str(exc)) from None
        return _numbers(load_yaml(path, "force-field file")), str(path)
    return dict(m.forcefield), "inline"


def _with_start_values(m: FitInput, template: dict, where: str) -> dict:
    """The template with the pairs' start values replaced by ``start``."""
    template = dict(template)
    pairs = {str(k): dict(v) for k, v in (template.get("pairs") or {}).items()}
    for label, values in (m.start or {}).items():
        parts = str(label).split("-")
        match = [k for k in pairs if len(parts) == 2 and len(k.split("-")) == 2
                 and pair_key(*k.split("-")) == pair_key(*parts)]
        if not match:
            raise _fail(where, f"start.{label}", f"the force field has no pair {label}")
        pairs[match[0]].update({k: getattr(values, k) for k in values.model_fields_set})
    template["pairs"] = pairs
    return template


def _load_template(doc: dict, where: str) -> ForceField:
    """The template force field, with the ordinary parameter-file checks and messages."""
    if doc.get("functional_form", "buckingham") != "buckingham":
        raise _fail(where, "forcefield", "only buckingham parameter files can be fitted")
    doc = dict(doc)
    doc.setdefault("name", "fit-template")
    doc.setdefault("citation", "fit template")
    doc.pop("provenance", None)
    try:
        return forcefield_from_doc(doc, "template")
    except ForceFieldError as exc:
        raise _fail(where, "forcefield", str(exc)) from None


def _bounds(value, default, where: str, key: str) -> tuple[float, float]:
    if value is True or value is None:
        return default
    if (not isinstance(value, (list, tuple)) or len(value) != 2
            or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)):
        raise _fail(where, key, f"bounds must be [lower, upper] (numbers), got {value!r}")
    lo, hi = float(value[0]), float(value[1])
    if not (math.isfinite(lo) and math.isfinite(hi)) or lo >= hi:
        raise _fail(where, key, f"bounds [{lo}, {hi}] are not finite or not increasing")
    return lo, hi


def _parse_free(m: FitInput, template: dict, where: str) -> list[FreeParameter]:
    if not m.free:
        raise _fail(where, "free", "no free parameters: give 'free' with at least one pair "
                                   "parameter (e.g. free: {Cd-S: [A, rho, C]})")
    pairs = template.get("pairs") or {}
    by_key = {pair_key(*str(label).split("-")): label for label in pairs
              if len(str(label).split("-")) == 2}
    free: list[FreeParameter] = []
    for label, spec in m.free.items():
        pkey = f"free.{label}"
        parts = str(label).split("-")
        if len(parts) != 2 or not all(parts):
            raise _fail(where, pkey, "pair must be written 'X-Y'")
        key = pair_key(*parts)
        if key not in by_key:
            raise _fail(where, pkey, f"the force field has no parameters for {label}; pairs "
                                     f"with parameters: {', '.join(map(str, pairs)) or 'none'}")
        values = pairs[by_key[key]]
        if isinstance(spec, list):
            spec = {n: True for n in spec}
        if not spec:
            raise _fail(where, pkey, "expected a list of parameter names (A, rho, C) or a "
                                     "mapping name -> [lower, upper]")
        for name, b in spec.items():
            if name not in DEFAULT_BOUNDS:
                raise _fail(where, pkey, f"unknown parameter {name!r}; use A, rho or C")
            lo, hi = _bounds(b, DEFAULT_BOUNDS[name], where, f"{pkey}.{name}")
            if name == "A" and lo <= 0:
                raise _fail(where, f"{pkey}.A", "lower bound must be > 0 (A is fitted as ln A)")
            start = values.get(name)
            if not isinstance(start, (int, float)) or isinstance(start, bool) \
                    or not math.isfinite(start):
                raise _fail(where, f"{pkey}.{name}", f"start value {start!r} is not a finite "
                                                     f"number")
            if not lo <= start <= hi:
                raise _fail(where, f"{pkey}.{name}", f"start value {start:g} is outside the "
                                                     f"bounds [{lo:g}, {hi:g}]")
            if any(p.pair == key and p.name == name for p in free):
                raise _fail(where, f"{pkey}.{name}", "given twice")
            free.append(FreeParameter(key, name, float(start), lo, hi))
    return free


def _target(i: int, t: TargetInput, ff: ForceField, where: str) -> Target:
    """One target, checked against the phases and the force field."""
    key = f"targets[{i}]"
    if t.phase not in ALL_PHASES:
        raise _fail(where, f"{key}.phase", f"unknown phase {t.phase!r}; known: "
                                           f"{', '.join(ALL_PHASES)}")
    phase = ALL_PHASES[t.phase]
    missing = [s for s in phase.species.values() if s not in ff.species]
    if missing:
        raise _fail(where, key, f"the force field cannot describe phase {t.phase!r}: it "
                                f"defines no species {', '.join(map(repr, missing))} (it "
                                f"defines {', '.join(sorted(ff.species))})")
    try:
        ff.check_species(phase.species.values())
    except ForceFieldError as exc:
        raise _fail(where, key, f"the force field cannot describe phase {t.phase!r}: "
                                f"{exc}") from None
    prop = t.property
    if prop not in applicable_properties(phase):
        raise _fail(where, f"{key}.property", f"{prop!r} does not apply to {t.phase} "
                    f"({phase.structure.name}); use one of "
                    f"{', '.join(applicable_properties(phase))}")
    value, lo, hi = t.value, t.min, t.max
    if value is None and lo is None and hi is None:
        raise _fail(where, key, "give 'value' or a bound ('min' and/or 'max')")
    if value is not None and (lo is not None or hi is not None):
        raise _fail(where, key, "give 'value' or bounds ('min'/'max'), not both")
    if lo is not None and hi is not None and lo > hi:
        raise _fail(where, key, f"min {lo:g} > max {hi:g}")
    sigma = t.sigma
    if sigma is None:
        try:
            sigma = default_sigma(prop, value, lo, hi)
        except ValueError as exc:
            raise _fail(where, key, str(exc)) from None
    if not t.source:
        raise _fail(where, f"{key}.source", "every target needs its 'source'")
    reference = None
    if prop in ("dE_eV", "P_T_GPa"):
        reference = t.reference or phase.reference
        if prop == "P_T_GPa" and reference == t.phase:
            raise _fail(where, f"{key}.reference", f"P_T_GPa needs the low-pressure phase "
                                                   f"as reference (not {t.phase} itself)")
        if reference not in ALL_PHASES:
            raise _fail(where, f"{key}.reference", f"unknown phase {reference!r}")
        if ALL_PHASES[reference].compound != phase.compound:
            raise _fail(where, f"{key}.reference", f"{reference} is not a phase of "
                                                   f"{phase.compound}")
    return Target(i, t.phase, prop, value, lo, hi, t.weight, sigma, t.source, reference,
                  t.note, t.tag)


def _initial(m: FitInput, phases: dict[str, Phase], where: str) -> dict[str, dict[str, float]]:
    """Starting geometries of the target phases (``initial`` over the phases' own)."""
    given = m.initial or {}
    for name in given:
        if name not in phases:
            raise _fail(where, f"initial.{name}", "no target uses this phase")
    initial: dict[str, dict[str, float]] = {}
    for name, ph in phases.items():
        p = dict(ph.initial_params())
        if name in given:
            for k in given[name].model_fields_set:
                if k not in ph.structure.parameters:
                    raise _fail(where, f"initial.{name}.{k}", f"{ph.structure.name} has no "
                                f"parameter {k}; it has {', '.join(ph.structure.parameters)}")
                p[k] = getattr(given[name], k)
        initial[name] = p
    return initial


_EXP_NUMBER = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)[eE][-+]?\d+$")


def _numbers(doc):
    """Numbers written as text in exponent form ('1e7', '2.0e6' in a dict given from
    Python) are read as numbers (the YAML loader already reads them so)."""
    if isinstance(doc, dict):
        return {k: _numbers(v) for k, v in doc.items()}
    if isinstance(doc, list):
        return [_numbers(v) for v in doc]
    if isinstance(doc, str) and _EXP_NUMBER.match(doc.strip()):
        return float(doc)
    return doc


def load_fit_spec(source: str | os.PathLike | dict, *, where: str | None = None) -> FitSpec:
    """Parse and check a fit file (a path, or its content as a dict).

    The whole file is checked against :class:`~omm_cx.fitting.spec_schema.FitInput`
    first (:class:`~omm_cx.errors.ConfigError`: unknown keys, types, ranges), then
    against the force field and the phases (:class:`~omm_cx.errors.FitError`): targets
    for phases the force field cannot describe (species or pair parameters missing),
    properties that do not apply to a structure, targets without a source, no free
    parameters, start values outside their bounds. Both name the key at fault.
    """
    if isinstance(source, dict):
        doc, path = source, None
        where = where or "fit"
    else:
        path = Path(source)
        doc = load_yaml(path, "fit file")
        where = where or str(path)
    doc = _numbers(doc)
    m = validate_input(FitInput, doc, where)
    if not m.targets:
        raise _fail(where, "targets", "'targets' must be a non-empty list")
    template, template_src = _template_doc(m, where)
    template = _with_start_values(m, template, where)
    base = _load_template(template, where)
    free = _parse_free(m, template, where)
    targets = [_target(i, t, base, where) for i, t in enumerate(m.targets)]
    phases: dict[str, Phase] = {}
    for t in targets:
        phases.setdefault(t.phase, ALL_PHASES[t.phase])
        if t.reference:
            phases.setdefault(t.reference, ALL_PHASES[t.reference])
    optimizer = dict(DEFAULT_OPTIMIZER)
    if m.optimizer is not None:
        optimizer.update(m.optimizer.model_dump())
    output = {} if m.output is None else {k: getattr(m.output, k)
                                          for k in m.output.model_fields_set}
    return FitSpec(path, m.name, m.title, m.citation, m.description, template, base, free,
                   targets, phases, _initial(m, phases, where), optimizer,
                   m.failure_penalty, m.round_digits, output, template_src)
