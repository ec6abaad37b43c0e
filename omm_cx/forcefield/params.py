"""Force fields: parameter files combined with ``+`` and checked as a whole.

Names combine with ``+`` (``pbcdse+psl-nonpreferential``); a name is a file in
``forcefields/`` (without ``.yaml``) or a path to a YAML file. Reading one file is
:mod:`omm_cx.forcefield.files` (schema: :mod:`omm_cx.forcefield.schema`); the parameters
are the types of :mod:`omm_cx.forcefield.terms` (all re-exported here).
"""

from __future__ import annotations

import math
import os
from typing import Iterable

from omm_cx.errors import ForceFieldError
from omm_cx.forcefield.files import (
    FileData,
    ForceFieldFileError,
    available_forcefields,
    file_from_doc,
    read_forcefield_file,
    resolve_forcefield_file,
)
from omm_cx.forcefield.terms import (
    DEFAULT_CUTOFF_ANGSTROM,
    ELEMENT_SYMBOLS,
    ForceField,
    PairTerm,
    Species,
    pair_key,
    pair_label,
)

_CHARGE_TOL = 1e-9
_MASS_TOL = 1e-6

__all__ = [
    "DEFAULT_CUTOFF_ANGSTROM", "ELEMENT_SYMBOLS", "ForceField", "ForceFieldFileError",
    "PairTerm", "Species", "available_forcefields", "forcefield_from_doc", "load_forcefield",
    "pair_key", "pair_label", "resolve_forcefield_file",
]


def load_forcefield(spec: str | os.PathLike | Iterable[str], *,
                    cutoff_A: float | None = None) -> ForceField:
    """Load and combine parameter files.

    Parameters
    ----------
    spec
        ``"pbcdse+psl-nonpreferential"``, a list of names, or paths to YAML files (one
        path may be a :class:`~pathlib.Path`).
    cutoff_A
        Short-range cutoff in Å; default: the files' cutoff (they must agree) or 12 Å.

    Raises
    ------
    ForceFieldError
        With the file and key at fault: unknown species or keys, invalid numbers, pairs
        given twice with different values, species whose charge or mass differ between
        files, files that disagree on the cutoff.
    """
    if isinstance(spec, os.PathLike):
        spec = [os.fspath(spec)]
    names = spec.split("+") if isinstance(spec, str) else list(spec)
    names = [n.strip() for n in names if n.strip()]
    if not names:
        raise ForceFieldError("empty force-field name; e.g. 'pbcdse+psl-nonpreferential'")
    return combine([read_forcefield_file(resolve_forcefield_file(n)) for n in names],
                   cutoff_A=cutoff_A)


def forcefield_from_doc(doc: dict, where: str, *, cutoff_A: float | None = None) -> ForceField:
    """A force field from one parameter file's content (a mapping, e.g. inline in a fit
    file); errors name ``where``."""
    return combine([file_from_doc(doc, where)], cutoff_A=cutoff_A)


def combine(files: list[FileData], *, cutoff_A: float | None = None) -> ForceField:
    """The force field of several read parameter files (see :func:`load_forcefield`)."""
    species = _combined_species(files)
    pairs, none_pairs = _combined_pairs(files, species)
    ff = ForceField(
        name="+".join(f.name for f in files),
        species=species,
        pairs=pairs,
        none_pairs=none_pairs,
        cutoff_A=_cutoff(files, cutoff_A),
        files=[f.path for f in files],
        citations=[f.citation for f in files],
        assumptions=[a for f in files for a in f.assumptions],
    )
    ff.check_species(ff.species)
    for key, src in none_pairs.items():
        if species[key[0]].charge_e * species[key[1]].charge_e < 0:
            raise ForceFieldError(
                f"pair {pair_label(key)} has opposite charges but no short-range repulsion "
                f"({src}); it would collapse. Give it a pair term"
            )
    return ff


def _combined_species(files: list[FileData]) -> dict[str, Species]:
    species: dict[str, Species] = {}
    for f in files:
        for s in f.species.values():
            old = species.setdefault(s.name, s)
            for what, a, b, differ in (
                    ("charge", f"{old.charge_e:+g} e", f"{s.charge_e:+g} e",
                     abs(old.charge_e - s.charge_e) > _CHARGE_TOL),
                    ("mass", f"{old.mass_amu:g} g/mol", f"{s.mass_amu:g} g/mol",
                     abs(old.mass_amu - s.mass_amu) > _MASS_TOL),
                    ("role", repr(old.role), repr(s.role), old.role != s.role)):
                if differ:
                    raise ForceFieldError(
                        f"species {s.name!r} has {what} {a} in {old.source} but {b} in "
                        f"{s.source}; these files cannot be combined"
                    )
    return species


def _combined_pairs(files: list[FileData], species: dict[str, Species]):
    pairs: dict[tuple[str, str], PairTerm] = {}
    none_pairs: dict[tuple[str, str], str] = {}
    for f in files:
        for key, term in f.pairs.items():
            if not all(s in species for s in key):
                continue  # e.g. S-PSL in a selenide combination: not used
            if key in none_pairs:
                raise ForceFieldError(
                    f"pair {pair_label(key)} has parameters in {f.path} but is declared "
                    f"without short-range term in {none_pairs[key]}"
                )
            if key in pairs and not pairs[key].same_as(term):
                raise ForceFieldError(
                    f"pair {pair_label(key)} is given twice with different values: in "
                    f"{pairs[key].source} and in {f.path}; remove one"
                )
            pairs.setdefault(key, term)
        for key, src in f.none_pairs.items():
            if not all(s in species for s in key):
                continue
            if key in pairs:
                raise ForceFieldError(
                    f"pair {pair_label(key)} is declared without short-range term in {src} "
                    f"but has parameters in {pairs[key].source}"
                )
            none_pairs[key] = src
    return pairs, none_pairs


def _cutoff(files: list[FileData], cutoff_A: float | None) -> float:
    if cutoff_A is not None:
        if (isinstance(cutoff_A, bool) or not isinstance(cutoff_A, (int, float))
                or not math.isfinite(cutoff_A) or cutoff_A <= 0):
            raise ForceFieldError(f"cutoff_A: {cutoff_A!r} is impossible, must be a number > 0")
        return float(cutoff_A)
    cutoffs = {f.path: f.cutoff_A for f in files if f.cutoff_A is not None}
    distinct = sorted(set(cutoffs.values()))
    if len(distinct) > 1:
        detail = ", ".join(f"{p}: {c} Å" for p, c in cutoffs.items())
        raise ForceFieldError(f"files disagree on the cutoff ({detail}); pass an explicit cutoff")
    return distinct[0] if distinct else DEFAULT_CUTOFF_ANGSTROM
