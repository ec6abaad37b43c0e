"""Checks of a periodic system before OpenMM sees it: the box against the cutoff, the net
charge (PME would silently add a neutralizing background)."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from omm_cx.errors import StructureError
from omm_cx.forcefield.params import ForceField


def check_box(box_vectors_A: np.ndarray, cutoff_A: float) -> None:
    """Raise :class:`StructureError` when a periodic box is too small for the cutoff
    (every perpendicular width must be at least twice the cutoff)."""
    h = np.asarray(box_vectors_A, dtype=float).reshape(3, 3)
    vol = abs(np.linalg.det(h))
    widths = [vol / np.linalg.norm(np.cross(h[(i + 1) % 3], h[(i + 2) % 3])) for i in range(3)]
    if min(widths) < 2 * cutoff_A:
        raise StructureError(
            f"box too small for the cutoff: perpendicular widths "
            f"{', '.join(f'{w:.2f}' for w in widths)} Å must all be >= 2 x cutoff = "
            f"{2 * cutoff_A:.2f} Å; use a larger box or supercell"
        )


def check_neutral(ff: ForceField, species: Sequence[str], tol_e: float = 1e-6) -> None:
    """Raise :class:`StructureError` for a non-neutral periodic system."""
    counts: dict[str, int] = {}
    for s in species:
        counts[s] = counts.get(s, 0) + 1
    q = sum(ff.charge(s) * c for s, c in counts.items())
    if abs(q) > tol_e:
        detail = ", ".join(f"{c} {s} ({ff.charge(s):+g} e)" for s, c in sorted(counts.items()))
        raise StructureError(
            f"system is not neutral: net charge {q:+.6g} e from {detail}; add or remove "
            f"ions (PME would silently add a neutralizing background), or pass "
            f"allow_net_charge=True"
        )
