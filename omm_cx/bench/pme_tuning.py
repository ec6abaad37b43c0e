"""PME alpha and grid chosen for a force-error target by measurement, instead of through
OpenMM's single Ewald tolerance.

OpenMM derives both alpha (from the tolerance and the cutoff) and the grid (from the
tolerance and alpha) so that the real-space and the reciprocal-space errors are each
about the tolerance. For the benchmark system the cutoff is fixed at 12 Å by the
short-range terms, so real space is cheap to make more accurate and the grid is what
costs: on ``pbse-nc-cd-psl`` tolerance 1e-4 gives a 105^3 grid at 9.7e-5 eV/Å, while
alpha = 2.7 /nm with an 80^3 grid gives 9.2e-5 eV/Å (2.3x fewer grid points).

:func:`tune_pme` scans alphas and, for each, the smallest grid from :data:`GRIDS` whose
measured RMS force error against the reference is within the target, and returns the
setting with the fewest grid points (the smaller alpha on a tie).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: FFT-friendly grid sizes (factors 2, 3, 5, 7), ascending.
GRIDS = (40, 42, 45, 48, 50, 54, 56, 60, 64, 70, 72, 75, 80, 84, 90, 96, 100, 105, 112, 120,
         126, 128, 135, 140, 144)
#: Ewald splitting parameters tried, 1/nm.
ALPHAS_PER_NM = (2.3, 2.45, 2.6, 2.75, 2.9, 3.05, 3.2)


@dataclass(frozen=True)
class PmeSetting:
    """An explicit PME setting and its measured RMS force error (eV/Å)."""

    alpha_per_nm: float
    grid: int
    rms_force_error_eV_per_A: float

    def describe(self) -> str:
        return f"PME alpha={self.alpha_per_nm:g}/nm grid {self.grid}^3 (tuned)"


def tune_pme(force_error, target: float, *, alphas=ALPHAS_PER_NM, grids=GRIDS,
             log=print) -> PmeSetting | None:
    """The explicit setting with the fewest grid points whose error is <= ``target``.

    ``force_error(alpha_per_nm, grid) -> float`` measures the RMS force error (eV/Å) of
    the system with that setting. For each alpha the grid is found by bisection over
    ``grids`` (the error falls as the grid grows). None when no setting meets the target.
    """
    best: PmeSetting | None = None
    for alpha in alphas:
        lo, hi, found = 0, len(grids) - 1, None
        if best is not None:  # no use looking at grids larger than the best one
            hi = max(i for i, g in enumerate(grids) if g <= best.grid)
        while lo <= hi:
            mid = (lo + hi) // 2
            err = float(force_error(alpha, grids[mid]))
            log(f"  PME alpha {alpha:g}/nm, grid {grids[mid]}^3 -> RMS force error {err:.2e} eV/Å")
            if err <= target:
                found, hi = PmeSetting(alpha, grids[mid], err), mid - 1
            else:
                lo = mid + 1
        if found is not None and (best is None or found.grid < best.grid):
            best = found
    return best


def openmm_force_error(ff, species, box_A, positions_A, ref, platform, props,
                       encoding: str = "auto"):
    """A ``force_error(alpha, grid)`` for :func:`tune_pme`: the omm_cx system with that PME
    setting on ``platform``, RMS force error against ``ref`` (eV/Å): the worst of the
    frames when ``positions_A`` and ``ref`` hold several (:func:`~omm_cx.bench.results.frames_of`)."""
    from omm_cx.bench.results import openmm_error
    from omm_cx.forcefield.openmm_forces import create_system

    def force_error(alpha: float, grid: int) -> float:
        system = create_system(ff, species, box_A, encoding=encoding, coulomb=coulomb(alpha, grid, box_A))
        return openmm_error(system, positions_A, ref, platform, props)

    return force_error


def coulomb(alpha_per_nm: float, grid: int, box_A):
    """CoulombSettings with PME ``alpha_per_nm`` and ``grid`` points along the longest box
    edge (the other edges in proportion, rounded up to a size of :data:`GRIDS`)."""
    from omm_cx.forcefield.openmm_forces import CoulombSettings

    lengths = np.linalg.norm(np.asarray(box_A, float).reshape(3, 3), axis=1)
    dims = []
    for length in lengths:
        want = grid * length / lengths.max()
        dims.append(next((g for g in GRIDS if g >= want - 1e-9), int(np.ceil(want))))
    return CoulombSettings(pme_alpha_per_nm=float(alpha_per_nm), pme_grid=tuple(dims))


__all__ = ["ALPHAS_PER_NM", "GRIDS", "PmeSetting", "coulomb", "openmm_force_error", "tune_pme"]
