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
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from omm_cx.io.yaml_input import ConfigError, Section, load_yaml
from omm_cx.crystals import ALL_PHASES, Phase
from omm_cx.errors import ForceFieldError, OmmCxError
from omm_cx.fitting.targets import (
    PROPERTIES,
    Target,
    applicable_properties,
    default_sigma,
)
from omm_cx.forcefield.params import (
    ForceField,
    load_forcefield,
    pair_key,
    pair_label,
    resolve_forcefield_file,
)


class FitError(OmmCxError, ValueError):
    """A fit cannot be set up or has failed; the message names the target, parameter or
    file at fault."""


#: Default bounds of the free parameters (eV, Å, eV Å^6).
DEFAULT_BOUNDS = {"A": (1.0, 1.0e13), "rho": (0.05, 1.0), "C": (0.0, 5000.0)}
#: Transformed variable per parameter.
VARIABLES = {"A": "ln A", "rho": "rho", "C": "C"}
DEFAULT_OPTIMIZER = {"method": "trf", "max_nfev": 400, "ftol": 1e-10, "xtol": 1e-10,
                     "gtol": 1e-10, "diff_step": 1e-4, "x_scale": "jac"}
_OPTIMIZER_KEYS = set(DEFAULT_OPTIMIZER)


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


def _template_doc(sec: Section) -> tuple[dict, str]:
    raw = sec.raw("forcefield")
    if isinstance(raw, str):
        try:
            path = resolve_forcefield_file(raw)
        except ForceFieldError as exc:
            raise FitError(f"{sec.where}.forcefield: {exc}") from None
        with open(path, encoding="utf-8") as fh:
            doc = yaml.safe_load(fh)
        return _numbers(dict(doc)), str(path)
    if not isinstance(raw, dict):
        raise FitError(f"{sec.where}.forcefield: expected a parameter-file name or a mapping "
                       f"with its keys (species, pairs, ...), got {raw!r}")
    return dict(raw), "inline"


def _load_template(doc: dict, where: str) -> ForceField:
    """Load a parameter-file document with the ordinary loader (its checks and messages)."""
    doc = dict(doc)
    doc.setdefault("name", "fit-template")
    doc.setdefault("citation", "fit template")
    doc.pop("provenance", None)
    with tempfile.TemporaryDirectory(prefix="omm_cx_fit_") as tmp:
        p = Path(tmp) / "template.yaml"
        p.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
        try:
            return load_forcefield(str(p))
        except ForceFieldError as exc:
            raise FitError(f"{where}.forcefield: {str(exc).replace(str(p), 'template')}") from None


def _bounds(value, default, where: str) -> tuple[float, float]:
    if value is True or value is None:
        return default
    if (not isinstance(value, (list, tuple)) or len(value) != 2
            or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)):
        raise FitError(f"{where}: bounds must be [lower, upper] (numbers), got {value!r}")
    lo, hi = float(value[0]), float(value[1])
    if not (math.isfinite(lo) and math.isfinite(hi)) or lo >= hi:
        raise FitError(f"{where}: bounds [{lo}, {hi}] are not finite or not increasing")
    return lo, hi


def _parse_free(sec: Section, doc: dict, where: str) -> list[FreeParameter]:
    raw = sec.raw("free", None)
    if not raw:
        raise FitError(f"{where}: no free parameters: give 'free' with at least one pair "
                       f"parameter (e.g. free: {{Cd-S: [A, rho, C]}})")
    if not isinstance(raw, dict):
        raise FitError(f"{where}.free: expected a mapping pair -> [A, rho, C]")
    pairs = doc.get("pairs") or {}
    by_key = {}
    for label in pairs:
        parts = str(label).split("-")
        if len(parts) == 2:
            by_key[pair_key(*parts)] = label
    free: list[FreeParameter] = []
    for label, spec in raw.items():
        pwhere = f"{where}.free.{label}"
        parts = str(label).split("-")
        if len(parts) != 2 or not all(parts):
            raise FitError(f"{pwhere}: pair must be written 'X-Y'")
        key = pair_key(*parts)
        if key not in by_key:
            raise FitError(f"{pwhere}: the force field has no parameters for {label}; "
                           f"pairs with parameters: {', '.join(map(str, pairs)) or 'none'}")
        values = pairs[by_key[key]]
        if isinstance(spec, (list, tuple)):
            spec = {n: True for n in spec}
        if not isinstance(spec, dict) or not spec:
            raise FitError(f"{pwhere}: expected a list of parameter names (A, rho, C) or a "
                           f"mapping name -> [lower, upper]")
        for name, b in spec.items():
            if name not in DEFAULT_BOUNDS:
                raise FitError(f"{pwhere}: unknown parameter {name!r}; use A, rho or C")
            lo, hi = _bounds(b, DEFAULT_BOUNDS[name], f"{pwhere}.{name}")
            if name == "A" and lo <= 0:
                raise FitError(f"{pwhere}.A: lower bound must be > 0 (A is fitted as ln A)")
            start = values.get(name)
            if not isinstance(start, (int, float)) or isinstance(start, bool) \
                    or not math.isfinite(start):
                raise FitError(f"{pwhere}.{name}: start value {start!r} is not a finite number")
            if not lo <= start <= hi:
                raise FitError(f"{pwhere}.{name}: start value {start:g} is outside the bounds "
                               f"[{lo:g}, {hi:g}]")
            if any(p.pair == key and p.name == name for p in free):
                raise FitError(f"{pwhere}.{name}: given twice")
            free.append(FreeParameter(key, name, float(start), lo, hi))
    if not free:
        raise FitError(f"{where}: no free parameters")
    return free


def _parse_targets(sec: Section, ff: ForceField, where: str) -> list[Target]:
    raw = sec.raw("targets", None)
    if not raw or not isinstance(raw, list):
        raise FitError(f"{where}: 'targets' must be a non-empty list")
    targets = []
    for i, tdoc in enumerate(raw):
        t = Section(tdoc, f"{where}.targets[{i}]")
        phase_name = t.string("phase")
        if phase_name not in ALL_PHASES:
            raise FitError(f"{t.where}.phase: unknown phase {phase_name!r}; known: "
                           f"{', '.join(ALL_PHASES)}")
        phase = ALL_PHASES[phase_name]
        missing = [s for s in phase.species.values() if s not in ff.species]
        if missing:
            raise FitError(
                f"{t.where}: the force field cannot describe phase {phase_name!r}: it defines "
                f"no species {', '.join(map(repr, missing))} (it defines "
                f"{', '.join(sorted(ff.species))})")
        try:
            ff.check_species(phase.species.values())
        except ForceFieldError as exc:
            raise FitError(f"{t.where}: the force field cannot describe phase "
                           f"{phase_name!r}: {exc}") from None
        prop = t.string("property", choices=sorted(PROPERTIES))
        if prop not in applicable_properties(phase):
            raise FitError(f"{t.where}.property: {prop!r} does not apply to {phase_name} "
                           f"({phase.structure.name}); use one of "
                           f"{', '.join(applicable_properties(phase))}")
        value = t.number("value", None)
        lo, hi = t.number("min", None), t.number("max", None)
        if value is None and lo is None and hi is None:
            raise FitError(f"{t.where}: give 'value' or a bound ('min' and/or 'max')")
        if value is not None and (lo is not None or hi is not None):
            raise FitError(f"{t.where}: give 'value' or bounds ('min'/'max'), not both")
        if lo is not None and hi is not None and lo > hi:
            raise FitError(f"{t.where}: min {lo:g} > max {hi:g}")
        weight = t.number("weight", 1.0, minimum=0)
        sigma = t.number("sigma", None, minimum=0, strict=True)
        if sigma is None:
            try:
                sigma = default_sigma(prop, value, lo, hi)
            except ValueError as exc:
                raise FitError(f"{t.where}: {exc}") from None
        source = t.string("source", None)
        if not source:
            raise FitError(f"{t.where}: every target needs its 'source'")
        reference = None
        if prop in ("dE_eV", "P_T_GPa"):
            reference = t.string("reference", phase.reference)
            if prop == "P_T_GPa" and reference == phase_name:
                raise FitError(f"{t.where}.reference: P_T_GPa needs the low-pressure phase "
                               f"as reference (not {phase_name} itself)")
            if reference not in ALL_PHASES:
                raise FitError(f"{t.where}.reference: unknown phase {reference!r}")
            if ALL_PHASES[reference].compound != phase.compound:
                raise FitError(f"{t.where}.reference: {reference} is not a phase of "
                               f"{phase.compound}")
        note = t.string("note", "")
        tag = t.string("tag", "")
        t.finish()
        targets.append(Target(i, phase_name, prop, value, lo, hi, weight, sigma, source,
                              reference, note, tag))
    return targets


_EXP_NUMBER = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)[eE][-+]?\d+$")


def _numbers(doc):
    """Numbers in exponent form without a dot or sign ('1e7', '1.0e7') are strings to
    PyYAML (YAML 1.1); read them as numbers."""
    if isinstance(doc, dict):
        return {k: _numbers(v) for k, v in doc.items()}
    if isinstance(doc, list):
        return [_numbers(v) for v in doc]
    if isinstance(doc, str) and _EXP_NUMBER.match(doc.strip()):
        return float(doc)
    return doc


def load_fit_spec(source: str | os.PathLike | dict, *, where: str | None = None) -> FitSpec:
    """Parse and check a fit file (a path, or its content as a dict).

    Raises :class:`FitError` (or :class:`~omm_cx.io.yaml_input.ConfigError`) naming the
    key at fault: unknown keys, targets for phases the force field cannot describe
    (species or pair parameters missing), properties that do not apply to a structure,
    targets without a source, no free parameters, start values outside their bounds.
    """
    if isinstance(source, dict):
        doc, path = source, None
        where = where or "fit"
    else:
        path = Path(source)
        doc = load_yaml(path, "fit file")
        where = where or str(path)
    doc = _numbers(doc)
    sec = Section(doc, where)
    name = sec.string("name")
    title = sec.string("title", "")
    citation = sec.string("citation", "")
    description = sec.string("description", "")
    template, template_src = _template_doc(sec)
    start = sec.raw("start", None) or {}
    if not isinstance(start, dict):
        raise FitError(f"{where}.start: expected a mapping pair -> {{A, rho, C}}")
    template = dict(template)
    pairs = {str(k): dict(v) for k, v in (template.get("pairs") or {}).items()}
    for label, values in start.items():
        parts = str(label).split("-")
        match = [k for k in pairs if len(parts) == 2 and len(k.split("-")) == 2
                 and pair_key(*k.split("-")) == pair_key(*parts)]
        if not match:
            raise FitError(f"{where}.start.{label}: the force field has no pair {label}")
        if not isinstance(values, dict) or not set(values) <= {"A", "rho", "C"}:
            raise FitError(f"{where}.start.{label}: expected {{A, rho, C}} values")
        pairs[match[0]].update(values)
    template["pairs"] = pairs
    if template.get("functional_form", "buckingham") != "buckingham":
        raise FitError(f"{where}.forcefield: only buckingham parameter files can be fitted")
    base = _load_template(template, where)
    free = _parse_free(sec, template, where)
    targets = _parse_targets(sec, base, where)
    phases: dict[str, Phase] = {}
    for t in targets:
        phases.setdefault(t.phase, ALL_PHASES[t.phase])
        if t.reference:
            phases.setdefault(t.reference, ALL_PHASES[t.reference])
    initial_raw = sec.raw("initial", None) or {}
    if not isinstance(initial_raw, dict):
        raise FitError(f"{where}.initial: expected a mapping phase -> {{a, c, u}}")
    initial: dict[str, dict[str, float]] = {}
    for name_ph, ph in phases.items():
        p = dict(ph.initial_params())
        if name_ph in initial_raw:
            s = Section(initial_raw[name_ph], f"{where}.initial.{name_ph}")
            for k in ph.structure.parameters:
                if s.has(k):
                    p[k] = s.number(k, minimum=0, strict=True)
            s.finish()
        initial[name_ph] = p
    for name_ph in initial_raw:
        if name_ph not in phases:
            raise FitError(f"{where}.initial.{name_ph}: no target uses this phase")
    opt = Section(sec.raw("optimizer", None) or {}, f"{where}.optimizer")
    optimizer = dict(DEFAULT_OPTIMIZER)
    optimizer["method"] = opt.string("method", "trf", choices=("trf", "dogbox"))
    optimizer["max_nfev"] = opt.number("max_nfev", DEFAULT_OPTIMIZER["max_nfev"], minimum=1,
                                       integer=True)
    for k in ("ftol", "xtol", "gtol", "diff_step"):
        optimizer[k] = opt.number(k, DEFAULT_OPTIMIZER[k], minimum=0, strict=True)
    xs = opt.raw("x_scale", "jac")
    if xs != "jac" and not (isinstance(xs, (int, float)) and not isinstance(xs, bool) and xs > 0):
        raise ConfigError(f"{opt.where}.x_scale: use 'jac' or a positive number")
    optimizer["x_scale"] = xs
    opt.finish()
    penalty = sec.number("failure_penalty", 1000.0, minimum=0, strict=True)
    digits = sec.number("round_digits", 6, minimum=3, maximum=17, integer=True)
    output = sec.raw("output", None) or {}
    if not isinstance(output, dict) or not set(output) <= {"assumptions", "notes"}:
        raise FitError(f"{where}.output: only 'assumptions' (list) and 'notes' (text) are "
                       f"copied to the output file")
    sec.finish()
    return FitSpec(path, name, title, citation, description, template, base, free,
                   targets, phases, initial, optimizer, penalty, digits, dict(output),
                   template_src)
