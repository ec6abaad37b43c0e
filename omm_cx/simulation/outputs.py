"""Rolling trajectory and CSV files back to a checkpoint's step before a resume, and
the checksums that make the roll-back safe.

Since run.json format 3 each checkpoint records the size and SHA-256 of the trajectory and
state.csv as they were at its step (:class:`PrefixHasher`, updated incrementally: each
checkpoint reads only the bytes written since the last one). A resume then checks that the
file still starts with exactly those bytes and cuts it back to that size
(:func:`verify_and_cut`): a file that is shorter or differs is an error naming it, and
nothing is cut. Older run folders (no checksums) are rolled back by frame/row count
(:func:`roll_back_trajectory`, :func:`roll_back_csv`).

When a run is killed, the trajectory and the state CSV may hold frames and rows written
after the last checkpoint (and a half-written last frame or line). A resume from the
checkpoint at step S first keeps exactly the frames/rows at steps <= S, then appends.

Frames are written at steps k x interval (k = 1, 2, ...; OpenMM's reporters never write
step 0), so a run resumed at step S must hold floor(S / interval) complete frames; fewer
is an error (:class:`~omm_cx.errors.RunDirError`), since the gap cannot be filled.

DCD: fixed-size frames after a header (CHARMM layout, as OpenMM's ``DCDFile`` writes it);
truncation cuts whole frames and rewrites the frame count in the header. XTC: frames of
varying size, each carrying its step; the file is scanned frame by frame (XDR headers).
"""

from __future__ import annotations

import hashlib
import os
import struct
from pathlib import Path

from omm_cx.io.atomic import atomic_write_text, fsync_file
from omm_cx.io.dcd import DcdLayout, dcd_layout
from omm_cx.errors import RunDirError
from omm_cx.simulation.record import OutputPrefix

_XTC_MAGIC = 1995
#: Bytes of a DCD header that OpenMM rewrites with every frame (frame count, last step):
#: zeroed in checksums, so that the checksum of a prefix does not change as frames follow.
_DCD_VOLATILE = ((8, 12), (20, 24))
_BLOCK = 1 << 20


# -- DCD -------------------------------------------------------------------------------
def _layout(path) -> DcdLayout:
    """The layout of an OpenMM (little-endian) DCD (:mod:`omm_cx.io.dcd`); ValueError for
    a file this module cannot roll back (it patches little-endian header fields)."""
    layout = dcd_layout(path)  # DcdHeaderError is a ValueError
    with open(path, "rb") as fh:
        little = struct.unpack("<i", fh.read(4))[0] == 84
    if layout is None or not little:
        raise ValueError(f"{path}: not a little-endian CHARMM DCD file")
    return layout


def dcd_frame_count(path: str | os.PathLike) -> int:
    """Number of complete frames in a DCD file (by size, not by the header's count)."""
    return _layout(path).complete_frames


def truncate_dcd(path: str | os.PathLike, keep_frames: int) -> int:
    """Keep the first ``keep_frames`` complete frames; return the complete frames found."""
    layout = _layout(path)
    header, frame, found = layout.header_bytes, layout.frame_bytes, layout.complete_frames
    with open(path, "r+b") as fh:
        keep = min(found, keep_frames)
        fh.truncate(header + keep * frame)
        fh.seek(12)
        istart, nsavc = struct.unpack("<ii", fh.read(8))
        fh.seek(8)
        fh.write(struct.pack("<i", keep))
        fh.seek(20)
        fh.write(struct.pack("<i", istart + max(keep - 1, 0) * nsavc))
        fsync_file(fh)
    return found


# -- XTC -------------------------------------------------------------------------------
def xtc_frames(path: str | os.PathLike) -> list[tuple[int, int, int]]:
    """(start byte, end byte, step) of every complete frame of an XTC file; a torn frame
    at the end (or anything after the first unreadable frame header) is left out."""
    frames = []
    with open(path, "rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        offset = 0
        while offset + 56 <= size:
            fh.seek(offset)
            head = fh.read(92)
            magic, natoms, step = struct.unpack(">iii", head[:12])
            if magic != _XTC_MAGIC:  # not a frame: the readable part ends here
                break
            if natoms <= 9:
                end = offset + 56 + 12 * natoms
            elif len(head) < 92:
                break
            else:
                nbytes = struct.unpack(">i", head[88:92])[0]
                end = offset + 92 + (nbytes + 3) // 4 * 4
            if end > size:
                break
            frames.append((offset, end, step))
            offset = end
    return frames


def truncate_xtc(path: str | os.PathLike, keep_frames: int) -> int:
    """Keep the first ``keep_frames`` complete frames; return the complete frames found."""
    frames = xtc_frames(path)
    keep = min(len(frames), keep_frames)
    with open(path, "r+b") as fh:
        fh.truncate(frames[keep - 1][1] if keep else 0)
        fsync_file(fh)
    return len(frames)


def trajectory_frame_count(path: str | os.PathLike, fmt: str) -> int:
    return dcd_frame_count(path) if fmt == "dcd" else len(xtc_frames(path))


def roll_back_trajectory(path: str | os.PathLike, fmt: str, step: int, interval: int) -> int:
    """Cut the trajectory back to the frames at steps <= ``step``; return the frames kept."""
    path = Path(path)
    expected = step // interval
    if expected == 0:  # nothing to keep: the resumed run writes a new file
        path.unlink(missing_ok=True)
        return 0
    if not path.is_file():
        raise RunDirError(f"{path}: missing, but the checkpoint at step {step} expects "
                          f"{expected} frames; the run cannot be continued (use --overwrite)")
    found = (truncate_dcd if fmt == "dcd" else truncate_xtc)(path, expected)
    if found < expected:
        raise RunDirError(
            f"{path}: holds {found} complete frames but the checkpoint at step {step} expects "
            f"{expected} (one every {interval} steps); frames are missing and cannot be "
            f"recreated: start again with --overwrite, or keep this folder and start a new "
            f"run elsewhere"
        )
    return expected


# -- state CSV ---------------------------------------------------------------------------
def roll_back_csv(path: str | os.PathLike, step: int, interval: int) -> int:
    """Keep the header and the rows of steps <= ``step`` (the first column is the step);
    drop a torn last line. Return the rows kept."""
    path = Path(path)
    expected = step // interval
    if expected == 0:  # nothing to keep: the resumed run writes a new file with its header
        path.unlink(missing_ok=True)
        return 0
    if not path.is_file():
        raise RunDirError(f"{path}: missing, but the checkpoint at step {step} expects "
                          f"{expected} rows; use --overwrite to start again")
    kept, rows = [], 0
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            kept.append(line)
            continue
        try:
            row_step = int(line.split(",")[0])
        except ValueError:
            continue  # a line cut off by the kill
        if row_step <= step and len(line.split(",")) == _n_columns(kept):
            kept.append(line)
            rows += 1
    if rows < expected:
        raise RunDirError(
            f"{path}: holds {rows} rows at steps <= {step} but {expected} are expected (one "
            f"every {interval} steps); rows are missing: start again with --overwrite"
        )
    atomic_write_text(path, "\n".join(kept) + "\n")
    return rows


def _n_columns(lines: list[str]) -> int:
    for line in lines:
        if line.startswith("#"):
            return len(line.split(","))
    return -1


def read_state_csv(path: str | os.PathLike) -> dict[str, list[float]]:
    """Columns of a state CSV by header name (``'Step'``, ``'Time (ps)'``, ...)."""
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    header = [h.strip('"') for h in lines[0].lstrip("#").split(",")]
    cols: dict[str, list[float]] = {h: [] for h in header}
    for line in lines[1:]:
        if not line or line.startswith("#"):
            continue
        for h, v in zip(header, line.split(",")):
            try:
                cols[h].append(float(v))
            except ValueError:
                cols[h].append(float("nan"))
    return cols


# -- checksums of the prefix a checkpoint covers ------------------------------------------
class PrefixHasher:
    """Running SHA-256 of a file that only grows (a trajectory, state.csv).

    :meth:`update` hashes the bytes written since the last call and returns the
    :class:`OutputPrefix` of the file as it is now. ``dcd``: the header fields that change
    with each frame are hashed as zeros."""

    def __init__(self, path: str | os.PathLike, dcd: bool = False):
        self.path = Path(path)
        self.dcd = bool(dcd)
        self.size = 0
        self.hash = hashlib.sha256()

    def _feed(self, fh, end: int) -> None:
        fh.seek(self.size)
        while self.size < end:
            block = bytearray(fh.read(min(_BLOCK, end - self.size)))
            if not block:
                break
            if self.dcd:
                for a, b in _DCD_VOLATILE:
                    lo, hi = max(a - self.size, 0), min(b - self.size, len(block))
                    if lo < hi:
                        block[lo:hi] = bytes(hi - lo)
            self.hash.update(block)
            self.size += len(block)

    def update(self, count: int, end: int | None = None) -> OutputPrefix:
        """Hash up to byte ``end`` (default: the end of the file); ``count``: the frames or
        rows the file holds there."""
        with open(self.path, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size if end is None else end
            self._feed(fh, size)
        return OutputPrefix(file=self.path.name, size=self.size, sha256=self.hash.hexdigest(),
                            count=int(count))


def verify_and_cut(path: str | os.PathLike, prefix: OutputPrefix | None, step: int,
                   what: str = "frames") -> PrefixHasher | None:
    """Check that ``path`` starts with the bytes ``prefix`` recorded at the checkpoint at
    ``step``, then cut it back to them (DCD: with the header's frame count set). A prefix
    of nothing (None or 0 bytes) removes the file. Returns the hasher positioned at the
    cut (None when the file was removed).

    Raises :class:`RunDirError` naming the file, nothing cut, when it is missing, shorter
    than the prefix, or differs from it."""
    path = Path(path)
    if prefix is None or prefix.size == 0:
        path.unlink(missing_ok=True)
        return None
    covered = (f"the {prefix.size} bytes ({prefix.count} {what}) that the checkpoint at step "
               f"{step} covers")
    fix = ("the run cannot be continued from this checkpoint: restore the file, or start "
           "again with --overwrite")
    if not path.is_file():
        raise RunDirError(f"{path}: missing, but run.json records {covered}; {fix}")
    size = path.stat().st_size
    if size < prefix.size:
        raise RunDirError(f"{path}: {size} bytes, shorter than {covered}: {what} written before "
                          f"the checkpoint are missing; {fix}")
    dcd = path.suffix == ".dcd"
    hasher = PrefixHasher(path, dcd=dcd)
    if hasher.update(prefix.count, end=prefix.size).sha256 != prefix.sha256:
        raise RunDirError(f"{path}: does not match run.json's checksum of {covered} (changed or "
                          f"damaged since it was written; nothing was cut); {fix}")
    with open(path, "r+b") as fh:
        fh.truncate(prefix.size)
        if dcd:
            fh.seek(12)
            istart, nsavc = struct.unpack("<ii", fh.read(8))
            fh.seek(8)
            fh.write(struct.pack("<i", prefix.count))
            fh.seek(20)
            fh.write(struct.pack("<i", istart + max(prefix.count - 1, 0) * nsavc))
        fsync_file(fh)
    return hasher
