"""The nanocrystal's orientation: a rigid fit of its anion framework frame by frame, and
the crystal orientation of an fcc anion sublattice fitted from the positions alone.

A free NC rotates by radians in nanoseconds, so crystal directions fixed at t = 0 drift
away from the particle's facets. :class:`OrientationTracker` follows the particle:

- frame 0: the NC's anions (membership's ``nc_anions``) are unwrapped around their centre
  (:func:`omm_cx.periodic.cluster_centre`) and kept as the reference; the crystal's
  orientation at frame 0 (crystal -> lab rotation) is the build record's, or, without
  one (a trajectory from LAMMPS or elsewhere), :func:`fit_cubic_orientation` of the
  frame-0 anions;
- each later frame: the anions that are in the NC in both frames, unwrapped around their
  centre, are superposed on their frame-0 positions by the least-squares rotation
  (weight-free Kabsch with the proper-rotation correction, :func:`kabsch_rotation`).
  The crystal -> lab rotation now is ``R(t) @ R_crystal(0)``; ``angle_deg`` is the
  rotation angle of ``R(t)`` (0-180 degrees).

:func:`fit_cubic_orientation` works for rocksalt and zincblende (both have an fcc anion
sublattice): the nearest-neighbour anion-anion vectors of an fcc lattice are its twelve
<110> directions. Seed: two perpendicular nearest-neighbour bonds b1, b2 of a
well-coordinated anion near the centre are [110] and [1-10] of some cubic-equivalent
setting, so crystal x = (b1 + b2)/|.|, y = (b1 - b2)/|.|, z = x × y. Refinement: each
bond of the whole sublattice is assigned to its closest template <110> and the rotation
refitted (Kabsch, no centring, bonds taken with both signs) until the assignment no
longer changes. Several seeds are tried and the one with the smallest rms bond-template
angle kept. The result is defined up to the 24 proper rotations of the cube; the
representative closest to the identity is returned. Acceptance: at most
:data:`MAX_MISFIT_FRACTION` of the bonds farther than :data:`MISFIT_DEG` from their
template. Measured (3.5 nm particles, 0.15 Å noise): rms 4 degrees and no misfit bond
for rocksalt and zincblende; wurtzite's hcp sublattice has a quarter of its bonds
~34 degrees off (one of the two out-of-plane triangles of each anion is turned by 60
degrees), random points more than half, so both are an
:class:`~omm_cx.errors.AnalysisError`.

Rotations are (3, 3) arrays acting on column vectors: ``v_lab = R @ v_crystal``; for row
arrays of vectors ``V_lab = V_crystal @ R.T``. Positions in Å, angles in degrees.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import permutations, product

import numpy as np

from omm_cx.errors import AnalysisError
from omm_cx.periodic import NeighborSearch, cluster_centre, minimum_image

__all__ = ["CubicFit", "MAX_MISFIT_FRACTION", "MISFIT_DEG", "OrientationTracker", "cubic_fit",
           "cubic_misorientation_deg", "fit_cubic_orientation", "kabsch_rotation", "rotation_angle_deg"]

#: A bond farther than this (degrees) from its <110> template is a misfit (0.15 Å
#: noise gives ~4 degrees rms, a thermalised NC at 300-600 K about 5-9 degrees).
MISFIT_DEG = 20.0
#: Largest fraction of misfit bonds accepted by :func:`fit_cubic_orientation`.
MAX_MISFIT_FRACTION = 0.10
#: Bonds: anion pairs closer than this factor x the median nearest anion-anion distance
#: (fcc: first shell at a/sqrt2, second at a = 1.41 x the first).
_BOND_FACTOR = 1.2
#: Seeds tried by the fit (well-coordinated anions nearest the centre).
_N_SEEDS = 6

_T110 = np.array([v for v in product((-1, 0, 1), repeat=3)
                  if sum(abs(c) for c in v) == 2], dtype=float) / np.sqrt(2.0)


def _cubic_rotations() -> np.ndarray:
    """(24, 3, 3) proper rotations of the cube (signed permutation matrices, det +1)."""
    out = []
    for perm in permutations(range(3)):
        for signs in product((-1.0, 1.0), repeat=3):
            m = np.zeros((3, 3))
            m[range(3), perm] = signs
            if np.linalg.det(m) > 0:
                out.append(m)
    return np.array(out)


_CUBIC = _cubic_rotations()


def _svd_rotation(h: np.ndarray) -> np.ndarray:
    """Proper rotation R maximising trace(R @ h) for a (3, 3) covariance h = P.T @ Q,
    i.e. the least-squares R of Q ~= P @ R.T."""
    u, _, vt = np.linalg.svd(h)
    d = 1.0 if np.linalg.det(vt.T @ u.T) >= 0 else -1.0
    return vt.T @ np.diag([1.0, 1.0, d]) @ u.T


def kabsch_rotation(ref_A: np.ndarray, cur_A: np.ndarray) -> np.ndarray:
    """Proper rotation R (3, 3) with ``(cur - mean(cur)) ~= (ref - mean(ref)) @ R.T``
    in the least-squares sense (weight-free Kabsch; det R = +1 even for mirror-like
    point sets). ``ref_A``, ``cur_A``: (n, 3) positions of the same atoms, Å, n >= 3."""
    p = np.asarray(ref_A, float).reshape(-1, 3)
    q = np.asarray(cur_A, float).reshape(-1, 3)
    if p.shape != q.shape or len(p) < 3:
        raise AnalysisError(f"kabsch_rotation needs two (n, 3) arrays of the same n >= 3; got "
                            f"{p.shape} and {q.shape}")
    return _svd_rotation((p - p.mean(axis=0)).T @ (q - q.mean(axis=0)))


def rotation_angle_deg(R: np.ndarray) -> float:
    """Rotation angle (degrees, 0-180) of a (3, 3) rotation matrix: atan2(2 sin, 2 cos)
    from its antisymmetric part and trace (accurate near 0 and 180 degrees)."""
    R = np.asarray(R, float)
    s2 = np.linalg.norm([R[2, 1] - R[1, 2], R[0, 2] - R[2, 0], R[1, 0] - R[0, 1]])
    return float(np.degrees(np.arctan2(s2, np.trace(R) - 1.0)))


def cubic_misorientation_deg(R1: np.ndarray, R2: np.ndarray) -> float:
    """Angle (degrees) between two crystal -> lab rotations of a cubic crystal, modulo
    the 24 proper rotations of the cube (0 to 62.8 degrees)."""
    d = np.asarray(R1, float).T @ np.asarray(R2, float)
    return min(rotation_angle_deg(d @ S) for S in _CUBIC)


def _bonds(anion_xyz_A: np.ndarray, box_A: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Unit nearest-neighbour anion-anion vectors (m, 3) (each pair once, i -> j) and
    the (m, 2) pairs."""
    pos = np.asarray(anion_xyz_A, float).reshape(-1, 3)
    if len(pos) < 13:
        raise AnalysisError(f"fit_cubic_orientation needs at least 13 anions (a full fcc "
                            f"neighbour shell); got {len(pos)}")
    ns = NeighborSearch(pos, box_A)
    d, _ = ns.nearest(pos, 2)
    d_nn = float(np.median(d[:, 1]))
    pairs = ns.pairs(_BOND_FACTOR * d_nn)
    v = minimum_image(pos[pairs[:, 1]] - pos[pairs[:, 0]], box_A)
    r = np.linalg.norm(v, axis=1)
    keep = r > 0.7 * d_nn
    return v[keep] / r[keep, None], pairs[keep]


def _seed(bonds: np.ndarray) -> np.ndarray | None:
    """Crystal -> lab rotation from the most nearly perpendicular pair among one
    anion's bonds (unit, (k, 3)); None when no pair is within 15 degrees of 90."""
    c = np.abs(bonds @ bonds.T)
    i, j = np.unravel_index(np.argmin(c), c.shape)
    if c[i, j] > np.sin(np.radians(15.0)):
        return None
    x, y = bonds[i] + bonds[j], bonds[i] - bonds[j]
    x, y = x / np.linalg.norm(x), y / np.linalg.norm(y)
    return np.column_stack([x, y, np.cross(x, y)])


def _refine(R: np.ndarray, u: np.ndarray, max_iter: int = 20) -> tuple[np.ndarray, np.ndarray]:
    """Assign each unit bond (rows of u, both signs included) to its closest template
    <110> and refit R until the assignment is stable. Returns (R, angle of each bond to
    its template in degrees)."""
    idx = None
    for _ in range(max_iter):
        new = np.argmax((u @ R) @ _T110.T, axis=1)
        if idx is not None and np.array_equal(new, idx):
            break
        idx = new
        R = _svd_rotation(_T110[idx].T @ u)
    cosang = np.clip(np.einsum("ij,ij->i", u, _T110[idx] @ R.T), -1.0, 1.0)
    return R, np.degrees(np.arccos(cosang))


def _canonical(R: np.ndarray) -> np.ndarray:
    """The cubic-equivalent R @ S (S a proper rotation of the cube) closest to identity."""
    cands = R[None] @ _CUBIC
    return cands[int(np.argmax(np.trace(cands, axis1=1, axis2=2)))]


@dataclass(frozen=True)
class CubicFit:
    """Result of :func:`cubic_fit`: ``rotation`` crystal -> lab (3, 3); ``rms_deg``:
    rms angle between the bonds and their <110> templates; ``misfit_fraction``: share of
    bonds farther than :data:`MISFIT_DEG` from theirs; ``n_bonds``."""

    rotation: np.ndarray
    rms_deg: float
    misfit_fraction: float
    n_bonds: int

    @property
    def is_fcc(self) -> bool:
        """True when at most :data:`MAX_MISFIT_FRACTION` of the bonds are misfits."""
        return self.misfit_fraction <= MAX_MISFIT_FRACTION


def cubic_fit(anion_xyz_A: np.ndarray, box_A: np.ndarray | None = None) -> CubicFit:
    """Orientation of an fcc anion sublattice with its quality (module docstring), no
    acceptance test (see :func:`fit_cubic_orientation`). ``anion_xyz_A`` (n, 3) anion
    positions, Å; ``box_A`` (3, 3) Å or None."""
    pos = np.asarray(anion_xyz_A, float).reshape(-1, 3)
    bonds, pairs = _bonds(pos, box_A)
    u = np.vstack([bonds, -bonds])
    owner = np.concatenate([pairs[:, 0], pairs[:, 1]])
    n_nb = np.bincount(owner, minlength=len(pos))
    centre, unwrapped = cluster_centre(pos, box_A)
    r = np.linalg.norm(unwrapped - centre, axis=1)
    candidates = np.flatnonzero(n_nb >= min(10, n_nb.max()))
    best: tuple[np.ndarray, np.ndarray] | None = None
    for a in candidates[np.argsort(r[candidates])][:_N_SEEDS]:
        R0 = _seed(u[owner == a])
        if R0 is None:
            continue
        R, ang = _refine(R0, u)
        if best is None or np.mean(ang**2) < np.mean(best[1] ** 2):
            best = (R, ang)
    if best is None:
        raise AnalysisError("fit_cubic_orientation: no anion has two perpendicular nearest-"
                            "neighbour bonds; the anions do not form an fcc sublattice "
                            "(rocksalt or zincblende)")
    R, ang = best
    return CubicFit(_canonical(R), float(np.sqrt(np.mean(ang**2))),
                    float(np.mean(ang > MISFIT_DEG)), len(bonds))


def _check_fcc(fit: CubicFit) -> None:
    if not fit.is_fcc:
        raise AnalysisError(f"fit_cubic_orientation: {100 * fit.misfit_fraction:.0f} % of the "
                            f"anion-anion bonds are more than {MISFIT_DEG:.0f} degrees from <110> "
                            f"(at most {100 * MAX_MISFIT_FRACTION:.0f} % allowed; rms "
                            f"{fit.rms_deg:.1f} degrees): the anions do not form an fcc "
                            f"sublattice (rocksalt or zincblende). Give the crystal's "
                            f"orientation (build.json) instead")


def fit_cubic_orientation(anion_xyz_A: np.ndarray, box_A: np.ndarray | None = None) -> np.ndarray:
    """Crystal -> lab rotation (3, 3) of an fcc anion sublattice (rocksalt or zincblende),
    defined up to the cubic symmetry (the representative closest to the identity).
    ``anion_xyz_A`` (n, 3) Å, periodic in ``box_A`` (3, 3) Å or None. An
    :class:`AnalysisError` when the anions are not an fcc sublattice (more than
    :data:`MAX_MISFIT_FRACTION` of the bonds farther than :data:`MISFIT_DEG` from <110>)."""
    fit = cubic_fit(anion_xyz_A, box_A)
    _check_fcc(fit)
    return fit.rotation


class OrientationTracker:
    """Rotation of the NC since frame 0 from its anions that stay in the NC (module
    docstring).

    ``first_xyz_A`` (N, 3) frame-0 positions (Å) of all atoms; ``anion_indices``: the
    NC's anions at frame 0 (atom indices); ``box_A`` (3, 3) Å or None;
    ``crystal_rotation``: crystal -> lab (3, 3) at frame 0 (build.json) or None to fit
    it (:func:`fit_cubic_orientation`). After :meth:`update`: ``rotation`` (crystal ->
    lab now), ``rotation_since_first`` (lab -> lab since frame 0), ``angle_deg``
    (its angle), ``n_used`` (anions fitted). ``source``: "build record" or "fitted";
    ``fit``: the :class:`CubicFit` of frame 0 (None when the rotation was given)."""

    def __init__(self, first_xyz_A: np.ndarray, anion_indices: np.ndarray,
                 box_A: np.ndarray | None = None, crystal_rotation: np.ndarray | None = None):
        self.anions = np.unique(np.asarray(anion_indices, dtype=int))
        if len(self.anions) < 3:
            raise AnalysisError(f"OrientationTracker needs at least 3 NC anions; got "
                                f"{len(self.anions)}")
        first = np.asarray(first_xyz_A, float)[self.anions]
        _, self._ref = cluster_centre(first, box_A)
        self.fit: CubicFit | None = None
        if crystal_rotation is None:
            self.fit = cubic_fit(first, box_A)
            _check_fcc(self.fit)
            self.initial_rotation, self.source = self.fit.rotation, "fitted"
        else:
            R0 = np.asarray(crystal_rotation, float)
            if R0.shape != (3, 3) or not np.allclose(R0 @ R0.T, np.eye(3), atol=1e-6):
                raise AnalysisError(f"crystal_rotation must be a (3, 3) rotation matrix; got "
                                    f"{R0.tolist()}")
            self.initial_rotation, self.source = R0, "build record"
        self.rotation = self.initial_rotation.copy()
        self.rotation_since_first = np.eye(3)
        self.angle_deg = 0.0
        self.n_used = len(self.anions)

    def update(self, xyz_A: np.ndarray, box_A: np.ndarray | None,
               nc_anions: np.ndarray | None = None) -> np.ndarray:
        """Fit the frame ``xyz_A`` (N, 3) Å (box ``box_A``); ``nc_anions``: the NC's
        anions now (None: all frame-0 anions). Returns the crystal -> lab rotation now."""
        keep = (np.ones(len(self.anions), bool) if nc_anions is None
                else np.isin(self.anions, np.asarray(nc_anions, dtype=int)))
        if keep.sum() < 3:
            raise AnalysisError(f"orientation: only {int(keep.sum())} of the frame-0 NC anions "
                                f"are still in the NC; the particle has dissolved")
        _, cur = cluster_centre(np.asarray(xyz_A, float)[self.anions[keep]], box_A)
        R = kabsch_rotation(self._ref[keep], cur)
        self.rotation_since_first = R
        self.rotation = R @ self.initial_rotation
        self.angle_deg = rotation_angle_deg(R)
        self.n_used = int(keep.sum())
        return self.rotation
