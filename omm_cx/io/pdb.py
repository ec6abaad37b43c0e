"""Reading and writing structures: PDB files whose atom names are species names.

Convention (shared by every omm_cx stage): one atom per residue, atom name = species
(Pb, Cd, Se, S, Cu, PSL), the periodic box in CRYST1. Positions and box in Å.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from omm_cx.io.atomic import atomic_write_text
from omm_cx.errors import StructureError

#: Two particles closer than this (Å) are reported as overlapping.
OVERLAP_ANGSTROM = 0.5


@dataclass
class Structure:
    """Species per atom, positions (N, 3) in Å, box (3, 3) rows in Å or None."""

    species: list[str]
    positions_A: np.ndarray
    box_A: np.ndarray | None
    source: str = ""

    def __post_init__(self):
        self.positions_A = np.asarray(self.positions_A, dtype=float).reshape(-1, 3)
        if len(self.species) != len(self.positions_A):
            raise StructureError(
                f"{self.source or 'structure'}: {len(self.species)} species for "
                f"{len(self.positions_A)} positions"
            )
        if self.box_A is not None:
            self.box_A = np.asarray(self.box_A, dtype=float).reshape(3, 3)


def _match_species(name: str, known: Sequence[str]) -> str | None:
    for k in known:
        if k.lower() == name.lower():
            return k
    return None


def read_pdb(path: str | os.PathLike, known_species: Iterable[str]) -> Structure:
    """Read a PDB; species from atom names (case-insensitive match with ``known_species``),
    box from CRYST1 (None when absent)."""
    import openmm
    import openmm.app as app

    path = Path(path)
    if not path.is_file():
        raise StructureError(f"structure file {str(path)!r} not found")
    known = list(known_species)
    try:
        pdb = app.PDBFile(str(path))
    except Exception as exc:  # OpenMM raises plain Exceptions for bad files
        raise StructureError(f"{path}: cannot read PDB: {exc}") from None
    species = []
    for atom in pdb.topology.atoms():
        s = _match_species(atom.name.strip(), known)
        if s is None:
            raise StructureError(
                f"{path}: atom {atom.index + 1} (name {atom.name!r}, residue "
                f"{atom.residue.name} {atom.residue.id}) is not a species of the force field "
                f"({', '.join(known)}); atom names must be species names"
            )
        species.append(s)
    pos = np.array(pdb.getPositions(asNumpy=True).value_in_unit(openmm.unit.angstrom))
    box = pdb.topology.getPeriodicBoxVectors()
    box_A = None if box is None else np.array([[v.x, v.y, v.z] for v in box]) * 10.0
    return Structure(species, pos, box_A, str(path))


def _pdb_lines(structure: Structure) -> list[str]:
    lines = []
    if structure.box_A is not None:
        h = structure.box_A
        a, b, c = (np.linalg.norm(v) for v in h)
        ang = lambda u, v: np.degrees(np.arccos(np.dot(u, v) / np.linalg.norm(u) / np.linalg.norm(v)))
        lines.append(
            f"CRYST1{a:9.3f}{b:9.3f}{c:9.3f}{ang(h[1], h[2]):7.2f}{ang(h[0], h[2]):7.2f}"
            f"{ang(h[0], h[1]):7.2f} P 1           1"
        )
    for i, (s, (x, y, z)) in enumerate(zip(structure.species, structure.positions_A)):
        serial = (i + 1) % 100000
        resid = (i + 1) % 10000
        name = s if len(s) >= 4 else f" {s:<3s}"
        element = s if len(s) <= 2 else ""
        lines.append(
            f"HETATM{serial:5d} {name:4s} {s.upper()[:3]:>3s} A{resid:4d}    "
            f"{x:8.3f}{y:8.3f}{z:8.3f}  1.00  0.00          {element:>2s}"
        )
    lines.append("END")
    return lines


def write_pdb(path: str | os.PathLike, structure: Structure) -> None:
    """Write a PDB (atom name = species, CRYST1 = box) atomically. Coordinates are
    written with 3 decimals (1e-3 Å), the PDB format's precision."""
    atomic_write_text(path, "\n".join(_pdb_lines(structure)) + "\n")


def closest_pair(positions_A: np.ndarray, box_A: np.ndarray | None, within_A: float):
    """(i, j, distance in Å) of the closest pair closer than ``within_A`` (minimum image
    where periodic), or None."""
    from scipy.spatial import cKDTree

    pos = np.asarray(positions_A, dtype=float)
    n = len(pos)
    if n < 2:
        return None
    if box_A is None:
        tree, images, ids = cKDTree(pos), pos, np.arange(n)
    else:
        h = np.asarray(box_A, dtype=float)
        frac = np.linalg.solve(h.T, pos.T).T
        wrapped = (frac - np.floor(frac)) @ h
        shifts = np.array([[i, j, k] for i in (-1, 0, 1) for j in (-1, 0, 1) for k in (-1, 0, 1)]) @ h
        images = (wrapped[None, :, :] + shifts[:, None, :]).reshape(-1, 3)
        ids = np.tile(np.arange(n), len(shifts))
        tree = cKDTree(images)
        pos = wrapped
    best = None
    for i, js in enumerate(tree.query_ball_point(pos, within_A)):
        for k in js:
            j = ids[k]
            if j == i:
                continue
            d = float(np.linalg.norm(images[k] - pos[i]))
            if best is None or d < best[2]:
                best = (min(i, j), max(i, j), d)
    return best


def check_no_overlaps(structure: Structure, min_distance_A: float = OVERLAP_ANGSTROM) -> None:
    """Raise :class:`StructureError` naming the two atoms of the closest pair when any two
    particles are closer than ``min_distance_A``."""
    hit = closest_pair(structure.positions_A, structure.box_A, min_distance_A)
    if hit is not None:
        i, j, d = hit
        raise StructureError(
            f"{structure.source or 'structure'}: atoms {i + 1} ({structure.species[i]}) and "
            f"{j + 1} ({structure.species[j]}) overlap at {d:.3f} Å (< {min_distance_A} Å); "
            f"fix the coordinates or remove one of them"
        )
