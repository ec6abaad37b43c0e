"""Reading trajectories for the analyses: frames (positions in Å, time in ps) from
in-memory mdtraj trajectories or streamed from files in chunks, the times of a DCD
header, and the files of a run or build directory.

mdtraj is imported lazily (inside functions) so that the CLI stays light.
"""

from __future__ import annotations

import os
import struct
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

import numpy as np

from omm_cx.errors import AnalysisError
from omm_cx.units import PS_PER_AKMA_TIME, nm_to_angstrom

if TYPE_CHECKING:  # pragma: no cover
    import mdtraj as md

#: Trajectory file names of a run directory, in the order they are looked for.
TRAJECTORY_NAMES = ("traj.dcd", "traj.xtc")


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


def find_trajectory(run_dir: str | os.PathLike) -> Path:
    """The trajectory of a run directory: traj.dcd or traj.xtc."""
    run_dir = Path(run_dir)
    for name in TRAJECTORY_NAMES:
        if (run_dir / name).is_file():
            return run_dir / name
    raise AnalysisError(f"{run_dir}: no trajectory ({' or '.join(TRAJECTORY_NAMES)}); run the "
                        f"simulation first or give --traj and --top")


def run_dir_files(run_dir: str | os.PathLike) -> tuple[Path, Path | None]:
    """(topology PDB, build.json or None) of a run directory (start.pdb, build/) or a
    build directory (structure.pdb, build.json)."""
    run_dir = Path(run_dir)
    candidates = [run_dir / "start.pdb", run_dir / "build" / "structure.pdb", run_dir / "structure.pdb"]
    top = next((p for p in candidates if p.is_file()), None)
    if top is None:
        raise AnalysisError(f"{run_dir}: neither start.pdb nor structure.pdb found (not a run "
                            f"or build directory); use --traj and --top")
    build = next((p for p in (run_dir / "build" / "build.json", run_dir / "build.json") if p.is_file()), None)
    return top, build
