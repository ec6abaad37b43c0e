"""Point defects in bulk supercells: interstitial sites of any crystal structure, and
supercells with one vacancy, interstitial or substitution (Å throughout).

Interstitial sites are found, not tabulated: the candidate holes are the vertices of the
Voronoi diagram of the atoms (the points farthest from their nearest atoms), grouped into
kinds by their empty radius and first shell (the atoms within ``1 + shell_tol`` times the
nearest distance). A first shell of 4 is *tetrahedral*; of 6, *octahedral* when the shell
is roughly isotropic (smallest / largest eigenvalue of its second moment >= 0.4) and
*hexagonal* when it is a ring (ratio < 0.15; the channel site of wurtzite, the hexagonal
site of zinc blende); a first shell of 8 in a cube is *cubic*; anything else is
``"<n>-fold"``. A kind whose shell holds only
cations (anions) gets the suffix ``-cation`` (``-anion``): zinc blende has
``tetrahedral-anion`` at (1/2, 1/2, 1/2) a and ``tetrahedral-cation`` at (3/4, 3/4, 3/4) a.

    sites = interstitial_sites(STRUCTURES["wurtzite"], {"cation": "Cd", "anion": "Se"},
                               a=4.43, c=7.05, u=0.383)
    cell = defect_supercell(STRUCTURES["wurtzite"], {"cation": "Cd", "anion": "Se"},
                            {"a": 4.43, "c": 7.05, "u": 0.383}, (7, 7, 4),
                            parse_defect("interstitial:Cu@octahedral"))
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np

from omm_cx.crystals import CrystalStructure
from omm_cx.errors import StructureError
from omm_cx.periodic import IMAGE_SHIFTS, vertex_shells

DEFECT_KINDS = ("vacancy", "interstitial", "substitution")


@dataclass(frozen=True)
class InterstitialSite:
    """One kind of interstitial site: ``name`` (e.g. ``"octahedral"``), ``frac``
    (3,) conventional fractional coordinates of one representative, ``radius_A`` the
    distance to the nearest atom, ``shell`` role -> number of atoms in the first shell,
    ``multiplicity`` the sites of this kind per conventional cell, ``anisotropy`` of the
    first shell (1 = isotropic, 0 = flat ring)."""

    name: str
    frac: tuple[float, float, float]
    radius_A: float
    shell: Mapping[str, int]
    multiplicity: int
    anisotropy: float

    def describe(self) -> dict:
        return {"name": self.name, "frac": list(self.frac), "radius_A": self.radius_A,
                "shell": dict(self.shell), "multiplicity": self.multiplicity,
                "anisotropy": self.anisotropy}


def _kind(n_shell: int, anisotropy: float) -> str:
    if n_shell == 4:
        return "tetrahedral"
    if n_shell == 6 and anisotropy >= 0.4:
        return "octahedral"
    if n_shell == 6 and anisotropy < 0.15:
        return "hexagonal"
    if n_shell == 8 and anisotropy >= 0.4:
        return "cubic"
    return f"{n_shell}-fold"


def interstitial_sites(structure: CrystalStructure, species: Mapping[str, str], a: float,
                       c: float | None = None, u: float | None = None,
                       shell_tol: float = 0.1) -> list[InterstitialSite]:
    """The kinds of interstitial site of a crystal, largest empty radius first (module
    docstring). ``species``: role -> species name; ``a``, ``c`` in Å, ``u`` fractional."""
    from scipy.spatial import Voronoi

    cell = structure.cell(species, a, c, u)
    h = np.asarray(cell.lattice_A, float)
    roles = structure.conventional_sites(u)[0]  # the order of cell.positions_A
    images = (np.asarray(cell.positions_A)[None] + (IMAGE_SHIFTS @ h)[:, None]).reshape(-1, 3)
    image_roles = np.array(roles * len(IMAGE_SHIFTS), dtype=object)
    vertices = Voronoi(images).vertices
    frac = vertices @ np.linalg.inv(h)
    inside = np.all((frac > -1e-6) & (frac < 1 - 1e-6), axis=1)
    frac, vertices = frac[inside] % 1.0, vertices[inside]
    radius, shells, aniso = vertex_shells(images, vertices, shell_tol)
    groups: dict[tuple, list] = {}
    for f, r0, shell, an in zip(frac, radius, shells, aniso):
        counts = {r: int(np.sum(image_roles[shell] == r)) for r in ("cation", "anion")}
        key = (round(float(r0), 3), counts["cation"], counts["anion"], round(float(an), 2))
        groups.setdefault(key, []).append(f)
    sites = []
    for (r0, n_cat, n_an, aniso), members in groups.items():
        unique = _unique_frac(members)
        name = _kind(n_cat + n_an, aniso)
        if n_cat == 0 or n_an == 0:
            name += "-anion" if n_cat == 0 else "-cation"
        sites.append(InterstitialSite(name, tuple(round(float(x), 6) % 1.0 for x in unique[0]), r0,
                                      {"cation": n_cat, "anion": n_an}, len(unique), aniso))
    sites.sort(key=lambda s: (-s.radius_A, s.name))
    seen: dict[str, int] = {}
    out = []
    for s in sites:  # the same kind twice (different radii): number them, largest first
        seen[s.name] = seen.get(s.name, 0) + 1
        out.append(s if seen[s.name] == 1 else
                   InterstitialSite(f"{s.name}-{seen[s.name]}", s.frac, s.radius_A, s.shell,
                                    s.multiplicity, s.anisotropy))
    return out


def _unique_frac(points: Sequence[np.ndarray], tol: float = 1e-3) -> list[np.ndarray]:
    out: list[np.ndarray] = []
    for p in points:
        if not any(np.all(np.abs(((p - q) + 0.5) % 1.0 - 0.5) < tol) for q in out):
            out.append(np.asarray(p, float))
    return out


@dataclass(frozen=True)
class Defect:
    """One point defect. ``kind``: vacancy, interstitial or substitution; ``species``:
    the species removed (vacancy), added (interstitial) or put in (substitution);
    ``site``: the interstitial site name, or the species replaced (substitution)."""

    kind: str
    species: str
    site: str | None = None

    def __str__(self) -> str:
        return f"{self.kind}:{self.species}" + (f"@{self.site}" if self.site else "")

    def changes(self) -> dict[str, int]:
        """Species -> change in count (+1 added, -1 removed)."""
        if self.kind == "vacancy":
            return {self.species: -1}
        if self.kind == "interstitial":
            return {self.species: +1}
        return {self.species: +1, str(self.site): -1}


def parse_defect(text: str) -> Defect:
    """``vacancy:Cd``, ``interstitial:Cu@octahedral`` or ``substitution:Cu@Cd`` (Cu on a
    Cd site) -> :class:`Defect`."""
    kind, _, rest = text.partition(":")
    species, _, site = rest.partition("@")
    kind, species, site = kind.strip(), species.strip(), site.strip() or None
    if kind not in DEFECT_KINDS or not species:
        raise StructureError(f"defect {text!r}: write vacancy:SPECIES, interstitial:SPECIES@SITE "
                             f"or substitution:NEW@OLD (e.g. interstitial:Cu@octahedral)")
    if kind in ("interstitial", "substitution") and site is None:
        raise StructureError(f"defect {text!r}: {kind} needs '@SITE' (an interstitial site "
                             f"name, or the species replaced)")
    if kind == "vacancy" and site is not None:
        raise StructureError(f"defect {text!r}: a vacancy takes no '@SITE'; write vacancy:SPECIES")
    return Defect(kind, species, site)


@dataclass
class DefectCell:
    """A bulk supercell with one defect: ``species`` and ``positions_A`` (N, 3) of the
    defect cell, ``box_A`` (3, 3) rows, the ``perfect`` cell's species and positions, the
    ``defect``, ``defect_position_A`` and a JSON-ready ``record``."""

    species: list[str]
    positions_A: np.ndarray
    box_A: np.ndarray
    perfect_species: list[str]
    perfect_positions_A: np.ndarray
    defect: Defect
    defect_position_A: np.ndarray
    record: dict = field(default_factory=dict)


def defect_supercell(structure: CrystalStructure, species: Mapping[str, str],
                     params: Mapping[str, float], repeats: Sequence[int], defect: Defect,
                     site: InterstitialSite | None = None) -> DefectCell:
    """A supercell of ``repeats`` conventional cells with ``defect`` nearest to the cell
    centre. ``params``: a, c (Å), u. For an interstitial the site is looked up by name
    among :func:`interstitial_sites` unless given."""
    a, c, u = params.get("a"), params.get("c"), params.get("u")
    cell = structure.cell(species, a, c, u, repeats=tuple(int(n) for n in repeats))
    box = np.asarray(cell.lattice_A, float)
    pos = np.asarray(cell.positions_A, float)
    names = list(cell.species)
    centre = 0.5 * box.sum(axis=0)
    record = {"defect": str(defect), "structure": structure.name, "species": dict(species),
              "params": dict(params), "repeats": list(repeats)}
    if defect.kind == "interstitial":
        if site is None:
            site = _site_named(structure, species, a, c, u, str(defect.site))
        conv = structure.lattice_vectors(a, c)
        reps = np.array(repeats, float)
        n = np.floor(0.5 * reps)
        x = (np.asarray(site.frac) + n) @ conv
        new_species, new_pos = names + [defect.species], np.vstack([pos, x])
        record["site"] = site.describe()
        return DefectCell(new_species, new_pos, box, names, pos, defect, x, record)
    target = defect.species if defect.kind == "vacancy" else str(defect.site)
    candidates = [i for i, s in enumerate(names) if s == target]
    if not candidates:
        raise StructureError(f"defect {defect}: no {target} in {structure.name} "
                             f"({', '.join(sorted(set(names)))})")
    i = min(candidates, key=lambda k: float(np.linalg.norm(pos[k] - centre)))
    record["atom_index"] = i
    if defect.kind == "vacancy":
        keep = np.arange(len(names)) != i
        return DefectCell([s for s, k in zip(names, keep) if k], pos[keep], box, names, pos,
                          defect, pos[i].copy(), record)
    new_species = list(names)
    new_species[i] = defect.species
    return DefectCell(new_species, pos.copy(), box, names, pos, defect, pos[i].copy(), record)


def _site_named(structure, species, a, c, u, name: str) -> InterstitialSite:
    sites = interstitial_sites(structure, species, a, c, u)
    for s in sites:
        if s.name == name:
            return s
    matches = [s for s in sites if s.name.startswith(name)]
    if len(matches) >= 1 and all(m.name.split("-")[0] == name for m in matches):
        return matches[0]  # e.g. "tetrahedral" -> the largest tetrahedral site
    raise StructureError(f"no interstitial site {name!r} in {structure.name}; sites: "
                         f"{', '.join(s.name for s in sites)}")
