"""LAMMPS's PPPM g_ewald and mesh chosen for a force-error target by measurement, searched
as finely as omm_cx's PME (:mod:`omm_cx.bench.pme_tuning`): the same 7 splitting
parameters and the same grid ladder (its sizes with factors 2, 3 and 5 only), the same
bisection for the smallest grid that meets the target per splitting parameter, the
fewest grid points winning.

LAMMPS's accuracy ladder (:mod:`omm_cx.bench.lammps_configs`) lets LAMMPS pick g_ewald and
the mesh from an error estimate; ``kspace_modify mesh ... gewald ...`` fixes both, which
is what omm_cx's tuned PME does, so both engines get the same search. omm_cx's alphas are
for its 12 Å cutoff; at another Coulomb cutoff RC they are scaled by 12 / RC, which keeps
the real-space error erfc(g RC) where it was.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from omm_cx.bench.lammps import frames_error, lammps_instance, setup
from omm_cx.bench.lammps_run import KSpace, Scan, kspace_commands
from omm_cx.bench.pme_tuning import ALPHAS_PER_NM, GRIDS, tune_pme

#: omm_cx's PME cutoff (Å), at which :data:`ALPHAS_PER_NM` apply.
OMM_CX_CUTOFF_A = 12.0


def _smooth235(n: int) -> bool:
    for p in (2, 3, 5):
        while n % p == 0:
            n //= p
    return n == 1


#: The grid ladder LAMMPS gets: :data:`GRIDS` with factors 2, 3 and 5 only.
LAMMPS_GRIDS = tuple(g for g in GRIDS if _smooth235(g))


def gewald_per_A(alpha_per_nm: float, rc_A: float) -> float:
    """LAMMPS's g_ewald (1/Å) for omm_cx's ``alpha_per_nm`` at Coulomb cutoff ``rc_A``."""
    return alpha_per_nm / 10.0 * OMM_CX_CUTOFF_A / rc_A


def mesh_for(grid: int, box_A) -> tuple[int, int, int]:
    """``grid`` points along the longest box edge, the others in proportion, each rounded
    up to a size of :data:`LAMMPS_GRIDS`."""
    lengths = np.linalg.norm(np.asarray(box_A, float).reshape(3, 3), axis=1)
    out = []
    for length in lengths:
        want = grid * length / lengths.max()
        out.append(next((g for g in LAMMPS_GRIDS if g >= want - 1e-9), int(np.ceil(want))))
    return tuple(out)


def tune_gewald_mesh(ff, structure, frames, refs, k: KSpace, target: float,
                     threads: int | None = None, log=print) -> Scan | None:
    """The :class:`Scan` of ``k`` (Coulomb cutoff, order, differentiation) with g_ewald and
    mesh searched as :func:`omm_cx.bench.pme_tuning.tune_pme` does for omm_cx; errors are
    the worst of ``frames`` against ``refs`` (eV/Å). None when no setting meets ``target``."""
    lmp = lammps_instance(threads)
    try:
        setup(lmp, ff, structure, kspace="pppm 1e-5", coulomb_cutoff_A=k.rc_A)
        with tempfile.TemporaryDirectory(prefix="omm_cx_lmp_tune_") as tmp:
            def force_error(alpha_per_nm: float, grid: int) -> float:
                g, mesh = gewald_per_A(alpha_per_nm, k.rc_A), mesh_for(grid, structure.box_A)
                lmp.commands_string(f"log {Path(tmp) / 'tune.log'}\n"
                                    + kspace_commands(1e-5, k.order, k.diff, g, mesh))
                return frames_error(lmp, frames, refs, structure.box_A)

            log(f"  LAMMPS RC {k.rc_A:g} Å, order {k.order}, diff {k.diff}: g_ewald and mesh "
                f"searched (alpha in omm_cx's units at 12 Å):")
            best = tune_pme(force_error, target, alphas=ALPHAS_PER_NM, grids=LAMMPS_GRIDS,
                            log=lambda msg: log("  " + msg))
    finally:
        lmp.close()
    if best is None:
        return None
    return Scan(k, 1e-5, best.rms_force_error_eV_per_A, True,
                gewald_per_A(best.alpha_per_nm, k.rc_A), mesh_for(best.grid, structure.box_A),
                tuned=True)


__all__ = ["LAMMPS_GRIDS", "gewald_per_A", "mesh_for", "tune_gewald_mesh"]
