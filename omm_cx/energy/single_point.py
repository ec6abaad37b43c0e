"""Single-point energies and forces of a structure with a force field."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from omm_cx import units
from omm_cx.errors import SimulationError
from omm_cx.forcefield.openmm_forces import (
    TIGHT_EWALD_TOLERANCE,
    CoulombSettings,
    create_system,
    energy_split_kjmol,
)
from omm_cx.forcefield.params import ForceField
from omm_cx.platforms import get_platform
from omm_cx.io.pdb import Structure, check_no_overlaps


@dataclass
class SinglePoint:
    """Energies in eV, forces (N, 3) in eV/Å in input order, and how they were made."""

    total_eV: float
    coulomb_eV: float
    short_range_eV: float
    forces_eV_per_A: np.ndarray
    platform: str
    ewald_error_tolerance: float | None
    n_atoms: int

    def as_dict(self) -> dict:
        """JSON-ready energies (eV and kJ/mol) and settings; forces are not included."""
        kj = units.ev_to_kjmol
        return {
            "total_eV": self.total_eV,
            "coulomb_eV": self.coulomb_eV,
            "short_range_eV": self.short_range_eV,
            "total_kJmol": kj(self.total_eV),
            "coulomb_kJmol": kj(self.coulomb_eV),
            "short_range_kJmol": kj(self.short_range_eV),
            "n_atoms": self.n_atoms,
            "platform": self.platform,
            "ewald_error_tolerance": self.ewald_error_tolerance,
        }


def reference_safe_positions(positions_A: np.ndarray, box_A: np.ndarray | None) -> np.ndarray:
    """Positions (Å) wrapped into a triclinic box as OpenMM wraps (unchanged otherwise).
    OpenMM 8.6.1's Reference platform gets wrong energies and forces for a hexagonal cell
    whose atoms lie outside the reduced box (wurtzite CdSe with cdse-cu-lj: -11.054
    against -11.355 eV/pair on the CPU platform and in lattice statics, and -11.097 after
    wrapping in fractional coordinates); wrapping them OpenMM's way first fixes it.
    Energies and forces do not depend on the image an atom is given."""
    from omm_cx.periodic import is_orthorhombic, wrap_reduced

    if box_A is None or is_orthorhombic(box_A):
        return np.asarray(positions_A, float)
    return wrap_reduced(positions_A, box_A)


def single_point(
    ff: ForceField,
    structure: Structure,
    *,
    platform: str | None = "Reference",
    precision: str | None = None,
    coulomb: CoulombSettings = CoulombSettings(ewald_error_tolerance=TIGHT_EWALD_TOLERANCE),
    dispersion_correction: bool = False,
    guard: bool = True,
    check_overlaps: bool = True,
) -> SinglePoint:
    """Energy and forces of ``structure``.

    Defaults to the Reference platform (double precision) and a tight Ewald tolerance
    (1e-6): single points are cheap. Raises :class:`SimulationError` on non-finite results.
    """
    import openmm as mm

    if check_overlaps:
        check_no_overlaps(structure)
    system = create_system(ff, structure.species, structure.box_A, coulomb=coulomb,
                           dispersion_correction=dispersion_correction, guard=guard)
    plat, props = get_platform(platform, precision)
    integrator = mm.VerletIntegrator(0.001)
    context = mm.Context(system, integrator, plat, props)
    if structure.box_A is not None:
        h = units.angstrom_to_nm(structure.box_A)
        context.setPeriodicBoxVectors(*(mm.Vec3(*row) for row in h))
    context.setPositions(units.angstrom_to_nm(reference_safe_positions(structure.positions_A,
                                                                      structure.box_A)))

    coul, sr = (units.kjmol_to_ev(e) for e in energy_split_kjmol(context))
    state = context.getState(getForces=True)
    forces = units.force_kjmol_nm_to_ev_angstrom(
        state.getForces(asNumpy=True).value_in_unit(mm.unit.kilojoule_per_mole / mm.unit.nanometer)
    )
    forces = np.asarray(forces, dtype=float)
    total = coul + sr
    if not (np.isfinite(total) and np.all(np.isfinite(forces))):
        bad = np.nonzero(~np.isfinite(forces).all(axis=1))[0]
        where = f"; first non-finite force on atom {bad[0] + 1} ({structure.species[bad[0]]})" if len(bad) else ""
        raise SimulationError(
            f"non-finite energy or forces (total {total} eV){where}; check for overlapping "
            f"atoms or a box that does not match the coordinates"
        )
    return SinglePoint(total, coul, sr, forces, plat.getName(),
                       coulomb.ewald_error_tolerance if structure.box_A is not None else None,
                       len(structure.species))
