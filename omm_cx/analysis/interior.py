"""Interior cation sites: which cations of the NC sit *below* its outermost anion layer.

Exchange (004's rho) counts every cation bonded to the NC, so in-going cations merely
adsorbed on the surface count as exchanged (004 reads its rho_Pb ~ 0.1 without
exchange, Supplementary Fig. 3a, as no exchange). To tell exchange from adsorption, :mod:`omm_cx.analysis.exchange` also counts
the cations on **interior** sites, with one rule for every species and both directions
(Pb -> Cd and Cd -> Pb):

    A cation is *interior* when it lies inside the convex hull of its first-shell anions
    (NC anions within :data:`FIRST_SHELL_A`), at least :data:`MIN_DEPTH_A` from every
    face of that hull ("enclosure depth").

An anion then lies on every side of it: it is covered by the anion sublattice, i.e. below
the outermost anion layer. What the rule gives on ideal sites (d = cation-anion distance;
anions within the cutoff, depth):

- octahedral: rocksalt (RS) bulk site, Pb or Cd on a Pb site, also the RS {111} cation
  layer under the outermost Se layer: 6, d/sqrt3 = 1.77 Å -> interior;
- tetrahedral: zinc-blende/wurtzite site (Cd in a CdSe domain, Pb in a CdSe NC), or a
  tetrahedral interstitial inside the NC: 4, d/3 = 0.88 Å -> interior;
- a site in a RS {100} or {110} surface layer (e.g. Cd on a surface Pb site): 5 or 4,
  depth 0 (the cation is on the hull's face) -> not interior;
- adsorbed over the surface (on top, bridge, three-fold hollow): 1-3 anions, depth < 0;
  a four-fold hollow over a {100} surface Pb: 4 coplanar anions, depth < 0 -> not
  interior.

Why this and not an anion count: Cd in a ZB-like site has 4 anions and Pb in rocksalt 6,
so a count threshold must depend on the species, and then a Cd on a 5-coordinated
{100} surface site (5 >= 4) or in a four-fold hollow counts while a Pb there would not.
Enclosure has neither problem and needs no per-species coordination numbers; it implies
>= 4 anions (a point strictly inside a hull in 3D needs 4 non-coplanar vertices). Why not
the distance from the NC centre against the anion surface's radius: a faceted NC is not
a sphere, so that radius must be found per direction from the surface anions (and its
margin tuned against facets and corners), and a periodic wire or a dumbbell has no
single centre; the enclosure test is local and needs neither.

Cost: one k-d tree query of the nearest :data:`K_ANIONS` anions per cation and a padded
(cations, triangles, anions) array (56 x 8 at most, 20 x 6 for octahedral sites), chunked;
no Python loop over ions.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np

from omm_cx.periodic import NeighborSearch, minimum_image

#: First-shell cation-anion cutoff (Å): 004's radius for counting the anions of a site
#: (octahedral vs tetrahedral target sites of Pb jumps). It lies between the first shell
#: (RS Pb-Se 3.06 Å, Pb-S 2.97 Å; ZB Cd-Se 2.63 Å, Cd-S 2.60 Å) and the next anion
#: shell (RS cation site: a sqrt3/2 = 5.30 Å in PbSe; tetrahedral site of the fcc anion
#: sublattice: a sqrt11/4 = 5.07 Å), so thermal motion at 700 K (~0.3 Å) keeps a
#: lattice site's full shell inside it.
FIRST_SHELL_A = 4.1
#: Nearest anions looked at per cation (octahedral 6, tetrahedral 4). Leaving out
#: farther ones can only lower the depth (a smaller hull).
K_ANIONS = 8
#: Minimum enclosure depth (Å): half the depth of a tetrahedral Cd-Se site (2.63 / 3 =
#: 0.88 Å; octahedral Pb-Se: 3.06 / sqrt3 = 1.77 Å); sites in the outermost layer have
#: depth <= 0 (see the module docstring).
MIN_DEPTH_A = 0.44
#: Neighbours closer than this (Å) to a triangle's plane count as on it.
_PLANE_TOL_A = 1e-3
#: Triangles of smaller doubled area (Å^2) are degenerate and skipped.
_AREA_EPS_A2 = 1e-3
#: Cations per chunk (bounds the (chunk, 56, 8) temporaries to ~7 MB each).
_CHUNK = 2048

_TRIANGLES = {k: np.array(list(combinations(range(k), 3)), dtype=int).reshape(-1, 3)
              for k in range(K_ANIONS + 1)}


def interior_rule_text(cutoff_A: float = FIRST_SHELL_A, min_depth_A: float = MIN_DEPTH_A) -> str:
    """The rule in one line (for summary.json)."""
    return (f"interior = NC cation inside the convex hull of its NC anions within "
            f"{cutoff_A:g} Å, >= {min_depth_A:g} Å from every face (a full octahedral or "
            f"tetrahedral site below the outermost anion layer; surface-layer and adsorbed "
            f"cations excluded)")


def enclosure_depth(vec_A: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Enclosure depth (Å) of centres in the convex hull of their neighbours.

    ``vec_A`` (M, K, 3): neighbour minus centre (Å; K <= :data:`K_ANIONS`); ``mask``
    (M, K): which neighbours exist. Returns (M,): the distance from the centre to the
    nearest face plane of the hull, > 0 inside, <= 0 on or outside it (flat
    neighbourhoods: minus the distance to their plane); ``-inf`` with fewer than 3
    neighbours (no face).
    """
    vec = np.asarray(vec_A, dtype=np.float64)
    mask = np.asarray(mask, dtype=bool)
    m, k = mask.shape
    if k > K_ANIONS:
        raise ValueError(f"enclosure_depth: at most {K_ANIONS} neighbours per centre, got {k}")
    vec = np.where(mask[..., None], vec, 0.0)
    out = np.full(m, -np.inf)
    if k < 3:
        return out
    for s in range(0, m, _CHUNK):
        out[s:s + _CHUNK] = _depth_chunk(vec[s:s + _CHUNK], mask[s:s + _CHUNK], _TRIANGLES[k])
    return out


def _depth_chunk(vec: np.ndarray, mask: np.ndarray, tri: np.ndarray) -> np.ndarray:
    p0, p1, p2 = (vec[:, tri[:, j]] for j in range(3))  # (M, T, 3)
    n = np.cross(p1 - p0, p2 - p0)
    norm = np.linalg.norm(n, axis=2)
    ok = mask[:, tri].all(axis=2) & (norm > _AREA_EPS_A2)
    n = n / np.where(ok, norm, 1.0)[..., None]
    c = np.einsum("mtd,mtd->mt", n, p0)  # plane n.x = c; the centre (origin) gives -c
    s = np.einsum("mtd,mkd->mtk", n, vec) - c[..., None]  # neighbours' signed distances
    s = np.where(mask[:, None, :], s, 0.0)
    above = (s > _PLANE_TOL_A).any(axis=2)
    below = (s < -_PLANE_TOL_A).any(axis=2)
    # a face has every neighbour on one side; the hull's inside is that side. Depth of
    # the centre from the face: c with the neighbours below, -c with them above; both
    # (-|c|) when the neighbours are coplanar.
    d = np.minimum(np.where(~above, c, np.inf), np.where(~below, -c, np.inf))
    d = np.where(ok, d, np.inf).min(axis=1)
    return np.where(np.isfinite(d), d, -np.inf)


def interior_depth_A(xyz_A: np.ndarray, box_A: np.ndarray | None, cations: np.ndarray,
                     anions: np.ndarray, cutoff_A: float = FIRST_SHELL_A) -> np.ndarray:
    """Enclosure depth (Å, (len(cations),)) of each cation in the hull of the ``anions``
    within ``cutoff_A`` of it (minimum image). ``xyz_A`` (N, 3) Å; ``box_A`` (3, 3) or
    None; ``cations``, ``anions``: atom indices."""
    cations = np.asarray(cations, dtype=int)
    anions = np.asarray(anions, dtype=int)
    if len(cations) == 0 or len(anions) == 0:
        return np.full(len(cations), -np.inf)
    k = min(K_ANIONS, len(anions))
    dist, idx = NeighborSearch(xyz_A[anions], box_A).nearest(xyz_A[cations], k)
    mask = np.isfinite(dist) & (dist <= cutoff_A) & (idx < len(anions))
    k = int(mask.sum(axis=1).max())  # nearest first: drop columns no cation needs
    dist, idx, mask = dist[:, :k], idx[:, :k], mask[:, :k]
    nb = anions[np.minimum(idx, len(anions) - 1)]
    vec = minimum_image(xyz_A[nb] - xyz_A[cations][:, None, :], box_A)
    return enclosure_depth(vec, mask)


def interior_cations(xyz_A: np.ndarray, box_A: np.ndarray | None, cations: np.ndarray,
                     anions: np.ndarray, cutoff_A: float = FIRST_SHELL_A,
                     min_depth_A: float = MIN_DEPTH_A) -> np.ndarray:
    """The ``cations`` (indices, in the given order) on interior sites: enclosure depth in
    the hull of their ``anions`` within ``cutoff_A`` of at least ``min_depth_A``."""
    cations = np.asarray(cations, dtype=int)
    return cations[interior_depth_A(xyz_A, box_A, cations, anions, cutoff_A) >= min_depth_A]
