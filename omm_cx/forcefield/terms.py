"""The parameters of a force field in omm_cx's units: species, pair terms (eV, Å) and
the :class:`ForceField` that combines them (made by
:func:`omm_cx.forcefield.params.load_forcefield`).

Every pair is held in one general form, in eV and Å::

    u_sr(r) = A exp(-r / rho) + B / r^12 - C / r^6

Buckingham pairs have B = 0; Lennard-Jones pairs have A = 0, B = 4 eps sigma^12 and
C = 4 eps sigma^6. Coulomb is handled separately from the charges.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Mapping

from omm_cx.errors import ForceFieldError

#: Chemical element symbols accepted as species names in pair keys (plus those that a
#: file defines itself, e.g. PSL).
ELEMENT_SYMBOLS = frozenset(
    "H He Li Be B C N O F Ne Na Mg Al Si P S Cl Ar K Ca Sc Ti V Cr Mn Fe Co Ni Cu Zn Ga Ge "
    "As Se Br Kr Rb Sr Y Zr Nb Mo Tc Ru Rh Pd Ag Cd In Sn Sb Te I Xe Cs Ba La Ce Pr Nd Pm "
    "Sm Eu Gd Tb Dy Ho Er Tm Yb Lu Hf Ta W Re Os Ir Pt Au Hg Tl Pb Bi Po At Rn".split()
)

#: Short-range cutoff (Å) when no file gives one.
DEFAULT_CUTOFF_ANGSTROM = 12.0


@dataclass(frozen=True)
class Species:
    """One particle species: charge in e, mass in g/mol, role cation/anion/ligand."""

    name: str
    charge_e: float
    mass_amu: float
    role: str
    source: str


@dataclass(frozen=True)
class PairTerm:
    """Short-range pair term u(r) = A exp(-r/rho) + B/r^12 - C/r^6 (eV, Å).

    ``form`` and ``published`` keep the values as the paper gives them, for reports.
    """

    A_eV: float
    rho_A: float
    B_eVA12: float
    C_eVA6: float
    form: str
    published: Mapping[str, float]
    source: str

    def energy_eV(self, r_A):
        """Short-range energy in eV at distance r in Å (float or numpy array)."""
        import numpy as np

        r = np.asarray(r_A, dtype=float)
        out = -self.C_eVA6 / r**6
        if self.A_eV:
            out = out + self.A_eV * np.exp(-r / self.rho_A)
        if self.B_eVA12:
            out = out + self.B_eVA12 / r**12
        return out

    def same_as(self, other: "PairTerm") -> bool:
        a = (self.A_eV, self.rho_A if self.A_eV else 0.0, self.B_eVA12, self.C_eVA6)
        b = (other.A_eV, other.rho_A if other.A_eV else 0.0, other.B_eVA12, other.C_eVA6)
        return all(math.isclose(x, y, rel_tol=1e-12, abs_tol=0.0) for x, y in zip(a, b))


def pair_key(a: str, b: str) -> tuple[str, str]:
    """Canonical (sorted) key of an unordered species pair."""
    return (a, b) if a <= b else (b, a)


def pair_label(key: tuple[str, str]) -> str:
    """``Cd-Se`` for the key ('Cd', 'Se')."""
    return f"{key[0]}-{key[1]}"


@dataclass
class ForceField:
    """A combination of parameter files: species, pair terms and the cutoff.

    Use :func:`load_forcefield` to make one. ``pairs`` maps a sorted species pair to its
    :class:`PairTerm`; ``none_pairs`` holds pairs declared to have no short-range term.
    """

    name: str
    species: dict[str, Species]
    pairs: dict[tuple[str, str], PairTerm]
    none_pairs: dict[tuple[str, str], str]
    cutoff_A: float
    files: list[Path]
    citations: list[str]
    assumptions: list[str] = field(default_factory=list)

    def check_species(self, names: Iterable[str]) -> None:
        """Raise :class:`ForceFieldError` unless every species and every pair among
        ``names`` is defined (a pair term or an explicit ``no_short_range``)."""
        present = sorted(set(names))
        for s in present:
            if s not in self.species:
                raise ForceFieldError(
                    f"unknown species {s!r}: force field {self.name!r} defines "
                    f"{sorted(self.species)}; add a parameter file that defines it "
                    f"(e.g. '{self.name}+<file>')"
                )
        for i, a in enumerate(present):
            for b in present[i:]:
                key = pair_key(a, b)
                if key not in self.pairs and key not in self.none_pairs:
                    raise ForceFieldError(
                        f"missing pair parameters for {pair_label(key)} in force field "
                        f"{self.name!r} (files: {', '.join(str(f) for f in self.files)}); "
                        f"add '{pair_label(key)}' under 'pairs' or list it under "
                        f"'no_short_range'"
                    )

    def pair(self, a: str, b: str) -> PairTerm | None:
        """The short-range term of a pair, or None where it is declared absent."""
        key = pair_key(a, b)
        if key in self.pairs:
            return self.pairs[key]
        if key in self.none_pairs:
            return None
        self.check_species([a, b])
        raise AssertionError("unreachable")

    def charge(self, name: str) -> float:
        return self.species[name].charge_e

    def describe(self) -> dict:
        """JSON-ready summary (for run/build records)."""
        return {
            "name": self.name,
            "files": [str(f) for f in self.files],
            "cutoff_A": self.cutoff_A,
            "species": {
                s.name: {"charge_e": s.charge_e, "mass_amu": s.mass_amu, "role": s.role}
                for s in self.species.values()
            },
            "pairs": {
                pair_label(k): {"A_eV": p.A_eV, "rho_A": p.rho_A, "B_eVA12": p.B_eVA12,
                                "C_eVA6": p.C_eVA6, "form": p.form, "source": p.source}
                for k, p in sorted(self.pairs.items())
            },
            "no_short_range": [pair_label(k) for k in sorted(self.none_pairs)],
            "assumptions": list(self.assumptions),
            "citations": list(self.citations),
        }
