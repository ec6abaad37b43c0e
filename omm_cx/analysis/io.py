"""Loading for the analyses: species and groups, frames (positions in Å, time in ps),
chunked streaming of long trajectories, and atomic CSV/JSON output.

Groups come from ``build.json`` (written by ``omm-cx build``) when there is one. Without
it (a user's LAMMPS trajectory) :func:`groups_from_geometry` applies the documented
geometric fallback: the NC is the largest anion cluster of the first frame plus the
cations it coordinates (the membership criterion of :mod:`omm_cx.analysis.membership`);
original cations are the NC cations of the first frame that are not of an in-going
species; in-going species are the other cation species (or those given).

mdtraj is imported lazily (inside functions) so that the CLI stays light.
"""

from __future__ import annotations

import json
import os
import struct
import sys
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Iterator, Mapping, Sequence

import numpy as np

from omm_cx.errors import OmmCxError
from omm_cx.units import PS_PER_AKMA_TIME, nm_to_angstrom

if TYPE_CHECKING:  # pragma: no cover
    import mdtraj as md

    from omm_cx.analysis.membership import MembershipCriterion

#: Roles of the species omm_cx knows, used when there is no build.json.
DEFAULT_ROLES: dict[str, str] = {
    "Pb": "cation", "Cd": "cation", "Cu": "cation", "Zn": "cation", "Hg": "cation",
    "Ag": "cation", "In": "cation", "Sn": "cation", "Mn": "cation", "Ca": "cation",
    "S": "anion", "Se": "anion", "Te": "anion", "O": "anion",
    "PSL": "ligand",
}


class AnalysisError(OmmCxError, ValueError):
    """Inputs of an analysis (trajectory, topology, groups, options) cannot be used."""


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


def groups_from_build_info(info: Mapping, species: Sequence[str],
                           roles: Mapping[str, str] | None = None,
                           source: str = "build.json") -> AnalysisGroups:
    """Groups from a build record (the dict in build.json). ``species`` (n_atoms,) from the
    topology; the two must describe the same atoms."""
    species = np.asarray(species, dtype=object)
    groups = {k: np.asarray(v, dtype=int) for k, v in info.get("groups", {}).items()}
    n = int(info.get("n_atoms", len(species)))
    if n != len(species):
        raise AnalysisError(f"{source}: n_atoms {n} but the topology has {len(species)} atoms")
    for k, v in groups.items():
        if len(v) and (v.min() < 0 or v.max() >= len(species)):
            raise AnalysisError(f"{source}: group {k!r} has indices outside 0..{len(species) - 1}")
    counts = info.get("counts")
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
                         criterion: "MembershipCriterion | None" = None,
                         roles: Mapping[str, str] | None = None,
                         in_going_species: Sequence[str] | None = None) -> AnalysisGroups:
    """Geometric fallback when there is no build.json (see the module docstring).

    ``xyz_A`` (N, 3) positions of the first frame in Å.
    """
    from omm_cx.analysis.membership import MembershipCriterion, frame_membership

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


def load_build_info(path: str | os.PathLike) -> dict:
    """The dict in a build.json file."""
    path = Path(path)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise AnalysisError(f"build record {str(path)!r} not found") from None
    except json.JSONDecodeError as exc:
        raise AnalysisError(f"{path}: not valid JSON ({exc})") from None


# -------------------------------------------------------------------------- frames
@dataclass
class Frame:
    """One frame: ``index`` (0-based in the trajectory), ``time_ps``, ``xyz_A`` (N, 3)
    float64 Å, ``box_A`` (3, 3) rows = box vectors in Å, or None."""

    index: int
    time_ps: float
    xyz_A: np.ndarray
    box_A: np.ndarray | None


def _frames_of_arrays(xyz_nm, box_nm, times_ps, first_index: int) -> Iterator[Frame]:
    for k in range(len(xyz_nm)):
        box = None if box_nm is None else nm_to_angstrom(np.asarray(box_nm[k], dtype=np.float64))
        yield Frame(first_index + k, float(times_ps[k]),
                    nm_to_angstrom(np.asarray(xyz_nm[k], dtype=np.float64)), box)


def frames_of(traj: "md.Trajectory", dt_ps: float | None = None) -> Iterator[Frame]:
    """Frames of an in-memory mdtraj trajectory (nm) as :class:`Frame` (Å). Times:
    ``index * dt_ps`` when ``dt_ps`` is given, else ``traj.time`` (ps)."""
    times = traj.time if dt_ps is None else np.arange(traj.n_frames) * float(dt_ps)
    return _frames_of_arrays(traj.xyz, traj.unitcell_vectors, times, 0)


@contextmanager
def _quiet_c_stdout():
    """Silence what C code prints on stdout (mdtraj's DCD plugin announces every file)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None)
        sys.stdout.flush()
        libc.fflush(None)
        saved = os.dup(1)
    except Exception:  # no libc or no fd 1: leave stdout alone
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    try:
        yield
    finally:
        libc.fflush(None)
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)


def dcd_header_times(path: str | os.PathLike) -> tuple[float, float] | None:
    """(time of frame 0, time between frames) in ps from a CHARMM/OpenMM DCD header, or
    None when the header does not give them (LAMMPS writes its own time units). The
    header stores the time step as float32 in AKMA units; it is rounded to 7 significant
    digits (0.002 ps, not 0.0020000000060 ps)."""
    with open(path, "rb") as fh:
        head = fh.read(512)
    if len(head) < 100 or head[4:8] != b"CORD":
        return None
    _, _, _nset, istart, nsavc = struct.unpack("<i4siii", head[:20])
    delta = struct.unpack("<f", head[44:48])[0]
    if b"LAMMPS" in head[92:512] or nsavc <= 0 or not delta > 0:
        return None
    dt_step = float(f"{delta * PS_PER_AKMA_TIME:.7g}")  # the header holds float32: 7 digits
    return istart * dt_step, nsavc * dt_step


_FILE_TIME_FORMATS = (".xtc", ".trr", ".nc", ".ncdf", ".netcdf", ".h5", ".lh5")


@dataclass
class TrajectorySource:
    """A trajectory file on disk, read in chunks. ``n_frames``; ``dt_ps`` between frames;
    ``time_source`` says where the times come from."""

    path: Path
    top_path: Path
    topology: object
    n_frames: int
    t0_ps: float
    dt_ps: float
    time_source: str

    def frames(self, chunk: int = 500, stop: int | None = None) -> Iterator[Frame]:
        """Frames in order, reading ``chunk`` frames at a time (memory: one chunk of
        float32 coordinates, ``chunk * n_atoms * 12`` bytes, plus one frame in float64)."""
        import mdtraj as md

        it = md.iterload(str(self.path), top=self.topology, chunk=int(chunk))
        index = 0
        while True:
            with _quiet_c_stdout():
                part = next(it, None)
            if part is None:
                return
            n = part.n_frames
            if self.time_source == "file":
                times = np.asarray(part.time, dtype=np.float64)
            else:
                times = self.t0_ps + (index + np.arange(n)) * self.dt_ps
            for fr in _frames_of_arrays(part.xyz, part.unitcell_vectors, times, index):
                if stop is not None and fr.index >= stop:
                    return
                yield fr
            index += n
            del part


def _count_frames(path: Path, topology) -> int:
    import mdtraj as md

    try:
        with _quiet_c_stdout():
            with md.open(str(path)) as fh:
                return len(fh)
    except Exception:  # formats without a cheap length: count by reading
        n = 0
        with _quiet_c_stdout():
            for part in md.iterload(str(path), top=topology, chunk=1000):
                n += part.n_frames
        return n


def open_trajectory(traj_path: str | os.PathLike, top_path: str | os.PathLike,
                    dt_ps: float | None = None) -> TrajectorySource:
    """Open a trajectory for streaming. Time between frames: ``dt_ps`` when given, else
    from the file (XTC/TRR/NetCDF/HDF5 times; DCD header: start step, steps between
    frames and time step); other formats need ``dt_ps``."""
    import mdtraj as md

    traj_path, top_path = Path(traj_path), Path(top_path)
    for p, what in ((traj_path, "trajectory"), (top_path, "topology")):
        if not p.is_file():
            raise AnalysisError(f"{what} file {str(p)!r} not found")
    try:
        topology = md.load_topology(str(top_path))
    except Exception as exc:
        raise AnalysisError(f"{top_path}: cannot read the topology ({exc})") from None
    try:
        n_frames = _count_frames(traj_path, topology)
    except Exception as exc:
        raise AnalysisError(f"{traj_path}: cannot read it with topology {top_path} ({exc})") from None
    if n_frames == 0:
        raise AnalysisError(f"{traj_path}: no frames")
    if dt_ps is not None:
        if not dt_ps > 0:
            raise AnalysisError(f"--dt-ps {dt_ps}: must be > 0")
        return TrajectorySource(traj_path, top_path, topology, n_frames, 0.0, float(dt_ps), "--dt-ps")
    suffix = traj_path.suffix.lower()
    if suffix == ".dcd":
        t = dcd_header_times(traj_path)
        if t is not None:
            return TrajectorySource(traj_path, top_path, topology, n_frames, t[0], t[1], "DCD header")
    elif suffix in _FILE_TIME_FORMATS:
        with _quiet_c_stdout():
            two = next(md.iterload(str(traj_path), top=topology, chunk=2))
        t0 = float(two.time[0])
        dt = float(two.time[1] - two.time[0]) if two.n_frames > 1 else 0.0
        if n_frames == 1 or dt > 0:
            return TrajectorySource(traj_path, top_path, topology, n_frames, t0, dt, "file")
    raise AnalysisError(f"{traj_path}: the time between frames is not in the file; give --dt-ps")


# -------------------------------------------------------------------------- output
# One writer for the whole package (re-exported here for the analyses' callers).
from omm_cx.io.figures import save_figure  # noqa: E402,F401
from omm_cx.io.tables import read_csv, write_csv, write_json  # noqa: E402,F401
