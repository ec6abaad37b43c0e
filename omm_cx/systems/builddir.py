"""The build directory: the hand-over from the structure builder to the runner.

``DIR/structure.pdb``
    atom names = species, CRYST1 = box (Å); see :mod:`omm_cx.io.pdb`.
``DIR/system.xml``
    the serialized ``openmm.System`` (forces, masses, default box).
``DIR/build.json``
    the build record (:class:`omm_cx.systems.record.BuildRecord`): counts, groups (index
    lists, 0-based, file order), formula, net charge, box, seed, the recipe as read,
    force-field name and package version.

Every file is written atomically. :func:`read_build_dir` checks that the three agree.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from omm_cx.errors import StructureError
from omm_cx.io.atomic import atomic_write_text
from omm_cx.io.pdb import Structure, read_pdb, write_pdb
from omm_cx.systems.record import BuildRecord, read_build_record, write_build_record

STRUCTURE_FILE = "structure.pdb"
SYSTEM_FILE = "system.xml"
INFO_FILE = "build.json"
__all__ = ["STRUCTURE_FILE", "SYSTEM_FILE", "INFO_FILE", "BuildFolder", "BuildDir",
           "write_build_dir", "read_build_dir"]


@dataclass(frozen=True)
class BuildFolder:
    """Where the files of a build directory are: the one owner of their names. Reading
    needs no OpenMM (:meth:`read` does, for the System)."""

    path: Path

    def __post_init__(self) -> None:
        object.__setattr__(self, "path", Path(self.path))

    @property
    def structure_pdb(self) -> Path:
        return self.path / STRUCTURE_FILE

    @property
    def system_xml(self) -> Path:
        return self.path / SYSTEM_FILE

    @property
    def record_json(self) -> Path:
        return self.path / INFO_FILE

    def exists(self) -> bool:
        """True when the folder has a build record (build.json)."""
        return self.record_json.is_file()

    def read_record(self) -> BuildRecord:
        """The build record (:class:`BuildRecord`); a malformed one raises naming it."""
        return read_build_record(self.record_json)

    def read(self) -> "BuildDir":
        """Structure, System and record, checked against each other (:func:`read_build_dir`)."""
        return read_build_dir(self.path)


@dataclass
class BuildDir:
    """What a build directory holds: the structure, the OpenMM System and the build record."""

    structure: Structure
    system: object  # openmm.System
    record: BuildRecord
    path: Path

    @property
    def info(self) -> dict[str, Any]:
        """The build record as the JSON dict of build.json (for readers that take a dict)."""
        return self.record.to_dict()

    @property
    def groups(self) -> dict[str, list[int]]:
        """Named index lists (e.g. ``nc_cations``), 0-based in file order."""
        return {k: list(v) for k, v in self.record.groups.items()}


def write_build_dir(path: str | os.PathLike, structure: Structure, system,
                    record: BuildRecord | Mapping[str, Any]) -> Path:
    """Write structure.pdb, system.xml and build.json into ``path`` (created if needed).
    ``record``: a :class:`BuildRecord` or a dict that validates as one."""
    import openmm as mm

    if not isinstance(record, BuildRecord):
        record = BuildRecord.from_dict(record)
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    write_pdb(path / STRUCTURE_FILE, structure)
    atomic_write_text(path / SYSTEM_FILE, mm.XmlSerializer.serialize(system))
    write_build_record(path / INFO_FILE, record)
    return path


def read_build_dir(path: str | os.PathLike) -> BuildDir:
    """Read a build directory; raise :class:`StructureError` naming the missing, malformed
    or inconsistent file."""
    import openmm as mm

    path = Path(path)
    for name in (STRUCTURE_FILE, SYSTEM_FILE, INFO_FILE):
        if not (path / name).is_file():
            raise StructureError(
                f"{path}: not a build directory, {name} is missing (make one with "
                f"'omm-cx build RECIPE -o {path}')"
            )
    record = read_build_record(path / INFO_FILE)
    species = record.species_order or sorted(record.counts)
    structure = read_pdb(path / STRUCTURE_FILE, species or _species_from_pdb(path / STRUCTURE_FILE))
    xml = (path / SYSTEM_FILE).read_text(encoding="utf-8")
    from omm_cx.forcefield.native import load_for

    load_for(xml)  # a system built with encoding "native" needs the plugin to be read
    system = mm.XmlSerializer.deserialize(xml)
    if system.getNumParticles() != len(structure.species):
        raise StructureError(
            f"{path}: {SYSTEM_FILE} has {system.getNumParticles()} particles but "
            f"{STRUCTURE_FILE} has {len(structure.species)} atoms"
        )
    if record.n_atoms is not None and record.n_atoms != len(structure.species):
        raise StructureError(
            f"{path}: {INFO_FILE} says {record.n_atoms} atoms but {STRUCTURE_FILE} has "
            f"{len(structure.species)}; rebuild the directory with 'omm-cx build'"
        )
    return BuildDir(structure, system, record, path)


def _species_from_pdb(pdb: Path) -> list[str]:
    names = set()
    for line in pdb.read_text(encoding="utf-8").splitlines():
        if line.startswith(("ATOM", "HETATM")):
            names.add(line[12:16].strip())
    return sorted(names)
