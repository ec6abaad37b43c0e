"""Lattice sums of a small periodic cell in numpy: Ewald Coulomb + short-range pairs.

Units: Å, e, eV. The energy of the cell is

    E = E_real + E_recip + E_self + E_sr

    E_real  = k_e sum_{pairs, images} q_i q_j erfc(alpha r) / r        (r < real cutoff)
    E_recip = k_e (2 pi / V) sum_{k != 0} exp(-k^2 / 4 alpha^2) / k^2 |S(k)|^2
    E_self  = -k_e alpha / sqrt(pi) sum_i q_i^2
    E_sr    = sum_{pairs, images, r < cutoff} A exp(-r/rho) + B / r^12 - C / r^6

with k_e = :data:`omm_cx.units.COULOMB_EV_ANGSTROM`. The short-range part is cut sharply
at the force field's cutoff, without shift and without tail correction (as GULP does by
default and as the published lattice statics of the Pb-Cd-Se model were computed).

:class:`LatticeSum` freezes the pair-image list and the k-vector list at a reference
geometry. Its energy is then a smooth function of the lattice and the positions, which
makes finite-difference derivatives exact derivatives of the analytic energy (the jumps
where a neighbour crosses the sharp cutoff are left out, as in analytic-derivative codes
such as GULP). Rebuild it (:meth:`LatticeSum.rebuilt`) after large changes of geometry.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np
from scipy.special import erfc

from omm_cx import units
from omm_cx.forcefield.params import ForceField

#: alpha * real-space cutoff and k_max / (2 alpha): exp(-eta^2) ~ 2e-16 relative error.
DEFAULT_ETA = 6.0

#: Largest (geometries x pairs) array :meth:`LatticeSum.energies` makes at once.
_BATCH_ELEMENTS = 2_000_000


@dataclass(frozen=True)
class EwaldParameters:
    """Ewald splitting ``alpha`` (1/Å), real-space cutoff (Å) and reciprocal cutoff (1/Å)."""

    alpha_per_A: float
    real_cutoff_A: float
    k_max_per_A: float


def ewald_parameters(real_cutoff_A: float = 12.0, eta: float = DEFAULT_ETA) -> EwaldParameters:
    """Parameters with ``alpha = eta / real_cutoff`` and ``k_max = 2 alpha eta``.

    Real-space terms are cut where erfc(alpha r) ~ erfc(eta), reciprocal terms where
    exp(-k^2 / 4 alpha^2) = exp(-eta^2); eta = 6 converges the energy of the cells used
    here to ~1e-13 eV per formula unit.
    """
    alpha = eta / real_cutoff_A
    return EwaldParameters(alpha, real_cutoff_A, 2.0 * alpha * eta)


def _widths(lattice: np.ndarray) -> np.ndarray:
    vol = abs(np.linalg.det(lattice))
    return np.array([vol / np.linalg.norm(np.cross(lattice[(i + 1) % 3], lattice[(i + 2) % 3]))
                     for i in range(3)])


def image_pairs(lattice_A: np.ndarray, positions_A: np.ndarray, cutoff_A: float
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """All distinct pairs (i, j, n) with |r_j + n . L - r_i| < cutoff, each unordered pair
    once (i < j, or i == j with n in the positive half space, n != 0).

    Returns (i, j, n (P x 3 integer image offsets), r (Å)). Positions need not be wrapped.
    """
    h = np.asarray(lattice_A, dtype=float)
    pos = np.asarray(positions_A, dtype=float)
    frac = pos @ np.linalg.inv(h)
    span = frac.max(axis=0) - frac.min(axis=0)
    nmax = np.ceil(cutoff_A / _widths(h) + span).astype(int)
    grid = np.array(np.meshgrid(*[np.arange(-m, m + 1) for m in nmax], indexing="ij"))
    grid = grid.reshape(3, -1).T
    shifts = grid @ h
    # positive half space of image offsets: first non-zero component > 0
    first = np.where(grid[:, 0] != 0, grid[:, 0], np.where(grid[:, 1] != 0, grid[:, 1], grid[:, 2]))
    positive = first > 0
    out_i, out_j, out_n, out_r = [], [], [], []
    n_at = len(pos)
    chunk = max(1, int(4e6 // (n_at * len(grid))))  # bounds the temporary arrays
    for start in range(0, n_at, chunk):
        ii = np.arange(start, min(start + chunk, n_at))
        d = pos[None, :, None, :] - pos[ii][:, None, None, :] + shifts[None, None, :, :]
        r = np.sqrt(np.einsum("abcd,abcd->abc", d, d))
        keep = r < cutoff_A
        same = ii[:, None] == np.arange(n_at)[None, :]
        lower = ii[:, None] > np.arange(n_at)[None, :]
        keep &= ~lower[:, :, None]
        keep &= ~(same[:, :, None] & ~positive[None, None, :])
        a, b, c = np.nonzero(keep)
        out_i.append(ii[a])
        out_j.append(b)
        out_n.append(grid[c])
        out_r.append(r[a, b, c])
    return (np.concatenate(out_i), np.concatenate(out_j), np.concatenate(out_n),
            np.concatenate(out_r))


def reciprocal_vectors(lattice_A: np.ndarray, k_max_per_A: float) -> np.ndarray:
    """Integer reciprocal-lattice indices m (half space, m != 0) with |k| < k_max, where
    k = 2 pi m . L^-T (1/Å)."""
    h = np.asarray(lattice_A, dtype=float)
    g = 2.0 * math.pi * np.linalg.inv(h).T
    nmax = np.floor(k_max_per_A * np.linalg.norm(h, axis=1) / (2.0 * math.pi)).astype(int) + 1
    grid = np.array(np.meshgrid(*[np.arange(-m, m + 1) for m in nmax], indexing="ij"))
    grid = grid.reshape(3, -1).T
    first = np.where(grid[:, 0] != 0, grid[:, 0], np.where(grid[:, 1] != 0, grid[:, 1], grid[:, 2]))
    grid = grid[first > 0]
    k = grid @ g
    return grid[np.einsum("ij,ij->i", k, k) < k_max_per_A**2]


@dataclass(frozen=True)
class PairTables:
    """Per-species-pair short-range parameters (eV, Å); ``has_term[a, b]`` is False for
    pairs without short-range term (e.g. cation-cation)."""

    species: tuple[str, ...]
    A_eV: np.ndarray
    inv_rho_per_A: np.ndarray
    B_eVA12: np.ndarray
    C_eVA6: np.ndarray
    has_term: np.ndarray


def pair_tables(ff: ForceField, species: Sequence[str]) -> PairTables:
    """Short-range tables of ``ff`` for the distinct species in ``species`` (sorted)."""
    names = tuple(sorted(set(species)))
    ff.check_species(names)
    n = len(names)
    A, inv_rho, B, C = (np.zeros((n, n)) for _ in range(4))
    has = np.zeros((n, n), dtype=bool)
    for i, a in enumerate(names):
        for j, b in enumerate(names):
            term = ff.pair(a, b)
            if term is None:
                continue
            has[i, j] = True
            A[i, j], B[i, j], C[i, j] = term.A_eV, term.B_eVA12, term.C_eVA6
            inv_rho[i, j] = 1.0 / term.rho_A if term.A_eV else 0.0
    return PairTables(names, A, inv_rho, B, C, has)


class LatticeSum:
    """Energy (eV per cell) of a periodic cell with frozen image and k-vector lists.

    Parameters
    ----------
    lattice_A, positions_A
        Reference geometry (rows = lattice vectors, Å; cartesian positions, Å) at which
        the lists are built.
    charges_e
        Charge per atom (e).
    types, tables
        Species index per atom into ``tables`` (:class:`PairTables`), or None for
        Coulomb only.
    sr_cutoff_A
        Sharp cutoff of the short-range terms (Å).
    ewald
        :class:`EwaldParameters`; default :func:`ewald_parameters` (alpha = 0.5 / Å).

    The cell must be neutral: no neutralizing-background term is added.
    """

    def __init__(self, lattice_A, positions_A, charges_e, types=None,
                 tables: PairTables | None = None, sr_cutoff_A: float = 12.0,
                 ewald: EwaldParameters | None = None):
        self.ewald = ewald or ewald_parameters()
        self.charges = np.asarray(charges_e, dtype=float)
        self.types = None if types is None else np.asarray(types, dtype=int)
        self.tables = tables
        self.sr_cutoff_A = float(sr_cutoff_A)
        self.reference_lattice = np.array(lattice_A, dtype=float)
        self.reference_positions = np.array(positions_A, dtype=float)
        h, pos, q = self.reference_lattice, self.reference_positions, self.charges
        use_sr = tables is not None and self.types is not None
        cut = max(self.ewald.real_cutoff_A, self.sr_cutoff_A if use_sr else 0.0)
        i, j, n, r = image_pairs(h, pos, cut)
        ew = r < self.ewald.real_cutoff_A
        self._ew = (i[ew], j[ew], n[ew].astype(float), q[i[ew]] * q[j[ew]])
        self._sr = None
        if use_sr:
            ti, tj = self.types[i], self.types[j]
            sr = (r < self.sr_cutoff_A) & tables.has_term[ti, tj]
            ti, tj = ti[sr], tj[sr]
            self._sr = (i[sr], j[sr], n[sr].astype(float), tables.A_eV[ti, tj],
                        tables.inv_rho_per_A[ti, tj], tables.B_eVA12[ti, tj],
                        tables.C_eVA6[ti, tj])
            self._has_b = bool(np.any(self._sr[5]))
        self.sr_pair_keys = frozenset() if self._sr is None else frozenset(
            zip(self._sr[0].tolist(), self._sr[1].tolist(), map(tuple, n[sr].tolist())))
        self._m = reciprocal_vectors(h, self.ewald.k_max_per_A).astype(float)
        self._e_self = -units.COULOMB_EV_ANGSTROM * self.ewald.alpha_per_A / math.sqrt(math.pi) \
            * float(np.sum(q**2))

    @classmethod
    def from_forcefield(cls, ff: ForceField, lattice_A, positions_A, species: Sequence[str],
                        ewald: EwaldParameters | None = None) -> "LatticeSum":
        """Lists for ``ff`` (charges, pair terms, ``ff.cutoff_A``) and species per atom."""
        tables = pair_tables(ff, species)
        index = {s: k for k, s in enumerate(tables.species)}
        return cls(lattice_A, positions_A, [ff.charge(s) for s in species],
                   [index[s] for s in species], tables, ff.cutoff_A, ewald)

    def rebuilt(self, lattice_A, positions_A) -> "LatticeSum":
        """A new instance with the lists built at another geometry."""
        return LatticeSum(lattice_A, positions_A, self.charges, self.types, self.tables,
                          self.sr_cutoff_A, self.ewald)

    def same_lists(self, other: "LatticeSum") -> bool:
        """True when both instances count the same short-range pairs and images."""
        return self.sr_pair_keys == other.sr_pair_keys

    # ----------------------------------------------------------------- energies
    def coulomb(self, lattice_A, positions_A) -> float:
        """Ewald Coulomb energy of the cell (eV)."""
        return float(self._coulombs(*_one(lattice_A, positions_A))[0])

    def short_range(self, lattice_A, positions_A) -> float:
        """Short-range energy of the cell (eV), listed pairs only."""
        if self._sr is None:
            return 0.0
        return float(self._short_ranges(*_one(lattice_A, positions_A))[0])

    def _pair_energies(self, r2: np.ndarray) -> np.ndarray:
        """A exp(-r/rho) - C/r^6 (+ B/r^12) of the listed pairs at squared distances r2 (Å^2;
        any leading shape), eV."""
        A, inv_rho, B, C = self._sr[3:]
        r = np.sqrt(r2)
        r6 = r2 * r2 * r2
        e = A * np.exp(-r * inv_rho) - C / r6
        if self._has_b:
            e = e + B / (r6 * r6)
        return e

    def energy(self, lattice_A, positions_A) -> float:
        """Total energy of the cell (eV): Coulomb + short range."""
        return self.coulomb(lattice_A, positions_A) + self.short_range(lattice_A, positions_A)

    def energies(self, lattices_A, positions_A) -> np.ndarray:
        """:meth:`energy` (eV) of B geometries at once: ``lattices_A`` (B, 3, 3) and
        ``positions_A`` (B, N, 3), Å -> (B,). The same sums, vectorized over the batch: for
        finite differences of small cells, where one call's overhead outweighs its sums."""
        hs = np.asarray(lattices_A, dtype=float)
        ps = np.asarray(positions_A, dtype=float)
        width = max(len(self._ew[0]), 0 if self._sr is None else len(self._sr[0]),
                    ps.shape[1] * len(self._m), 1)
        chunk = max(1, _BATCH_ELEMENTS // width)
        return np.concatenate([self._energies(hs[s:s + chunk], ps[s:s + chunk])
                               for s in range(0, len(hs), chunk)] or [np.zeros(0)])

    def _energies(self, hs: np.ndarray, ps: np.ndarray) -> np.ndarray:
        e = self._coulombs(hs, ps)
        return e if self._sr is None else e + self._short_ranges(hs, ps)

    # energy() and energies() share these two (B geometries -> (B,), eV), so that a batch
    # gives the same bits as one geometry at a time (the fits' end points depend on it)
    def _coulombs(self, hs: np.ndarray, ps: np.ndarray) -> np.ndarray:
        ke, alpha = units.COULOMB_EV_ANGSTROM, self.ewald.alpha_per_A
        i, j, n, qq = self._ew
        d = np.ascontiguousarray(ps[:, j] - ps[:, i] + n @ hs)  # C order: rows summed alike
        r = np.sqrt(np.einsum("bpi,bpi->bp", d, d))
        e_real = ke * np.sum(qq * erfc(alpha * r) / r, axis=1)
        vol = np.abs(np.linalg.det(hs))
        k = self._m @ (2.0 * math.pi * np.linalg.inv(hs).transpose(0, 2, 1))
        k2 = np.einsum("bmi,bmi->bm", k, k)
        phase = ps @ k.transpose(0, 2, 1)
        sc, ss = self.charges @ np.cos(phase), self.charges @ np.sin(phase)
        e_recip = ke * 4.0 * math.pi / vol * np.sum(
            np.exp(-k2 / (4.0 * alpha**2)) / k2 * (sc**2 + ss**2), axis=1)
        return e_real + e_recip + self._e_self

    def _short_ranges(self, hs: np.ndarray, ps: np.ndarray) -> np.ndarray:
        i, j, n = self._sr[:3]
        d = np.ascontiguousarray(ps[:, j] - ps[:, i] + n @ hs)
        return np.sum(self._pair_energies(np.einsum("bpi,bpi->bp", d, d)), axis=1)

    def gradient(self, lattice_A, positions_A) -> np.ndarray:
        """dE/dr (N, 3) in eV/Å of :meth:`energy` at fixed lattice (minus the forces),
        analytic, over the listed pairs."""
        h = np.asarray(lattice_A, dtype=float)
        pos = np.asarray(positions_A, dtype=float)
        ke, alpha = units.COULOMB_EV_ANGSTROM, self.ewald.alpha_per_A
        grad = np.zeros_like(pos)

        def pairs(i, j, d, de_dr, r):
            g = (de_dr / r)[:, None] * d  # d(e)/d(r_j); r_i gets the opposite
            np.add.at(grad, j, g)
            np.add.at(grad, i, -g)

        i, j, n, qq = self._ew
        d = pos[j] - pos[i] + n @ h
        r = np.sqrt(np.einsum("ij,ij->i", d, d))
        pairs(i, j, d, -ke * qq * (erfc(alpha * r) / r**2 + 2.0 * alpha / math.sqrt(math.pi)
                                   * np.exp(-(alpha * r) ** 2) / r), r)
        k = self._m @ (2.0 * math.pi * np.linalg.inv(h).T)
        k2 = np.einsum("ij,ij->i", k, k)
        phase = pos @ k.T
        cos, sin = np.cos(phase), np.sin(phase)
        sc, ss = self.charges @ cos, self.charges @ sin
        f = ke * 4.0 * math.pi / abs(np.linalg.det(h)) * np.exp(-k2 / (4.0 * alpha**2)) / k2
        grad += 2.0 * self.charges[:, None] * ((ss * f) * cos - (sc * f) * sin) @ k
        if self._sr is not None:
            i, j, n, A, inv_rho, B, C = self._sr
            d = pos[j] - pos[i] + n @ h
            r = np.sqrt(np.einsum("ij,ij->i", d, d))
            de = -A * inv_rho * np.exp(-r * inv_rho) + 6.0 * C / r**7
            if self._has_b:
                de = de - 12.0 * B / r**13
            pairs(i, j, d, de, r)
        return grad


def _one(lattice_A, positions_A) -> tuple[np.ndarray, np.ndarray]:
    """One geometry as a batch of one: (1, 3, 3) and (1, N, 3) float arrays."""
    return (np.asarray(lattice_A, dtype=float)[None], np.asarray(positions_A, dtype=float)[None])


def lattice_energy(ff: ForceField, lattice_A, positions_A, species: Sequence[str],
                   formula_units: int = 1) -> float:
    """Energy of a periodic cell (eV per formula unit): Ewald Coulomb plus short-range
    pair terms cut sharply at ``ff.cutoff_A``.

    ``lattice_A``: rows are the cell vectors (Å); ``positions_A``: cartesian (Å).
    """
    model = LatticeSum.from_forcefield(ff, lattice_A, positions_A, species)
    return model.energy(lattice_A, positions_A) / formula_units


def ewald_energy(lattice_A, positions_A, charges_e) -> float:
    """Ewald Coulomb energy (eV per cell) of point charges ``charges_e`` (e) in a
    neutral periodic cell (rows of ``lattice_A``, Å)."""
    q = np.asarray(charges_e, dtype=float)
    if abs(q.sum()) > 1e-10:
        raise ValueError(f"cell is not neutral (net charge {q.sum():+g} e)")
    return LatticeSum(lattice_A, positions_A, q).coulomb(lattice_A, positions_A)
