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
``analysis/``       what ``omm-cx analyze RUN`` writes by default (its summary.json:
                    :mod:`omm_cx.analysis.record`)
``.NAME.*.tmp``     a write in progress (:mod:`omm_cx.io.atomic`); left by a kill, removed
                    at the next start (:func:`remove_temporaries`)

:class:`RunFolder` is the one owner of these names: other modules ask it for paths (a
test fails where a run-folder file name is spelled outside this module, the build
folder's :mod:`omm_cx.systems.builddir` and :mod:`omm_cx.simulation.checkpoint`).

A folder is *empty* (none of these), *finished* (run.json says so) or *unfinished*
(anything else: killed, interrupted, failed).
"""

from __future__ import annotations

import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from omm_cx.errors import RunDirError, StructureError
from omm_cx.io import atomic
from omm_cx.simulation.checkpoint import CHECKPOINT_FILES
from omm_cx.choices import RunStatus
from omm_cx.simulation.record import RUN_JSON_FORMAT, RunRecord, read_run_record, write_run_record
from omm_cx.systems.builddir import BuildFolder

RUN_JSON = "run.json"
BUILD_DIR = "build"
START_PDB = "start.pdb"
STATE_CSV = "state.csv"
FINAL_PDB = "final.pdb"
TRAJECTORY = {"dcd": "traj.dcd", "xtc": "traj.xtc"}
ANALYSIS_DIR = "analysis"
__all__ = ["RunFolder", "build_folder_of", "topology_of", "ANALYSIS_DIR", "RUN_JSON", "RUN_JSON_FORMAT", "BUILD_DIR", "START_PDB", "STATE_CSV", "FINAL_PDB",
           "TRAJECTORY", "present_files", "read_record", "write_record", "folder_state",
           "clean", "remove_temporaries"]
log = logging.getLogger("omm_cx.simulation")



@dataclass(frozen=True)
class RunFolder:
    """Where the files of a run folder are (see the module docstring): the paths, which
    of them exist, and the build folder inside. Needs no OpenMM."""

    path: Path

    def __post_init__(self) -> None:
        object.__setattr__(self, "path", Path(self.path))

    @property
    def run_json(self) -> Path:
        return self.path / RUN_JSON

    @property
    def build(self) -> BuildFolder:
        return BuildFolder(self.path / BUILD_DIR)

    @property
    def start_pdb(self) -> Path:
        return self.path / START_PDB

    @property
    def final_pdb(self) -> Path:
        return self.path / FINAL_PDB

    @property
    def state_csv(self) -> Path:
        return self.path / STATE_CSV

    @property
    def analysis_dir(self) -> Path:
        """Where ``omm-cx analyze RUN`` writes by default."""
        return self.path / ANALYSIS_DIR

    def trajectory_path(self, fmt: str = "dcd") -> Path:
        """The trajectory file of format ``fmt`` ("dcd" or "xtc"), present or not."""
        return self.path / TRAJECTORY[str(fmt)]

    def trajectory(self) -> Path | None:
        """The trajectory present (traj.dcd, else traj.xtc), None when there is none."""
        return next((p for p in (self.path / n for n in TRAJECTORY.values()) if p.is_file()),
                    None)

    def is_run(self) -> bool:
        """True when the folder looks like a run folder (run.json or build/ with a record)."""
        return self.run_json.is_file() or self.build.exists()

    def read_record(self) -> RunRecord | None:
        """run.json (:func:`read_record`)."""
        return read_record(self.path)

    def final_structure(self) -> tuple[Path, BuildFolder]:
        """(final.pdb, build folder) of a finished run: e.g. a structure annealed by MD as
        the start of an energy path. An unfinished run raises :class:`StructureError`."""
        if not self.final_pdb.is_file():
            raise StructureError(f"{self.path}: a run folder without {FINAL_PDB} (not finished); "
                                 f"finish the run (--resume) or give its {BUILD_DIR}/ folder")
        return self.final_pdb, self.build


def build_folder_of(path: str | os.PathLike) -> BuildFolder | None:
    """The build folder of a run folder (its build/) or of a build folder itself; None
    when ``path`` has no build record."""
    for b in (RunFolder(path).build, BuildFolder(path)):
        if b.exists():
            return b
    return None


def topology_of(path: str | os.PathLike) -> Path | None:
    """The topology PDB of a run folder (start.pdb, else build/structure.pdb) or of a
    build folder (structure.pdb); None when there is none."""
    run = RunFolder(path)
    return next((p for p in (run.start_pdb, run.build.structure_pdb,
                             BuildFolder(path).structure_pdb) if p.is_file()), None)


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
