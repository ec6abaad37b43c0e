"""The run folder: its files, its record (run.json) and whether it may be written.

Files of a run folder ``DIR``:

``run.json``        settings, versions, platform, seeds, status, segments (one per start
                    or resume); rewritten atomically at start, at every checkpoint and at
                    the end
``build/``          the simulated system (build-directory contract, omm_cx.systems.builddir)
``start.pdb``       the structure the dynamics starts from (after minimization)
``traj.dcd``        frames every ``report.trajectory_*`` (or ``traj.xtc``)
``state.csv``       OpenMM ``StateDataReporter`` rows every ``report.state_*``
``checkpoint.chk``  exact restart point (+ ``checkpoint.xml``, portable; the previous pair:
                    ``checkpoint.prev.chk``, ``checkpoint.prev.xml``)
``final.pdb``       the last structure (written when the run finishes)
``.lock``           held while a run writes into the folder (:mod:`omm_cx.simulation.lock`)
``.NAME.*.tmp``     a write in progress (:mod:`omm_cx.io.atomic`); left by a kill, removed
                    at the next start (:func:`remove_temporaries`)

A folder is *empty* (none of these), *finished* (run.json says so) or *unfinished*
(anything else: killed, interrupted, failed).
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

from omm_cx.errors import RunDirError
from omm_cx.io import atomic
from omm_cx.simulation.checkpoint import CHECKPOINT_FILES
from omm_cx.simulation.choices import RunStatus
from omm_cx.simulation.record import RUN_JSON_FORMAT, RunRecord, read_run_record, write_run_record

RUN_JSON = "run.json"
BUILD_DIR = "build"
START_PDB = "start.pdb"
STATE_CSV = "state.csv"
FINAL_PDB = "final.pdb"
TRAJECTORY = {"dcd": "traj.dcd", "xtc": "traj.xtc"}
__all__ = ["RUN_JSON", "RUN_JSON_FORMAT", "BUILD_DIR", "START_PDB", "STATE_CSV", "FINAL_PDB",
           "TRAJECTORY", "present_files", "read_record", "write_record", "folder_state",
           "clean", "remove_temporaries"]
log = logging.getLogger("omm_cx.simulation")

_FILES = (RUN_JSON, START_PDB, STATE_CSV, FINAL_PDB, *CHECKPOINT_FILES,
          *TRAJECTORY.values())


def present_files(out_dir: str | os.PathLike) -> list[str]:
    """Run files (and build/) present in ``out_dir``."""
    out_dir = Path(out_dir)
    found = [f for f in _FILES if (out_dir / f).exists()]
    if (out_dir / BUILD_DIR).is_dir():
        found.append(BUILD_DIR + "/")
    return found


def read_record(out_dir: str | os.PathLike) -> RunRecord | None:
    """The run.json of ``out_dir`` (:class:`RunRecord`), None when there is none; a
    truncated or malformed one raises :class:`RunDirError` naming it and the fix."""
    path = Path(out_dir) / RUN_JSON
    if not path.is_file():
        return None
    return read_run_record(path)


def write_record(out_dir: str | os.PathLike, record: RunRecord) -> None:
    """Write run.json atomically."""
    write_run_record(Path(out_dir) / RUN_JSON, record)


def folder_state(out_dir: str | os.PathLike) -> str:
    """'empty', 'finished' or 'unfinished' (an unreadable run.json counts as unfinished)."""
    if not present_files(out_dir):
        return "empty"
    try:
        rec = read_record(out_dir)
    except RunDirError:
        return "unfinished"
    return "finished" if rec is not None and rec.status == RunStatus.FINISHED else "unfinished"


def clean(out_dir: str | os.PathLike) -> None:
    """Remove the run files (only those this module names; nothing else in the folder)."""
    out_dir = Path(out_dir)
    for name in _FILES:
        p = out_dir / name
        if p.is_file():
            p.unlink()
    if (out_dir / BUILD_DIR).is_dir():
        shutil.rmtree(out_dir / BUILD_DIR)
    for p in out_dir.glob(".*.tmp"):  # leftovers of interrupted atomic writes
        if p.is_file():
            p.unlink()


def remove_temporaries(out_dir: str | os.PathLike) -> list[Path]:
    """Remove the temporary files of interrupted writes (``.NAME.*.tmp``) in the run
    folder and its ``build/``, with a log line; call it only while holding the folder's
    lock (:mod:`omm_cx.simulation.lock`)."""
    out_dir = Path(out_dir)
    removed = atomic.remove_temporaries(out_dir) + atomic.remove_temporaries(out_dir / BUILD_DIR)
    if removed:
        log.info("%s: removed %d temporary file(s) of an interrupted write: %s", out_dir,
                 len(removed), ", ".join(str(p.relative_to(out_dir)) for p in removed))
    return removed
