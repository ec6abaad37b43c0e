"""Per-pair short-range tables of a force field for the species of a system (eV, Å): the
values every short-range encoding (CustomNonbondedForce, native kernel) is built from."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from omm_cx.errors import ForceFieldError
from omm_cx.forcefield.guard import Wall, find_wall
from omm_cx.forcefield.params import ForceField, pair_key


@dataclass
class ShortRangeTables:
    """Species order (type index) and the per-pair tables (eV, Å) fed to OpenMM."""

    species: list[str]
    A_eV: np.ndarray
    rho_A: np.ndarray
    B_eVA12: np.ndarray
    C_eVA6: np.ndarray
    walls: dict[tuple[str, str], Wall] = field(default_factory=dict)

    def _wall_table(self, attr: str) -> np.ndarray:
        n = len(self.species)
        out = np.zeros((n, n))
        for (a, b), w in self.walls.items():
            i, j = self.species.index(a), self.species.index(b)
            out[i, j] = out[j, i] = getattr(w, attr)
        return out

    @property
    def r_wall_A(self) -> np.ndarray:
        """Wall radius per pair (Å; 0 = no wall)."""
        return self._wall_table("r_wall_A")

    @property
    def D_eV(self) -> np.ndarray:
        """Wall strength per pair (eV)."""
        return self._wall_table("D_eV")


def short_range_tables(ff: ForceField, species: Sequence[str], guard: bool = True) -> ShortRangeTables:
    """Per-pair tables for the species present, in the order of first appearance sorted
    by name. Raises :class:`ForceFieldError` for unknown species or missing pairs."""
    present = sorted(set(species))
    ff.check_species(present)
    n = len(present)
    A, rho, B, C = (np.zeros((n, n)) for _ in range(4))
    rho[:] = 1.0
    walls: dict[tuple[str, str], Wall] = {}
    for i, a in enumerate(present):
        for j in range(i, n):
            b = present[j]
            term = ff.pair(a, b)
            if term is not None:
                for tab, val in ((A, term.A_eV), (rho, term.rho_A), (B, term.B_eVA12),
                                 (C, term.C_eVA6)):
                    tab[i, j] = tab[j, i] = val
            if guard:
                try:
                    wall = find_wall(term, ff.charge(a) * ff.charge(b), ff.cutoff_A)
                except ValueError as exc:
                    raise ForceFieldError(f"pair {a}-{b} in {ff.name!r}: {exc}") from None
                if wall is not None:
                    walls[pair_key(a, b)] = wall
    return ShortRangeTables(present, A, rho, B, C, walls)
