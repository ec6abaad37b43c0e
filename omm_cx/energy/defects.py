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


#: Published defect formation energies that belong to a force field (by parameter-file
#: name): (defect, crystal phase name in LJ003_PHASES/ALL_PHASES, published FF value eV,
#: published DFT value eV, source). 003 does not state its chemical potentials.
DEFECT_REFERENCES: dict[str, list[tuple[str, str, float, float, str]]] = {
    "cdse-cu-lj": [
        ("vacancy:Cd", "CdSe-wurtzite", 5.3, 4.9, "003 Table 5"),
        ("interstitial:Cu@octahedral", "CdSe-wurtzite", 1.0, 0.4, "003 Table 5"),
    ],
}


def validate_defects(ff: ForceField, repeats: Sequence[int] = (7, 7, 4),
                     platform: str | None = "CPU") -> list[dict]:
    """The published defect formation energies of ``ff``'s own references
    (:data:`DEFECT_REFERENCES`) beside ours: relaxed lattice parameters of the phase, a
    ``repeats`` supercell, the isolated ion as reservoir (mu = 0; stated in each row).
    An empty list when no defect references belong to ``ff``."""
    from pathlib import Path

    from omm_cx.crystals import LJ003_PHASES, REFERENCE_SETS, get_phase
    from omm_cx.lattice_statics.relax import relax_phase
    from omm_cx.systems.defects import parse_defect

    name = next((Path(f).stem for f in ff.files if Path(f).stem in DEFECT_REFERENCES), None)
    rows, relaxed = [], {}
    for text, phase_name, ff_value, dft_value, source in DEFECT_REFERENCES.get(name or "", []):
        own = REFERENCE_SETS.get(name, {})
        phase = own.get(phase_name) or LJ003_PHASES.get(phase_name) or get_phase(phase_name)
        if phase_name not in relaxed:  # one relaxation per phase
            relaxed[phase_name] = relax_phase(ff, phase).params
        params = relaxed[phase_name]
        f = formation_energy(ff, phase.structure, dict(phase.species), params, repeats,
                             parse_defect(text), platform=platform)
        rows.append({"defect": text, "phase": phase_name, "E_f_eV": f.E_f_eV,
                     "published_eV": ff_value, "published_dft_eV": dft_value,
                     "deviation_eV": f.E_f_eV - ff_value, "source": source,
                     "reservoir": f.record["reservoir"], "background": f.record["background"],
                     "n_atoms": f.n_atoms, "n_host_atoms": len(f.cell.perfect_species),
                     "repeats": list(repeats)})
    return rows


def format_defects(rows: list[dict]) -> str:
    """The rows of :func:`validate_defects` as a table (eV)."""
    if not rows:
        return "no published defect energies belong to this force field"
    lines = [f"{'defect':<30}{'ours':>9}{'paper FF':>10}{'DFT':>7}{'ours - FF':>11}  source"]
    for r in rows:
        lines.append(f"{r['defect']:<30}{r['E_f_eV']:>9.2f}{r['published_eV']:>10.2f}"
                     f"{r['published_dft_eV']:>7.2f}{r['deviation_eV']:>+11.2f}  {r['source']}")
    lines.append(f"reservoir: {rows[0]['reservoir']}; charged cells: {rows[0]['background']}; "
                 f"{'x'.join(map(str, rows[0]['repeats']))} supercells of "
                 f"{rows[0]['n_host_atoms']} ions (see docs/fidelity.md)")
    return "\n".join(lines)
