"""The build directory: the hand-over from the structure builder to the runner.

``DIR/structure.pdb``
    atom names = species, CRYST1 = box (Å); see :mod:`omm_cx.io.pdb`.
``DIR/system.xml``
    the serialized ``openmm.System`` (forces, masses, default box).
``DIR/build.json``
    counts, groups (index lists, 0-based, file order), formula, net charge, box, seed,
    the recipe as read, force-field name and package version.

Every file is written atomically. :func:`read_build_dir` checks that the three agree.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from omm_cx.io.atomic import atomic_write_text
from omm_cx.errors import StructureError
from omm_cx.io.pdb import Structure, read_pdb, write_pdb

STRUCTURE_FILE = "structure.pdb"
SYSTEM_FILE = "system.xml"
INFO_FILE = "build.json"


@dataclass
class BuildDir:
    """What a build directory holds: the structure, the OpenMM System and the build record."""

    structure: Structure
    system: object  # openmm.System
    info: dict
    path: Path

    @property
    def groups(self) -> dict[str, list[int]]:
        """Named index lists (e.g. ``nc_cations``), 0-based in file order."""
        return {k: list(v) for k, v in self.info.get("groups", {}).items()}


def write_build_dir(path: str | os.PathLike, structure: Structure, system, info: dict) -> Path:
    """Write structure.pdb, system.xml and build.json into ``path`` (created if needed)."""
    import openmm as mm

    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    write_pdb(path / STRUCTURE_FILE, structure)
    atomic_write_text(path / SYSTEM_FILE, mm.XmlSerializer.serialize(system))
    atomic_write_text(path / INFO_FILE, json.dumps(info, indent=1, default=_json_default) + "\n")
    return path


def _json_default(obj):
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (np.floating,)):
        return float(obj)
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"not JSON serializable: {type(obj).__name__}")


def read_build_dir(path: str | os.PathLike) -> BuildDir:
    """Read a build directory; raise :class:`StructureError` naming the missing or
    inconsistent file."""
    import openmm as mm

    path = Path(path)
    for name in (STRUCTURE_FILE, SYSTEM_FILE, INFO_FILE):
        if not (path / name).is_file():
            raise StructureError(
                f"{path}: not a build directory, {name} is missing (make one with "
                f"'omm-cx build RECIPE -o {path}')"
            )
    info = json.loads((path / INFO_FILE).read_text(encoding="utf-8"))
    species = info.get("species_order") or sorted(info.get("counts", {}))
    structure = read_pdb(path / STRUCTURE_FILE, species or _species_from_pdb(path / STRUCTURE_FILE))
    system = mm.XmlSerializer.deserialize((path / SYSTEM_FILE).read_text(encoding="utf-8"))
    if system.getNumParticles() != len(structure.species):
        raise StructureError(
            f"{path}: {SYSTEM_FILE} has {system.getNumParticles()} particles but "
            f"{STRUCTURE_FILE} has {len(structure.species)} atoms"
        )
    return BuildDir(structure, system, info, path)


def _species_from_pdb(pdb: Path) -> list[str]:
    names = set()
    for line in pdb.read_text(encoding="utf-8").splitlines():
        if line.startswith(("ATOM", "HETATM")):
            names.add(line[12:16].strip())
    return sorted(names)
