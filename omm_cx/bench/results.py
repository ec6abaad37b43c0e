"""One timed engine configuration (:class:`EngineResult`) and the force-error measure every
benchmark uses (RMS over atoms of the force difference, eV/Å)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from omm_cx import units


@dataclass
class EngineResult:
    engine: str
    platform: str
    precision: str
    particles: int
    threads: int
    setting: str
    rms_force_error_eV_per_A: float
    ms_per_step: float
    ns_per_day: float
    device: str = ""
    #: ms per MD step by part (LAMMPS: pair, kspace, neigh, comm, modify, other); {}: not measured
    split: dict = field(default_factory=dict)


def _rms(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.sum((a - b) ** 2, axis=1))))


def _openmm_forces(system, positions_A, platform, props) -> np.ndarray:
    import openmm as mm
    import openmm.unit as u

    ctx = mm.Context(system, mm.VerletIntegrator(0.001), platform, props)
    ctx.setPositions(units.angstrom_to_nm(positions_A))
    forces = ctx.getState(getForces=True).getForces(asNumpy=True)
    f = forces.value_in_unit(u.kilojoule_per_mole / u.nanometer)
    return units.force_kjmol_nm_to_ev_angstrom(np.asarray(f))


__all__ = ["EngineResult"]
