"""Failed writes of a run (disk full, a file-size limit, no permission, a read-only file
system) -> one :class:`~omm_cx.errors.WriteError` naming the path (exit 2).

What stays intact: every checkpoint, run.json, PDB and build file is written to a
temporary file and renamed (:mod:`omm_cx.io.atomic`), so a failed write leaves the
previous version; the trajectory and state.csv are appended and flushed to disk at each
checkpoint, so a failed append can only damage frames/rows after the last checkpoint,
which ``--resume`` cuts back (:mod:`omm_cx.simulation.outputs`).
"""

from __future__ import annotations

import errno
import os
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Callable, Iterator

from omm_cx.errors import RunDirError, WriteError
from omm_cx.choices import RunStatus

#: errno -> what to do about it.
WRITE_ERRNOS = {
    errno.ENOSPC: "free space on that file system",
    errno.EDQUOT: "free space within your disk quota",
    errno.EFBIG: "raise the file-size limit (ulimit -f) or write to a file system that allows "
                 "larger files",
    errno.EACCES: "make the folder and its files writable",
    errno.EPERM: "make the folder and its files writable",
    errno.EROFS: "the file system is read-only (remounted after an error?): write elsewhere or "
                 "remount it",
}


def _culprit(outputs) -> str | None:
    """Close the trajectory and state.csv of ``outputs`` (a
    :class:`~omm_cx.simulation.reporters.FileReporters`); the name of the first whose
    buffered data cannot be written (a failed append leaves its data in the buffer)."""
    if outputs is None:
        return None
    files = [getattr(getattr(outputs, "trajectory", None), "file", None),
             getattr(outputs, "state_file", None)]
    found = None
    for fh in files:
        if fh is None or fh.closed:
            continue
        try:
            fh.close()
        except OSError as exc:
            if found is None and exc.errno in WRITE_ERRNOS:
                found = str(fh.name)
    return found


def _last_checkpoint(out: Path) -> int | None:
    from omm_cx.simulation import rundir

    try:
        record = rundir.read_record(out)
    except (RunDirError, OSError):
        return None
    return None if record is None else record.checkpoint_step


def write_failure(exc: BaseException, out: str | os.PathLike, outputs=None,
                  last_checkpoint: int | None = None) -> WriteError | None:
    """The :class:`WriteError` of a failed write ``exc`` in the run folder ``out`` (None
    when ``exc`` is no such failure). ``outputs``: the open trajectory and state.csv (closed
    here, to find which one failed when ``exc`` names no file); ``last_checkpoint``: its
    step (default: from run.json)."""
    if not isinstance(exc, OSError) or exc.errno not in WRITE_ERRNOS:
        return None
    out = Path(out)
    path = exc.filename or _culprit(outputs)
    if path is None:
        path = f"{out} (the trajectory or state.csv)" if outputs is not None else str(out)
    if last_checkpoint is None:
        last_checkpoint = _last_checkpoint(out)
    kept = (f"the last checkpoint (step {last_checkpoint}) and the files written before it are "
            f"intact: fix this and continue with --resume" if last_checkpoint is not None else
            "no checkpoint was written yet: fix this and run again")
    reason = exc.strerror or os.strerror(exc.errno)
    verb = "cannot access" if exc.errno in (errno.EACCES, errno.EPERM) else "cannot write"
    return WriteError(f"{path}: {verb} ({reason}, {errno.errorcode[exc.errno]}): "
                      f"{WRITE_ERRNOS[exc.errno]}; {kept}")


def failed_write(exc: OSError, out: Path, outputs, last_checkpoint: int | None,
                 finish: Callable[[RunStatus, str], None]) -> BaseException:
    """For the runner: the :class:`WriteError` to raise for ``exc`` (see
    :func:`write_failure`), after ``finish(RunStatus.FAILED, message)`` (run.json; a second
    failure there is ignored); ``exc`` itself when it is no failed write."""
    err = write_failure(exc, out, outputs, last_checkpoint)
    if err is None:
        return exc
    with suppress(OSError):
        finish(RunStatus.FAILED, str(err))
    return err


@contextmanager
def write_errors(out: str | os.PathLike) -> Iterator[None]:
    """Turn a failed write in the block into :class:`WriteError` (other errors pass)."""
    try:
        yield
    except OSError as exc:
        err = write_failure(exc, out)
        if err is None:
            raise
        raise err from None


__all__ = ["WRITE_ERRNOS", "failed_write", "write_failure", "write_errors"]
