"""Restoring a run's state and outputs from its checkpoints before a resume.

:func:`restore` (run.json format 3, which records checksums):

1. temporary files of an interrupted checkpoint write are removed;
2. each recorded checkpoint file is verified (size and SHA-256) before anything is
   loaded; a file that does not match is never loaded;
3. the candidates are tried newest first: the binary checkpoint (exact), then the XML
   state of the same step (portable: another platform, device or OpenMM version, or a
   damaged binary file), then the previous checkpoint's two files. The file used and why
   are logged and recorded in the segment (``resumed_from``, ``resume_note``);
4. the trajectory and state.csv must start with the bytes recorded at that checkpoint
   (:func:`omm_cx.simulation.outputs.verify_and_cut`); they are then cut back to them;
5. the potential energy of the restored state is compared with the one recorded at the
   checkpoint (a warning when they differ by more than :data:`ENERGY_RTOL`).

Nothing usable: :class:`RunDirError` (exit 2) naming each file and what is wrong with it.
Run folders without checksums (format 1, 2) are restored as before: the newest loadable
file, outputs rolled back by frame and row count.
"""

from __future__ import annotations

import logging
import platform as _platform
from pathlib import Path
from typing import NamedTuple

from omm_cx.errors import RunDirError
from omm_cx.simulation import checkpoint as ckpt
from omm_cx.simulation import outputs, rundir
from omm_cx.simulation.config import RunConfig
from omm_cx.simulation.record import CheckpointEntry, RunRecord

log = logging.getLogger("omm_cx.simulation")

#: Relative difference between the potential energy of a restored state and the one
#: recorded at its checkpoint above which a resume warns (platforms differ by ~1e-6).
ENERGY_RTOL = 1e-4
_RESEEDED = ("the random-number streams are reseeded: the run continues correctly but not "
             "bit-for-bit as it would have")


class Restored(NamedTuple):
    """What a resume continued from: step, file, warning (None: the newest binary
    checkpoint, as expected) and the potential energy of the restored state (kJ/mol)."""

    step: int
    used: str
    warning: str | None
    potential_kJmol: float | None = None


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def _try_load(simulation, out: Path, entry: CheckpointEntry, reseed: int,
              reasons: list[str]) -> tuple[str, str] | None:
    """Load the binary file of ``entry``, else its XML state; (file, kind) or None."""
    for kind in ("binary", "state"):
        digest = getattr(entry, kind)
        if digest is None:
            continue
        try:
            if kind == "binary":
                ckpt.load_binary(simulation, out / digest.file)
            else:
                ckpt.load_state(simulation, out / digest.file, reseed)
        except Exception as exc:  # OpenMMException: another platform, device or version
            reasons.append(f"{digest.file} (step {entry.step}): cannot be loaded here "
                           f"({_one_line(exc)})")
            continue
        if int(simulation.currentStep) != entry.step:
            reasons.append(f"{digest.file}: holds step {simulation.currentStep}, run.json "
                           f"records {entry.step}")
            continue
        return digest.file, kind
    return None


def _potential_kJmol(simulation) -> float:
    import openmm.unit as u

    state = simulation.context.getState(getEnergy=True)
    return state.getPotentialEnergy().value_in_unit(u.kilojoule_per_mole)


def _energy_note(entry: CheckpointEntry, energy: float) -> str | None:
    ref = entry.potential_kJmol
    if ref is None or abs(energy - ref) <= ENERGY_RTOL * max(abs(ref), 1.0):
        return None
    return (f"the potential energy of the restored state ({energy:.8g} kJ/mol) differs from "
            f"the one recorded at the checkpoint ({ref:.8g} kJ/mol, on {entry.platform}) by "
            f"more than {ENERGY_RTOL:g} (relative): check the system in build/ and the platform")


def restore(simulation, out: Path, record: RunRecord, cfg: RunConfig, reseed: int) -> Restored:
    """Load the newest usable checkpoint into ``simulation`` and cut the trajectory and
    state.csv back to it; update ``record`` (its checkpoints and step) to match. See the
    module docstring; :class:`RunDirError` when no checkpoint or output can be used."""
    out = Path(out)
    for tmp in ckpt.remove_temp_files(out):
        log.info("%s: removed %s, left by an interrupted checkpoint write", out, tmp.name)
    if not record.checkpoints:
        return _restore_unverified(simulation, out, cfg, reseed)
    reasons: list[str] = []
    loaded = None
    for entry in reversed(record.checkpoints):
        entry, problems = ckpt.find_files(out, entry)
        reasons.extend(problems)
        used = _try_load(simulation, out, entry, reseed, reasons)
        if used is not None:
            loaded = (entry, *used)
            break
    if loaded is None:
        raise RunDirError(f"{out}: no usable checkpoint: {'; '.join(reasons)}; use --overwrite "
                          f"to start again")
    entry, used, kind = loaded
    fmt = str(cfg.report.trajectory_format)
    outputs.verify_and_cut(out / rundir.TRAJECTORY[fmt], entry.trajectory, entry.step, "frames")
    outputs.verify_and_cut(out / rundir.STATE_CSV, entry.state_csv, entry.step, "rows")
    record.checkpoints = [entry]
    record.checkpoint_step = record.steps_done = entry.step
    record.time_ps = entry.time_ps
    energy = _potential_kJmol(simulation)
    notes = []
    if reasons:
        notes.append(f"resumed from {used} (step {entry.step}) because "
                     + "; ".join(reasons))
    if kind == "state":
        notes.append(_RESEEDED)
    note = _energy_note(entry, energy)
    if note:
        notes.append(note)
    return Restored(entry.step, used, "; ".join(notes) or None, energy)


def _restore_unverified(simulation, out: Path, cfg: RunConfig, reseed: int) -> Restored:
    """A run.json without checksums (format 1, 2): the newest loadable file; outputs cut
    back by frame and row count."""
    try:
        step, used, warning = ckpt.load_checkpoint(simulation, out, reseed)
    except FileNotFoundError as exc:
        raise RunDirError(f"{out}: no usable checkpoint ({exc}); use --overwrite to "
                          f"start again") from None
    rep = cfg.report
    outputs.roll_back_trajectory(out / rundir.TRAJECTORY[str(rep.trajectory_format)],
                                 rep.trajectory_format, step, rep.trajectory_steps)
    outputs.roll_back_csv(out / rundir.STATE_CSV, step, rep.state_steps)
    return Restored(step, used, warning, _potential_kJmol(simulation))


def describe_device(platform: dict) -> str:
    """The device a platform record runs on: GPU name and index, or CPU model and threads."""
    name = platform.get("name", "")
    props = platform.get("properties", {}) or {}
    precision = props.get("Precision")
    if name in ("CUDA", "OpenCL", "HIP"):
        dev = props.get("DeviceName") or "GPU"
        idx = props.get("DeviceIndex")
        where = f"{dev} (device {idx})" if idx not in (None, "") else dev
    else:
        cpu = _cpu_model()
        threads = props.get("Threads")
        where = f"{cpu}, {threads} threads" if threads else cpu
    return f"{where}, {precision} precision" if precision else where


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return _platform.processor() or _platform.machine() or "CPU"


def segment_details(platform: dict, restored: Restored | tuple | None) -> dict:
    """The keys of a new :class:`~omm_cx.simulation.record.Segment` that say where it runs
    and what it resumed from (``restored``: :func:`restore`'s result, None for a fresh
    start)."""
    import openmm

    details = {"device": describe_device(platform), "openmm": openmm.__version__}
    if restored is not None:
        restored = Restored(*restored)
        details.update(resumed_from_step=restored.step, resume_note=restored.warning,
                       restart_potential_kJmol=restored.potential_kJmol)
    return details
