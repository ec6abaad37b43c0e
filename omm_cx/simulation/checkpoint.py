"""Checkpoints of a run: ``checkpoint.chk`` (exact) and ``checkpoint.xml`` (portable), and
the previous pair ``checkpoint.prev.chk`` / ``checkpoint.prev.xml``.

``checkpoint.chk`` is OpenMM's binary checkpoint (positions, velocities, box, step count,
random-number and barostat state): a resume from it continues the run exactly, but only
on the same platform, OpenMM version and hardware. ``checkpoint.xml`` is a serialized
``State`` (positions, velocities, box, time, step) written at the same moment; a resume
falls back on it when the binary checkpoint cannot be loaded (another GPU model, another
platform) or is damaged, with a warning: the random-number streams then restart.

:func:`save_checkpoint` writes both to temporary files (fsync), moves the newest recorded
pair to the ``.prev`` names and renames the temporary files into place; the caller then
writes run.json with the new :class:`~omm_cx.simulation.record.CheckpointEntry` (sizes and
SHA-256 of both files). A kill at any moment leaves the two recorded checkpoints intact
under one of the two names (a resume finds them by checksum, :func:`find_files`) and at
most temporary files (``.checkpoint.*.tmp``), which :func:`remove_temp_files` deletes.
The caller checks the state before saving: a NaN state is never checkpointed.

Test hook: with ``OMM_CX_FAULT=POINT:N`` in the environment the process kills itself
(SIGKILL) the N-th time it reaches ``POINT`` (one of :data:`FAULT_POINTS`), to test that a
kill in the middle of a checkpoint loses nothing.
"""

from __future__ import annotations

import hashlib
import os
import signal
from pathlib import Path

from omm_cx.io.atomic import fsync_dir, fsync_file
from omm_cx.simulation.record import CheckpointEntry, FileDigest

CHECKPOINT_FILE = "checkpoint.chk"
STATE_FILE = "checkpoint.xml"
PREV_CHECKPOINT_FILE = "checkpoint.prev.chk"
PREV_STATE_FILE = "checkpoint.prev.xml"
#: Every checkpoint file name of a run folder.
CHECKPOINT_FILES = (CHECKPOINT_FILE, STATE_FILE, PREV_CHECKPOINT_FILE, PREV_STATE_FILE)
#: (kind, current name, previous name) of the two files of a checkpoint.
KINDS = (("binary", CHECKPOINT_FILE, PREV_CHECKPOINT_FILE),
         ("state", STATE_FILE, PREV_STATE_FILE))
#: Where :envvar:`OMM_CX_FAULT` may kill the process: after the temporary files are
#: written, after the newest pair moved to the .prev names, after the new XML is in
#: place, after both new files are in place (before run.json).
FAULT_POINTS = ("checkpoint-temp", "checkpoint-rotated", "checkpoint-xml", "checkpoint-files")
_fault_counts: dict[str, int] = {}


def fault_point(name: str) -> None:
    """Test hook: SIGKILL this process at the N-th visit of ``name`` when the environment
    says ``OMM_CX_FAULT=name:N``."""
    spec = os.environ.get("OMM_CX_FAULT", "")
    point, _, count = spec.partition(":")
    if point != name:
        return
    _fault_counts[name] = _fault_counts.get(name, 0) + 1
    if _fault_counts[name] == int(count or 1):
        os.kill(os.getpid(), signal.SIGKILL)


def sha256_file(path: str | os.PathLike) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _write_temp(path: Path, data: bytes) -> Path:
    """``data`` in a temporary file next to ``path``, on disk (fsync)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fsync_file(fh)
    except BaseException:
        tmp.unlink(missing_ok=True)  # e.g. a full disk: leave no partial file behind
        raise
    return tmp


def remove_temp_files(out_dir: str | os.PathLike) -> list[Path]:
    """Delete temporary checkpoint files left by an interrupted write; return them."""
    found = [p for name in CHECKPOINT_FILES for p in Path(out_dir).glob(f".{name}.*.tmp")]
    for p in found:
        p.unlink(missing_ok=True)
    return found


def _rotate(out: Path, latest: CheckpointEntry | None) -> CheckpointEntry | None:
    """Move the files of the newest recorded checkpoint to the .prev names (files no
    record refers to are removed); return its entry with the new names."""
    if latest is None:
        for _, _, prev in KINDS:
            (out / prev).unlink(missing_ok=True)
        return None
    update = {}
    for kind, cur, prev in KINDS:
        digest = getattr(latest, kind)
        if digest is not None and digest.file == cur and (out / cur).is_file():
            os.replace(out / cur, out / prev)
            update[kind] = digest.model_copy(update={"file": prev})
        elif digest is None or not (out / digest.file).is_file():
            (out / prev).unlink(missing_ok=True)
            update[kind] = None
    return latest.model_copy(update=update)


def save_checkpoint(simulation, out_dir: str | os.PathLike,
                    recorded: list[CheckpointEntry] | None = None,
                    outputs: tuple = (None, None), now: str = "",
                    platform: str = "") -> list[CheckpointEntry]:
    """Write checkpoint.xml and checkpoint.chk (the newest ``recorded`` pair becomes
    checkpoint.prev.*); return the entries run.json should now list (oldest first).

    ``outputs``: the (trajectory, state.csv) :class:`OutputPrefix` at this step."""
    import openmm as mm
    import openmm.unit as u

    out = Path(out_dir)
    ctx = simulation.context
    state = ctx.getState(getPositions=True, getVelocities=True, getParameters=True,
                         getIntegratorParameters=True, getEnergy=True)
    data = {"state": mm.XmlSerializer.serialize(state).encode("utf-8"),
            "binary": ctx.createCheckpoint()}
    tmp: dict[str, Path] = {}
    try:
        for kind, cur, _ in KINDS:
            tmp[kind] = _write_temp(out / cur, data[kind])
    except BaseException:
        for path in tmp.values():
            path.unlink(missing_ok=True)
        raise
    fault_point("checkpoint-temp")
    previous = _rotate(out, recorded[-1] if recorded else None)
    fault_point("checkpoint-rotated")
    os.replace(tmp["state"], out / STATE_FILE)
    fault_point("checkpoint-xml")
    os.replace(tmp["binary"], out / CHECKPOINT_FILE)
    fsync_dir(out)
    fault_point("checkpoint-files")
    digests = {kind: FileDigest(file=cur, size=len(data[kind]),
                                sha256=hashlib.sha256(data[kind]).hexdigest())
               for kind, cur, _ in KINDS}
    entry = CheckpointEntry(
        step=int(simulation.currentStep), time_ps=state.getTime().value_in_unit(u.picosecond),
        written=now, platform=platform, **digests,
        potential_kJmol=state.getPotentialEnergy().value_in_unit(u.kilojoule_per_mole),
        trajectory=outputs[0], state_csv=outputs[1])
    return [e for e in (previous, entry) if e is not None]


def has_checkpoint(out_dir: str | os.PathLike) -> bool:
    out_dir = Path(out_dir)
    return any((out_dir / name).is_file() for name in CHECKPOINT_FILES)


def find_files(out_dir: str | os.PathLike,
               entry: CheckpointEntry) -> tuple[CheckpointEntry, list[str]]:
    """``entry`` with each file pointing at the one of the folder that has its recorded
    size and checksum (under its name or, after a kill mid-rotation, the other name of
    its kind), or None when none has; and a problem per file not found
    ("checkpoint.chk (step 500): 1024 bytes, run.json records 2048 (truncated)")."""
    out = Path(out_dir)
    update, problems = {}, []
    for kind, cur, prev in KINDS:
        digest = getattr(entry, kind)
        if digest is None:
            continue
        names = [digest.file] + [n for n in (cur, prev) if n != digest.file]
        match = next((n for n in names if (out / n).is_file()
                      and (out / n).stat().st_size == digest.size
                      and sha256_file(out / n) == digest.sha256), None)
        update[kind] = None if match is None else digest.model_copy(update={"file": match})
        if match is None:
            problems.append(f"{digest.file} (step {entry.step}): "
                            + _what_is_wrong(out / digest.file, digest))
    return entry.model_copy(update=update), problems


def _what_is_wrong(path: Path, digest: FileDigest) -> str:
    if not path.is_file():
        return "missing"
    size = path.stat().st_size
    if size != digest.size:
        return (f"{size} bytes, run.json records {digest.size} "
                f"({'truncated' if size < digest.size else 'damaged'})")
    return "its SHA-256 differs from run.json's (damaged)"


def load_binary(simulation, path: Path) -> None:
    """Load a binary checkpoint (raises OpenMM's exception on another platform)."""
    simulation.context.loadCheckpoint(path.read_bytes())


def load_state(simulation, path: Path, reseed: int | None) -> None:
    """Load a portable XML state; with ``reseed`` the integrator and barostat get that
    seed first (so the noise does not replay the first segment's random numbers)."""
    import openmm as mm

    state = mm.XmlSerializer.deserialize(path.read_text(encoding="utf-8"))
    if reseed is not None:
        _reseed(simulation, reseed)
    simulation.context.setState(state)
    simulation.currentStep = int(state.getStepCount())


def load_checkpoint(simulation, out_dir: str | os.PathLike,
                    reseed: int | None = None) -> tuple[int, str, str | None]:
    """Load the newest usable checkpoint into ``simulation``, unverified: for run folders
    whose run.json records no checksums (format 1 and 2).

    Returns (step, file used, warning or None). Raises ``FileNotFoundError`` when neither
    file can be used (with the reasons)."""
    out_dir = Path(out_dir)
    chk, xml = out_dir / CHECKPOINT_FILE, out_dir / STATE_FILE
    reasons = []
    if chk.is_file():
        try:
            load_binary(simulation, chk)
            return int(simulation.currentStep), CHECKPOINT_FILE, None
        except Exception as exc:  # OpenMMException: other platform/hardware/version
            reasons.append(f"{CHECKPOINT_FILE}: {exc}")
    if xml.is_file():
        try:
            load_state(simulation, xml, reseed)
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
