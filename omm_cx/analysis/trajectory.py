"""Reading trajectories for the analyses: frames (positions in Å, time in ps) from
in-memory mdtraj trajectories or streamed from files in chunks, the times of a DCD
header, and the files of a run or build directory.

mdtraj is imported lazily (inside functions) so that the CLI stays light.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

import numpy as np

from omm_cx.analysis.trajcheck import DAMAGED_FIX, check_trajectory_file, quiet_c_output
from omm_cx.errors import AnalysisError
from omm_cx.simulation import rundir
from omm_cx.systems.builddir import STRUCTURE_FILE
from omm_cx.units import PS_PER_AKMA_TIME, nm_to_angstrom

if TYPE_CHECKING:  # pragma: no cover
    import mdtraj as md

#: Trajectory file names of a run directory, in the order they are looked for.
TRAJECTORY_NAMES = tuple(rundir.TRAJECTORY.values())


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
            try:
                with quiet_c_output():
                    part = next(it, None)
            except Exception as exc:  # mdtraj's readers raise plain errors for bad bytes
                raise AnalysisError(
                    f"{self.path}: frames {index + 1} to {index + int(chunk)} cannot be read "
                    f"({exc}): the file is truncated or damaged; {DAMAGED_FIX}") from None
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
                if not np.isfinite(fr.xyz_A).all():
                    raise AnalysisError(
                        f"{self.path}: frame {fr.index + 1} has non-finite coordinates (NaN or "
                        f"inf: the run diverged there); analyse a copy of its first {fr.index} "
                        f"frame(s) (e.g. 'mdconvert -i 0:{fr.index} -o cut.dcd {self.path}', "
                        f"then --dt-ps)")
                yield fr
            index += n
            del part


def _count_frames(path: Path, topology) -> int:
    import mdtraj as md

    try:
        with quiet_c_output():
            with md.open(str(path)) as fh:
                return len(fh)
    except Exception:  # formats without a cheap length: count by reading
        n = 0
        with quiet_c_output():
            for part in md.iterload(str(path), top=topology, chunk=1000):
                n += part.n_frames
        return n


def _load_topology(top_path: Path):
    """The mdtraj topology of ``top_path``; a PDB is checked first (finite coordinates,
    known records: :func:`omm_cx.io.pdb.check_pdb_text`)."""
    import mdtraj as md

    from omm_cx.io.pdb import check_pdb_text

    if top_path.suffix.lower() in (".pdb", ".ent"):
        check_pdb_text(top_path)
    try:
        with quiet_c_output():
            return md.load_topology(str(top_path))
    except Exception as exc:
        raise AnalysisError(f"{top_path}: cannot read the topology ({exc}); give a PDB file "
                            f"whose atom names are the species (a run's start.pdb)") from None


def _file_times(traj_path: Path, topology) -> tuple[float, float]:
    """(t0, dt) in ps from the times of the first two frames of an XTC/TRR/... file."""
    import mdtraj as md

    try:
        with quiet_c_output():
            two = next(md.iterload(str(traj_path), top=topology, chunk=2))
    except Exception as exc:
        raise AnalysisError(f"{traj_path}: the first frames cannot be read ({exc}): the file is "
                            f"truncated or damaged; {DAMAGED_FIX}") from None
    t0 = float(two.time[0])
    return t0, (float(two.time[1] - two.time[0]) if two.n_frames > 1 else 0.0)


def open_trajectory(traj_path: str | os.PathLike, top_path: str | os.PathLike,
                    dt_ps: float | None = None) -> TrajectorySource:
    """Open a trajectory for streaming. Time between frames: ``dt_ps`` when given, else
    from the file (XTC/TRR/NetCDF/HDF5 times; DCD header: start step, steps between
    frames and time step); other formats need ``dt_ps``, except a single frame (a PDB
    structure: time 0, no step). An empty, truncated or damaged
    file, or one whose atom count differs from the topology's, is an
    :class:`AnalysisError` naming it (:func:`~omm_cx.analysis.trajcheck.check_trajectory_file`)."""
    traj_path, top_path = Path(traj_path), Path(top_path)
    for p, what in ((traj_path, "trajectory"), (top_path, "topology")):
        if not p.is_file():
            raise AnalysisError(f"{what} file {str(p)!r} not found")
    topology = _load_topology(top_path)
    check_trajectory_file(traj_path, topology.n_atoms, top_path)
    try:
        n_frames = _count_frames(traj_path, topology)
    except Exception as exc:
        raise AnalysisError(f"{traj_path}: cannot read it with topology {top_path} ({exc}); give "
                            f"a trajectory file mdtraj reads (DCD, XTC, ...) and its topology") from None
    if n_frames == 0:
        raise AnalysisError(f"{traj_path}: no frames; run the simulation longer or give another "
                            f"trajectory")
    if dt_ps is not None:
        if not dt_ps > 0:
            raise AnalysisError(f"--dt-ps {dt_ps}: must be > 0")
        return TrajectorySource(traj_path, top_path, topology, n_frames, 0.0, float(dt_ps), "--dt-ps")
    if n_frames == 1:  # one structure: no time between frames to know
        return TrajectorySource(traj_path, top_path, topology, 1, 0.0, 0.0, "single frame")
    suffix = traj_path.suffix.lower()
    if suffix == ".dcd":
        t = dcd_header_times(traj_path)
        if t is not None:
            return TrajectorySource(traj_path, top_path, topology, n_frames, t[0], t[1], "DCD header")
    elif suffix in _FILE_TIME_FORMATS:
        t0, dt = _file_times(traj_path, topology)
        if n_frames == 1 or dt > 0:
            return TrajectorySource(traj_path, top_path, topology, n_frames, t0, dt, "file")
    raise AnalysisError(f"{traj_path}: the time between frames is not in the file; give --dt-ps")


def find_trajectory(run_dir: str | os.PathLike) -> Path:
    """The trajectory of a run directory: traj.dcd or traj.xtc."""
    found = rundir.RunFolder(run_dir).trajectory()
    if found is not None:
        return found
    raise AnalysisError(f"{run_dir}: no trajectory ({' or '.join(TRAJECTORY_NAMES)}); run the "
                        f"simulation first or give --traj and --top")


def run_dir_files(run_dir: str | os.PathLike) -> tuple[Path, Path | None]:
    """(topology PDB, build.json or None) of a run directory (start.pdb, build/) or a
    build directory (structure.pdb, build.json)."""
    top = rundir.topology_of(run_dir)
    if top is None:
        raise AnalysisError(f"{run_dir}: neither {rundir.START_PDB} nor {STRUCTURE_FILE} found "
                            f"(not a run or build directory); use --traj and --top")
    build = rundir.build_folder_of(run_dir)
    return top, build.record_json if build is not None else None
