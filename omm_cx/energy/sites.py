"""Sites for 003's straight paths, found in the built structure itself (Å throughout).

* **Holes** of the nanocrystal: the vertices of the Voronoi diagram of its atoms whose
  first shell (atoms within ``1 + shell_tol`` of the nearest) has at least 4 atoms, all
  of the NC, is a cage rather than a ring (tetrahedral, octahedral; not the hexagonal
  ring sites between cages) and lies around the vertex (the vertex is closer to the NC's
  axis or centre than the farthest atom of its shell): the interstitial sites.
* **Entry** (003 step b): the NC hole of the outermost layer nearest to a given ion, and
  the surface adsorption site above it: on the outward radial line through the hole,
  ``adsorption_height_A`` (003: 1.8 Å) beyond the outermost NC atom within 2.5 Å of that
  line. The ion is placed on the adsorption site and moves to the hole.
* **Kick-off** (003 step d): the ion at that interstitial site moves onto the nearest
  cation of ``host_species`` (Cd), which moves on to the nearest cage on its far side
  from the ion; only the ion's start is jittered, as in 003.

"Radial" is from the wire axis (along z through the NC's centre) for a wire, and from the
NC's centre otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np

from omm_cx.errors import StructureError
from omm_cx.io.pdb import Structure
from omm_cx.periodic import IMAGE_SHIFTS, cluster_centre, minimum_image, vertex_shells



@dataclass(frozen=True)
class Hole:
    """An interstitial site: position (Å), distance to the nearest atom (Å), its first
    shell (atom indices) and its radial distance from the NC's axis or centre (Å)."""

    position_A: np.ndarray
    radius_A: float
    shell: tuple[int, ...]
    radial_A: float


@dataclass
class AutoPath:
    """A path found by :func:`auto_path`: the structure to start from (the ion placed),
    the moves (atom -> end, Å), the atoms whose start is jittered, and the sites in words."""

    structure: Structure
    moves: dict[int, np.ndarray]
    jitter_atoms: list[int]
    description: dict


def nc_indices(info: Mapping) -> np.ndarray:
    """Atoms of the NC as built (build record groups ``nc_cations`` + ``nc_anions``)."""
    groups = info.get("groups") or {}
    idx = np.array(sorted(list(groups.get("nc_cations", [])) + list(groups.get("nc_anions", []))), int)
    if len(idx) == 0:
        raise StructureError("automatic sites need the NC's atoms: give a build directory "
                             "whose build.json has the groups nc_cations and nc_anions")
    return idx


def _radial(vectors_A: np.ndarray, wire: bool) -> np.ndarray:
    v = np.asarray(vectors_A, float)
    return v[..., :2] if wire else v


def nc_centre(structure: Structure, nc: np.ndarray) -> np.ndarray:
    """Centre of the NC atoms (Å; periodic images handled, :func:`cluster_centre`)."""
    return cluster_centre(structure.positions_A[nc], structure.box_A)[0]


def holes(structure: Structure, nc: np.ndarray, wire: bool, shell_tol: float = 0.1,
          min_shell: int = 4, merge_A: float = 0.5, min_isotropy: float = 0.4) -> list[Hole]:
    """The interstitial sites of the NC (module docstring), largest empty radius first;
    vertices closer than ``merge_A`` are one site; shells flatter than ``min_isotropy``
    (smallest / largest eigenvalue of the shell's second moment: rings, the hexagonal
    sites between cages) are left out."""
    from scipy.spatial import Voronoi, cKDTree

    centre = nc_centre(structure, nc)
    pos = centre + minimum_image(structure.positions_A[nc] - centre, structure.box_A)
    if structure.box_A is not None:  # images within 8 Å of the NC, for sites at its ends
        h = np.asarray(structure.box_A, float)
        img = (pos[None] + (IMAGE_SHIFTS @ h)[:, None]).reshape(-1, 3)
        ids = np.tile(np.arange(len(pos)), len(IMAGE_SHIFTS))
        lo, hi = pos.min(axis=0) - 8.0, pos.max(axis=0) + 8.0
        keep = np.all((img > lo) & (img < hi), axis=1)
        img, ids = img[keep], ids[keep]
    else:
        img, ids = pos, np.arange(len(pos))
    vertices = Voronoi(img).vertices
    inside = np.all((vertices > pos.min(axis=0) - 1e-6) & (vertices < pos.max(axis=0) + 1e-6), axis=1)
    vertices = vertices[inside]
    radius, shells, aniso = vertex_shells(img, vertices, shell_tol)
    found: list[Hole] = []
    for x, r0, first, an in zip(vertices, radius, shells, aniso):
        if len(first) < min_shell or an < min_isotropy:  # a ring (hexagonal site): a saddle
            continue
        r_x = float(np.linalg.norm(_radial(x - centre, wire)))
        r_shell = np.linalg.norm(_radial(img[first] - centre, wire), axis=1)
        if r_x >= r_shell.max():  # not enclosed: a surface site
            continue
        found.append(Hole(x, float(r0), tuple(int(nc[ids[j]]) for j in first), r_x))
    found.sort(key=lambda hh: -hh.radius_A)
    # one site per hole: a degenerate vertex (an octahedral hole) appears several times
    out: list[Hole] = []
    if found:
        tree = cKDTree(np.array([hh.position_A for hh in found]))
        taken = np.zeros(len(found), bool)
        for i, hh in enumerate(found):
            if not taken[i]:
                out.append(hh)
                taken[tree.query_ball_point(hh.position_A, merge_A)] = True
    return out


def covered_holes(structure: Structure, nc: np.ndarray, found: list[Hole], wire: bool,
                  lateral_A: float = 2.5, min_cover_A: float = 1.0) -> list[tuple[Hole, float]]:
    """(hole, cover) for the holes with NC atoms above them: ``cover`` (Å) is how far the
    outermost NC atom within ``lateral_A`` of the hole's outward radial line lies beyond
    the hole; holes with less than ``min_cover_A`` are surface sites and left out."""
    centre = nc_centre(structure, nc)
    pos = centre + minimum_image(structure.positions_A[nc] - centre, structure.box_A)
    out = []
    for hh in found:
        radial = _radial(hh.position_A - centre, wire)
        n = np.linalg.norm(radial)
        if n < 1e-6:
            continue
        direction = np.zeros(3)
        direction[: len(radial)] = radial / n
        rel = pos - hh.position_A
        along = rel @ direction
        lateral = np.linalg.norm(rel - np.outer(along, direction), axis=1)
        above = along[(lateral < lateral_A) & (along > 0)]
        if len(above) and above.max() >= min_cover_A:
            out.append((hh, float(above.max())))
    return out


def entry_sites(structure: Structure, info: Mapping, atom: int, adsorption_height_A: float = 1.8,
                outer_band_A: float = 1.5) -> tuple[np.ndarray, Hole, dict]:
    """(adsorption site, hole, description) for the ion ``atom`` entering the NC."""
    nc = nc_indices(info)
    wire = info.get("wire_period_A") is not None
    centre = nc_centre(structure, nc)
    found = covered_holes(structure, nc, holes(structure, nc, wire), wire)
    if not found:
        raise StructureError("no interstitial site below the NC surface found")
    r_max = max(hh.radial_A for hh, _ in found)
    outer = [(hh, c) for hh, c in found if hh.radial_A >= r_max - outer_band_A]
    ion = structure.positions_A[atom]
    hole, cover = min(outer, key=lambda hc: float(np.linalg.norm(
        minimum_image(ion - hc[0].position_A, structure.box_A))))
    radial = _radial(hole.position_A - centre, wire)
    direction = np.zeros(3)
    direction[: len(radial)] = radial / np.linalg.norm(radial)
    site = hole.position_A + direction * (cover + adsorption_height_A)
    return site, hole, {"hole_A": hole.position_A.tolist(), "hole_radius_A": hole.radius_A,
                        "hole_shell": len(hole.shell), "hole_radial_A": hole.radial_A,
                        "cover_A": cover, "adsorption_site_A": site.tolist(),
                        "adsorption_height_A": adsorption_height_A,
                        "rule": "the NC hole of the outermost covered layer nearest the ion (a "
                                "hole with an NC atom >= 1 Å beyond it within 2.5 Å of its "
                                "outward radial line); adsorption site "
                                f"{adsorption_height_A} Å beyond that atom on the line"}


def default_ion(structure: Structure, info: Mapping, species: str = "Cu") -> int:
    """The first solution cation of ``species`` (build record group ``solution_cations``)."""
    for i in (info.get("groups") or {}).get("solution_cations", []):
        if structure.species[i] == species:
            return int(i)
    raise StructureError(f"no {species} among the solution cations of the build; give --atom")


def auto_path(kind: str, structure: Structure, info: Mapping, atom: int,
              host_species: str = "Cd") -> AutoPath:
    """003's paths found automatically: ``kind`` "entry" (adsorption site -> the hole
    below it) or "kickoff" (the ion at that hole swaps with the nearest ``host_species``
    cation). The ion ``atom`` is placed at the path's start."""
    if kind not in ("entry", "kickoff"):
        raise StructureError(f"automatic path {kind!r}: use entry or kickoff")
    if not 0 <= atom < len(structure.species):
        raise StructureError(f"atom index {atom} is outside 0..{len(structure.species) - 1}")
    site, hole, desc = entry_sites(structure, info, atom)
    pos = structure.positions_A.copy()
    if kind == "entry":
        pos[atom] = site
        moved = Structure(list(structure.species), pos, structure.box_A, structure.source)
        return AutoPath(moved, {atom: hole.position_A.copy()}, [atom], {"kind": kind, **desc})
    pos[atom] = hole.position_A
    nc_idx = nc_indices(info)
    nc = set(nc_idx.tolist())
    hosts = [i for i, s in enumerate(structure.species) if s == host_species and i in nc]
    if not hosts:
        raise StructureError(f"no {host_species} in the NC for the kick-off")
    d = np.linalg.norm(minimum_image(pos[hosts] - hole.position_A, structure.box_A), axis=1)
    partner = hosts[int(np.argmin(d))]
    # the kicked-out cation goes to the nearest other cage on its far side from the ion
    # (moving both along one line would push them through each other)
    wire = info.get("wire_period_A") is not None
    toward_ion = minimum_image(hole.position_A - pos[partner], structure.box_A)
    options = []
    for h in holes(structure, nc_idx, wire):
        v = minimum_image(h.position_A - pos[partner], structure.box_A)
        if np.linalg.norm(v) > 0.5 and v @ toward_ion < 0:
            options.append((float(np.linalg.norm(v)), h))
    if not options:
        raise StructureError(f"no cage beyond {host_species} {partner} for the kick-off")
    dist, target = min(options, key=lambda o: o[0])
    moved = Structure(list(structure.species), pos, structure.box_A, structure.source)
    # end points in the same periodic image as the starts (the lines must be short)
    moves = {atom: hole.position_A + minimum_image(pos[partner] - hole.position_A, structure.box_A),
             partner: pos[partner] + minimum_image(target.position_A - pos[partner], structure.box_A)}
    return AutoPath(moved, moves, [atom], {"kind": kind, **desc, "partner": partner,
                                           "partner_distance_A": float(d.min()),
                                           "partner_to_A": moves[partner].tolist(),
                                           "partner_path_A": dist,
                                           "partner_cage_shell": sorted(
                                               structure.species[i] for i in target.shell)})
