"""Nanocrystal shapes cut from oriented crystals: spheres, rods, periodic wires,
core/shell particles and the PbSe/CdSe nano-dumbbells of 000. Lengths in Å; every shape
is centred at the origin with its axis along z."""

from __future__ import annotations

import math

import numpy as np

from omm_cx.systems.lattice import Atoms, Crystal
from omm_cx.errors import StructureError


def sphere(crystal: Crystal, diameter_A: float) -> Atoms:
    """Atoms of ``crystal`` within a sphere (about the bond midpoint)."""
    return crystal.points(diameter_A / 2)


def sphere_with_pairs(crystal: Crystal, diameter_A: float, pairs: int, window: float = 0.05,
                      grid: int = 16) -> tuple[Atoms, dict]:
    """A charge-balanced sphere of a 1:1 crystal holding as close to ``pairs`` cation-anion
    pairs as a sphere can: the cut centre runs over a grid of ``grid`` steps per cell edge
    (for cubic crystals over x >= y >= z in [0, 1/2], which the cubic symmetry operations
    map onto the whole cell), the diameter over ``(1 +- window) * diameter_A``; among the
    cuts with as many cations as anions the one closest to ``pairs`` wins, then the one
    closest to ``diameter_A``, then the first centre. Returns the atoms and the cut
    (``centre_frac``, ``diameter_A``, ``pairs``) for the build record."""
    roles, _ = crystal.structure.conventional_sites(crystal.u)
    if roles.count("cation") != roles.count("anion"):
        raise StructureError(f"a pair count needs a 1:1 crystal; {crystal.structure.name} is not")
    h = crystal.conventional_A
    r_hi = 0.5 * diameter_A * (1 + window)
    ref = crystal.points(r_hi + float(np.linalg.norm(h.sum(axis=0))), centre_A=np.zeros(3))
    pos = ref.positions_A @ crystal.rotation  # back to the unrotated crystal frame
    is_cat = np.array([r == "cation" for r in ref.roles])
    steps = np.arange(grid // 2 + 1) / grid if crystal.structure.system == "cubic" else np.arange(grid) / grid
    best = None
    for f in np.array(np.meshgrid(steps, steps, steps, indexing="ij")).reshape(3, -1).T:
        if crystal.structure.system == "cubic" and not f[0] >= f[1] >= f[2]:
            continue
        d = np.linalg.norm(pos - f @ h, axis=1)
        order = np.argsort(d, kind="stable")
        ds, cat = d[order], np.cumsum(is_cat[order])
        n = np.arange(1, len(ds) + 1)
        last = np.r_[ds[1:] - ds[:-1] > 1e-6, True]  # complete shells only
        ok = last & (2 * cat == n) & (ds >= 0.5 * diameter_A * (1 - window)) & (ds <= r_hi)
        for k in np.flatnonzero(ok):
            r = 0.5 * (ds[k] + (ds[k + 1] if k + 1 < len(ds) else ds[k] + 0.2))
            key = (abs(n[k] // 2 - pairs), abs(2 * r - diameter_A))
            if best is None or key < best[0]:
                best = (key, f.copy(), r, int(n[k] // 2))
    if best is None:
        raise StructureError(f"no charge-balanced sphere within {window:.0%} of "
                             f"{diameter_A / 10:g} nm; widen the window or give diameter_nm only")
    _, f, r, n_pairs = best
    atoms = crystal.points(r, centre_A=f @ h)
    return atoms, {"centre_frac": [float(x) for x in f], "diameter_A": float(2 * r), "pairs": n_pairs,
                   "target_pairs": int(pairs),
                   "rule": "charge-balanced sphere closest to the target pair count: centre on a "
                           f"1/{grid} grid of the conventional cell, diameter within "
                           f"+-{window:.0%} of the nominal one"}


def cylinder(crystal: Crystal, diameter_A: float, length_A: float) -> Atoms:
    """Atoms with x^2 + y^2 <= (d/2)^2 and |z| <= L/2 (a rod, non-periodic)."""
    pts = crystal.points(math.hypot(diameter_A / 2, length_A / 2) + 1e-6)
    p = pts.positions_A
    keep = (p[:, 0] ** 2 + p[:, 1] ** 2 <= (diameter_A / 2) ** 2 + 1e-9) & (np.abs(p[:, 2]) <= length_A / 2 + 1e-9)
    return pts.take(keep)


def periodic_wire(crystal: Crystal, diameter_A: float, length_A: float) -> tuple[Atoms, float]:
    """A wire periodic along z: the length is rounded to a whole number of axis periods
    (the lattice vector [uvw] along the axis); returns (atoms with 0 <= z < period, period)."""
    period = crystal.axis_period_A
    n = max(1, int(round(length_A / period)))
    L = n * period
    pts = crystal.points(math.hypot(diameter_A / 2, L) + period)
    p = pts.positions_A
    keep = (p[:, 0] ** 2 + p[:, 1] ** 2 <= (diameter_A / 2) ** 2 + 1e-9) & (p[:, 2] >= -1e-6) & (p[:, 2] < L - 1e-6)
    return pts.take(keep), L


def _layers(z: np.ndarray, tol: float = 0.05) -> np.ndarray:
    """Index of the atomic plane (normal to z) of each atom, numbered from the bottom;
    a new plane starts wherever sorted z jumps by more than ``tol`` Å."""
    order = np.argsort(z, kind="stable")
    jumps = np.concatenate([[0], np.cumsum(np.diff(z[order]) > tol)])
    layer = np.empty(len(z), dtype=int)
    layer[order] = jumps
    return layer


def wurtzite_rod_by_bilayers(crystal: Crystal, diameter_A: float, length_A: float) -> Atoms:
    """A wurtzite rod along [0001] made of whole cation-anion bilayers (the anion sits u*c
    straight above its cation): exactly stoichiometric, anion-terminated (0001) at +z and
    cation-terminated (000-1) at -z."""
    if crystal.structure.name != "wurtzite" or tuple(crystal.axis) != (0, 0, 1):
        raise StructureError("rods by bilayers need a wurtzite crystal with axis [0, 0, 1]")
    pts = cylinder(crystal, diameter_A, length_A + 2 * crystal.c_A)
    p = pts.positions_A
    cat = np.array([r == "cation" for r in pts.roles])
    bond = crystal.u * crystal.c_A
    zc = p[cat, 2]
    keep_cat = np.abs(zc + bond / 2) <= length_A / 2 - bond / 2 + 1e-6
    cat_idx = np.nonzero(cat)[0][keep_cat]
    # partner anion straight above each kept cation
    an_idx = np.nonzero(~cat)[0]
    key = {tuple(np.round(p[i, :2], 3)) + (round(p[i, 2] - bond, 3),): i for i in an_idx}
    partners = []
    for i in cat_idx:
        j = key.get(tuple(np.round(p[i, :2], 3)) + (round(p[i, 2], 3),))
        if j is None:
            raise StructureError("internal: wurtzite bilayer partner not found")
        partners.append(j)
    rod = pts.take(np.sort(np.concatenate([cat_idx, np.array(partners, dtype=int)])))
    return rod.translated([0, 0, -np.mean(rod.positions_A[:, 2])])


def stack_of_layers(crystal: Crystal, diameter_A: float, length_A: float,
                    first_layer_species: str | None = None) -> Atoms:
    """A cylinder of whole atomic planes normal to z starting at z = 0 and growing to +z.
    ``first_layer_species``: for polar stacks (e.g. rocksalt [111]) the species of the
    plane at z = 0; None for non-polar ones. Returns atoms with z from 0 to ~length."""
    pts = cylinder(crystal, diameter_A, 2 * length_A + 4 * crystal.a_A)
    layer = _layers(pts.positions_A[:, 2])
    planes = sorted(set(layer))
    start_z = {k: pts.positions_A[layer == k, 2].min() for k in planes}
    first = None
    for k in planes:
        if start_z[k] < -1e-6:
            continue
        members = {pts.species[i] for i in np.nonzero(layer == k)[0]}
        if first_layer_species is None or members == {first_layer_species}:
            first = k
            break
    if first is None:
        raise StructureError(f"no plane of pure {first_layer_species} normal to the axis")
    z0 = start_z[first]
    keep = (layer >= first) & (pts.positions_A[:, 2] - z0 <= length_A + 1e-6)
    out = pts.take(keep)
    return out.translated([0, 0, -z0])


#: Where core_shell draws the core/shell boundary: at a distance from the centre
#: ("radius": a spherical core) or along whole anion layers of one family ("100": a cube,
#: "111": an octahedron of a core). The particle itself is a sphere in every case.
SHELL_CUTS = ("radius", "100", "111")


def _shell_level(anions_A: np.ndarray, rotation: np.ndarray, cut: str) -> np.ndarray:
    """Per anion, the distance (Å) from the centre that the shell is cut on: along the
    anion itself ("radius"), or along the nearest {100} ("100": max |x_i|) or {111}
    ("111": (|x| + |y| + |z|) / sqrt 3) normal, x_i in the crystal frame."""
    if cut == "radius":
        return np.linalg.norm(anions_A, axis=1)
    p = np.asarray(anions_A, float) @ rotation  # lab -> crystal frame
    if cut == "100":
        return np.abs(p).max(axis=1)
    return np.abs(p).sum(axis=1) / np.sqrt(3)


def _shell_mask(level: np.ndarray, cut: str, exchanged_fraction: float | None,
                edge_A: float | None) -> np.ndarray:
    """Which anions belong to the shell: those beyond ``edge_A`` or, with
    ``exchanged_fraction``, the outermost ones: exactly round(fraction x N) of them for
    "radius" (ties by index), for a layer cut the whole outermost layers whose count is
    closest to fraction x N (ties: the thinner shell)."""
    n = len(level)
    if exchanged_fraction is None:
        return level > edge_A
    if cut == "radius":
        order = np.lexsort((np.arange(n), -level))
        is_shell = np.zeros(n, dtype=bool)
        is_shell[order[:int(round(exchanged_fraction * n))]] = True
        return is_shell
    lev = np.round(level, 4)
    edges = np.r_[np.unique(lev)[::-1], -np.inf]  # shell = lev > edge, thinnest first
    counts = np.array([(lev > e).sum() for e in edges])
    return lev > edges[int(np.argmin(np.abs(counts - exchanged_fraction * n)))]


def core_shell(core: Crystal, shell_cation: str, shell_structure: str, diameter_A: float,
               exchanged_fraction: float | None = None,
               shell_thickness_A: float | None = None,
               shell_a_A: float | None = None, cut: str = "radius") -> Atoms:
    """A sphere whose core (rocksalt ``core``) and shell (``shell_structure``: 'rocksalt'
    or 'zincblende', cation ``shell_cation``) share the core's fcc anion sublattice.

    Every anion owns one cation: at its octahedral (rocksalt) neighbour -a/2 x in the
    core, at its tetrahedral (zincblende) neighbour -a/4 (1,1,1) in a zincblende shell.
    Formula units whose anion lies outside the core radius form the shell; the core radius
    comes from ``shell_thickness_A`` or, with ``exchanged_fraction``, is chosen so that
    exactly round(fraction x N) cations are exchanged (outermost anions first; ties by
    index). ``cut`` "100" or "111" (:data:`SHELL_CUTS`) cuts the shell along whole {100}
    or {111} anion layers instead (a cube or octahedron of a core; with
    ``exchanged_fraction`` the whole layers closest to it, so the exchanged fraction is
    only near it). Each formula unit is neutral, so the particle is neutral when the
    parent sphere is.

    ``shell_a_A``: the shell's own cubic lattice constant (Å). The shell's formula units
    are then scaled about the particle centre by shell_a_A / core a, keeping the
    commensurate registry and orientation but giving each phase its bulk lattice
    parameter, unrelaxed at the interface (002's Debye-scattering models). Default: the
    core's.
    """
    if core.structure.name != "rocksalt":
        raise StructureError("core/shell needs a rocksalt core crystal")
    if shell_structure not in ("rocksalt", "zincblende"):
        raise StructureError(f"shell structure {shell_structure!r}: use rocksalt or zincblende")
    if shell_a_A is not None and not shell_a_A > 0:
        raise StructureError(f"shell lattice constant {shell_a_A} Å must be > 0")
    if (exchanged_fraction is None) == (shell_thickness_A is None):
        raise StructureError("give exactly one of exchanged_fraction and shell_thickness_nm")
    if cut not in SHELL_CUTS:
        raise StructureError(f"shell cut {cut!r}: use one of {', '.join(SHELL_CUTS)}")
    if exchanged_fraction is not None and not 0 <= exchanged_fraction <= 1:
        raise StructureError(f"exchanged_fraction {exchanged_fraction} must be in [0, 1]")
    parent = sphere(core, diameter_A)
    roles = np.array(parent.roles)
    anions = parent.positions_A[roles == "anion"]
    an_species = [s for s, r in zip(parent.species, parent.roles) if r == "anion"]
    rot = core.rotation
    octa = np.array([-core.a_A / 2, 0, 0]) @ rot.T
    tetra = np.array([-1, -1, -1]) * core.a_A / 4 @ rot.T
    n = len(anions)
    is_shell = _shell_mask(_shell_level(anions, rot, cut), cut, exchanged_fraction,
                           None if shell_thickness_A is None else diameter_A / 2 - shell_thickness_A)
    core_cation = core.species["cation"]
    species, roles_out, pos, parts = [], [], [], []
    for k in range(n):
        shell = is_shell[k]
        part = "shell" if shell else "core"
        off = tetra if (shell and shell_structure == "zincblende") else octa
        species += [an_species[k], shell_cation if shell else core_cation]
        roles_out += ["anion", "cation"]
        scale = shell_a_A / core.a_A if (shell and shell_a_A is not None) else 1.0
        pos += [anions[k] * scale, (anions[k] + off) * scale]
        parts += [part, part]
    return Atoms(species, roles_out, np.array(pos), parts)
