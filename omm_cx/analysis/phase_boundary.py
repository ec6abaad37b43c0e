"""The boundary between two crystal phases of a particle: which ions lie on it, its facet
family ({100}, {110}, {111}) and its width from a layer-by-layer composition across it
(001: the rocksalt/zincblende boundary on one anion sublattice is "sharp" and advances
"layer by layer").

Definitions (one frame; phase codes from
:func:`omm_cx.analysis.structure_id.identify_phases`; lengths in Å):

- **pair**: the two crystalline phases (rocksalt, zincblende, wurtzite) with the most
  ions among the atoms considered (NC members); ``inner`` is the one whose ions are on
  average closer to the particle's centre (the core of a core/shell particle), ``outer``
  the other. Normals point from inner to outer.
- **reach**: ``reach_A`` = :data:`REACH_FACTOR` x the median nearest anion-anion
  distance nn (~8.6 Å for PbSe), long enough to see across up to two disordered anion
  layers between the phases; ``cutoff_A`` = :data:`CUTOFF_FACTOR` x nn, the nearest
  shell of the fcc anion sublattice (second shell at 1.41 nn).
- **boundary ions**: ions (any species) of one phase of the pair with at least one ion
  of the other phase within ``reach_A``; ``n_boundary`` counts them (both sides).
- **local normal** of a boundary ion: the mean offset to the ions of the other phase
  within ``reach_A`` minus the mean offset to the ions of its own phase within
  ``reach_A`` (itself included; minimum image), oriented inner -> outer. Its **facet
  family** is that of the closest of the 26 lattice directions <100>, <110>, <111> of
  the crystal (crystal -> lab ``rotation``; :func:`omm_cx.analysis.facets.
  facet_directions`). The boundary's ``family`` is the most common family of its ions;
  ``fractions`` gives all three.
- **layers**: planes of the anion sublattice (common to rocksalt and zincblende) parallel
  to the boundary, spaced d = a/2 ({100}), a/(2 sqrt2) ({110}) or a/sqrt3 ({111}) of
  the boundary's family, with a the lattice constant of the anion sublattice
  (:func:`lattice_constant_A`). Reference points: the last layer of inner
  anions, i.e. the inner-phase boundary anions with a nearest-shell anion neighbour
  (within ``cutoff_A``) of another phase than the inner one (surface excluded). Each
  anion gets the signed distance s = (x - x_b) . n_b to its nearest reference b, n_b the
  reference's normal snapped to its lattice direction, and the layer k = round(s / d)
  (k = 0: the last inner layer, k > 0: towards the outer phase); layers |k| <=
  ``n_layers`` are kept.
- **layer profile**: per layer, the anions counted (n) and the fractions of them in the
  inner phase (f_inner), the outer phase (f_outer) and the rest (f_rest: other,
  surface, the third crystalline phase).
- **width** (layers): k_out - k_in, with k_in the last layer whose f_inner >= 0.9 before
  k_out, the first layer whose f_outer >= 0.9, i.e. the layer steps over which the
  anions go from >= 90 % inner to >= 90 % outer phase: 1 for a sharp boundary (a pure
  inner layer next to a pure outer layer), 2 with one mixed or disordered layer between
  them; NaN when the profile does not reach both. ``width_A`` = width x d.

:func:`phase_boundary` does all of this for one frame and returns a
:class:`PhaseBoundary`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from omm_cx.analysis.facets import FAMILIES, facet_directions
from omm_cx.analysis.membership import nearest_anion_distance_A
from omm_cx.analysis.structure_id import PHASES
from omm_cx.periodic import NeighborSearch, minimum_image

__all__ = ["CRYSTALLINE", "CUTOFF_FACTOR", "N_LAYERS", "PhaseBoundary", "layer_spacing_A",
           "phase_boundary", "width_layers"]

#: Codes of the crystalline phases in :data:`omm_cx.analysis.structure_id.PHASES`
#: (rocksalt, zincblende, wurtzite).
CRYSTALLINE = tuple(PHASES.index(p) for p in ("rocksalt", "zincblende", "wurtzite"))
_SURFACE = PHASES.index("surface")
#: Neighbour cutoff = this x the median nearest anion-anion distance (fcc: first anion
#: shell at 1.0, second at 1.41; cation-anion bonds at 0.61-0.71).
CUTOFF_FACTOR = 1.2
#: Boundary reach = this x the median nearest anion-anion distance: an ion of one phase
#: with an ion of the other this close is on the boundary (spans up to two disordered
#: anion layers between the phases, e.g. the 'other' layers of a {100} rocksalt/zincblende
#: interface).
REACH_FACTOR = 2.0
#: Layers on each side of the boundary in the layer profile.
N_LAYERS = 4
#: Anion-layer spacing over the cubic lattice constant a, per facet family.
_SPACING_OVER_A = {"100": 0.5, "110": 0.25 * np.sqrt(2.0), "111": 1.0 / np.sqrt(3.0)}


def layer_spacing_A(family: str, a_A: float) -> float:
    """Spacing (Å) of the anion (fcc) planes normal to a family's direction, lattice
    constant ``a_A`` (Å)."""
    return float(_SPACING_OVER_A[family] * a_A)


@dataclass
class PhaseBoundary:
    """The boundary of one frame (module docstring). ``inner``/``outer``: phase codes
    (-1 when the frame has fewer than two crystalline phases); ``boundary`` (n_boundary,)
    atom indices; ``normals`` (n_boundary, 3) unit vectors; ``families`` (n_boundary,)
    index in FAMILIES; ``layers`` (2 n_layers + 1,) k; ``layer_n``, ``f_inner``,
    ``f_outer``, ``f_rest`` per layer; ``spacing_A`` layer spacing, ``a_A`` lattice
    constant, ``cutoff_A`` nearest-shell cutoff, ``reach_A`` boundary reach (Å)."""

    inner: int = -1
    outer: int = -1
    boundary: np.ndarray = field(default_factory=lambda: np.zeros(0, int))
    normals: np.ndarray = field(default_factory=lambda: np.zeros((0, 3)))
    families: np.ndarray = field(default_factory=lambda: np.zeros(0, int))
    family: str | None = None
    fractions: dict = field(default_factory=lambda: {f: float("nan") for f in FAMILIES})
    layers: np.ndarray = field(default_factory=lambda: np.zeros(0, int))
    layer_n: np.ndarray = field(default_factory=lambda: np.zeros(0, int))
    f_inner: np.ndarray = field(default_factory=lambda: np.zeros(0))
    f_outer: np.ndarray = field(default_factory=lambda: np.zeros(0))
    f_rest: np.ndarray = field(default_factory=lambda: np.zeros(0))
    spacing_A: float = float("nan")
    a_A: float = float("nan")
    cutoff_A: float = float("nan")
    reach_A: float = float("nan")
    width: float = float("nan")

    @property
    def n_boundary(self) -> int:
        return int(len(self.boundary))

    @property
    def width_A(self) -> float:
        """Width in Å (width in layers x the layer spacing)."""
        return float(self.width * self.spacing_A)

    def layer_table(self) -> dict[str, list]:
        """The layer profile as columns (k, s_A = k x spacing, n, f_inner, f_outer, f_rest)."""
        return {"k": self.layers.tolist(), "s_A": (self.layers * self.spacing_A).tolist(),
                "n": self.layer_n.tolist(), "f_inner": self.f_inner.tolist(),
                "f_outer": self.f_outer.tolist(), "f_rest": self.f_rest.tolist()}


def width_layers(f_inner: np.ndarray, f_outer: np.ndarray, layers: np.ndarray,
                 level: float = 0.9) -> float:
    """k_out - k_in of a layer profile (module docstring): k_in the last layer with
    f_inner >= ``level`` before the first layer (after it) with f_outer >= ``level``
    (k_out). NaN when there is no such pair. Empty layers (NaN) are skipped."""
    fi, fo, k = (np.asarray(x, float) for x in (f_inner, f_outer, layers))
    ok = np.isfinite(fi) & np.isfinite(fo)
    fi, fo, k = fi[ok], fo[ok], k[ok]
    for j in np.flatnonzero(fo >= level):
        before = np.flatnonzero(fi[:j] >= level)
        if len(before):
            return float(k[j] - k[before[-1]])
    return float("nan")


def lattice_constant_A(xyz_A: np.ndarray, box_A: np.ndarray | None, anions: np.ndarray) -> float:
    """Cubic lattice constant (Å) of an fcc anion sublattice: sqrt2 x the median, over
    anions with 12 anions within 1.2 x the nearest-neighbour distance, of the mean
    distance to those 12 (unbiased by thermal noise, unlike the nearest distance, which
    is the minimum of 12 and ~0.2 Å short at 0.1 Å noise); falls back to sqrt2 x the
    median nearest distance when no anion has 12 such neighbours."""
    nn = nearest_anion_distance_A(xyz_A, box_A, anions)
    d, _ = NeighborSearch(xyz_A[anions], box_A).nearest(xyz_A[anions], 13)
    full = np.all(d[:, 1:] < CUTOFF_FACTOR * nn, axis=1)
    if not full.any():
        return float(np.sqrt(2.0) * nn)
    return float(np.sqrt(2.0) * np.median(d[full, 1:].mean(axis=1)))


def _pair(codes: np.ndarray, xyz_A: np.ndarray, centre_A: np.ndarray, box_A) -> tuple[int, int]:
    """(inner, outer) crystalline phases (module docstring), or (-1, -1)."""
    counts = {c: int((codes == c).sum()) for c in CRYSTALLINE}
    top = [c for c in sorted(counts, key=lambda c: -counts[c]) if counts[c] > 0][:2]
    if len(top) < 2:
        return -1, -1
    r = {c: float(np.linalg.norm(minimum_image(xyz_A[codes == c] - centre_A, box_A), axis=1).mean())
         for c in top}
    return (top[0], top[1]) if r[top[0]] <= r[top[1]] else (top[1], top[0])


def _mean_offsets(xyz_A, box_A, query, points, reach_A):
    """Per query atom: number of ``points`` within ``reach_A`` and the mean minimum-image
    offset (n_query, 3) to them (zeros where none)."""
    iq, ip, _ = NeighborSearch(xyz_A[points], box_A).pair_distances(xyz_A[query], reach_A)
    d = minimum_image(xyz_A[points[ip]] - xyz_A[query[iq]], box_A)
    n = np.bincount(iq, minlength=len(query))
    total = np.zeros((len(query), 3))
    np.add.at(total, iq, d)
    return n, total / np.maximum(n, 1)[:, None]


def _normals(xyz_A, box_A, atoms, codes, inner, outer, reach_A):
    """Boundary atoms (indices into ``atoms``) and their inner -> outer unit normals."""
    on_all, normals_all = [], []
    for own, other, sign in ((inner, outer, 1.0), (outer, inner, -1.0)):
        mine, theirs = atoms[codes == own], atoms[codes == other]
        n_other, to_other = _mean_offsets(xyz_A, box_A, mine, theirs, reach_A)
        hit = n_other > 0
        _, to_own = _mean_offsets(xyz_A, box_A, mine[hit], mine, reach_A)  # includes itself
        v = sign * (to_other[hit] - to_own)
        norm = np.linalg.norm(v, axis=1)
        good = norm > 1e-9
        on_all.append(np.flatnonzero(codes == own)[hit][good])
        normals_all.append(v[good] / norm[good, None])
    on = np.concatenate(on_all)
    order = np.argsort(on)
    return on[order], np.concatenate(normals_all)[order]


def _layer_profile(xyz_A, box_A, anions, codes_an, refs, ref_normals, spacing_A, inner, outer,
                   n_layers):
    """Per layer k = -n_layers..n_layers: anion count and phase fractions."""
    ks = np.arange(-n_layers, n_layers + 1)
    n = np.zeros(len(ks), int)
    f_in, f_out = np.full(len(ks), np.nan), np.full(len(ks), np.nan)
    if len(refs) == 0:
        return ks, n, f_in, f_out, np.full(len(ks), np.nan)
    reach = (n_layers + 0.5) * spacing_A
    dist, near = NeighborSearch(xyz_A[refs], box_A).nearest(xyz_A[anions], 1)
    ok = np.isfinite(dist[:, 0])
    b = near[ok, 0]
    s = np.einsum("ij,ij->i", minimum_image(xyz_A[anions[ok]] - xyz_A[refs[b]], box_A), ref_normals[b])
    k = np.rint(s / spacing_A).astype(int)
    keep = (np.abs(k) <= n_layers) & (dist[ok, 0] <= 2 * reach)
    k, c = k[keep] + n_layers, codes_an[ok][keep]
    n = np.bincount(k, minlength=len(ks))
    with np.errstate(invalid="ignore", divide="ignore"):
        f_in = np.bincount(k, weights=(c == inner).astype(float), minlength=len(ks)) / n
        f_out = np.bincount(k, weights=(c == outer).astype(float), minlength=len(ks)) / n
    return ks, n, f_in, f_out, 1.0 - f_in - f_out


def _references(xyz_A, box_A, codes, anions, res: PhaseBoundary) -> np.ndarray:
    """Mask over ``res.boundary``: inner-phase boundary anions with a nearest-shell anion
    neighbour (within the cutoff) that is not of the inner phase nor on the surface, i.e.
    the last inner anion layer; falls back to every inner boundary ion."""
    inner_b = np.isin(res.boundary, anions) & (codes[res.boundary] == res.inner)
    if inner_b.any():
        cand = res.boundary[inner_b]
        iq, ip, _ = NeighborSearch(xyz_A[anions], box_A).pair_distances(xyz_A[cand], res.cutoff_A)
        c = codes[anions[ip]]
        foreign = np.bincount(iq[(c != res.inner) & (c != _SURFACE)], minlength=len(cand)) > 0
        if foreign.any():
            mask = np.zeros(len(res.boundary), bool)
            mask[np.flatnonzero(inner_b)[foreign]] = True
            return mask
    return codes[res.boundary] == res.inner


def phase_boundary(xyz_A: np.ndarray, box_A: np.ndarray | None, codes: np.ndarray,
                   atoms: np.ndarray, anions: np.ndarray, centre_A: np.ndarray,
                   rotation: np.ndarray | None, n_layers: int = N_LAYERS) -> PhaseBoundary:
    """The boundary of one frame (module docstring).

    ``xyz_A`` (N, 3) Å; ``box_A`` (3, 3) Å or None; ``codes`` (N,) phase codes;
    ``atoms``: the ions considered (NC members); ``anions``: the anions among them;
    ``centre_A`` (3,) the particle's centre; ``rotation``: crystal -> lab (3, 3), None =
    identity (then the families are those of the lab axes)."""
    atoms = np.asarray(atoms, int)
    anions = np.asarray(anions, int)
    res = PhaseBoundary()
    if len(anions) < 2 or len(atoms) == 0:
        return res
    nn = nearest_anion_distance_A(xyz_A, box_A, anions)
    res.a_A, res.cutoff_A = lattice_constant_A(xyz_A, box_A, anions), float(CUTOFF_FACTOR * nn)
    c = codes[atoms]
    res.inner, res.outer = _pair(c, xyz_A[atoms], centre_A, box_A)
    if res.inner < 0:
        return res
    res.reach_A = float(REACH_FACTOR * nn)
    on, normals = _normals(xyz_A, box_A, atoms, c, res.inner, res.outer, res.reach_A)
    if len(on) == 0:
        return res
    dirs, fam = facet_directions(rotation)
    best = np.argmax(normals @ dirs.T, axis=1)
    res.boundary, res.normals, res.families = atoms[on], normals, fam[best]
    counts = np.bincount(res.families, minlength=len(FAMILIES))
    res.fractions = {f: float(counts[i] / len(on)) for i, f in enumerate(FAMILIES)}
    res.family = FAMILIES[int(np.argmax(counts))]
    res.spacing_A = layer_spacing_A(res.family, res.a_A)
    is_ref = _references(xyz_A, box_A, codes, anions, res)
    refs, ref_normals = res.boundary[is_ref], dirs[best[is_ref]]
    res.layers, res.layer_n, res.f_inner, res.f_outer, res.f_rest = _layer_profile(
        xyz_A, box_A, anions, codes[anions], refs, ref_normals, res.spacing_A, res.inner,
        res.outer, n_layers)
    res.width = width_layers(res.f_inner, res.f_outer, res.layers)
    return res
