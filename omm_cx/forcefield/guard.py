"""Guard against the Buckingham catastrophe.

A Buckingham term A exp(-r/rho) stays finite as r -> 0 while -C/r^6 (and the Coulomb
attraction of opposite charges) diverge, so the full pair potential

    u(r) = q_i q_j k_e / r + A exp(-r/rho) + B/r^12 - C/r^6

has an inner maximum r_max below which two hot ions fall into a bottomless well. The
guard adds, for such pairs only,

    g(r) = D ((r_w / r)^6 - 1)^2   for r < r_w = r_max,   0 otherwise,

which is zero with zero slope at r_w (the potential stays C1) and grows as r^-12, so
it dominates both divergences. D is the smallest value, times a safety factor of 2, for
which u + g decreases monotonically on (0, r_w): an ion pushed inside the barrier is
pushed back out. For r >= r_w the energy is unchanged *exactly* (g = 0); r_w of every
pair is recorded so that the "no change at physical distances" claim can be checked.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import brentq

from omm_cx.forcefield.params import PairTerm
from omm_cx.units import COULOMB_EV_ANGSTROM

#: Exponent n of the wall ((r_w / r)^n - 1)^2.
WALL_EXPONENT = 6
#: Energy of the guard force as an OpenMM expression: zero at r >= r_wall of the pair
#: (r_wall = 0: no wall); {D} and {Rw} are filled with the per-pair value encoding.
GUARD_EXPRESSION = f"step(rw-r)*{{D}}*(wx-1)^2; wx=(rw/r)^{WALL_EXPONENT}; rw={{Rw}}"
_SAFETY = 2.0


@dataclass(frozen=True)
class Wall:
    """Guard of one pair: wall start r_w (Å, the inner maximum) and strength D (eV)."""

    r_wall_A: float
    D_eV: float
    barrier_eV: float

    def energy_eV(self, r_A):
        r = np.asarray(r_A, dtype=float)
        x = (self.r_wall_A / r) ** WALL_EXPONENT - 1.0
        return np.where(r < self.r_wall_A, self.D_eV * x * x, 0.0)


def total_pair_energy_eV(term: PairTerm | None, qq_e2: float, r_A):
    """Bare Coulomb + short-range energy of a pair (eV) at r (Å)."""
    r = np.asarray(r_A, dtype=float)
    out = COULOMB_EV_ANGSTROM * qq_e2 / r
    if term is not None:
        out = out + term.energy_eV(r)
    return out


def _derivative(term: PairTerm | None, qq: float, r):
    d = -COULOMB_EV_ANGSTROM * qq / r**2
    if term is not None:
        d = d + 6 * term.C_eVA6 / r**7 - 12 * term.B_eVA12 / r**13
        if term.A_eV:
            d = d - term.A_eV / term.rho_A * np.exp(-r / term.rho_A)
    return d


def collapses(term: PairTerm | None, qq_e2: float) -> bool:
    """True where u(r) -> -infinity as r -> 0 (the pair needs a guard)."""
    if term is not None and term.B_eVA12 > 0:
        return False
    if term is not None and term.C_eVA6 > 0:
        return True
    return qq_e2 < 0


def find_wall(term: PairTerm | None, qq_e2: float, r_max_search_A: float = 12.0) -> Wall | None:
    """The guard for one pair, or None where the pair cannot collapse."""
    if not collapses(term, qq_e2):
        return None
    # Walk outwards from tiny r: u' > 0 (u rises from -inf) until the inner maximum.
    r = np.geomspace(1e-4, r_max_search_A, 20000)
    d = _derivative(term, qq_e2, r)
    neg = np.nonzero(d < 0)[0]
    if len(neg) == 0 or neg[0] == 0:
        # Never turns over (purely attractive to the cutoff) or starts descending: no barrier.
        raise ValueError("pair potential has no inner maximum below the cutoff; cannot guard it")
    i = neg[0]
    r_w = brentq(lambda x: _derivative(term, qq_e2, x), r[i - 1], r[i], xtol=1e-12, rtol=1e-14)
    # Smallest D for which d/dr (u + g) < 0 on (0, r_w).
    rr = r_w * np.geomspace(1e-3, 1 - 1e-6, 4000)
    n = WALL_EXPONENT
    slope_per_D = 2 * n * ((r_w / rr) ** n - 1.0) * (r_w / rr) ** n / rr
    need = _derivative(term, qq_e2, rr) / slope_per_D
    D = _SAFETY * max(float(np.max(need)), 1e-3)
    barrier = float(total_pair_energy_eV(term, qq_e2, r_w))
    return Wall(float(r_w), D, barrier)
