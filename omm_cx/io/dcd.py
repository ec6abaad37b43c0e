"""The layout of a CHARMM/NAMD/OpenMM DCD file from its header: how many bytes the header
and each frame take, so that complete frames can be counted and a torn last frame found
without a trajectory library. Little- and big-endian files; unit-cell records counted."""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from pathlib import Path

from omm_cx.errors import DcdHeaderError

__all__ = ["DcdHeaderError", "DcdLayout", "dcd_layout"]


@dataclass(frozen=True)
class DcdLayout:
    """Sizes of a DCD file from its header: ``n_atoms``, ``nset`` (frames the header
    records; 0 when the writer leaves it unset), ``header_bytes`` (before frame 0),
    ``frame_bytes`` (one frame with its records and unit cell), ``file_bytes``."""

    n_atoms: int
    nset: int
    header_bytes: int
    frame_bytes: int
    file_bytes: int

    @property
    def complete_frames(self) -> int:
        """Whole frames in the file."""
        return max(self.file_bytes - self.header_bytes, 0) // self.frame_bytes

    @property
    def partial_bytes(self) -> int:
        """Bytes of a last frame that was cut short (0 when the file ends on a frame)."""
        return max(self.file_bytes - self.header_bytes, 0) % self.frame_bytes


def dcd_layout(path: str | os.PathLike) -> DcdLayout | None:
    """The layout of a DCD file, or None when the header is not one this reader
    understands (fixed atoms, 4D coordinates). :class:`DcdHeaderError` when the file has
    no 'CORD' header or the header is cut short."""
    path = Path(path)
    size = path.stat().st_size
    with open(path, "rb") as fh:
        head = fh.read(65536)
    endian = next((e for e in "<>" if len(head) >= 8 and struct.unpack(e + "i", head[:4])[0] == 84
                   and head[4:8] == b"CORD"), None)
    if endian is None:
        raise DcdHeaderError("not a DCD file (no CHARMM/NAMD 'CORD' header)")
    try:
        icntrl = struct.unpack(endian + "20i", head[8:88])
        title_len = struct.unpack(endian + "i", head[92:96])[0]
        atoms_at = 96 + title_len + 4
        marker, n_atoms = struct.unpack(endian + "2i", head[atoms_at:atoms_at + 8])
    except struct.error:
        raise DcdHeaderError(f"the DCD header is cut short ({size} bytes)") from None
    charmm, has_cell, four_d, fixed = icntrl[19] != 0, icntrl[10] != 0, icntrl[11] != 0, icntrl[8]
    if marker != 4 or n_atoms <= 0 or fixed != 0 or (charmm and four_d):
        return None
    header = atoms_at + 12
    frame = 3 * (8 + 4 * n_atoms) + (56 if charmm and has_cell else 0)
    return DcdLayout(n_atoms, max(icntrl[0], 0), header, frame, size)
