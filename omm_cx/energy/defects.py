"""Relaxed formation energies of point defects in bulk supercells.

    E_f = E(defect cell, relaxed) - E(perfect cell) - sum_i dn_i mu_i

with ``dn_i`` the change in the number of atoms of species i (+1 added, -1 removed) and
``mu_i`` its chemical potential (eV). The default reservoir is the isolated ion in vacuum
(``mu_i = 0``: a lone ion has zero energy in a pair-potential model); other references
(e.g. the bulk energy per formula unit of a phase) are passed explicitly and recorded.
Both cells keep the box of the ideal crystal at the given lattice parameters (relax them
first, e.g. :func:`omm_cx.lattice_statics.relax_structure`) and relax their atom
positions (OpenMM's L-BFGS minimizer).

Charged cells (a vacancy or interstitial of an ion) are computed with the uniform
neutralising background that Ewald/PME sums imply; no finite-size correction is applied,
so E_f of a charged defect converges slowly with the cell size (compare several
``repeats``). The policy is recorded in the result.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np

from omm_cx import units
from omm_cx.errors import SimulationError
from omm_cx.forcefield.openmm_forces import CoulombSettings, create_system
from omm_cx.forcefield.params import ForceField
from omm_cx.platforms import get_platform
from omm_cx.crystals import CrystalStructure
from omm_cx.systems.defects import Defect, DefectCell, defect_supercell

#: What a charged defect cell means here (recorded with every result).
BACKGROUND_POLICY = ("uniform neutralising background (Ewald/PME with net charge), no "
                     "finite-size correction")


@dataclass
class DefectFormation:
    """A defect formation energy: ``E_f_eV`` and its parts (eV), the chemical
    potentials used, the cell, and how it was computed (``record``)."""

    E_f_eV: float
    E_defect_eV: float
    E_perfect_eV: float
    chemical_potentials_eV: dict[str, float]
    net_charge_e: float
    n_atoms: int
    max_displacement_A: float
    cell: DefectCell
    record: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"E_f_eV": self.E_f_eV, "E_defect_eV": self.E_defect_eV,
                "E_perfect_eV": self.E_perfect_eV,
                "chemical_potentials_eV": dict(self.chemical_potentials_eV),
                "net_charge_e": self.net_charge_e, "n_atoms": self.n_atoms,
                "max_displacement_A": self.max_displacement_A, **self.record}


def relaxed_energy_eV(ff: ForceField, species: Sequence[str], positions_A: np.ndarray,
                      box_A: np.ndarray, *, relax: bool = True, platform: str | None = "CPU",
                      ewald_tolerance: float = 1e-6, tolerance_kjmol_nm: float = 1e-3,
                      max_iterations: int = 0) -> tuple[float, np.ndarray]:
    """Potential energy (eV) of a periodic cell after minimizing the atom positions at
    fixed box (``relax=False``: as given), and the final positions (N, 3) in Å."""
    import openmm as mm

    system = create_system(ff, list(species), np.asarray(box_A, float),
                           coulomb=CoulombSettings(ewald_error_tolerance=ewald_tolerance),
                           allow_net_charge=True)
    plat, props = get_platform(platform, None)
    ctx = mm.Context(system, mm.VerletIntegrator(0.001), plat, props)
    ctx.setPositions(units.angstrom_to_nm(np.asarray(positions_A, float)))
    if relax:
        mm.LocalEnergyMinimizer.minimize(ctx, tolerance_kjmol_nm, max_iterations)
    state = ctx.getState(getEnergy=True, getPositions=True)
    e = units.kjmol_to_ev(state.getPotentialEnergy().value_in_unit(mm.unit.kilojoule_per_mole))
    if not np.isfinite(e):
        raise SimulationError(f"non-finite energy of the {len(species)}-atom cell; check the "
                              f"defect position and the force field")
    pos = units.nm_to_angstrom(state.getPositions(asNumpy=True).value_in_unit(mm.unit.nanometer))
    return float(e), np.asarray(pos, float)


def formation_energy(ff: ForceField, structure: CrystalStructure, species: Mapping[str, str],
                     params: Mapping[str, float], repeats: Sequence[int], defect: Defect, *,
                     chemical_potentials_eV: Mapping[str, float] | None = None,
                     platform: str | None = "CPU", **relax_kw) -> DefectFormation:
    """Relaxed formation energy of ``defect`` in a ``repeats`` supercell of ``structure``
    (``species`` role -> name, ``params`` a, c in Å and u). ``chemical_potentials_eV``:
    species -> mu in eV for every species added or removed (default 0: the isolated ion)."""
    cell = defect_supercell(structure, species, params, repeats, defect)
    mu = {s: 0.0 for s in defect.changes()}
    mu.update({k: float(v) for k, v in (chemical_potentials_eV or {}).items() if k in mu})
    e_perfect, _ = relaxed_energy_eV(ff, cell.perfect_species, cell.perfect_positions_A, cell.box_A,
                                     platform=platform, **relax_kw)
    e_defect, relaxed = relaxed_energy_eV(ff, cell.species, cell.positions_A, cell.box_A,
                                          platform=platform, **relax_kw)
    d = relaxed - cell.positions_A
    d -= np.round(d @ np.linalg.inv(cell.box_A)) @ cell.box_A  # minimum image
    e_f = e_defect - e_perfect - sum(n * mu[s] for s, n in defect.changes().items())
    q = sum(ff.charge(s) * n for s, n in defect.changes().items())
    reservoir = ("isolated ions in vacuum (mu = 0)" if chemical_potentials_eV is None
                 else "given chemical potentials")
    record = {**cell.record, "forcefield": ff.name, "reservoir": reservoir,
              "background": BACKGROUND_POLICY if abs(q) > 1e-9 else "neutral cell",
              "perfect_cell": "the same supercell without the defect, positions relaxed at the "
                              "same box"}
    return DefectFormation(float(e_f), e_defect, e_perfect, mu, float(q), len(cell.species),
                           float(np.max(np.linalg.norm(d, axis=1))), cell, record)
