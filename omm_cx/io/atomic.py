"""Atomic file writes: a temporary file in the same folder, then a rename, so a good
output is never replaced by a half-written one; and the one set of helpers that puts
what was written on disk (:func:`fsync_file`, :func:`fsync_path`, :func:`fsync_dir`).

The temporary file of ``DIR/NAME`` is ``DIR/.NAME.XXXXXXXX.tmp``; a process killed while
writing leaves it behind, and :func:`remove_temporaries` removes such leftovers (call it
only while no other process writes into the folder). A failed write (no space, a size
limit, no permission) raises the ``OSError`` with ``filename`` set to ``path`` -- the file
that could not be written, not the temporary one -- and leaves ``path`` as it was.
"""

from __future__ import annotations

import os
import re
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

#: Names of the temporary files of :func:`atomic_path` (mkstemp adds 8 characters).
_TEMPORARY = re.compile(r"^\..+\.[A-Za-z0-9_]{8}\.tmp$")


@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; on success rename it onto ``path``."""
    path = Path(path)
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        os.close(fd)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the file normal permissions
        yield Path(tmp)
        os.replace(tmp, path)
    except OSError as exc:
        if exc.filename is None or exc.filename == tmp or str(exc.filename).endswith(".tmp"):
            exc.filename = str(path)  # name the file the user knows
        raise
    finally:
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    """Write text atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def atomic_save_npy(path: str | os.PathLike, array) -> None:
    """``numpy.save`` atomically (to exactly ``path``, no .npy appended)."""
    import numpy as np

    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            np.save(fh, array)


def fsync_file(fh) -> None:
    """Python's buffer and the OS cache of an open file to disk."""
    fh.flush()
    os.fsync(fh.fileno())


def fsync_path(path: str | os.PathLike) -> None:
    """Put a file that another object writes (trajectory, CSV) on disk; nothing if it
    does not exist."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(folder: str | os.PathLike) -> None:
    """Put a folder's entries (renames) on disk, where the file system allows it."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def temporaries(folder: str | os.PathLike) -> list[Path]:
    """The temporary files of interrupted atomic writes in ``folder`` (not recursive)."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if _TEMPORARY.match(p.name) and p.is_file())


def remove_temporaries(folder: str | os.PathLike) -> list[Path]:
    """Remove the leftovers of interrupted atomic writes in ``folder`` (``.NAME.*.tmp``);
    return the paths removed. Only for a folder that no other process is writing to."""
    removed = []
    for p in temporaries(folder):
        try:
            p.unlink()
        except FileNotFoundError:
            continue
        removed.append(p)
    return removed
