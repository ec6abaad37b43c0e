"""Checks of a trajectory file before the analyses read it: an empty file, a file that is
not of its format, a DCD cut short (mid-frame, or fewer frames than its header records)
and a different number of atoms in the trajectory and the topology are each an
:class:`~omm_cx.errors.AnalysisError` naming the file and the fix, instead of a reader's
traceback or a silently shortened analysis.

DCD files are checked from their header (CHARMM/NAMD layout as OpenMM, mdtraj and LAMMPS
write it: 4-byte Fortran record markers, little- or big-endian): the atom count, the
frame count NSET, whether frames carry a unit cell, and so the exact size of a frame.
Other formats (XTC, TRR, NetCDF, HDF5) have no such header: their first frame is read for
the atom count, and a frame that cannot be read later is reported by
:meth:`~omm_cx.analysis.trajectory.TrajectorySource.frames`.
"""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from pathlib import Path

from omm_cx.errors import AnalysisError
from omm_cx.io.dcd import DcdHeaderError, DcdLayout
from omm_cx.io.dcd import dcd_layout as _dcd_layout

#: What to do about a trajectory that cannot be read.
_FIX = "give the trajectory the run wrote (traj.dcd / traj.xtc) with its topology (--top)"
#: What to do about a trajectory cut short or damaged.
DAMAGED_FIX = ("copy it again, or resume the run that wrote it ('omm-cx run --resume' cuts "
               "its trajectory back to the last checkpoint)")


@contextmanager
def quiet_c_output():
    """Silence what C code prints on stdout and stderr (mdtraj's DCD plugin announces
    every file; its XTC reader prints "(xdrfile error) ..." before raising): the error
    that follows says it in one line."""
    try:
        import ctypes

        libc = ctypes.CDLL(None)
        sys.stdout.flush()
        sys.stderr.flush()
        libc.fflush(None)
        saved = [os.dup(1), os.dup(2)]
    except Exception:  # no libc or no fd 1/2: leave them alone
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    try:
        yield
    finally:
        libc.fflush(None)
        for fd, copy in zip((1, 2), saved):
            os.dup2(copy, fd)
            os.close(copy)
        os.close(devnull)


def dcd_layout(path: str | os.PathLike) -> DcdLayout | None:
    """:func:`omm_cx.io.dcd.dcd_layout`, its header errors as :class:`AnalysisError`
    naming the file and the fix."""
    try:
        return _dcd_layout(path)
    except DcdHeaderError as exc:
        hint = " (a text file or another format named .dcd?)" if "CORD" in str(exc) else \
            ": the file is truncated"
        raise AnalysisError(f"{path}: {exc}{hint}; {_FIX}") from None


def _check_dcd(path: Path, n_atoms_top: int | None, top_path: Path | None) -> None:
    layout = dcd_layout(path)
    if layout is None:
        return
    _check_atoms(path, layout.n_atoms, n_atoms_top, top_path)
    n = layout.complete_frames
    if layout.partial_bytes:
        raise AnalysisError(
            f"{path}: truncated mid-frame: {n} complete frame(s), then {layout.partial_bytes} of "
            f"the {layout.frame_bytes} bytes of frame {n + 1} (a run killed while writing, or "
            f"a copy cut short); {DAMAGED_FIX}, or analyse a copy of its complete frames "
            f"(e.g. 'mdconvert -o cut.dcd {path}', then --dt-ps)")
    if layout.nset > n:
        raise AnalysisError(
            f"{path}: the header records {layout.nset} frames but the file holds {n}: it is "
            f"truncated; {DAMAGED_FIX}")


def _check_atoms(path: Path, n_traj: int, n_top: int | None, top_path: Path | None) -> None:
    if n_top is not None and n_traj != n_top:
        raise AnalysisError(
            f"{path}: {n_traj} atoms per frame but the topology {top_path} has {n_top}: they "
            f"are not of the same system; give the topology the trajectory was written with "
            f"(a run directory's start.pdb)")


def _first_frame_atoms(path: Path) -> int | None:
    """Atoms of the first frame of a trajectory mdtraj opens without a topology (XTC, TRR,
    NetCDF), or None when the format needs more to say it."""
    import mdtraj as md

    try:
        with quiet_c_output(), md.open(str(path)) as fh:
            out = fh.read(n_frames=1)
    except Exception:  # no topology-free reader for this format: the loader decides
        return None
    xyz = out[0] if isinstance(out, tuple) else getattr(out, "coordinates", None)
    shape = getattr(xyz, "shape", ())
    return int(shape[1]) if len(shape) == 3 and shape[0] > 0 else None


def check_trajectory_file(path: str | os.PathLike, n_atoms_top: int | None = None,
                          top_path: str | os.PathLike | None = None) -> None:
    """Raise :class:`AnalysisError` naming ``path`` and the fix when the trajectory file is
    empty, is not a DCD although named .dcd, is a DCD cut short, or has a number of atoms
    other than ``n_atoms_top`` (the topology ``top_path``'s)."""
    path = Path(path)
    top_path = Path(top_path) if top_path is not None else None
    if path.stat().st_size == 0:
        raise AnalysisError(f"{path}: the trajectory is empty (0 bytes: the run wrote no frame "
                            f"yet, or the copy failed); {_FIX}")
    if path.suffix.lower() == ".dcd":
        _check_dcd(path, n_atoms_top, top_path)
        return
    n = _first_frame_atoms(path)
    if n is not None:
        _check_atoms(path, n, n_atoms_top, top_path)


__all__ = ["DAMAGED_FIX", "DcdLayout", "check_trajectory_file", "dcd_layout", "quiet_c_output"]
