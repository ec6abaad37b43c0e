"""Whether a run folder may be run into, and how: a fresh start, a resume, or nothing to do.

:func:`decide` reads the folder (:mod:`omm_cx.simulation.rundir`) and the options
``--resume`` / ``--overwrite``; :func:`check_same_settings` refuses a resume whose config
changes anything but :data:`~omm_cx.simulation.config.RESUMABLE_CHANGES`. How a resume
restores the state and the outputs: :mod:`omm_cx.simulation.restore`.
"""

from __future__ import annotations

import logging
from pathlib import Path

from omm_cx.errors import RunDirError
from omm_cx.io.yaml_input import ConfigError
from omm_cx.simulation import checkpoint as ckpt
from omm_cx.simulation import rundir
from omm_cx.choices import RunStatus
from omm_cx.simulation.config import RESUMABLE_CHANGES, RunConfig
from omm_cx.simulation.record import RunRecord

log = logging.getLogger("omm_cx.simulation")


def _readable_record(out: Path) -> RunRecord | None:
    try:
        return rundir.read_record(out)
    except RunDirError:
        return None


def decide(cfg: RunConfig, out: Path, resume: bool,
           overwrite: bool) -> tuple[str, RunRecord | None]:
    """'fresh', 'resume' or 'done', and the previous run record (None for fresh).

    Raises :class:`ConfigError` / :class:`RunDirError` (nothing written) when the folder
    holds a run the options do not allow to touch, or one that cannot be continued."""
    if resume and overwrite:
        raise ConfigError("--resume and --overwrite exclude each other: --resume continues the "
                          "run in the folder, --overwrite deletes it and starts again")
    if out.exists() and not out.is_dir():
        raise RunDirError(f"{out}: exists and is not a folder; give another -o")
    state = rundir.folder_state(out)
    if overwrite or state == "empty":
        return "fresh", None
    if not resume:
        record = _readable_record(out)
        if state == "finished":
            raise RunDirError(
                f"{out}: holds a finished run ({record.steps_done} steps); give another -o, "
                f"--overwrite to replace it, or --resume with a larger --steps to extend it")
        at = f" (last checkpoint at step {record.checkpoint_step})" if record else ""
        raise RunDirError(
            f"{out}: holds an unfinished run{at}; use --resume to continue it or --overwrite "
            f"to delete it and start again ({', '.join(rundir.present_files(out))})")
    if not ckpt.has_checkpoint(out):
        _refuse_lost_checkpoints(out)
        log.warning("%s: no checkpoint yet (the run stopped before its first one); starting "
                    "from the beginning", out)
        return "fresh", None
    record = rundir.read_record(out)  # a malformed run.json: RunDirError naming it
    if record is None and not _has_outputs(out, cfg):
        log.warning("%s: killed while writing its first checkpoint (no %s yet); starting from "
                    "the beginning", out, rundir.RUN_JSON)
        return "fresh", None
    if record is None:
        raise RunDirError(f"{out}: has a checkpoint but no {rundir.RUN_JSON}, so the settings "
                          f"of the run are unknown; use --overwrite to start again")
    if not (out / rundir.BUILD_DIR).is_dir():
        raise RunDirError(f"{out}: {rundir.BUILD_DIR}/ (the simulated system) is missing; "
                          f"cannot resume, use --overwrite to start again")
    check_same_settings(cfg, record)
    done = int(record.checkpoint_step or 0)
    if record.status == RunStatus.FINISHED and (cfg.total_steps <= done or record.stop_rule):
        return "done", record
    if cfg.total_steps < done:
        raise ConfigError(f"--steps/length: {cfg.total_steps} steps is less than the "
                          f"{done} steps this run has already done")
    return "resume", record


def check_same_settings(cfg: RunConfig, record: RunRecord) -> None:
    """Raise :class:`ConfigError` naming every setting that differs from the run's and may
    not change on a resume; warn when only the system source differs."""
    old, new = record.settings.as_dict(), dict(cfg.as_dict())
    if new.get("seed") is None:
        new["seed"] = old.get("seed")
    skip = set(RESUMABLE_CHANGES) | {"source", "source_kind"}
    diff = [k for k in sorted(set(old) | set(new)) if k not in skip and old.get(k) != new.get(k)]
    if diff:
        detail = "; ".join(f"{k}: {old.get(k)!r} -> {new.get(k)!r}" for k in diff)
        raise ConfigError(
            f"{cfg.origin}: differs from the run being resumed in {detail}. A resume may change "
            f"only {', '.join(RESUMABLE_CHANGES)}; start a new run in another folder (e.g. from "
            f"the old final.pdb or build/) or use --overwrite")
    if old.get("source") != new.get("source"):
        log.warning("the config's system source differs from the run's; resuming with the "
                    "run's own system in build/")


def _refuse_lost_checkpoints(out: Path) -> None:
    """A run.json that records checkpoints none of which is in the folder: the files were
    deleted (starting again would silently replace the run's outputs)."""
    record = _readable_record(out)
    if record is None or not record.checkpoints:
        return
    names = sorted({d.file for e in record.checkpoints for d in (e.binary, e.state) if d})
    raise RunDirError(f"{out}: run.json records checkpoints ({', '.join(names)}, last at step "
                      f"{record.checkpoints[-1].step}) but none of their files is in the folder; "
                      f"restore them, or start again with --overwrite")


def _has_outputs(out: Path, cfg: RunConfig) -> bool:
    """Whether the trajectory or state.csv holds anything (the run got past step 0)."""
    names = (rundir.TRAJECTORY[str(cfg.report.trajectory_format)], rundir.STATE_CSV)
    return any((out / n).is_file() and (out / n).stat().st_size > 0 for n in names)
