"""Elastic constants and bulk modulus of a relaxed crystal by finite differences.

The energy of the cell is expanded in the six Voigt strains e (e4..e6 engineering
shears: e4 = 2 eps_yz) and the cartesian displacements x of all atoms but the first
(which removes the translations). Strains deform the cell as r -> (1 + eps) r. With the
Hessian blocks W_ee, W_ex, W_xx of the energy (eV per cell, frozen neighbour lists, so
the derivatives are those of the analytic energy) at a zero-stress, zero-force geometry:

    c_clamped = W_ee / V
    c_relaxed = (W_ee - W_ex W_xx^-1 W_xe) / V       (relaxed ions, as GULP reports)

The bulk modulus is the Reuss value 1 / sum_{i,j<=3} s_ij (s = c^-1), which equals
V d^2E/dV^2 with all lattice parameters and internal coordinates relaxed; for cubic
crystals it is (c11 + 2 c12) / 3.
"""

from __future__ import annotations

import numpy as np

from omm_cx import units
from omm_cx.errors import UnstableStructureError
from omm_cx.lattice_statics.finite_diff import gradient_hessian
from omm_cx.lattice_statics.lattice_sums import LatticeSum

#: Default finite-difference steps: strain (dimensionless) and displacement (Å).
STRAIN_STEP = 1e-3
DISPLACEMENT_STEP_A = 1e-3

#: Independent elastic constants (Voigt, 1-based labels) per crystal system.
INDEPENDENT_CIJ = {
    "cubic": ("c11", "c12", "c44"),
    "hexagonal": ("c11", "c12", "c13", "c33", "c44", "c66"),
}


def strain_tensor(voigt) -> np.ndarray:
    """Symmetric 3x3 strain from Voigt strains (e1..e6; e4..e6 engineering shears); a
    (..., 6) array gives (..., 3, 3)."""
    e = np.asarray(voigt, dtype=float)
    e1, e2, e3, e4, e5, e6 = (e[..., k] for k in range(6))
    return np.stack([np.stack([e1, e6 / 2, e5 / 2], -1),
                     np.stack([e6 / 2, e2, e4 / 2], -1),
                     np.stack([e5 / 2, e4 / 2, e3], -1)], -2)


def strain_hessian(model: LatticeSum, lattice_A, positions_A, *,
                   strain_step: float = STRAIN_STEP,
                   displacement_step_A: float = DISPLACEMENT_STEP_A, richardson: bool = True):
    """Hessian blocks (W_ee (6x6) eV, W_ex (6 x 3(N-1)) eV/Å, W_xx eV/Å^2) of the cell
    energy in Voigt strains and displacements of atoms 2..N, by central differences
    (with ``richardson``: extrapolated from steps h and h/2, error O(h^4))."""
    h0 = np.asarray(lattice_A, dtype=float)
    p0 = np.asarray(positions_A, dtype=float)
    n_x = 3 * (len(p0) - 1)

    def energies(vs):  # (points, 6 + n_x) -> (points,), eV
        f = np.eye(3) + strain_tensor(vs[:, :6])
        pos = np.repeat(p0[None], len(vs), axis=0)
        pos[:, 1:] += vs[:, 6:].reshape(len(vs), -1, 3)
        return model.energies(h0 @ f, pos @ f)

    steps = np.r_[np.full(6, strain_step), np.full(n_x, displacement_step_A)]
    x0 = np.zeros(6 + n_x)
    w = gradient_hessian(None, x0, steps, f_many=energies)[2]
    if richardson:
        w = (4.0 * gradient_hessian(None, x0, 0.5 * steps, f_many=energies)[2] - w) / 3.0
    return w[:6, :6], w[:6, 6:], w[6:, 6:]


def elastic_constants(model: LatticeSum, lattice_A, positions_A, *, relaxed_ions: bool = True,
                      strain_step: float = STRAIN_STEP,
                      displacement_step_A: float = DISPLACEMENT_STEP_A,
                      richardson: bool = True) -> np.ndarray:
    """6x6 elastic constant matrix (GPa, Voigt) of a cell at zero stress and zero forces.

    ``relaxed_ions``: let the internal coordinates relax under each strain (relaxed-ion /
    clamped-lattice constants, as GULP reports); False gives the clamped-ion constants.
    Steps: strain (dimensionless), displacement (Å); see :func:`strain_hessian`.

    Raises :class:`UnstableStructureError` (relaxed ions only) when the structure is not
    a minimum with respect to its internal coordinates.
    """
    w_ee, w_ex, w_xx = strain_hessian(model, lattice_A, positions_A, strain_step=strain_step,
                                      displacement_step_A=displacement_step_A,
                                      richardson=richardson)
    w = w_ee
    if relaxed_ions and w_xx.size:
        eig = np.linalg.eigvalsh(w_xx)
        if eig[0] <= 0.0:
            raise UnstableStructureError(
                f"internal force constants have eigenvalue(s) {eig[eig <= 0].round(4).tolist()} "
                f"eV/Å^2 <= 0: the structure is a saddle point of the energy (unstable at "
                f"Gamma), relaxed-ion elastic constants are undefined", eig)
        w = w_ee - w_ex @ np.linalg.solve(w_xx, w_ex.T)
    vol = abs(np.linalg.det(np.asarray(lattice_A, dtype=float)))
    c = units.ev_per_a3_to_gpa(w / vol)
    return 0.5 * (c + c.T)


def bulk_modulus_reuss(c_GPa: np.ndarray) -> float:
    """Reuss bulk modulus (GPa) 1 / sum_{i,j<=3} s_ij from the 6x6 elastic constants (GPa):
    the response to hydrostatic pressure with all lattice parameters relaxed."""
    s = np.linalg.inv(np.asarray(c_GPa, dtype=float))
    return float(1.0 / np.sum(s[:3, :3]))


def bulk_modulus_voigt(c_GPa: np.ndarray) -> float:
    """Voigt bulk modulus (GPa) sum_{i,j<=3} c_ij / 9 (uniform strain, lattice clamped)."""
    return float(np.sum(np.asarray(c_GPa, dtype=float)[:3, :3]) / 9.0)


def independent_constants(c_GPa: np.ndarray, system: str) -> dict[str, float]:
    """The independent constants of a cubic or hexagonal crystal, e.g.
    ``{"c11": ..., "c12": ..., "c44": ...}`` (GPa), read from the 6x6 matrix."""
    c = np.asarray(c_GPa, dtype=float)
    return {k: float(c[int(k[1]) - 1, int(k[2]) - 1]) for k in INDEPENDENT_CIJ[system]}
