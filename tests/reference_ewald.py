"""Independent reference for the tests: a direct Ewald sum plus short-range pair sums in
numpy, written from the textbook formulas (no OpenMM, no omm_cx force code).

Units: Å, e, eV. Orthorhombic or triclinic boxes; real-space cutoff must be < half the
smallest perpendicular box width (minimum image).
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import erfc

KE = 14.3996454  # e^2/(4 pi eps0) in eV Å


_SHIFTS = np.array([[i, j, k] for i in (-1, 0, 1) for j in (-1, 0, 1) for k in (-1, 0, 1)])


def _min_image(d, h, hinv):
    """Shortest image of each difference vector, searching the 27 neighbouring cells
    (exact for triclinic cells, unlike rounding fractional coordinates)."""
    f = d @ hinv
    f -= np.round(f)
    cand = (f[:, None, :] + _SHIFTS[None]) @ h  # (n, 27, 3)
    best = np.argmin(np.einsum("nki,nki->nk", cand, cand), axis=1)
    return cand[np.arange(len(d)), best]


def ewald(pos, q, box, r_cut=12.0, accuracy=1e-12):
    """Coulomb energy (eV) and forces (eV/Å) by the Ewald sum with a neutralizing
    background (zero for neutral systems)."""
    pos = np.asarray(pos, float)
    q = np.asarray(q, float)
    h = np.asarray(box, float)
    hinv = np.linalg.inv(h)
    vol = abs(np.linalg.det(h))
    n = len(q)
    alpha = math.sqrt(-math.log(accuracy)) / r_cut
    # real space (minimum image, r < r_cut)
    e_real = 0.0
    f = np.zeros((n, 3))
    for i in range(n - 1):
        d = _min_image(pos[i + 1:] - pos[i], h, hinv)
        r = np.linalg.norm(d, axis=1)
        m = r < r_cut
        d, r, qj = d[m], r[m], q[i + 1:][m]
        e_pair = KE * q[i] * qj * erfc(alpha * r) / r
        e_real += e_pair.sum()
        dedr = -KE * q[i] * qj * (erfc(alpha * r) / r**2
                                  + 2 * alpha / math.sqrt(math.pi) * np.exp(-(alpha * r) ** 2) / r)
        fij = (dedr / r)[:, None] * d  # force on i from j is -dE/dr * (r_i - r_j)/r = dedr*d/r
        f[i] += fij.sum(axis=0)
        f[np.nonzero(m)[0] + i + 1] -= fij
    # reciprocal space
    g = 2 * math.pi * hinv.T  # rows: reciprocal vectors
    k_max = 2 * alpha * math.sqrt(-math.log(accuracy))
    nmax = [int(math.ceil(k_max / np.linalg.norm(g[i]))) + 1 for i in range(3)]
    grid = np.array(np.meshgrid(*[np.arange(-m, m + 1) for m in nmax], indexing="ij")).reshape(3, -1).T
    grid = grid[np.any(grid != 0, axis=1)]
    kvec = grid @ g
    k2 = np.einsum("ij,ij->i", kvec, kvec)
    keep = k2 < k_max**2
    kvec, k2 = kvec[keep], k2[keep]
    pref = KE * 2 * math.pi / vol * np.exp(-k2 / (4 * alpha**2)) / k2
    e_recip = 0.0
    for start in range(0, len(kvec), 4096):
        kv, pf = kvec[start:start + 4096], pref[start:start + 4096]
        phase = pos @ kv.T  # (n, k)
        c, s = np.cos(phase), np.sin(phase)
        sc, ss = q @ c, q @ s
        e_recip += np.sum(pf * (sc**2 + ss**2))
        # F_i = 2 pref q_i k [sin(k r_i) S_c - cos(k r_i) S_s]
        w = 2 * pf * (s * sc - c * ss)  # (n, k)
        f += q[:, None] * (w @ kv)
    e_self = -KE * alpha / math.sqrt(math.pi) * np.sum(q**2)
    e_background = -KE * math.pi * q.sum() ** 2 / (2 * vol * alpha**2)
    return e_real + e_recip + e_self + e_background, f


def short_range(pos, types, params, box, r_cut=12.0):
    """Sum of A exp(-r/rho) + B/r^12 - C/r^6 over pairs with r < r_cut (eV, eV/Å).

    ``params[(ti, tj)] = (A, rho, B, C)`` for both orders, or missing for no term."""
    pos = np.asarray(pos, float)
    h = np.asarray(box, float)
    hinv = np.linalg.inv(h)
    n = len(pos)
    e = 0.0
    f = np.zeros((n, 3))
    for i in range(n - 1):
        d = _min_image(pos[i + 1:] - pos[i], h, hinv)
        r = np.linalg.norm(d, axis=1)
        for j_local in np.nonzero(r < r_cut)[0]:
            p = params.get((types[i], types[i + 1 + j_local]))
            if p is None:
                continue
            A, rho, B, C = p
            rr = r[j_local]
            e += A * math.exp(-rr / rho) + B / rr**12 - C / rr**6
            dedr = -A / rho * math.exp(-rr / rho) - 12 * B / rr**13 + 6 * C / rr**7
            fij = dedr / rr * d[j_local]
            f[i] += fij
            f[i + 1 + j_local] -= fij
    return e, f
