"""Random solutions around a nanocrystal: particles placed uniformly at random in a
periodic box with a minimum separation from every other particle (seeded, deterministic).
Lengths in Å."""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from omm_cx.errors import StructureError

#: Random sequential addition of hard spheres jams near this volume fraction; requests
#: above it are refused before trying.
RSA_JAMMING_FRACTION = 0.38
_MAX_TRIES_PER_PARTICLE = 2000


class _Grid:
    """Cell list over an orthorhombic periodic box for minimum-distance checks."""

    def __init__(self, box_lengths_A: np.ndarray, cell_A: float):
        self.L = np.asarray(box_lengths_A, dtype=float)
        self.n = np.maximum(1, np.floor(self.L / cell_A).astype(int))
        self.cells: dict[tuple[int, int, int], list[int]] = {}
        self.pos: list[np.ndarray] = []

    def _cell(self, p):
        return tuple((np.floor(p / self.L * self.n).astype(int)) % self.n)

    def add(self, p) -> None:
        p = np.mod(p, self.L)
        self.cells.setdefault(self._cell(p), []).append(len(self.pos))
        self.pos.append(p)

    def too_close(self, p, dmin: float) -> bool:
        p = np.mod(p, self.L)
        c = np.array(self._cell(p))
        reach = np.ceil(dmin / (self.L / self.n)).astype(int)
        for dx in range(-reach[0], reach[0] + 1):
            for dy in range(-reach[1], reach[1] + 1):
                for dz in range(-reach[2], reach[2] + 1):
                    key = tuple((c + (dx, dy, dz)) % self.n)
                    for j in self.cells.get(key, ()):
                        d = self.pos[j] - p
                        d -= self.L * np.round(d / self.L)
                        if d @ d < dmin * dmin:
                            return True
        return False


def place_random(
    species: Sequence[str],
    box_lengths_A,
    min_separation_A: float,
    rng: np.random.Generator,
    occupied_A: np.ndarray | None = None,
    exclusion_centre_A=None,
    exclusion_radius_A: float = 0.0,
    what: str = "solution",
) -> np.ndarray:
    """Positions (N, 3) in Å, in [0, L), of ``species`` placed one by one at uniformly
    random points at least ``min_separation_A`` from every particle placed before and
    from ``occupied_A`` (e.g. the NC atoms), periodic. Optional spherical exclusion zone.

    Raises :class:`StructureError` when the particles cannot fit."""
    L = np.asarray(box_lengths_A, dtype=float)
    n = len(species)
    vol = float(np.prod(L))
    occupied = np.empty((0, 3)) if occupied_A is None else np.asarray(occupied_A, dtype=float)
    excluded = 0.0
    if exclusion_radius_A > 0:
        excluded = 4 / 3 * math.pi * exclusion_radius_A**3
    sphere_vol = math.pi / 6 * min_separation_A**3
    fraction = (n + len(occupied)) * sphere_vol / max(vol - excluded, 1e-9)
    if fraction > RSA_JAMMING_FRACTION:
        fit = int(RSA_JAMMING_FRACTION * (vol - excluded) / sphere_vol) - len(occupied)
        raise StructureError(
            f"{what}: {n} particles with a minimum separation of {min_separation_A} Å cannot "
            f"fit in the free volume of the box ({(vol - excluded) / 1000:.1f} nm^3; at most "
            f"~{max(fit, 0)} by random packing); use fewer particles, a smaller "
            f"min_separation_A or a larger box"
        )
    grid = _Grid(L, max(min_separation_A, 1e-3))
    for p in occupied:
        grid.add(p)
    out = np.empty((n, 3))
    centre = None if exclusion_centre_A is None else np.asarray(exclusion_centre_A, float)
    for i in range(n):
        for _ in range(_MAX_TRIES_PER_PARTICLE):
            p = rng.random(3) * L
            if centre is not None:
                d = p - centre
                d -= L * np.round(d / L)
                if d @ d < exclusion_radius_A**2:
                    continue
            if not grid.too_close(p, min_separation_A):
                break
        else:
            raise StructureError(
                f"{what}: could not place particle {i + 1} of {n} ({species[i]}) after "
                f"{_MAX_TRIES_PER_PARTICLE} tries with min separation {min_separation_A} Å; "
                f"use fewer particles, a smaller min_separation_A or a larger box"
            )
        grid.add(p)
        out[i] = p
    return out
