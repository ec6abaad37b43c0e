"""Fit targets: one property of one relaxed crystal phase, its value (or bounds), weight,
scale and source.

A target's residual, the quantity the fit squares and sums, is

    r = weight * (calc - value) / sigma                    (value targets)
    r = weight * max(0, min - calc, calc - max) / sigma    (bound targets: min and/or max)

``sigma`` is the deviation that counts as one unit. Defaults (:data:`DEFAULT_SIGMA`):
1 % of the value for lattice constants, 0.005 for u, 10 % for bulk moduli and elastic
constants, 0.025 eV per formula unit for energies. Properties (:data:`PROPERTIES`) are
those of :func:`omm_cx.lattice_statics.phase_properties`: ``a_A``, ``c_A``, ``u`` (Å,
fractional), ``B_GPa`` (Reuss), ``c11_GPa`` ... ``c66_GPa`` (relaxed-ion), ``E_latt_eV``
and ``dE_eV`` (eV per formula unit; ``dE`` relative to ``reference``, by default the
compound's reference phase, e.g. wurtzite for CdSe), and ``P_T_GPa``, the 0 K transition
pressure from ``reference`` (low-pressure phase) to the target's phase (equal enthalpy;
the estimate -dE/dV from the zero-pressure structures refined by one Newton step with
both phases relaxed at that pressure).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from omm_cx.crystals import Phase

#: Elastic-constant properties (GPa) per crystal system.
CIJ_PROPERTIES = {
    "cubic": ("c11_GPa", "c12_GPa", "c44_GPa"),
    "hexagonal": ("c11_GPa", "c12_GPa", "c13_GPa", "c33_GPa", "c44_GPa", "c66_GPa"),
}
#: Every property a target may name, with its unit.
PROPERTIES = {
    "a_A": "Å", "c_A": "Å", "u": "", "B_GPa": "GPa",
    "c11_GPa": "GPa", "c12_GPa": "GPa", "c13_GPa": "GPa", "c33_GPa": "GPa",
    "c44_GPa": "GPa", "c66_GPa": "GPa", "E_latt_eV": "eV/f.u.", "dE_eV": "eV/f.u.",
    "P_T_GPa": "GPa",
}
#: Relative default sigma (fraction of |value|) or absolute (key "abs").
DEFAULT_SIGMA = {
    "a_A": ("rel", 0.01), "c_A": ("rel", 0.01), "u": ("abs", 0.005),
    "B_GPa": ("rel", 0.10), "E_latt_eV": ("abs", 0.025), "dE_eV": ("abs", 0.025),
    "P_T_GPa": ("rel", 0.10),
    **{k: ("rel", 0.10) for k in CIJ_PROPERTIES["hexagonal"]},
}
#: Properties that need elastic constants.
ELASTIC_PROPERTIES = frozenset({"B_GPa", *CIJ_PROPERTIES["hexagonal"]})


def applicable_properties(phase: Phase) -> tuple[str, ...]:
    """Properties a target may ask of ``phase`` (by its structure's free parameters and
    crystal system)."""
    names = {"a": "a_A", "c": "c_A", "u": "u"}
    params = tuple(names[p] for p in phase.structure.parameters)
    return (params + ("B_GPa",) + CIJ_PROPERTIES[phase.structure.system]
            + ("E_latt_eV", "dE_eV", "P_T_GPa"))


@dataclass(frozen=True)
class Target:
    """One fit target. ``value`` or at least one of ``minimum``/``maximum`` is set."""

    index: int
    phase: str
    prop: str
    value: float | None
    minimum: float | None
    maximum: float | None
    weight: float
    sigma: float
    source: str
    reference: str | None = None
    note: str = ""
    tag: str = ""

    def source_tag(self) -> str:
        """Short label of the source for tables (``tag``, else the source's start)."""
        if self.tag:
            return self.tag
        return self.source if len(self.source) <= 24 else self.source[:23] + "…"

    @property
    def label(self) -> str:
        ref = (f" vs {self.reference}" if self.prop == "dE_eV" and self.reference else
               f" from {self.reference}" if self.prop == "P_T_GPa" else "")
        return f"{self.phase} {self.prop}{ref}"

    @property
    def is_bound(self) -> bool:
        return self.value is None

    @property
    def is_relative(self) -> bool:
        """Deviations reported in % (lattice constants, moduli) rather than absolute."""
        return self.prop not in ("u", "E_latt_eV", "dE_eV") and not self.is_bound

    def residual(self, calc: float) -> float:
        """Weighted, scaled residual of a computed value (see the module docstring)."""
        if self.value is not None:
            return self.weight * (calc - self.value) / self.sigma
        excess = 0.0
        if self.minimum is not None and calc < self.minimum:
            excess = self.minimum - calc
        if self.maximum is not None and calc > self.maximum:
            excess = calc - self.maximum
        return self.weight * excess / self.sigma

    def deviation(self, calc: float | None) -> float | None:
        """calc - value (absolute), in % of value for relative properties; for bound
        targets the violation of the bound (0 when satisfied)."""
        if calc is None:
            return None
        if self.is_bound:
            return self.residual(calc) * self.sigma / self.weight if self.weight else 0.0
        d = calc - self.value
        return 100.0 * d / self.value if self.is_relative else d

    def target_text(self) -> str:
        """The target as printed: '4.30', '>= 0.1', '[-0.02, 0.02]'."""
        if self.value is not None:
            return f"{self.value:g}"
        if self.minimum is not None and self.maximum is not None:
            return f"[{self.minimum:g}, {self.maximum:g}]"
        return f">= {self.minimum:g}" if self.minimum is not None else f"<= {self.maximum:g}"

    def describe(self) -> dict:
        """JSON/YAML-ready record of the target."""
        out = {"phase": self.phase, "property": self.prop}
        if self.prop in ("dE_eV", "P_T_GPa"):
            out["reference"] = self.reference
        if self.value is not None:
            out["value"] = self.value
        if self.minimum is not None:
            out["min"] = self.minimum
        if self.maximum is not None:
            out["max"] = self.maximum
        out.update(weight=self.weight, sigma=self.sigma, source=self.source)
        if self.tag:
            out["tag"] = self.tag
        if self.note:
            out["note"] = self.note
        return out


def default_sigma(prop: str, value: float | None, minimum: float | None,
                  maximum: float | None) -> float:
    """The default sigma of a property (see :data:`DEFAULT_SIGMA`)."""
    kind, s = DEFAULT_SIGMA[prop]
    if kind == "abs":
        return s
    ref = value if value is not None else (minimum if minimum is not None else maximum)
    if not ref:
        raise ValueError(f"{prop}: a relative default sigma needs a non-zero value; give sigma")
    return s * abs(ref)


def finite(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)
