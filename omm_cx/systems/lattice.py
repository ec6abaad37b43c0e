"""Oriented crystal blocks: every atom of an infinite crystal inside a bounding sphere,
in a frame where a chosen crystal direction lies along z.

Positions in Å. A :class:`Crystal` knows its structure type (:mod:`omm_cx.crystals`),
species per role and lattice parameters; :meth:`Crystal.points` returns the atoms.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from omm_cx.crystals import CrystalStructure, get_structure


@dataclass
class Atoms:
    """A set of atoms: species and role ('cation'/'anion'/'ligand') per atom, positions
    (N, 3) in Å, and a free-form part label per atom (e.g. 'core', 'shell', 'rod')."""

    species: list[str]
    roles: list[str]
    positions_A: np.ndarray
    parts: list[str] = field(default_factory=list)

    def __post_init__(self):
        self.positions_A = np.asarray(self.positions_A, dtype=float).reshape(-1, 3)
        if not self.parts:
            self.parts = [""] * len(self.species)

    def __len__(self) -> int:
        return len(self.species)

    def take(self, mask_or_index) -> "Atoms":
        idx = np.arange(len(self))[mask_or_index]
        return Atoms([self.species[i] for i in idx], [self.roles[i] for i in idx],
                     self.positions_A[idx], [self.parts[i] for i in idx])

    def with_part(self, label: str) -> "Atoms":
        return Atoms(list(self.species), list(self.roles), self.positions_A.copy(),
                     [label] * len(self))

    def translated(self, shift_A) -> "Atoms":
        return Atoms(list(self.species), list(self.roles), self.positions_A + np.asarray(shift_A),
                     list(self.parts))

    @staticmethod
    def concat(items: Sequence["Atoms"]) -> "Atoms":
        items = [a for a in items if len(a)]
        if not items:
            return Atoms([], [], np.empty((0, 3)), [])
        return Atoms([s for a in items for s in a.species], [r for a in items for r in a.roles],
                     np.vstack([a.positions_A for a in items]), [p for a in items for p in a.parts])


def rotation_to_z(direction_cart, x_hint_cart=None) -> np.ndarray:
    """Rotation matrix R (rows = new axes) with R @ direction along +z; if ``x_hint`` is
    given, its component perpendicular to the direction goes along +x."""
    z = np.asarray(direction_cart, dtype=float)
    z = z / np.linalg.norm(z)
    if x_hint_cart is None:
        trial = np.array([1.0, 0, 0]) if abs(z[0]) < 0.9 else np.array([0, 1.0, 0])
    else:
        trial = np.asarray(x_hint_cart, dtype=float)
    x = trial - np.dot(trial, z) * z
    if np.linalg.norm(x) < 1e-8:
        raise ValueError("the x direction must not be parallel to the axis")
    x /= np.linalg.norm(x)
    y = np.cross(z, x)
    return np.vstack([x, y, z])


@dataclass
class Crystal:
    """A crystal of one compound: structure type, species per role, lattice parameters
    (Å; ``u`` fractional) and orientation (crystal direction [uvw], in conventional
    lattice-vector coordinates, placed along z; optional direction placed along x)."""

    structure: CrystalStructure
    species: dict[str, str]
    a_A: float
    c_A: float | None = None
    u: float | None = None
    axis: Sequence[float] = (0, 0, 1)
    x_axis: Sequence[float] | None = None

    @classmethod
    def make(cls, structure: str, cation: str, anion: str, a_A: float, c_A=None, u=None,
             axis=(0, 0, 1), x_axis=None) -> "Crystal":
        return cls(get_structure(structure), {"cation": cation, "anion": anion}, float(a_A),
                   None if c_A is None else float(c_A), None if u is None else float(u),
                   tuple(axis), None if x_axis is None else tuple(x_axis))

    @property
    def conventional_A(self) -> np.ndarray:
        """Conventional lattice vectors (rows, Å) before rotation."""
        return self.structure.lattice_vectors(self.a_A, self.c_A)

    @property
    def rotation(self) -> np.ndarray:
        h = self.conventional_A
        x = None if self.x_axis is None else np.asarray(self.x_axis, float) @ h
        return rotation_to_z(np.asarray(self.axis, float) @ h, x)

    @property
    def axis_period_A(self) -> float:
        """Length of the lattice vector [uvw] along the axis: the crystal repeats after it
        along z (possibly a multiple of the shortest period for centred lattices)."""
        return float(np.linalg.norm(np.asarray(self.axis, float) @ self.conventional_A))

    def bond_midpoint_A(self) -> np.ndarray:
        """Midpoint of a nearest-neighbour cation-anion bond (unrotated frame): the default
        cut centre. A sphere about it is exactly stoichiometric for rocksalt, zincblende and
        CsCl (a symmetry through this point swaps the two sublattices)."""
        roles, frac = self.structure.conventional_sites(self.u)
        cart = frac @ self.conventional_A
        cat = cart[roles.index("cation")]
        shifts = np.array([[i, j, k] for i in (-1, 0, 1) for j in (-1, 0, 1) for k in (-1, 0, 1)]) @ self.conventional_A
        anions = cart[[i for i, r in enumerate(roles) if r == "anion"]]
        cand = (anions[:, None, :] + shifts[None]).reshape(-1, 3)
        nearest = cand[np.argmin(np.linalg.norm(cand - cat, axis=1))]
        return 0.5 * (cat + nearest)

    def points(self, radius_A: float, centre_A=None) -> Atoms:
        """All atoms within ``radius_A`` of the centre (unrotated frame; default: the bond
        midpoint), translated so the centre is the origin and rotated (axis along z)."""
        h = self.conventional_A
        centre = self.bond_midpoint_A() if centre_A is None else np.asarray(centre_A, float)
        roles, frac = self.structure.conventional_sites(self.u)
        cart = frac @ h
        vol = abs(np.linalg.det(h))
        widths = [vol / np.linalg.norm(np.cross(h[(i + 1) % 3], h[(i + 2) % 3])) for i in range(3)]
        c_frac = np.linalg.solve(h.T, centre)
        ranges = [np.arange(math.floor(c_frac[i] - radius_A / widths[i]) - 1,
                            math.ceil(c_frac[i] + radius_A / widths[i]) + 2) for i in range(3)]
        grid = np.array(np.meshgrid(*ranges, indexing="ij")).reshape(3, -1).T @ h
        pos = (grid[:, None, :] + cart[None, :, :]).reshape(-1, 3) - centre
        all_roles = roles * len(grid)
        keep = np.einsum("ij,ij->i", pos, pos) <= radius_A**2 + 1e-9
        pos = pos[keep] @ self.rotation.T
        kept_roles = [r for r, k in zip(all_roles, keep) if k]
        # deterministic order: by z, then y, then x (rounded to kill float noise)
        order = np.lexsort(np.round(pos.T, 6))  # last key (z) is the primary one
        pos = pos[order]
        kept_roles = [kept_roles[i] for i in order]
        return Atoms([self.species[r] for r in kept_roles], kept_roles, pos)
