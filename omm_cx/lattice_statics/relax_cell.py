"""Relaxation of every atom and the whole cell of a periodic structure (no symmetry kept).

Where :func:`~omm_cx.lattice_statics.relax.relax_structure` relaxes a structure type's
few free parameters, this relaxes any cell as a DFT code does when "the cell was allowed
to relax both internally (relative atomic positions) and externally (size and shape of
the cell)": positions and the six strain components together, by L-BFGS on the lattice
sums of :class:`~omm_cx.lattice_statics.lattice_sums.LatticeSum` (analytic forces;
stress by central differences of the energy under homogeneous strain at fixed reduced
positions, which is the stress once the forces vanish). Pair lists are frozen during a
minimization and rebuilt until they no longer change, as in ``relax_structure``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
from scipy.optimize import minimize

from omm_cx import units
from omm_cx.forcefield.params import ForceField
from omm_cx.lattice_statics.lattice_sums import LatticeSum

_VOIGT = ((0, 0), (1, 1), (2, 2), (1, 2), (0, 2), (0, 1))
_STRAIN_STEP = 1e-6
_MAX_REBUILDS = 8


@dataclass
class RelaxedCell:
    """Result of :func:`relax_cell`: the cell (rows = vectors, Å), positions (Å), energy
    of the cell (eV), the largest remaining force (eV/Å), the remaining stress (GPa,
    3 x 3, tension positive) and whether the pair lists stopped changing."""

    lattice_A: np.ndarray
    positions_A: np.ndarray
    species: list[str]
    energy_eV: float
    max_force_eV_per_A: float
    stress_GPa: np.ndarray
    lists_converged: bool
    iterations: int


def _deformation(e: np.ndarray) -> np.ndarray:
    """I + symmetric strain from its six Voigt components (tensor shears)."""
    f = np.eye(3)
    for (a, b), v in zip(_VOIGT, e):
        f[a, b] += v
        if a != b:
            f[b, a] += v
    return f


def cell_stress(model: LatticeSum, lattice_A, positions_A) -> np.ndarray:
    """Stress (eV/Å^3, 3 x 3) = (1/V) dE/d(strain) at fixed reduced positions."""
    h, pos = np.asarray(lattice_A, float), np.asarray(positions_A, float)
    vol = abs(np.linalg.det(h))
    out = np.zeros((3, 3))
    for k, (a, b) in enumerate(_VOIGT):
        e = np.zeros(6)
        vals = []
        for sign in (1.0, -1.0):
            e[k] = sign * _STRAIN_STEP
            f = _deformation(e)
            vals.append(model.energy(h @ f.T, pos @ f.T))
        d = (vals[0] - vals[1]) / (2 * _STRAIN_STEP) / vol
        out[a, b] = out[b, a] = d / (2.0 if a != b else 1.0)
    return out


def relax_cell(ff: ForceField, lattice_A, positions_A, species: Sequence[str], *,
               cell: bool = True, pressure_GPa: float = 0.0, gtol: float = 1e-5,
               max_iterations: int = 3000) -> RelaxedCell:
    """Relax positions (and, with ``cell``, the cell's size and shape) of a periodic
    structure in ``ff`` at ``pressure_GPa``. ``lattice_A``: rows are the cell vectors (Å);
    ``positions_A`` (N, 3) Å; ``gtol``: the largest gradient component at which L-BFGS
    stops (eV/Å, and eV per unit strain over the cell's length scale)."""
    h0 = np.asarray(lattice_A, float)
    pos0 = np.asarray(positions_A, float)
    species = [str(s) for s in species]
    n = len(pos0)
    pressure = pressure_GPa / units.GPA_PER_EV_PER_A3
    scale = abs(np.linalg.det(h0)) ** (1.0 / 3.0)  # strain x scale: an Å-like variable
    model = LatticeSum.from_forcefield(ff, h0, pos0, species)
    x = np.concatenate([pos0.ravel(), np.zeros(6)])
    converged, total = False, 0

    def unpack(xx):
        f = _deformation(xx[3 * n:] / scale) if cell else np.eye(3)
        return xx[:3 * n].reshape(n, 3), f

    for _ in range(_MAX_REBUILDS):
        def energy(u, e, m=model):
            f = _deformation(e / scale)
            h = h0 @ f.T
            return m.energy(h, u @ f.T) + pressure * abs(np.linalg.det(h))

        def fun(xx, m=model):
            u, f = unpack(xx)
            e = xx[3 * n:]
            g = np.zeros_like(xx)
            g[:3 * n] = (m.gradient(h0 @ f.T, u @ f.T) @ f).ravel()
            if cell:  # exact for the objective: central differences in e at fixed u
                step = _STRAIN_STEP * scale
                for k in range(6):
                    d = np.zeros(6)
                    d[k] = step
                    g[3 * n + k] = (energy(u, e + d, m) - energy(u, e - d, m)) / (2 * step)
            return energy(u, e if cell else np.zeros(6), m), g

        res = minimize(fun, x, jac=True, method="L-BFGS-B",
                       options={"gtol": gtol, "ftol": 1e-16, "maxiter": max_iterations,
                                "maxcor": 30})
        x, total = res.x, total + int(res.nit)
        u, f = unpack(x)
        new = model.rebuilt(h0 @ f.T, u @ f.T)
        if new.same_lists(model):
            converged, model = True, new
            break
        model = new
    u, f = unpack(x)
    h, r = h0 @ f.T, u @ f.T
    forces = np.linalg.norm(model.gradient(h, r), axis=1)
    return RelaxedCell(h, r, species, model.energy(h, r), float(forces.max()),
                       cell_stress(model, h, r) * units.GPA_PER_EV_PER_A3, converged, total)
