"""The lock of a run folder: one run (fresh, resumed or overwriting) writes into it at a time.

``DIR/.lock`` holds the holder's pid, host and start time (JSON). It appears atomically
and complete: it is written to a temporary file, locked with ``flock`` and then linked to
``.lock`` (``link`` fails when the name exists, like ``O_CREAT | O_EXCL``). The holder keeps
the file open and locked until the run ends; the kernel drops an ``flock`` when its
process dies, even by SIGKILL, so:

* ``.lock`` present and locked: a live run holds the folder -> :class:`RunFolderBusy`
  (exit 2) naming its pid and host;
* ``.lock`` present, not locked: its process is gone -> taken over with a warning;
* on a file system without ``flock`` (the call fails): the pid decides, when the lock was
  taken on this host (gone -> taken over); a lock of another host is then never taken
  over (delete ``.lock`` by hand once that run has ended).

Network file systems: ``flock`` works across hosts on NFS (Linux emulates it with POSIX
locks) and Lustre mounted with ``flock``; with ``localflock`` or ``noflock`` two hosts can
both take the lock.
"""

from __future__ import annotations

import errno
import fcntl
import json
import logging
import os
import socket
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from omm_cx.errors import RunDirError, RunFolderBusy

log = logging.getLogger("omm_cx.simulation")

LOCK_FILE = ".lock"
_BUSY = (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK)
_ATTEMPTS = 20


class RunLock:
    """A held lock of a run folder (from :func:`acquire`); :meth:`release` lets it go."""

    def __init__(self, folder: Path, fd: int, info: dict):
        self.folder, self.path, self.fd, self.info = folder, folder / LOCK_FILE, fd, info

    def release(self) -> None:
        """Remove ``.lock`` (when it is still this lock) and unlock it."""
        if self.fd < 0:
            return
        try:
            if _same_file(self.path, self.fd):
                self.path.unlink()
        except OSError:  # a folder made read-only meanwhile: the next run takes it over
            pass
        finally:
            os.close(self.fd)
            self.fd = -1


def _info() -> dict:
    return {"pid": os.getpid(), "host": socket.gethostname(),
            "started": datetime.now(timezone.utc).isoformat(timespec="seconds")}


def _same_file(path: Path, fd: int) -> bool:
    try:
        st = path.stat()
    except FileNotFoundError:
        return False
    fst = os.fstat(fd)
    return (st.st_dev, st.st_ino) == (fst.st_dev, fst.st_ino)


def _flock(fd: int) -> bool | None:
    """True: locked now; False: another process holds it; None: no flock here."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError as exc:
        if exc.errno in _BUSY:
            return False
        return None


def _write_info(fd: int, info: dict) -> None:
    data = (json.dumps(info) + "\n").encode("utf-8")
    os.ftruncate(fd, 0)
    os.pwrite(fd, data, 0)
    os.fsync(fd)


def _read_info(fd: int) -> dict:
    """The holder's info; a file being written is read again for up to ~0.5 s."""
    for _ in range(10):
        try:
            info = json.loads(os.pread(fd, 4096, 0).decode("utf-8"))
            if isinstance(info, dict):
                return info
        except (ValueError, UnicodeDecodeError):
            pass
        time.sleep(0.05)
    return {}


def _pid_alive(pid) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's live process
        return True
    return True


def _create(folder: Path, info: dict) -> int | None:
    """Make ``.lock`` (locked, complete); the fd, or None when it exists already."""
    tmp = folder / f".lock.{os.getpid()}.{os.urandom(4).hex()}.tmp"
    try:
        fd = os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
    except OSError as exc:  # name the lock, not its temporary file
        exc.filename = str(folder / LOCK_FILE)
        raise
    try:
        _flock(fd)
        _write_info(fd, info)
        os.link(tmp, folder / LOCK_FILE)
    except (FileExistsError, FileNotFoundError):  # taken; or our file removed meanwhile
        os.close(fd)
        return None
    except BaseException:
        os.close(fd)
        raise
    finally:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
    return fd


def _busy_message(folder: Path, holder: dict) -> str:
    pid, host = holder.get("pid", "?"), holder.get("host", "?")
    since = f" since {holder['started']}" if holder.get("started") else ""
    return (f"{folder}: another run is writing into this folder (pid {pid} on host {host}"
            f"{since}, lock {folder / LOCK_FILE}); wait for it to end, stop it (kill -TERM "
            f"{pid} on {host}) or give another -o")


def _try_existing(folder: Path, info: dict) -> int | None:
    """Take over ``.lock`` when its holder is gone: the fd; None to try again."""
    path = folder / LOCK_FILE
    try:
        fd = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        return None
    try:
        locked = _flock(fd)
        if not _same_file(path, fd):  # released or replaced meanwhile
            os.close(fd)
            return None
        holder = _read_info(fd)
        same_host = holder.get("host") == info["host"]
        if locked is False or (locked is None and not (same_host
                                                       and not _pid_alive(holder.get("pid")))):
            raise RunFolderBusy(_busy_message(folder, holder))
        log.warning("%s: taking over the lock of a run that is gone (pid %s on host %s%s)",
                    folder, holder.get("pid", "?"), holder.get("host", "?"),
                    f", since {holder['started']}" if holder.get("started") else "")
        _write_info(fd, info)
        return fd
    except BaseException:
        if fd >= 0:
            try:
                os.close(fd)
            except OSError:
                pass
        raise


def acquire(folder: str | os.PathLike) -> RunLock:
    """Lock the run folder ``folder`` (which must exist) for this process; raises
    :class:`RunFolderBusy` naming the holder when a live process holds it."""
    folder = Path(folder)
    info = _info()
    for _ in range(_ATTEMPTS):
        fd = _create(folder, info)
        if fd is None:
            fd = _try_existing(folder, info)
        if fd is not None:
            return RunLock(folder, fd, info)
        time.sleep(0.01)
    raise RunFolderBusy(f"{folder}: could not take the lock {folder / LOCK_FILE} (it keeps "
                        f"changing: other runs are starting here); try again")


@contextmanager
def hold(folder: str | os.PathLike) -> Iterator[RunLock]:
    """Hold the lock of the run folder ``folder`` (created when missing, and removed again
    when it is left empty) while the block runs."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise RunDirError(f"{folder}: exists and is not a folder; give another -o")
    created = not folder.exists()
    folder.mkdir(parents=True, exist_ok=True)
    lock = None
    try:
        lock = acquire(folder)
        yield lock
    finally:
        if lock is not None:
            lock.release()
        if created:
            try:
                folder.rmdir()  # only when empty: a run that wrote nothing leaves nothing
            except OSError:
                pass


__all__ = ["LOCK_FILE", "RunLock", "acquire", "hold"]
