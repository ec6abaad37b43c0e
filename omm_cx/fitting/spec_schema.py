"""The schema of a fit file (see :mod:`omm_cx.fitting.spec` for its layout).

Types, ranges and unknown keys are checked here; what needs the force field or the
phases (pairs that exist, properties that apply to a structure, start values within
their bounds) is checked by :func:`omm_cx.fitting.spec.load_fit_spec`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Optional, Union

from pydantic import Field, field_validator

from omm_cx.fitting.targets import PROPERTIES
from omm_cx.io.validation import InputModel, NonNegative, Positive, Whole

DEFAULT_OPTIMIZER = {"method": "trf", "max_nfev": 400, "ftol": 1e-10, "xtol": 1e-10,
                     "gtol": 1e-10, "diff_step": 1e-4, "x_scale": "jac"}


class PairValues(InputModel):
    """Start values of one pair (eV, Å, eV Å^6), replacing the template's."""

    A: Optional[float] = None
    rho: Optional[float] = None
    C: Optional[float] = None


class TargetInput(InputModel):
    """One target: a value or bounds of a property of a phase, with its source."""

    phase: str = Field(description="a phase of omm_cx.crystals.ALL_PHASES, e.g. CdSe-wurtzite")
    property: Literal[tuple(sorted(PROPERTIES))]  # type: ignore[valid-type]
    value: Optional[float] = None
    min: Optional[float] = None
    max: Optional[float] = None
    weight: NonNegative = 1.0
    sigma: Optional[Positive] = None
    source: str = Field(description="every target needs its 'source'")
    reference: Optional[str] = Field(None, description="the reference phase of dE_eV and "
                                     "P_T_GPa")
    note: str = ""
    tag: str = ""


class InitialParams(InputModel):
    """Starting geometry of a phase (Å; u as a fraction of c)."""

    a: Optional[Positive] = None
    c: Optional[Positive] = None
    u: Optional[Positive] = None


class OptimizerInput(InputModel):
    """Options of scipy.optimize.least_squares."""

    method: Literal["trf", "dogbox"] = "trf"
    max_nfev: Annotated[Whole, Field(ge=1)] = 400
    ftol: Positive = 1e-10
    xtol: Positive = 1e-10
    gtol: Positive = 1e-10
    diff_step: Positive = 1e-4
    x_scale: Any = Field("jac", json_schema_extra={"anyOf": [{"const": "jac"},
                                                             {"type": "number",
                                                              "exclusiveMinimum": 0}]})

    @field_validator("x_scale")
    @classmethod
    def _x_scale(cls, v: Any) -> Any:
        if v != "jac" and not (isinstance(v, (int, float)) and not isinstance(v, bool)
                               and v > 0):
            raise ValueError("use 'jac' or a positive number")
        return v


class OutputInput(InputModel):
    """Copied to the written parameter file."""

    assumptions: Optional[list[str]] = None
    notes: Any = None


#: Free parameters of a pair: a list of names, or name -> [lower, upper] (true/null:
#: default bounds).
FreeSpec = Union[list[str], dict[str, Any]]


class FitInput(InputModel):
    """A fit file as written (see :mod:`omm_cx.fitting.spec`)."""

    name: str = Field(description="name of the force field the fit writes")
    title: str = ""
    citation: str = ""
    description: str = ""
    forcefield: Union[str, dict[str, Any]] = Field(
        description="template: a parameter-file name or path, or the keys of a parameter "
                    "file inline (species, pairs, no_short_range, ...)")
    start: Optional[dict[str, PairValues]] = None
    free: Optional[dict[str, FreeSpec]] = Field(None, description="pair -> [A, rho, C] or "
                                                "pair -> {name: [lower, upper]}")
    initial: Optional[dict[str, InitialParams]] = None
    targets: list[TargetInput] = Field(description="a non-empty list of targets")
    optimizer: Optional[OptimizerInput] = None
    failure_penalty: Positive = 1000.0
    round_digits: Annotated[Whole, Field(ge=3, le=17)] = 6
    output: Optional[OutputInput] = None
