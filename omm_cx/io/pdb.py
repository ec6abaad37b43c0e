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


#: PDB record names read_pdb accepts; ATOM/HETATM and CRYST1 are used, the others skipped.
KNOWN_RECORDS = frozenset(
    "ATOM HETATM CRYST1 END ENDMDL MODEL TER REMARK HEADER TITLE COMPND SOURCE KEYWDS EXPDTA "
    "AUTHOR REVDAT JRNL CONECT MASTER SCALE1 SCALE2 SCALE3 ORIGX1 ORIGX2 ORIGX3 ANISOU "
    "SEQRES HET HETNAM HETSYN FORMUL HELIX SHEET LINK SSBOND CISPEP SITE MODRES DBREF "
    "SEQADV NUMMDL MDLTYP SPLIT CAVEAT OBSLTE SPRSDE SIGATM SIGUIJ TURN HYDBND SLTBRG "
    "FTNOTE USER TVECT".split())

_FIX = "fix or regenerate the file (omm_cx writes PDBs with write_pdb)"


def _numbers(line: str, fields: Sequence[tuple[int, int]]) -> list[float] | None:
    try:
        return [float(line[a:b]) for a, b in fields]
    except ValueError:
        return None


def _check_atom_line(path: Path, lineno: int, line: str, atom: int) -> None:
    """Raise StructureError when an ATOM/HETATM line lacks finite x, y, z (columns 31-54)."""
    name = line[12:16].strip() or "?"
    where = f"{path}: line {lineno} (atom {atom}, name {name!r})"
    if len(line.rstrip()) < 54:
        raise StructureError(f"{where}: the atom record is cut short ({len(line.rstrip())} of at "
                             f"least 54 columns: a truncated file?); {_FIX}")
    xyz = _numbers(line, ((30, 38), (38, 46), (46, 54)))
    if xyz is None:
        raise StructureError(f"{where}: coordinates {line[30:54].strip()!r} (columns 31-54) are "
                             f"not three numbers; {_FIX}")
    bad = [f"{axis} = {v}" for axis, v in zip("xyz", xyz) if not np.isfinite(v)]
    if bad:
        raise StructureError(f"{where}: non-finite coordinate {', '.join(bad)} (a diverged run?); "
                             f"{_FIX} or use the last good frame")


def _check_cryst1(path: Path, lineno: int, line: str) -> None:
    cell = _numbers(line, ((6, 15), (15, 24), (24, 33), (33, 40), (40, 47), (47, 54)))
    if cell is None or not all(np.isfinite(cell)) or min(cell) <= 0:
        raise StructureError(f"{path}: line {lineno}: CRYST1 {line[6:54].strip()!r} is not a "
                             f"box (a, b, c > 0 in Å and three angles in degrees, columns "
                             f"7-54); {_FIX}")


def check_pdb_text(path: str | os.PathLike) -> int:
    """Check a PDB file's records before parsing: every record name known
    (:data:`KNOWN_RECORDS`), every ATOM/HETATM line with finite numeric x, y, z, CRYST1
    a box; returns the number of atoms (of the first model). Raises StructureError naming
    the file, the line number and the atom, with the fix."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise StructureError(f"{path}: byte {exc.start} is not text; a PDB file is plain text "
                             f"(is this a binary file or another format?)") from None
    atoms, first_model_atoms, model_ended = 0, None, False
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        record = line[:6].strip().upper()
        if record not in KNOWN_RECORDS:
            raise StructureError(f"{path}: line {lineno}: unknown record {line[:6].strip()!r} "
                                 f"(not a PDB record name in columns 1-6); {_FIX}")
        if record in ("ATOM", "HETATM"):
            atoms = 1 if model_ended else atoms + 1
            model_ended = False
            _check_atom_line(path, lineno, line, atoms)
        elif record == "CRYST1":
            _check_cryst1(path, lineno, line)
        elif record == "ENDMDL":
            first_model_atoms = atoms if first_model_atoms is None else first_model_atoms
            model_ended = True
    n = atoms if first_model_atoms is None else first_model_atoms
    if n == 0:
        raise StructureError(f"{path}: no ATOM/HETATM records (an empty or truncated file?); "
                             f"{_FIX}")
    return n


def read_pdb(path: str | os.PathLike, known_species: Iterable[str]) -> Structure:
    """Read a PDB; species from atom names (case-insensitive match with ``known_species``),
    box from CRYST1 (None when absent). The records are checked first
    (:func:`check_pdb_text`): a bad file is a StructureError naming the line and atom."""
    path = Path(path)
    if not path.is_file():
        what = "is a directory, not a PDB file" if path.is_dir() else "not found"
        raise StructureError(f"structure file {str(path)!r} {what}; check the path")
    check_pdb_text(path)
    import openmm
    import openmm.app as app

    known = list(known_species)
    try:
        pdb = app.PDBFile(str(path))
    except Exception as exc:  # OpenMM raises plain Exceptions for bad files
        raise StructureError(f"{path}: cannot read PDB: {exc}; {_FIX}") from None
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
    where periodic; triclinic boxes too), or None."""
    from omm_cx.periodic import NeighborSearch

    pos = np.asarray(positions_A, dtype=float)
    if len(pos) < 2:
        return None
    i, j, d = NeighborSearch(pos, box_A).pair_distances(pos, within_A)
    keep = i < j  # each pair once, no atom with itself
    if not keep.any():
        return None
    i, j, d = i[keep], j[keep], d[keep]
    k = np.lexsort((j, i, d))[0]  # the closest; ties: lowest indices
    return int(i[k]), int(j[k]), float(d[k])


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
