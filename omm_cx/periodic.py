"""Periodic geometry shared by the package: wrapping, minimum image, the one periodic
neighbour search (:class:`NeighborSearch`, used by the analyses, the structure checks of
:mod:`omm_cx.io.pdb` and the builders of :mod:`omm_cx.systems`), the centre of a cluster
in a periodic box, and unwrapping over time.

All positions and boxes are in Å. A box is a (3, 3) array whose rows are the box
vectors, or ``None`` for a non-periodic system. Orthorhombic boxes (every box omm_cx
builds, and isotropic NPT) use scipy's periodic k-d tree; triclinic boxes fall back to
27 periodic images, which is exact for cutoffs below half the smallest box width.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree


def is_orthorhombic(box_A: np.ndarray | None) -> bool:
    """True when the box is periodic and its off-diagonal elements are zero."""
    if box_A is None:
        return False
    b = np.asarray(box_A)
    return bool(abs(b[0, 1]) + abs(b[0, 2]) + abs(b[1, 0]) + abs(b[1, 2]) + abs(b[2, 0]) + abs(b[2, 1]) < 1e-9)


def wrap(pos_A: np.ndarray, box_A: np.ndarray | None) -> np.ndarray:
    """Positions (N, 3) wrapped into the box: [0, L) per axis for orthorhombic boxes,
    fractional coordinates in [0, 1) otherwise. Returns a float64 copy."""
    pos = np.array(pos_A, dtype=np.float64, copy=True)
    if box_A is None:
        return pos
    if is_orthorhombic(box_A):
        L = np.diag(box_A).astype(np.float64)
        pos -= np.floor(pos / L) * L
        pos[pos >= L] -= np.broadcast_to(L, pos.shape)[pos >= L]  # x % L can round to L
        pos[pos < 0] = 0.0
        return pos
    frac = pos @ np.linalg.inv(box_A)
    frac -= np.floor(frac)
    frac[frac >= 1.0] = 0.0
    return frac @ box_A


def wrap_reduced(pos_A: np.ndarray, box_A: np.ndarray) -> np.ndarray:
    """Positions (N, 3) wrapped the way OpenMM wraps into a reduced triclinic box (rows
    a, b, c with a along x and b in the xy plane): by whole c, then b, then a vectors so
    that 0 <= z < c_z, 0 <= y < b_y, 0 <= x < a_x. Returns a float64 copy."""
    pos = np.array(pos_A, dtype=np.float64, copy=True)
    box = np.asarray(box_A, dtype=np.float64)
    for k in (2, 1, 0):
        pos -= np.floor(pos[:, k] / box[k, k])[:, None] * box[k]
    return pos


def minimum_image(d_A: np.ndarray, box_A: np.ndarray | None) -> np.ndarray:
    """Displacement vectors (..., 3) reduced to the nearest periodic image (rounding of
    fractional coordinates: exact for orthorhombic boxes)."""
    d = np.asarray(d_A, dtype=np.float64)
    if box_A is None:
        return d.copy()
    if is_orthorhombic(box_A):
        L = np.diag(box_A)
        return d - np.round(d / L) * L
    frac = d @ np.linalg.inv(box_A)
    frac -= np.round(frac)
    return frac @ box_A


def distances(a_A: np.ndarray, b_A: np.ndarray, box_A: np.ndarray | None) -> np.ndarray:
    """Minimum-image distances (Å) between matching rows of a and b (broadcasting)."""
    return np.linalg.norm(minimum_image(np.asarray(b_A) - np.asarray(a_A), box_A), axis=-1)


#: The 27 lattice translations (-1, 0, 1)^3 of a cell and its neighbours (fractional).
IMAGE_SHIFTS = np.array([[i, j, k] for i in (-1, 0, 1) for j in (-1, 0, 1) for k in (-1, 0, 1)], float)
_SHIFTS = IMAGE_SHIFTS


def vertex_shells(points_A: np.ndarray, vertices_A: np.ndarray, shell_tol: float = 0.1,
                  k: int = 16) -> tuple[np.ndarray, list[np.ndarray], np.ndarray]:
    """The first shell of points around each vertex (e.g. Voronoi vertices: candidate
    interstitial sites): distance to the nearest point (Å), the indices of the points
    within ``1 + shell_tol`` times it, and the shell's anisotropy (smallest / largest
    eigenvalue of the second moment of the shell vectors: 1 for a cage, ~0 for a flat
    ring). Points are taken as given (add periodic images first)."""
    pts = np.asarray(points_A, float)
    d, idx = cKDTree(pts).query(np.asarray(vertices_A, float), k=min(k, len(pts)))
    shells, aniso = [], np.empty(len(d))
    for n, (x, di, ii) in enumerate(zip(np.asarray(vertices_A, float), d, idx)):
        shell = ii[di <= di[0] * (1 + shell_tol)]
        vec = pts[shell] - x
        ev = np.linalg.eigvalsh(vec.T @ vec)
        shells.append(shell)
        aniso[n] = ev[0] / ev[-1]
    return d[:, 0].copy(), shells, aniso


class NeighborSearch:
    """Neighbour queries against a fixed set of points (Å) in a periodic box.

    ``points_A`` (N, 3); ``box_A`` (3, 3) or None. Indices returned refer to rows of
    ``points_A``. Distances are minimum-image distances.
    """

    def __init__(self, points_A: np.ndarray, box_A: np.ndarray | None):
        self.box_A = None if box_A is None else np.asarray(box_A, dtype=np.float64)
        self.n = len(points_A)
        pts = np.asarray(points_A, dtype=np.float64).reshape(-1, 3)
        if self.box_A is None:
            self._mode = "open"
            self.points = pts
            self.tree = cKDTree(pts)
            self._ids = None
        elif is_orthorhombic(self.box_A):
            self._mode = "ortho"
            self.points = wrap(pts, self.box_A)
            self.tree = cKDTree(self.points, boxsize=np.diag(self.box_A))
            self._ids = None
        else:
            self._mode = "images"
            self.points = wrap(pts, self.box_A)
            shifts = _SHIFTS @ self.box_A
            images = (self.points[None, :, :] + shifts[:, None, :]).reshape(-1, 3)
            self.tree = cKDTree(images)
            self._ids = np.tile(np.arange(self.n), len(shifts))

    def _q(self, query_A: np.ndarray) -> np.ndarray:
        q = np.asarray(query_A, dtype=np.float64).reshape(-1, 3)
        return q if self._mode == "open" else wrap(q, self.box_A)

    def count_within(self, query_A: np.ndarray, r_A: float) -> np.ndarray:
        """Number of points within ``r_A`` (inclusive) of each query point, shape (M,)."""
        if self.n == 0:
            return np.zeros(len(np.atleast_2d(query_A)), dtype=int)
        if self._ids is None:
            return np.asarray(self.tree.query_ball_point(self._q(query_A), r_A, return_length=True),
                              dtype=int)
        return np.array([len(x) for x in self.within(query_A, r_A)], dtype=int)

    def within(self, query_A: np.ndarray, r_A: float) -> list[np.ndarray]:
        """Indices of the points within ``r_A`` of each query point (list of M arrays)."""
        if self.n == 0:
            return [np.zeros(0, dtype=int) for _ in range(len(np.atleast_2d(query_A)))]
        hits = self.tree.query_ball_point(self._q(query_A), r_A)
        if self._ids is None:
            return [np.asarray(h, dtype=int) for h in hits]
        return [np.unique(self._ids[np.asarray(h, dtype=int)]) for h in hits]

    def pairs(self, r_A: float) -> np.ndarray:
        """Unique pairs (i < j) of the points closer than ``r_A``, shape (P, 2)."""
        if self.n < 2:
            return np.zeros((0, 2), dtype=int)
        if self._ids is None:
            return self.tree.query_pairs(r_A, output_type="ndarray").astype(int)
        i, j, _ = self.pair_distances(self.points, r_A)
        keep = i < j
        return np.stack([i[keep], j[keep]], axis=1).reshape(-1, 2)

    def nearest(self, query_A: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Distances (M, k) in Å and indices (M, k) of the k nearest points (inf / N when
        fewer than k points exist)."""
        q = self._q(query_A)
        if self.n == 0:
            return np.full((len(q), k), np.inf), np.full((len(q), k), self.n)
        d, i = self.tree.query(q, k=k)
        d, i = np.asarray(d).reshape(len(q), k), np.asarray(i).reshape(len(q), k)
        if self._ids is not None:  # images: unique atoms while d < half the box width
            i = np.where(i < len(self._ids), self._ids[np.minimum(i, len(self._ids) - 1)], self.n)
        return d, np.where(np.isfinite(d), i, self.n)

    def pair_distances(self, query_A: np.ndarray, r_A: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """All (query, point) pairs within ``r_A``: query indices (P,), point indices (P,),
        minimum-image distances (P,) in Å (a point present in both sets pairs with itself
        at 0). Sorted by query index (then point index for triclinic boxes)."""
        q = self._q(query_A)
        if self.n == 0 or len(q) == 0:
            return np.zeros(0, int), np.zeros(0, int), np.zeros(0)
        boxsize = np.diag(self.box_A) if self._mode == "ortho" else None
        m = cKDTree(q, boxsize=boxsize).sparse_distance_matrix(self.tree, r_A, output_type="ndarray")
        iq, ip, d = m["i"].astype(int), m["j"].astype(int), m["v"].astype(float)
        if self._ids is None:
            return iq, ip, d
        # triclinic: the distance of a pair is that of its nearest image
        ip = self._ids[ip]
        order = np.lexsort((d, ip, iq))
        iq, ip, d = iq[order], ip[order], d[order]
        first = np.ones(len(iq), dtype=bool)
        first[1:] = (iq[1:] != iq[:-1]) | (ip[1:] != ip[:-1])
        return iq[first], ip[first], d[first]


def cluster_centre(pos_A: np.ndarray, box_A: np.ndarray | None, iterations: int = 3
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Centre (3,) in Å of a compact cluster of points in a periodic box, and the points
    unwrapped around it (N, 3).

    Seed: the circular mean of the fractional coordinates (Bai and Breen, J. Graph. GPU
    Game Tools 13, 53 (2008)), insensitive to where the box boundary cuts the cluster.
    Then each point is taken at its minimum image relative to the current centre and the
    centre is set to the arithmetic mean (repeated ``iterations`` times), which removes
    the circular mean's bias for clusters that are not small compared with the box. Exact
    whenever the cluster's extent about its centre is below half the box width. The
    returned centre is wrapped into the box.
    """
    pos = np.asarray(pos_A, dtype=np.float64).reshape(-1, 3)
    if len(pos) == 0:
        return np.full(3, np.nan), pos.copy()
    if box_A is None:
        return pos.mean(axis=0), pos.copy()
    box = np.asarray(box_A, dtype=np.float64)
    inv = np.linalg.inv(box)
    frac = pos @ inv
    theta = 2 * np.pi * frac
    centre = np.arctan2(np.sin(theta).mean(axis=0), np.cos(theta).mean(axis=0)) / (2 * np.pi)
    for _ in range(iterations):
        d = frac - centre
        d -= np.round(d)
        centre = centre + d.mean(axis=0)
    centre = centre - np.floor(centre)
    d = frac - centre
    d -= np.round(d)
    return centre @ box, (centre + d) @ box


class Unwrapper:
    """Unwraps positions frame by frame across periodic boundaries.

    Each call adds the minimum-image displacement since the previous frame, evaluated in
    the current box: u(t) = u(t-1) + [x(t) - x(t-1)] - L(t) round([x(t) - x(t-1)] / L(t))
    (the displacement scheme that stays correct under NPT box changes; von Bülow et al.,
    J. Chem. Phys. 153, 021101 (2020)). Valid while no atom moves more than half a box
    length between two saved frames.
    """

    def __init__(self):
        self._prev: np.ndarray | None = None
        self._unwrapped: np.ndarray | None = None

    def __call__(self, pos_A: np.ndarray, box_A: np.ndarray | None) -> np.ndarray:
        pos = np.asarray(pos_A, dtype=np.float64)
        if self._prev is None:
            self._unwrapped = pos.copy()
        else:
            self._unwrapped = self._unwrapped + minimum_image(pos - self._prev, box_A)
        self._prev = pos.copy()
        return self._unwrapped.copy()


def reduced_cell(lattice_A: np.ndarray, positions_A: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The same crystal in OpenMM's orientation and reduced form: a along x, b in the xy
    plane, c_z > 0, |b_x| <= a_x / 2, |c_x| <= a_x / 2, |c_y| <= b_y / 2 (a rigid rotation
    plus a change of cell vectors; positions follow through fractional coordinates).
    Returns (cell rows, positions) in Å."""
    h = np.asarray(lattice_A, float)
    frac = np.asarray(positions_A, float) @ np.linalg.inv(h)
    la, lb, lc = np.linalg.norm(h, axis=1)
    cos_g = h[0] @ h[1] / (la * lb)
    cos_b = h[0] @ h[2] / (la * lc)
    cos_a = h[1] @ h[2] / (lb * lc)
    bx, by = lb * cos_g, lb * np.sqrt(1.0 - cos_g**2)
    cx = lc * cos_b
    cy = (lb * lc * cos_a - bx * cx) / by
    new = np.array([[la, 0.0, 0.0], [bx, by, 0.0], [cx, cy, np.sqrt(lc**2 - cx**2 - cy**2)]])
    pos = frac @ new
    new[2] -= np.round(new[2, 1] / new[1, 1]) * new[1]
    new[2] -= np.round(new[2, 0] / new[0, 0]) * new[0]
    new[1] -= np.round(new[1, 0] / new[0, 0]) * new[0]
    return new, pos
