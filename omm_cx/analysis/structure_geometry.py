"""Geometry behind :mod:`omm_cx.analysis.structure_id`: first shells of unlike ions,
bond-angle templates (octahedron, tetrahedron), the staggered/eclipsed test along
tetrahedral bonds, and the one-sidedness of an environment.

Everything is vectorised over ions (padded arrays of K neighbours per ion, masks for
missing ones); lengths in Å, periodic boxes (3, 3) rows in Å or ``None``. Minimum-image
bond vectors come from :func:`omm_cx.periodic.minimum_image`, neighbour queries from
:class:`omm_cx.periodic.NeighborSearch` (orthorhombic and triclinic boxes).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from omm_cx.periodic import NeighborSearch, minimum_image

#: Neighbours kept per ion (an ion with more unlike ions within its cutoff is "other").
K_MAX = 8
#: Adaptive cutoff: SHELL_FACTOR x mean distance of the 4 nearest unlike ions, at most
#: FIRST_FACTOR x the nearest one (keeps the cutoff below the second unlike shell at
#: 1.67-1.91 d for under-coordinated ions), at most the caller's ``max_bond_A``.
SHELL_FACTOR = 1.3
FIRST_FACTOR = 1.55
#: Templates: an octahedron's 15 bond pairs have cosines -1 (3 opposite pairs, found as
#: cos < COS_OPPOSITE) and 0 (12), a tetrahedron's 6 pairs -1/3. A polyhedron matches
#: when the rms deviation of its bond-pair cosines from the template is below RMS_MAX
#: (0.2: ~2.5 x the spread of a crystal with 0.15 Å rms displacements per component).
COS_OPPOSITE = -0.5
RMS_MAX = 0.25
#: Bonds of a tetrahedral neighbour j that count in the eclipsed test: those at a
#: tetrahedral angle (90-135 deg) to the bond j-i.
COS_TET = (-0.71, 0.0)


@dataclass
class FirstShells:
    """Unlike-ion first shells of the ions ``ions`` (M,) (indices into the frame).

    ``nbr`` (M, K): frame indices of the bonded unlike ions (``-1`` where absent);
    ``vec`` (M, K, 3): minimum-image bond vectors (Å); ``mask`` (M, K); ``row`` (N,):
    the row of each frame atom in these arrays (``-1`` for atoms that are not ions).
    """

    ions: np.ndarray
    nbr: np.ndarray
    vec: np.ndarray
    mask: np.ndarray
    row: np.ndarray

    @property
    def n_bonds(self) -> np.ndarray:
        """Number of bonds per ion (M,)."""
        return self.mask.sum(axis=1)

    @property
    def unit(self) -> np.ndarray:
        """Unit bond vectors (M, K, 3); zero where absent."""
        norm = np.linalg.norm(self.vec, axis=2, keepdims=True)
        return np.divide(self.vec, norm, out=np.zeros_like(self.vec), where=norm > 0)

    def bond_length_A(self) -> np.ndarray:
        """Mean bond length per ion (M,), NaN for ions without bonds."""
        d = np.where(self.mask, np.linalg.norm(self.vec, axis=2), 0.0)
        n = self.mask.sum(axis=1)
        return np.divide(d.sum(axis=1), n, out=np.full(len(n), np.nan), where=n > 0)


def _unlike_nearest(xyz: np.ndarray, query: np.ndarray, targets: np.ndarray, box, k: int
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Distances (Q, k) and frame indices (Q, k; -1 if absent) of the k nearest targets."""
    if len(query) == 0:
        return np.zeros((0, k)), np.zeros((0, k), dtype=int)
    if len(targets) == 0:
        return np.full((len(query), k), np.inf), np.full((len(query), k), -1)
    d, i = NeighborSearch(xyz[targets], box).nearest(xyz[query], k)
    ok = np.isfinite(d) & (i < len(targets))
    return np.where(ok, d, np.inf), np.where(ok, targets[np.minimum(i, len(targets) - 1)], -1)


def first_shells(xyz_A: np.ndarray, is_cation: np.ndarray, is_anion: np.ndarray, box_A,
                 max_bond_A: float) -> FirstShells:
    """Bonds of every cation to anions and of every anion to cations, by the adaptive
    cutoff ``min(SHELL_FACTOR x mean(4 nearest), FIRST_FACTOR x nearest, max_bond_A)``."""
    xyz = np.asarray(xyz_A, dtype=np.float64)
    cat, an = np.flatnonzero(is_cation), np.flatnonzero(is_anion)
    ions = np.concatenate([cat, an])
    k = K_MAX + 1
    d1, i1 = _unlike_nearest(xyz, cat, an, box_A, k)
    d2, i2 = _unlike_nearest(xyz, an, cat, box_A, k)
    d, idx = np.vstack([d1, d2]), np.vstack([i1, i2])
    fin = np.isfinite(d[:, :4])
    cnt = fin.sum(axis=1)
    mean4 = np.where(cnt > 0, np.where(fin, d[:, :4], 0.0).sum(axis=1) / np.maximum(cnt, 1), np.inf)
    cutoff = np.minimum(np.minimum(SHELL_FACTOR * mean4, FIRST_FACTOR * d[:, 0]), max_bond_A)
    mask = (d <= cutoff[:, None]) & (idx >= 0)
    crowded = mask[:, K_MAX]  # more than K_MAX bonds: keep none (classified "other")
    mask = mask[:, :K_MAX] & ~crowded[:, None]
    idx = np.where(mask, idx[:, :K_MAX], -1)
    vec = np.zeros(idx.shape + (3,))
    if mask.any():
        centre = np.repeat(ions, K_MAX).reshape(idx.shape)
        vec[mask] = minimum_image(xyz[idx[mask]] - xyz[centre[mask]], box_A)
    row = np.full(len(xyz), -1, dtype=int)
    row[ions] = np.arange(len(ions))
    return FirstShells(ions, idx, vec, mask, row)


def polyhedra(shells: FirstShells) -> tuple[np.ndarray, np.ndarray]:
    """(octahedral, tetrahedral) boolean (M,) by bond angles: an octahedron has 6 bonds
    with 3 opposite pairs (cos < :data:`COS_OPPOSITE`) and the rms deviation of its 15
    bond-pair cosines from (-1 for those 3, 0 for the 12 others) below :data:`RMS_MAX`; a
    tetrahedron has 4 bonds and the rms deviation of its 6 cosines from -1/3 below
    :data:`RMS_MAX`."""
    u, m = shells.unit, shells.mask
    cos = np.einsum("mki,mli->mkl", u, u)
    upper = np.triu(np.ones((K_MAX, K_MAX), dtype=bool), k=1)
    pair = m[:, :, None] & m[:, None, :] & upper[None]
    n = m.sum(axis=1)
    opposite = pair & (cos < COS_OPPOSITE)
    oct_dev = np.where(pair, cos - np.where(opposite, -1.0, 0.0), 0.0)
    oct_rms = np.sqrt((oct_dev ** 2).sum(axis=(1, 2)) / 15.0)
    tet_rms = np.sqrt((np.where(pair, cos + 1.0 / 3.0, 0.0) ** 2).sum(axis=(1, 2)) / 6.0)
    octa = (n == 6) & (opposite.sum(axis=(1, 2)) == 3) & (oct_rms < RMS_MAX)
    return octa, (n == 4) & (tet_rms < RMS_MAX)


def eclipsed_bonds(shells: FirstShells, rows: np.ndarray, octahedral: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Eclipsed bonds (T,) and bonds tested (T,) of the tetrahedral ions at ``rows``.

    Looking along a bond i-j, the other bonds of i and those bonds of j that make a
    tetrahedral angle (90-135 deg) with j-i and do not end on an ion with ``octahedral``
    (M,) true are projected on the plane normal to the bond,
    and cos(3 dphi) is averaged over all pairs (a projected bond of i, one of j) at
    azimuth difference dphi: +1 when eclipsed (dphi = 0 mod 120 deg), -1 when staggered
    (dphi = 60 mod 120 deg). The bond is eclipsed when the mean is > 0; it is not tested
    when j has no such bond. Zinc blende has 0 eclipsed bonds of 4, wurtzite 1 (the bond
    along c). The filters leave out the octahedral bonds of an anion on a rocksalt/zinc
    blende interface.
    """
    if len(rows) == 0:
        return np.zeros(0, dtype=int), np.zeros(0, dtype=int)
    u_all = shells.unit
    ui = u_all[rows][:, :K_MAX]                               # (T, K, 3), 4 valid
    bonds = shells.mask[rows]                                  # (T, K)
    nb = shells.nbr[rows]
    jrow = shells.row[np.maximum(nb, 0)]
    uj = u_all[np.maximum(jrow, 0)]                            # (T, K, K, 3)
    mi = bonds & (jrow >= 0)
    b = ui[:, :, None, :]                                      # bond axis (T, K, 1, 3)
    back = -np.sum(uj * b, axis=3)                             # cos(j's bond, j -> i)
    krow = shells.row[np.maximum(shells.nbr[np.maximum(jrow, 0)], 0)]   # (T, K, K)
    mj = shells.mask[np.maximum(jrow, 0)] & mi[:, :, None] & ~octahedral[krow]
    mj &= (back > COS_TET[0]) & (back < COS_TET[1])
    pi = ui[:, None, :, :] - np.sum(ui[:, None] * b, axis=3, keepdims=True) * b
    pj = uj - np.sum(uj * b, axis=3, keepdims=True) * b
    ni, nj = np.linalg.norm(pi, axis=3), np.linalg.norm(pj, axis=3)
    ok_i = bonds[:, None, :] & ~np.eye(K_MAX, dtype=bool)[None] & (ni > 0.3)
    ok_j = mj & (nj > 0.3)
    cos = np.einsum("tkli,tkni->tkln", pi, pj) / (ni[:, :, :, None] * nj[:, :, None, :] + 1e-12)
    ok = ok_i[:, :, :, None] & ok_j[:, :, None, :]
    cos3 = np.where(ok, 4 * cos**3 - 3 * cos, 0.0)       # cos(3 dphi): +1 eclipsed, -1 staggered
    score = cos3.sum(axis=(2, 3)) / np.maximum(ok.sum(axis=(2, 3)), 1)
    tested = ok.any(axis=(2, 3)) & mi
    return ((score > 0) & tested).sum(axis=1), tested.sum(axis=1)


def centroid_offset(xyz_A: np.ndarray, framework: np.ndarray, query: np.ndarray,
                    radius_A: np.ndarray, box_A) -> np.ndarray:
    """Offset of the centroid of the framework atoms within ``radius_A`` (Q,) of each
    query atom, as a fraction of that radius (Q,): ~0 inside a solid or liquid, ~0.3-0.4
    for an atom on a flat surface (a filled half-sphere: 3/8). NaN without neighbours."""
    out = np.full(len(query), np.nan)
    if len(query) == 0 or len(framework) == 0:
        return out
    xyz = np.asarray(xyz_A, dtype=np.float64)
    r = np.asarray(radius_A, dtype=np.float64)
    iq, ip, dist = NeighborSearch(xyz[framework], box_A).pair_distances(xyz[query], float(r.max()))
    keep = (dist <= r[iq]) & (framework[ip] != query[iq])
    iq, ip = iq[keep], ip[keep]
    dvec = minimum_image(xyz[framework[ip]] - xyz[query[iq]], box_A)
    s = np.zeros((len(query), 3))
    np.add.at(s, iq, dvec)
    n = np.bincount(iq, minlength=len(query))
    has = n > 0
    out[has] = np.linalg.norm(s[has] / n[has, None], axis=1) / r[has]
    return out
