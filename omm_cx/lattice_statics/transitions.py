"""Pressure-induced phase transitions: where two phases have equal enthalpy (0 K)."""

from __future__ import annotations

from scipy.optimize import brentq

from omm_cx.crystals import Phase
from omm_cx.forcefield.params import ForceField
from omm_cx.lattice_statics.relax import relax_phase


def enthalpy_difference(ff: ForceField, low: Phase, high: Phase, pressure_GPa: float) -> float:
    """H(high) - H(low) in eV per formula unit at ``pressure_GPa`` (both relaxed)."""
    return (relax_phase(ff, high, pressure_GPa=pressure_GPa).enthalpy_eV
            - relax_phase(ff, low, pressure_GPa=pressure_GPa).enthalpy_eV)


def transition_pressure(ff: ForceField, low: Phase, high: Phase, *, step_GPa: float = 2.0,
                        max_GPa: float = 100.0) -> float:
    """Transition pressure (GPa) from phase ``low`` (stable at 0 GPa) to phase ``high``:
    the pressure where their enthalpies per formula unit are equal, at 0 K, from the
    lattice statics (as GULP's fits report P_T). Raises ValueError if none is found up to
    ``max_GPa``."""
    p_lo, d_lo = 0.0, enthalpy_difference(ff, low, high, 0.0)
    if d_lo <= 0.0:
        raise ValueError(f"{high.name} is not above {low.name} at 0 GPa")
    p = step_GPa
    while p <= max_GPa:
        d = enthalpy_difference(ff, low, high, p)
        if d < 0.0:
            return brentq(lambda x: enthalpy_difference(ff, low, high, x), p_lo, p,
                          xtol=1e-6)
        p_lo = p
        p += step_GPa
    raise ValueError(f"no transition {low.name} -> {high.name} below {max_GPa} GPa")
