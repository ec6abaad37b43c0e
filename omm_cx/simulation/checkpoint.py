"""Checkpoints of a run: ``checkpoint.chk`` (exact) and ``checkpoint.xml`` (portable).

``checkpoint.chk`` is OpenMM's binary checkpoint (positions, velocities, box, step count,
random-number and barostat state): a resume from it continues the run exactly, but only
on the same platform, OpenMM version and hardware. ``checkpoint.xml`` is a serialized
``State`` (positions, velocities, box, time, step) written at the same moment; a resume
falls back on it when the binary checkpoint cannot be loaded (another GPU model, another
platform), with a warning: the random-number streams then restart.

Both are written to a temporary file, flushed to disk (fsync) and renamed, XML first, so
a kill at any moment leaves the previous checkpoint or the new one, never a torn file.
The caller checks the state before saving: a NaN state is never checkpointed.
"""

from __future__ import annotations

import os
from pathlib import Path

from omm_cx.io.atomic import atomic_path

CHECKPOINT_FILE = "checkpoint.chk"
STATE_FILE = "checkpoint.xml"


def _write_synced(path: Path, data: bytes) -> None:
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())


def fsync_path(path: str | os.PathLike) -> None:
    """Flush a file that another object writes (trajectory, CSV) to disk."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def save_checkpoint(simulation, out_dir: str | os.PathLike) -> int:
    """Write checkpoint.xml and checkpoint.chk atomically; return the step saved."""
    import openmm as mm

    out_dir = Path(out_dir)
    ctx = simulation.context
    state = ctx.getState(getPositions=True, getVelocities=True, getParameters=True,
                         getIntegratorParameters=True)
    _write_synced(out_dir / STATE_FILE, mm.XmlSerializer.serialize(state).encode("utf-8"))
    _write_synced(out_dir / CHECKPOINT_FILE, ctx.createCheckpoint())
    return int(simulation.currentStep)


def has_checkpoint(out_dir: str | os.PathLike) -> bool:
    out_dir = Path(out_dir)
    return (out_dir / CHECKPOINT_FILE).is_file() or (out_dir / STATE_FILE).is_file()


def load_checkpoint(simulation, out_dir: str | os.PathLike,
                    reseed: int | None = None) -> tuple[int, str, str | None]:
    """Load the newest usable checkpoint into ``simulation``.

    When only the portable state can be used, the integrator and barostat get the new
    seed ``reseed`` (so the noise does not replay the first segment's random numbers).
    Returns (step, file used, warning or None). Raises ``FileNotFoundError`` when neither
    file can be used (with the reasons).
    """
    import openmm as mm

    out_dir = Path(out_dir)
    chk, xml = out_dir / CHECKPOINT_FILE, out_dir / STATE_FILE
    reasons = []
    if chk.is_file():
        try:
            simulation.context.loadCheckpoint(chk.read_bytes())
            return int(simulation.currentStep), CHECKPOINT_FILE, None
        except Exception as exc:  # OpenMMException: other platform/hardware/version
            reasons.append(f"{CHECKPOINT_FILE}: {exc}")
    if xml.is_file():
        try:
            state = mm.XmlSerializer.deserialize(xml.read_text(encoding="utf-8"))
            if reseed is not None:
                _reseed(simulation, reseed)
            simulation.context.setState(state)
            simulation.currentStep = int(state.getStepCount())
            warning = (f"resumed from the portable {STATE_FILE} (step {simulation.currentStep}); "
                       f"{CHECKPOINT_FILE} could not be used ({'; '.join(reasons) or 'missing'}), "
                       "so the random-number streams are reseeded: the run continues correctly "
                       "but not bit-for-bit as it would have")
            return int(simulation.currentStep), STATE_FILE, warning
        except Exception as exc:
            reasons.append(f"{STATE_FILE}: {exc}")
    raise FileNotFoundError("; ".join(reasons) or f"no {CHECKPOINT_FILE} or {STATE_FILE}")


def _reseed(simulation, seed: int) -> None:
    """New random seeds for the integrator and the forces that draw random numbers
    (barostats); the Context is reinitialized so that they take effect."""
    integrator = simulation.integrator
    if hasattr(integrator, "setRandomNumberSeed"):
        integrator.setRandomNumberSeed(seed)
    system = simulation.system
    for i in range(system.getNumForces()):
        force = system.getForce(i)
        if hasattr(force, "setRandomNumberSeed"):
            force.setRandomNumberSeed(seed % (2**31 - 2) + 1)
    simulation.context.reinitialize()
