"""Crystal structure types of binary ionic compounds (Å, fractional coordinates).

A :class:`CrystalStructure` describes one structure type: its lattice vectors as a
function of the conventional lattice parameters (``a`` for cubic types, the conventional
cubic lattice constant as in the papers; ``a`` and ``c`` for hexagonal types) and its
sites, each with a role (``"cation"`` or ``"anion"``) and a fractional position that may
depend on the internal coordinate ``u`` (wurtzite). :meth:`CrystalStructure.cell` turns a
structure plus species names into a :class:`CrystalCell` (conventional, primitive or a
supercell), with cartesian positions in Å. The published phases are in
:mod:`omm_cx.crystals.phases`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np

ROLES = ("cation", "anion")

_FCC_TRANSLATIONS = ((0.0, 0.0, 0.0), (0.0, 0.5, 0.5), (0.5, 0.0, 0.5), (0.5, 0.5, 0.0))
#: Rows: fcc primitive vectors in conventional fractional coordinates.
_FCC_PRIMITIVE = ((0.0, 0.5, 0.5), (0.5, 0.0, 0.5), (0.5, 0.5, 0.0))
_IDENTITY = ((1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0))


@dataclass(frozen=True)
class Site:
    """One site of the primitive basis: fractional position ``frac + u * du`` (in the
    conventional cell's fractional coordinates) and its role."""

    role: str
    frac: tuple[float, float, float]
    du: tuple[float, float, float] = (0.0, 0.0, 0.0)

    def position(self, u: float | None) -> np.ndarray:
        """Fractional position for internal coordinate ``u`` (ignored if ``du`` is 0)."""
        p = np.asarray(self.frac, dtype=float)
        if any(self.du):
            if u is None:
                raise ValueError("this site needs the internal coordinate u")
            p = p + u * np.asarray(self.du, dtype=float)
        return p


@dataclass(frozen=True)
class CrystalCell:
    """A periodic cell ready for energy calculations.

    ``lattice_A``: rows are the lattice vectors (Å); ``positions_A``: cartesian positions
    (Å), one row per atom; ``species``: force-field species name per atom;
    ``formula_units``: number of formula units in the cell.
    """

    lattice_A: np.ndarray
    positions_A: np.ndarray
    species: tuple[str, ...]
    formula_units: int

    @property
    def volume_A3(self) -> float:
        """Cell volume in Å^3."""
        return float(abs(np.linalg.det(self.lattice_A)))

    @property
    def perpendicular_widths_A(self) -> np.ndarray:
        """Distances between opposite cell faces (Å); each must be >= 2 x cutoff for a
        minimum-image calculation (OpenMM)."""
        h = self.lattice_A
        return np.array([self.volume_A3 / np.linalg.norm(np.cross(h[(i + 1) % 3], h[(i + 2) % 3]))
                         for i in range(3)])


@dataclass(frozen=True)
class CrystalStructure:
    """One structure type.

    ``parameters`` names the free parameters (``a``, ``c``, ``u``); ``basis`` holds the
    sites of one lattice point, ``centering`` the lattice translations of the
    conventional cell (fractional), ``primitive`` the primitive lattice vectors in
    conventional fractional coordinates (rows).
    """

    name: str
    space_group: str
    system: str  # "cubic" or "hexagonal"
    parameters: tuple[str, ...]
    basis: tuple[Site, ...]
    centering: tuple[tuple[float, float, float], ...] = ((0.0, 0.0, 0.0),)
    primitive: tuple[tuple[float, float, float], ...] = _IDENTITY
    description: str = ""
    fixed: Mapping[str, float] = field(default_factory=dict)

    # ------------------------------------------------------------------ geometry
    def lattice_vectors(self, a: float, c: float | None = None) -> np.ndarray:
        """Conventional lattice vectors (rows, Å). Cubic: a along x, y, z. Hexagonal:
        a1 = (a, 0, 0), a2 = (-a/2, a sqrt(3)/2, 0), a3 = (0, 0, c) (OpenMM's reduced form)."""
        if self.system == "cubic":
            return a * np.eye(3)
        if c is None:
            raise ValueError(f"{self.name}: hexagonal structure needs c")
        return np.array([[a, 0.0, 0.0], [-0.5 * a, 0.5 * math.sqrt(3.0) * a, 0.0], [0.0, 0.0, c]])

    def conventional_sites(self, u: float | None = None) -> tuple[list[str], np.ndarray]:
        """Roles and fractional positions (in [0, 1)) of all atoms of the conventional cell."""
        u = self.fixed.get("u", u)
        roles, frac = [], []
        for t in self.centering:
            for s in self.basis:
                roles.append(s.role)
                frac.append((s.position(u) + np.asarray(t)) % 1.0)
        return roles, np.array(frac)

    def primitive_sites(self, u: float | None = None) -> tuple[list[str], np.ndarray]:
        """Roles and fractional positions (conventional fractional coordinates) of the
        primitive basis."""
        u = self.fixed.get("u", u)
        return [s.role for s in self.basis], np.array([s.position(u) for s in self.basis])

    def params_dict(self, a: float, c: float | None = None, u: float | None = None) -> dict:
        """The free parameters as a dict (only those in :attr:`parameters`)."""
        vals = {"a": a, "c": c, "u": u}
        return {k: vals[k] for k in self.parameters}

    def cell(
        self,
        species: Mapping[str, str],
        a: float,
        c: float | None = None,
        u: float | None = None,
        *,
        kind: str = "conventional",
        repeats: Sequence[int] = (1, 1, 1),
        wrap: bool = True,
    ) -> CrystalCell:
        """Cartesian cell (Å) of this structure.

        Parameters
        ----------
        species
            Species name per role, e.g. ``{"cation": "Cd", "anion": "Se"}``.
        a, c, u
            Lattice parameters (Å) and internal coordinate (fractional).
        kind
            ``"conventional"`` or ``"primitive"``.
        repeats
            Supercell repeats along the three cell vectors.
        wrap
            Wrap the primitive basis into the primitive cell. Without wrapping the atom
            positions are smooth functions of (a, c, u), as relaxations need.
        """
        for p, v in (("a", a), ("c", c), ("u", u)):
            if p in self.parameters and v is None:
                raise ValueError(f"{self.name}: parameter {p} is required")
        conv = self.lattice_vectors(a, c)
        if kind == "conventional":
            roles, frac = self.conventional_sites(u)
            lat = conv
            cart = frac @ conv
        elif kind == "primitive":
            roles, frac = self.primitive_sites(u)
            lat = np.asarray(self.primitive, dtype=float) @ conv
            cart = frac @ conv
            if wrap:
                f = cart @ np.linalg.inv(lat)
                cart = (f - np.floor(f + 1e-12)) @ lat
        else:
            raise ValueError(f"kind must be 'conventional' or 'primitive', not {kind!r}")
        reps = [int(n) for n in repeats]
        if len(reps) != 3 or min(reps) < 1:
            raise ValueError("repeats must be three integers >= 1")
        shifts = np.array([[i, j, k] for i in range(reps[0]) for j in range(reps[1])
                           for k in range(reps[2])], dtype=float) @ lat
        pos = (shifts[:, None, :] + cart[None, :, :]).reshape(-1, 3)
        names = tuple(species[r] for r in roles) * len(shifts)
        counts = [roles.count(r) for r in ROLES if r in roles]
        fu = math.gcd(*counts) * len(shifts)
        return CrystalCell(lat * np.array(reps, dtype=float)[:, None], pos, names, fu)


ROCKSALT = CrystalStructure(
    "rocksalt", "Fm-3m (225)", "cubic", ("a",),
    (Site("cation", (0.0, 0.0, 0.0)), Site("anion", (0.5, 0.0, 0.0))),
    _FCC_TRANSLATIONS, _FCC_PRIMITIVE, "NaCl type, octahedral coordination",
)
ZINCBLENDE = CrystalStructure(
    "zincblende", "F-43m (216)", "cubic", ("a",),
    (Site("cation", (0.0, 0.0, 0.0)), Site("anion", (0.25, 0.25, 0.25))),
    _FCC_TRANSLATIONS, _FCC_PRIMITIVE, "sphalerite, tetrahedral coordination",
)
CESIUMCHLORIDE = CrystalStructure(
    "cesiumchloride", "Pm-3m (221)", "cubic", ("a",),
    (Site("cation", (0.0, 0.0, 0.0)), Site("anion", (0.5, 0.5, 0.5))),
    description="CsCl type (B2), cubic eightfold coordination",
)
WURTZITE = CrystalStructure(
    "wurtzite", "P6_3mc (186)", "hexagonal", ("a", "c", "u"),
    (
        Site("cation", (1 / 3, 2 / 3, 0.0)),
        Site("cation", (2 / 3, 1 / 3, 0.5)),
        Site("anion", (1 / 3, 2 / 3, 0.0), (0.0, 0.0, 1.0)),
        Site("anion", (2 / 3, 1 / 3, 0.5), (0.0, 0.0, 1.0)),
    ),
    description="hexagonal, tetrahedral coordination; anion at z = u above the cation",
)
HONEYCOMB = CrystalStructure(
    "honeycomb", "P6_3/mmc (194)", "hexagonal", ("a", "c"),
    WURTZITE.basis,
    description="h-BN/h-MgO type: wurtzite with u = 1/2 (planar layers, fivefold "
                "coordination)",
    fixed={"u": 0.5},
)
ANTIFLUORITE = CrystalStructure(
    "antifluorite", "Fm-3m (225)", "cubic", ("a",),
    (
        Site("anion", (0.0, 0.0, 0.0)),
        Site("cation", (0.25, 0.25, 0.25)),
        Site("cation", (0.75, 0.75, 0.75)),
    ),
    _FCC_TRANSLATIONS, _FCC_PRIMITIVE,
    "Cu2Se (beta) type: anion fcc, cations in all tetrahedral holes; M2X",
)

#: All structure types by name.
STRUCTURES: dict[str, CrystalStructure] = {
    s.name: s for s in (ROCKSALT, ZINCBLENDE, WURTZITE, CESIUMCHLORIDE, HONEYCOMB, ANTIFLUORITE)
}


def get_structure(name: str) -> CrystalStructure:
    """Structure type by name (``rocksalt``, ``zincblende``, ``wurtzite``,
    ``cesiumchloride``, ``honeycomb``, ``antifluorite``)."""
    try:
        return STRUCTURES[name]
    except KeyError:
        raise ValueError(f"unknown structure {name!r}; known: {', '.join(STRUCTURES)}") from None
