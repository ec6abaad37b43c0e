"""What a run returns (:class:`RunResult`) and the files of a run folder by role."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from omm_cx.simulation import checkpoint as ckpt
from omm_cx.simulation import rundir
from omm_cx.simulation.record import RunRecord


@dataclass
class RunResult:
    """What a run did. ``status``: 'finished', 'already finished' (nothing to do) or
    'stopped' (at the wall-time budget, with a checkpoint: continue with ``resume``) or
    'stopped by rule' (a reporter's stop rule, e.g. rho above a value: the run is done)."""

    out_dir: Path
    status: str
    steps: int
    total_steps: int
    time_ps: float
    platform: str
    wall_s: float = 0.0
    ns_per_day: float | None = None
    resumed_from_step: int | None = None
    files: dict[str, Path] = field(default_factory=dict)
    record: RunRecord | None = field(default=None, repr=False)


def run_files(out: Path, fmt: str) -> dict[str, Path]:
    return {
        "trajectory": out / rundir.TRAJECTORY[str(fmt)],
        "state_csv": out / rundir.STATE_CSV,
        "checkpoint": out / ckpt.CHECKPOINT_FILE,
        "checkpoint_xml": out / ckpt.STATE_FILE,
        "final_pdb": out / rundir.FINAL_PDB,
        "start_pdb": out / rundir.START_PDB,
        "run_json": out / rundir.RUN_JSON,
        "build": out / rundir.BUILD_DIR,
    }
