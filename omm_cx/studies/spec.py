"""Study files (``studies/*.yaml``): the schema (:class:`StudySpec`) and the loader.

A study is the set of runs that reproduces one published figure or table: the paper, the
systems (recipes with overrides, or a ``build_call`` for systems no recipe expresses),
the run matrix (axes -> override paths), the run settings, the analyses, the quantities
aggregated over seeds (mean and s.e.m.), the published values and statements each with
its source and its test, and three scale presets (``tiny``, ``small``, ``paper``).
``docs/studies.md`` describes every key; :func:`load_study` reads a file by name or path
through the strict YAML loader and the one validation layer, so a bad study file is one
line naming the file, the key and the fix (``omm-cx`` exit 2).

Override paths start with the part they change: ``recipe.solution.pairs`` (the system's
recipe), ``config.temperature_K`` (the run config), ``analysis.rdf_max_frames``
(:class:`~omm_cx.analysis.options.AnalysisOptions`), ``params.repeats`` (the arguments of
a ``build_call`` or ``call``). Text values may name matrix values and system ``vars`` in
braces: ``recipe.forcefield: "{ff}+psl-{psl}"``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any, Literal, Optional

from pydantic import Field, PrivateAttr, model_validator

from omm_cx.errors import ConfigError
from omm_cx.io.shipped import find_shipped, shipped_names
from omm_cx.io.validation import InputModel, Positive, Whole, key_error, validate_input
from omm_cx.studies.spec_records import MeasuredInput, spec_hash
from omm_cx.io.yaml_input import load_yaml

SCALES = ("tiny", "small", "paper")
#: The first part of an override path and what it changes.
OVERRIDE_TARGETS = ("recipe", "config", "analysis", "params")
QUANTITY_KINDS = ("summary", "result", "json", "series", "rdf", "result_series")
VERDICT_TESTS = ("value", "order", "equal", "below", "above", "curves_equal", "arrhenius",
                 "monotonic", "linear", "ratio")
#: Reference keys of the papers (docs/references.md).
REFERENCE_KEYS = ("yalcin2014", "pbse-cdse-tomography", "nelson", "casu2023", "fan2016")

Name = Annotated[str, Field(min_length=1, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.+-]*$")]


class PaperInput(InputModel):
    """``paper:`` what the study reproduces and where it is published."""

    reference: str = Field(min_length=1, description="authors, journal, year")
    reproduces: str = Field(min_length=1, description="figure or table, e.g. 'Supplementary Fig. 2'")
    refs: list[Literal[REFERENCE_KEYS]] = Field(  # type: ignore[valid-type]
        min_length=1, description="reference keys of docs/references.md, e.g. [fan2016]")


class SystemInput(InputModel):
    """One system of the study: a ``recipe`` (name or file) or a ``build_call``."""

    recipe: Optional[str] = None
    build_call: Optional[str] = Field(None, description="'module:function' f(out_dir, **params) "
                                      "writing a build folder")
    params: dict[str, Any] = Field(default_factory=dict, description="arguments of build_call")
    overrides: dict[str, Any] = Field(default_factory=dict, description="recipe.* overrides")
    vars: dict[str, Any] = Field(default_factory=dict, description="names for {braces} in "
                                 "override values")
    n_atoms: Optional[Annotated[Whole, Field(ge=1)]] = Field(None, description="atom count "
                                                             "(for the cost) of a build_call")

    @model_validator(mode="after")
    def _one_source(self):
        if (self.recipe is None) == (self.build_call is None):
            raise ValueError("give exactly one of 'recipe' and 'build_call'")
        return self


class AxisInput(InputModel):
    """One axis of the run matrix: scalar ``values`` written to the ``sets`` paths, or
    named ``variants`` (name -> {override path: value})."""

    values: Optional[list[Any]] = None
    sets: list[str] = Field(default_factory=list)
    variants: Optional[dict[str, dict[str, Any]]] = None
    key: Optional[str] = Field(None, description="format of the value in run keys, e.g. 'T{}K'")

    @model_validator(mode="after")
    def _values_or_variants(self):
        if (self.values is None) == (self.variants is None):
            raise ValueError("give exactly one of 'values' (with 'sets') and 'variants'")
        if self.values is not None and not self.values:
            raise ValueError("'values' is empty; give at least one value")
        if self.variants is not None and not self.variants:
            raise ValueError("'variants' is empty; give at least one variant")
        return self

    def names(self) -> list:
        return list(self.values) if self.values is not None else list(self.variants)


class PresetInput(InputModel):
    """``presets.<scale>``: sizes, lengths, seeds and the reason for them."""

    why: str = Field(min_length=1, description="why this size and length show the trend")
    length_ps: Optional[Positive] = None
    seeds: list[Annotated[Whole, Field(ge=0)]] = Field(default_factory=list)
    systems: Optional[list[str]] = None
    axes: dict[str, list[Any]] = Field(default_factory=dict, description="axis -> the values "
                                       "(or variant names) this preset runs")
    overrides: dict[str, Any] = Field(default_factory=dict)
    n_atoms: dict[str, Annotated[Whole, Field(ge=1)]] = Field(
        default_factory=dict, description="system -> atom count (for the cost) of a build_call")
    estimate: Optional[str] = Field(None, description="measured or estimated wall time, with "
                                    "how it was measured")
    measured: Optional[MeasuredInput] = None


class QuantityInput(InputModel):
    """``quantities.<name>``: a number (or series) read from each run, aggregated over seeds.

    ``from``: ``summary:<analysis>.<key>...`` (analysis/summary.json), ``result:<key>...``
    (a call's result.json), ``json:<file.json>:<key>...`` (a JSON file of the analysis),
    ``series:<file.csv>:<x>:<y>`` (a time series), ``rdf:<pair>`` (a g(r) column of
    rdf.csv), ``result_series:<x key>:<y key>`` (two lists of a call's result.json). Text
    in braces is filled in with the run's params. ``error`` (same syntax, a number): the
    run's own error of the value (e.g. the block-average error of D), which weights fits."""

    from_: str = Field(alias="from", min_length=1)
    error: Optional[str] = None
    unit: str = ""
    description: Optional[str] = None

    @model_validator(mode="after")
    def _kind(self):
        kind = self.from_.split(":", 1)[0]
        if kind not in QUANTITY_KINDS or ":" not in self.from_:
            raise ValueError(f"{self.from_!r}: write summary:ANALYSIS.KEY, result:KEY, "
                             f"json:FILE.json:KEY, series:FILE.csv:X:Y, rdf:PAIR or "
                             f"result_series:X:Y")
        if self.error is not None and self.error.split(":", 1)[0] not in ("summary", "result", "json"):
            raise ValueError(f"error {self.error!r}: write summary:..., result:... or json:... "
                             f"(a number per run)")
        return self


class ExcludeRunsInput(InputModel):
    """``claims[].exclude_runs``: leave a run out of an Arrhenius fit when its
    ``quantity`` (a number per run, e.g. the host_order analysis' on-site fraction) is
    below ``below`` or missing; the report lists the runs left out and why."""

    quantity: str
    below: float


class ClaimInput(InputModel):
    """``claims[]``: one published value or statement, in the paper's words (``quote``,
    with the figure/table ``source`` and the ``line`` of the paper's text), and how ours
    is judged (:mod:`omm_cx.studies.verdicts`)."""

    id: Name
    statement: str = Field(min_length=1, description="the claim in our words")
    ref: Optional[Literal[REFERENCE_KEYS]] = Field(  # type: ignore[valid-type]
        None, description="reference key (default: the study's first paper.refs)")
    source: str = Field(min_length=1, description="figure/table/section as the paper labels it")
    line: Optional[Annotated[Whole, Field(ge=1)]] = Field(
        None, description="line of the paper's text where the quote begins")
    quote: Optional[str] = Field(None, min_length=1, description="the paper's own words")
    quantity: str
    other: Optional[str] = Field(None, description="curves_equal: the second quantity, "
                                 "compared within each group")
    test: Literal[VERDICT_TESTS]  # type: ignore[valid-type]
    published: Optional[float] = None
    published_sem: Optional[float] = None
    groups: list[str] = Field(default_factory=list, description="'axis=value' selectors, "
                              "in the published order (order: first largest)")
    x: Optional[str] = Field(None, description="arrhenius: the temperature axis (K)")
    threshold: Optional[float] = None
    tolerance: Optional[Annotated[float, Field(ge=0)]] = Field(
        None, description="from the paper's precision (its printed digits), never from ours")
    direction: Literal["increasing", "decreasing"] = "increasing"
    exclude_runs: Optional[ExcludeRunsInput] = Field(
        None, description="arrhenius: runs left out of the fit (e.g. a host no longer crystalline)")
    testable_from: Literal[SCALES] = "small"  # type: ignore[valid-type]
    needs: Optional[str] = Field(None, description="the condition smaller presets lack")
    reproduced_if: str = Field(min_length=1, description="what makes the verdict 'reproduced'")


class LiveInput(InputModel):
    """``live:`` the live-exchange reporter of each MD run (NC systems; see
    :mod:`omm_cx.analysis.live`): a row of NC counts and rho every ``every_ps`` ps in
    run/live_exchange.csv, and optional stop rules that end a run early as finished."""

    every_ps: Optional[Annotated[float, Field(ge=0)]] = Field(
        10.0, description="ps between rows; 0 or null: off")
    rho_above: Optional[Annotated[float, Field(gt=0, le=1)]] = None
    plateau_ps: Optional[Positive] = None
    plateau_tolerance: Positive = 0.01


class StudySpec(InputModel):
    """A study file (see the module doc and docs/studies.md)."""

    name: Name
    title: str = Field(min_length=1)
    paper: PaperInput
    description: Optional[str] = None
    kind: Literal["md", "call"] = "md"
    deterministic: bool = Field(False, description="the result has no sampling noise "
                                "(statics, a fixed model's pattern): one run is exact")
    systems: dict[str, SystemInput] = Field(default_factory=dict)
    call: Optional[str] = None
    call_params: dict[str, Any] = Field(default_factory=dict)
    matrix: dict[str, AxisInput] = Field(default_factory=dict)
    run: dict[str, Any] = Field(default_factory=dict, description="run config without the "
                                "system source and length")
    analyses: list[str] = Field(default_factory=list)
    analysis_options: dict[str, Any] = Field(default_factory=dict)
    live: LiveInput = Field(default_factory=LiveInput)
    quantities: dict[str, QuantityInput] = Field(default_factory=dict)
    claims: list[ClaimInput] = Field(default_factory=list)
    presets: dict[Literal[SCALES], PresetInput]  # type: ignore[valid-type]
    _origin: str = PrivateAttr("study")
    _sha256: str = PrivateAttr("")

    @property
    def origin(self) -> str:
        """The file read (``study`` for a mapping)."""
        return self._origin

    @property
    def sha256(self) -> str:
        """SHA-256 of the study file's text."""
        return self._sha256

    @property
    def reference(self) -> str:
        return f"{self.paper.reference}, {self.paper.reproduces}"


def _check(spec: StudySpec, where: str) -> None:
    """The checks that relate keys (after the schema)."""
    missing = [s for s in SCALES if s not in spec.presets]
    if missing:
        raise key_error(where, "presets", f"needs the presets tiny, small and paper; "
                                          f"{', '.join(missing)} missing")
    if spec.kind == "md":
        if not spec.systems:
            raise key_error(where, "systems", "an md study needs at least one system")
        if not spec.run or "temperature_K" not in spec.run and not _sets(spec, "config.temperature_K"):
            raise key_error(where, "run.temperature_K", "required key is missing (the run "
                                                         "config's temperature)")
    elif spec.call is None or ":" not in spec.call:
        raise key_error(where, "call", "a call study needs call: 'module:function'")
    for axis_name, axis in spec.matrix.items():
        for p in axis.sets:
            _check_path(where, f"matrix.{axis_name}.sets", p)
        for vname, ov in (axis.variants or {}).items():
            for p in ov:
                _check_path(where, f"matrix.{axis_name}.variants.{vname}", p)
    for scale, preset in spec.presets.items():
        for p in preset.overrides:
            _check_path(where, f"presets.{scale}.overrides", p)
        for a, vals in preset.axes.items():
            if a not in spec.matrix:
                raise key_error(where, f"presets.{scale}.axes.{a}", f"no matrix axis {a!r}; "
                                f"axes: {', '.join(spec.matrix) or 'none'}")
            bad = [v for v in vals if v not in spec.matrix[a].names()]
            if bad:
                raise key_error(where, f"presets.{scale}.axes.{a}", f"{bad[0]!r} is not a "
                                f"value of axis {a!r} ({', '.join(map(str, spec.matrix[a].names()))})")
        for s in preset.systems or []:
            if s not in spec.systems:
                raise key_error(where, f"presets.{scale}.systems", f"unknown system {s!r}; "
                                f"systems: {', '.join(spec.systems)}")
        if spec.kind == "md" and preset.length_ps is None:
            raise key_error(where, f"presets.{scale}.length_ps", "required key is missing "
                                                                  "(the simulated length, ps)")
    for i, c in enumerate(spec.claims):
        if c.quantity not in spec.quantities:
            raise key_error(where, f"claims[{i}].quantity", f"unknown quantity {c.quantity!r}; "
                            f"quantities: {', '.join(spec.quantities) or 'none'}")
        if c.other is not None and c.other not in spec.quantities:
            raise key_error(where, f"claims[{i}].other", f"unknown quantity {c.other!r}; "
                            f"quantities: {', '.join(spec.quantities)}")
        if c.test == "arrhenius" and (c.x is None or c.x not in spec.matrix):
            raise key_error(where, f"claims[{i}].x", f"an arrhenius test needs x: the matrix "
                            f"axis of the temperature ({', '.join(spec.matrix) or 'none'})")
        _check_claim(spec, c, where, f"claims[{i}]")
        for g in c.groups:
            axis, _, value = g.partition("=")
            if axis not in spec.matrix and axis != "system" or not value:
                raise key_error(where, f"claims[{i}].groups", f"{g!r}: write AXIS=VALUE with "
                                f"an axis of the matrix ({', '.join(spec.matrix)}) or system")
            known = list(spec.systems) if axis == "system" else spec.matrix[axis].names()
            if value not in map(str, known):
                raise key_error(where, f"claims[{i}].groups", f"{g!r}: {value!r} is not a "
                                f"value of {axis} ({', '.join(map(str, known))})")


_SERIES_KINDS = ("series", "rdf", "result_series")


def _check_claim(spec: StudySpec, c: ClaimInput, where: str, key: str) -> None:
    """What each test kind needs of a claim."""
    kind = spec.quantities[c.quantity].from_.split(":", 1)[0]
    if c.test == "value" and c.published is None:
        raise key_error(where, f"{key}.published", "a value test needs the published value")
    if c.test in ("above", "below", "ratio") and c.threshold is None:
        raise key_error(where, f"{key}.threshold", f"a {c.test} test needs a threshold")
    if c.test in ("monotonic", "linear", "curves_equal") and kind not in _SERIES_KINDS:
        raise key_error(where, f"{key}.quantity", f"a {c.test} test needs a series quantity "
                        f"({', '.join(k + ':' for k in _SERIES_KINDS)}); {c.quantity!r} is {kind}:")
    if c.test == "linear" and c.tolerance is None:
        raise key_error(where, f"{key}.tolerance", "a linear test needs a tolerance (the "
                        "paper's precision)")
    if c.test == "ratio" and len(c.groups) != 2:
        raise key_error(where, f"{key}.groups", "a ratio test needs two groups: numerator, "
                        "denominator")
    if c.exclude_runs is not None and (c.test != "arrhenius" or
                                       c.exclude_runs.quantity not in spec.quantities):
        raise key_error(where, f"{key}.exclude_runs", "only for an arrhenius test, with a "
                        f"quantity of the study ({', '.join(spec.quantities)})")
    if c.testable_from == "paper" and not c.needs:
        raise key_error(where, f"{key}.needs", "a claim testable only at the paper preset "
                        "says which condition the smaller presets lack (needs: ...)")


def _sets(spec: StudySpec, path: str) -> bool:
    return any(path in a.sets or any(path in ov for ov in (a.variants or {}).values())
               for a in spec.matrix.values())


def _check_path(where: str, key: str, path: str) -> None:
    head = path.split(".", 1)[0]
    if head not in OVERRIDE_TARGETS or "." not in path:
        raise key_error(where, key, f"override path {path!r} must start with one of "
                        f"{', '.join(t + '.' for t in OVERRIDE_TARGETS)}")


# --------------------------------------------------------------------------- files
def available_studies() -> list[str]:
    """Names of the study files shipped in ``studies/``."""
    return shipped_names("studies")


def resolve_study(name_or_path: str | os.PathLike) -> Path:
    """Path of a study given its name (``004-liquid-gr``) or a path to a YAML file."""
    p = Path(name_or_path)
    if p.suffix in (".yaml", ".yml"):
        if not p.is_file():
            raise ConfigError(f"study file {str(p)!r} not found")
        return p
    found = find_shipped("studies", str(p))
    if found is not None:
        return found
    raise ConfigError(f"unknown study {str(name_or_path)!r}; available: "
                      f"{', '.join(available_studies())} (or give a path to a .yaml file)")


def load_study(name_or_path: str | os.PathLike | StudySpec | dict) -> StudySpec:
    """Read and check a study (name, path, mapping or a :class:`StudySpec`).

    Raises :class:`~omm_cx.errors.ConfigError` with one line naming the file and key."""
    if isinstance(name_or_path, StudySpec):
        return name_or_path
    if isinstance(name_or_path, dict):
        doc, where, text = name_or_path, "study", repr(sorted(name_or_path.items()))
    else:
        path = resolve_study(name_or_path)
        doc, where = load_yaml(path, "study file"), str(path)
        text = path.read_text(encoding="utf-8")
    spec = validate_input(StudySpec, doc, where)
    _check(spec, where)
    spec._origin = where
    spec._sha256 = spec_hash(text)
    return spec
