"""Atom groups of an analysis: species, roles (cation / anion / ligand) and the groups
the analyses count (original NC cations and anions, in-going cations, build.json groups).

Groups come from ``build.json`` (written by ``omm-cx build``; read by
:func:`load_build_info`, the one place the analyses read it, into the typed
:class:`~omm_cx.systems.record.BuildRecord`, format 1 or 2) when there is one. Without
it (a user's LAMMPS trajectory) :func:`groups_from_geometry` applies the documented
geometric fallback: the NC is the largest anion cluster of the first frame plus the
cations it coordinates (the membership criterion of :mod:`omm_cx.analysis.membership`);
original cations are the NC cations of the first frame that are not of an in-going
species; in-going species are the other cation species (or those given).
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Mapping, Sequence

import numpy as np

from omm_cx.analysis.membership import MembershipCriterion, frame_membership
from omm_cx.errors import AnalysisError, ConfigError, StructureError
from omm_cx.systems.builddir import INFO_FILE
from omm_cx.systems.record import BuildRecord, read_build_record

if TYPE_CHECKING:  # pragma: no cover
    import mdtraj as md

#: Roles of the species omm_cx knows, used when there is no build.json.
DEFAULT_ROLES: dict[str, str] = {
    "Pb": "cation", "Cd": "cation", "Cu": "cation", "Zn": "cation", "Hg": "cation",
    "Ag": "cation", "In": "cation", "Sn": "cation", "Mn": "cation", "Ca": "cation",
    "S": "anion", "Se": "anion", "Te": "anion", "O": "anion",
    "PSL": "ligand",
}

__all__ = ["DEFAULT_ROLES", "AnalysisError", "AnalysisGroups", "as_build_record",
           "canonical_species", "species_of_topology", "groups_from_build_info",
           "groups_from_geometry", "load_build_info"]


# ------------------------------------------------------------------------- species
def canonical_species(name: str) -> str:
    """Species from an atom name: matched case-insensitively to :data:`DEFAULT_ROLES`
    ('PB' -> 'Pb'); other names are kept as they are."""
    n = name.strip()
    for k in DEFAULT_ROLES:
        if k.lower() == n.lower():
            return k
    return n


def species_of_topology(topology: "md.Topology") -> np.ndarray:
    """(n_atoms,) array of species names from the atom names (omm_cx convention:
    atom name = species)."""
    return np.array([canonical_species(a.name) for a in topology.atoms], dtype=object)


# -------------------------------------------------------------------------- groups
@dataclass
class AnalysisGroups:
    """Atom groups the analyses need. Index arrays are 0-based in file order.

    ``original``: cations of the NC as built (build.json ``nc_cations``);
    ``original_anions``: anions of the NC as built; ``in_going``: cations that can enter
    the NC (build.json ``solution_cations``); ``role_of``: species -> cation / anion /
    ligand; ``source``: where the groups came from (said in summary.json); ``named``:
    every group of build.json (``nc_core``, ``nc_shell``, ...).
    """

    species: np.ndarray
    role_of: dict[str, str]
    original: np.ndarray
    original_anions: np.ndarray
    in_going: np.ndarray
    source: str
    named: dict[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self):
        self.species = np.asarray(self.species, dtype=object)
        for key in ("original", "original_anions", "in_going"):
            setattr(self, key, np.asarray(getattr(self, key), dtype=int))
        missing = sorted(set(self.species) - set(self.role_of))
        if missing:
            raise AnalysisError(
                f"no role (cation/anion/ligand) known for species {', '.join(missing)}; "
                f"give them, e.g. --roles {missing[0]}=cation")

    @property
    def n_atoms(self) -> int:
        return len(self.species)

    def _role(self, role: str) -> np.ndarray:
        key = (role, tuple(sorted(self.role_of.items())), len(self.species))
        cache = self.__dict__.setdefault("_role_cache", {})
        if key not in cache:
            roles = np.array([self.role_of[s] for s in self.species], dtype=object)
            cache[key] = np.flatnonzero(roles == role)
        return cache[key]

    @property
    def cations(self) -> np.ndarray:
        return self._role("cation")

    @property
    def anions(self) -> np.ndarray:
        return self._role("anion")

    @property
    def ligands(self) -> np.ndarray:
        return self._role("ligand")

    @property
    def species_list(self) -> list[str]:
        """Species in order of first appearance."""
        return list(dict.fromkeys(self.species.tolist()))

    @property
    def leaving_species(self) -> str | None:
        """The most common species among the original NC cations (Pb for Pb -> Cd)."""
        c = Counter(self.species[self.original].tolist())
        return c.most_common(1)[0][0] if c else None

    @property
    def in_going_species(self) -> tuple[str, ...]:
        """Species of the in-going cations, most common first (Cd for Pb -> Cd)."""
        return tuple(s for s, _ in Counter(self.species[self.in_going].tolist()).most_common())

    def of_species(self, species: str) -> np.ndarray:
        return np.flatnonzero(self.species == species)

    def select(self, name: str) -> np.ndarray:
        """Indices for a selection name: 'original', 'original_anions', 'in_going',
        'cations', 'anions', 'ligands', 'nc' (original cations + anions), a build.json
        group name, or a species name."""
        builtin = {"original": self.original, "original_anions": self.original_anions,
                   "in_going": self.in_going}
        if name in builtin:
            return builtin[name]
        if name in ("cations", "anions", "ligands"):
            return getattr(self, name)
        if name == "nc":
            return np.sort(np.concatenate([self.original, self.original_anions]))
        if name in self.named:
            return self.named[name]
        if name in set(self.species):
            return self.of_species(name)
        raise AnalysisError(f"unknown selection {name!r}; use a species "
                            f"({', '.join(self.species_list)}), original, in_going, cations, "
                            f"anions, ligands, nc or a build.json group "
                            f"({', '.join(sorted(self.named)) or 'none'})")

    def describe(self) -> dict:
        """Counts and the source of the groups, for summary.json."""
        return {"source": self.source,
                "roles": dict(self.role_of),
                "leaving_species": self.leaving_species,
                "in_going_species": list(self.in_going_species),
                "n_original_cations": int(len(self.original)),
                "n_original_anions": int(len(self.original_anions)),
                "n_in_going": int(len(self.in_going)),
                "counts": dict(Counter(self.species.tolist()))}


def _roles(species: Sequence[str], overrides: Mapping[str, str] | None) -> dict[str, str]:
    roles = {s: DEFAULT_ROLES[s] for s in set(species) if s in DEFAULT_ROLES}
    for s, r in (overrides or {}).items():
        if r not in ("cation", "anion", "ligand"):
            raise AnalysisError(f"role {r!r} of {s} unknown; use cation, anion or ligand")
        roles[canonical_species(s)] = r
    return roles


def groups_from_build_info(info: BuildRecord | Mapping[str, Any], species: Sequence[str],
                           roles: Mapping[str, str] | None = None,
                           source: str = INFO_FILE) -> AnalysisGroups:
    """Groups from a build record (a :class:`BuildRecord`, or the dict of a build.json,
    validated by :func:`as_build_record`). ``species`` (n_atoms,) from the topology; the
    two must describe the same atoms."""
    record = as_build_record(info, source)
    species = np.asarray(species, dtype=object)
    groups = {k: np.asarray(v, dtype=int) for k, v in record.groups.items()}
    n = len(species) if record.n_atoms is None else int(record.n_atoms)
    if n != len(species):
        raise AnalysisError(f"{source}: n_atoms {n} but the topology has {len(species)} atoms; "
                            f"give the topology and trajectory of this build")
    for k, v in groups.items():
        if len(v) and (v.min() < 0 or v.max() >= len(species)):
            raise AnalysisError(f"{source}: group {k!r} has indices outside 0..{len(species) - 1}")
    counts = record.counts
    if counts and dict(Counter(species.tolist())) != {canonical_species(k): v for k, v in counts.items()}:
        raise AnalysisError(f"{source}: counts {counts} do not match the topology's atom names "
                            f"{dict(Counter(species.tolist()))}")
    role_of = {}
    for key, role in (("nc_cations", "cation"), ("solution_cations", "cation"),
                      ("nc_anions", "anion"), ("solution_anions", "anion"), ("ligands", "ligand")):
        for s in set(species[groups.get(key, np.zeros(0, int))].tolist()):
            role_of[s] = role
    for s, r in _roles(species, None).items():
        role_of.setdefault(s, r)
    role_of.update(_roles(species, roles))
    return AnalysisGroups(species, role_of, groups.get("nc_cations", np.zeros(0, int)),
                          groups.get("nc_anions", np.zeros(0, int)),
                          groups.get("solution_cations", np.zeros(0, int)), source, groups)


def groups_from_geometry(species: Sequence[str], xyz_A: np.ndarray, box_A: np.ndarray | None,
                         criterion: MembershipCriterion | None = None,
                         roles: Mapping[str, str] | None = None,
                         in_going_species: Sequence[str] | None = None) -> AnalysisGroups:
    """Geometric fallback when there is no build.json (see the module docstring).

    ``xyz_A`` (N, 3) positions of the first frame in Å.
    """
    species = np.asarray(species, dtype=object)
    role_of = _roles(species, roles)
    probe = AnalysisGroups(species, role_of, [], [], [], "probe")
    crit = (criterion or MembershipCriterion()).resolved(xyz_A, box_A, probe.anions)
    m = frame_membership(xyz_A, box_A, probe.cations, probe.anions, crit)
    if in_going_species:
        in_sp = {canonical_species(s) for s in in_going_species}
    else:
        c = Counter(species[m.nc_cations].tolist())
        if not c:
            raise AnalysisError("geometric fallback: the first frame's NC has no cations")
        leaving = c.most_common(1)[0][0]
        in_sp = {s for s in set(species[probe.cations].tolist()) if s != leaving}
    original = np.array([i for i in m.nc_cations if species[i] not in in_sp], dtype=int)
    in_going = np.array([i for i in probe.cations if species[i] in in_sp], dtype=int)
    source = ("geometric fallback (no build.json): NC of the first frame = the largest anion "
              "cluster plus the cations it coordinates (" + crit.describe()["rule"] + "); "
              "original cations = NC cations of the first frame not of the in-going species; "
              f"in-going species = {', '.join(sorted(in_sp)) or 'none'}")
    return AnalysisGroups(species, role_of, original, m.framework, in_going, source,
                          {"nc_cations": original, "nc_anions": m.framework,
                           "solution_cations": in_going})


def as_build_record(info: BuildRecord | Mapping[str, Any], where: str = "build record") -> BuildRecord:
    """``info`` as a :class:`BuildRecord`: a record is returned as it is, a dict (a
    build.json's content, e.g. ``BuiltSystem.info``) is validated; a dict that is not a
    build record is an :class:`AnalysisError` naming ``where``."""
    if isinstance(info, BuildRecord):
        return info
    try:
        return BuildRecord.from_dict(info, where)
    except (StructureError, ConfigError) as exc:
        raise AnalysisError(str(exc)) from None


def load_build_info(path: str | os.PathLike) -> BuildRecord:
    """The build record of a build.json file (format 1 or 2), read by
    :func:`omm_cx.systems.record.read_build_record`, the one reader. A missing, empty,
    truncated or malformed file is an :class:`AnalysisError` naming it and the fix."""
    try:
        return read_build_record(path)
    except (StructureError, ConfigError) as exc:
        text = str(exc)
        if str(path) not in text:
            text = f"{path}: {text}"
        raise AnalysisError(text) from None
