"""Force-field parameter files: loading, combining with ``+`` and validation.

A parameter file (YAML, in ``forcefields/``) defines species (charge, mass, role) and the
short-range pair terms of one published set, in the units of its paper. Every pair is
held in one general form, in eV and Å::

    u_sr(r) = A exp(-r / rho) + B / r^12 - C / r^6

Buckingham pairs have B = 0; Lennard-Jones pairs have A = 0, B = 4 eps sigma^12 and
C = 4 eps sigma^6. Coulomb is handled separately from the charges.

Names combine with ``+`` (``pbcdse+psl-nonpreferential``); a name is a file in
``forcefields/`` (without ``.yaml``) or a path to a YAML file.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Mapping

import yaml

from omm_cx import units
from omm_cx.errors import ForceFieldError

#: Chemical element symbols accepted as species names in pair keys (plus those that a
#: file defines itself, e.g. PSL).
ELEMENT_SYMBOLS = frozenset(
    "H He Li Be B C N O F Ne Na Mg Al Si P S Cl Ar K Ca Sc Ti V Cr Mn Fe Co Ni Cu Zn Ga Ge "
    "As Se Br Kr Rb Sr Y Zr Nb Mo Tc Ru Rh Pd Ag Cd In Sn Sb Te I Xe Cs Ba La Ce Pr Nd Pm "
    "Sm Eu Gd Tb Dy Ho Er Tm Yb Lu Hf Ta W Re Os Ir Pt Au Hg Tl Pb Bi Po At Rn".split()
)

DEFAULT_CUTOFF_ANGSTROM = 12.0

_TOP_KEYS = {
    "name", "title", "citation", "functional_form", "expression", "units", "cutoff",
    "species", "pairs", "no_short_range", "mixing", "assumptions", "notes", "provenance",
}
_UNIT_KEYS = {"energy", "length", "charge", "mass"}
_FORMS = {"buckingham": {"A", "rho", "C"}, "lennard-jones": {"epsilon", "sigma"}}
_SPECIES_KEYS = {"charge", "mass", "role", "epsilon", "sigma"}
_ROLES = {"cation", "anion", "ligand"}
_MIXING = {"lorentz-berthelot"}
_CHARGE_TOL = 1e-9
_MASS_TOL = 1e-6


def _forcefield_dirs() -> list[Path]:
    """Folders searched for named parameter files, first match wins."""
    dirs = [Path(p) for p in os.environ.get("OMM_CX_FORCEFIELD_PATH", "").split(os.pathsep) if p]
    here = Path(__file__).resolve().parent.parent
    dirs += [here / "_data" / "forcefields", here.parent / "forcefields"]
    return dirs


def available_forcefields() -> list[str]:
    """Names of the parameter files shipped with omm_cx (and on ``OMM_CX_FORCEFIELD_PATH``)."""
    names = set()
    for d in _forcefield_dirs():
        if d.is_dir():
            names.update(p.stem for p in d.glob("*.yaml"))
    return sorted(names)


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


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate mapping keys (PyYAML keeps the last silently)."""


def _construct_unique_mapping(loader, node, deep=False):
    seen = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise ForceFieldError(
                f"{loader.name}: key {key!r} is given twice (line {key_node.start_mark.line + 1}); "
                f"keep one"
            )
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_unique_mapping
)


def resolve_forcefield_file(name: str) -> Path:
    """Path of a parameter file given its name (``pbcdse``) or a path."""
    p = Path(name)
    if p.suffix in (".yaml", ".yml") or os.sep in name:
        if not p.is_file():
            raise ForceFieldError(f"force-field file {name!r} not found")
        return p
    for d in _forcefield_dirs():
        cand = d / f"{name}.yaml"
        if cand.is_file():
            return cand
    raise ForceFieldError(
        f"unknown force field {name!r}; available: {', '.join(available_forcefields())} "
        f"(or give a path to a .yaml file)"
    )


def _number(value, where: str, *, minimum: float | None = None, strict: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ForceFieldError(f"{where}: expected a number, got {value!r}")
    v = float(value)
    if not math.isfinite(v):
        raise ForceFieldError(f"{where}: value {value!r} is not finite")
    if minimum is not None and (v < minimum or (strict and v == minimum)):
        op = ">" if strict else ">="
        raise ForceFieldError(f"{where}: value {value!r} is impossible, must be {op} {minimum}")
    return v


def _check_keys(mapping, allowed: set, where: str) -> None:
    if not isinstance(mapping, dict):
        raise ForceFieldError(f"{where}: expected a mapping, got {type(mapping).__name__}")
    unknown = sorted(set(mapping) - allowed)
    if unknown:
        raise ForceFieldError(
            f"{where}: unknown key {unknown[0]!r}; allowed keys: {', '.join(sorted(allowed))}"
        )


def _parse_pair_name(label, where: str) -> tuple[str, str]:
    parts = str(label).split("-")
    if len(parts) != 2 or not all(parts):
        raise ForceFieldError(f"{where}: pair {label!r} must be written 'X-Y' (e.g. 'Cd-Se')")
    return parts[0], parts[1]


@dataclass
class _FileData:
    path: Path
    name: str
    species: dict[str, Species]
    pairs: dict[tuple[str, str], PairTerm]
    none_pairs: dict[tuple[str, str], str]
    cutoff_A: float | None
    citation: str
    assumptions: list[str]


def _load_file(path: Path) -> _FileData:
    where = str(path)
    try:
        with open(path, encoding="utf-8") as fh:
            loader = _UniqueKeyLoader(fh)
            loader.name = where
            try:
                doc = loader.get_single_data()
            finally:
                loader.dispose()
    except yaml.YAMLError as exc:
        raise ForceFieldError(f"{where}: not valid YAML: {exc}") from None
    _check_keys(doc, _TOP_KEYS, where)
    for required in ("name", "citation", "functional_form", "units", "species"):
        if required not in doc:
            raise ForceFieldError(f"{where}: required key {required!r} is missing")
    form = doc["functional_form"]
    if form not in _FORMS:
        raise ForceFieldError(
            f"{where}: functional_form {form!r} unknown; use one of {sorted(_FORMS)}"
        )
    u = doc["units"]
    _check_keys(u, _UNIT_KEYS, f"{where}: units")
    e_unit, l_unit = u.get("energy", "eV"), u.get("length", "angstrom")
    if e_unit not in units.ENERGY_UNITS_IN_EV:
        raise ForceFieldError(
            f"{where}: units.energy {e_unit!r} unknown; use {sorted(units.ENERGY_UNITS_IN_EV)}"
        )
    if l_unit not in units.LENGTH_UNITS_IN_ANGSTROM:
        raise ForceFieldError(
            f"{where}: units.length {l_unit!r} unknown; use "
            f"{sorted(units.LENGTH_UNITS_IN_ANGSTROM)}"
        )
    if u.get("charge", "e") != "e" or u.get("mass", "g/mol") not in ("g/mol", "amu", "Da"):
        raise ForceFieldError(f"{where}: units.charge must be 'e' and units.mass 'g/mol'")
    e_scale = units.ENERGY_UNITS_IN_EV[e_unit]
    l_scale = units.LENGTH_UNITS_IN_ANGSTROM[l_unit]

    cutoff = None
    if "cutoff" in doc:
        cutoff = _number(doc["cutoff"], f"{where}: cutoff", minimum=0.0, strict=True) * l_scale

    species_doc = doc["species"]
    _check_keys(species_doc, set(species_doc) if isinstance(species_doc, dict) else set(),
                f"{where}: species")
    species: dict[str, Species] = {}
    lj: dict[str, tuple[float, float]] = {}
    for sname, sdoc in species_doc.items():
        swhere = f"{where}: species.{sname}"
        if "-" in str(sname) or not str(sname).isalnum():
            raise ForceFieldError(f"{swhere}: species names must be alphanumeric")
        _check_keys(sdoc, _SPECIES_KEYS, swhere)
        for req in ("charge", "mass"):
            if req not in sdoc:
                raise ForceFieldError(f"{swhere}: required key {req!r} is missing")
        charge = _number(sdoc["charge"], f"{swhere}.charge")
        mass = _number(sdoc["mass"], f"{swhere}.mass", minimum=0.0, strict=True)
        role = sdoc.get("role", "cation" if charge > 0 else "anion")
        if role not in _ROLES:
            raise ForceFieldError(f"{swhere}.role: {role!r} unknown; use one of {sorted(_ROLES)}")
        species[sname] = Species(sname, charge, mass, role, where)
        if form == "lennard-jones":
            for req in ("epsilon", "sigma"):
                if req not in sdoc:
                    raise ForceFieldError(
                        f"{swhere}: required key {req!r} is missing (lennard-jones file)"
                    )
            lj[sname] = (
                _number(sdoc["epsilon"], f"{swhere}.epsilon", minimum=0.0) * e_scale,
                _number(sdoc["sigma"], f"{swhere}.sigma", minimum=0.0, strict=True) * l_scale,
            )
        elif "epsilon" in sdoc or "sigma" in sdoc:
            raise ForceFieldError(f"{swhere}: epsilon/sigma only belong in lennard-jones files")

    known = ELEMENT_SYMBOLS | set(species)

    def check_known(label, a, b, pwhere):
        for s in (a, b):
            if s not in known:
                raise ForceFieldError(
                    f"{pwhere}: unknown species {s!r} in pair {label!r}; species must be "
                    f"defined under 'species' or be a chemical element symbol"
                )

    pairs: dict[tuple[str, str], PairTerm] = {}
    labels: dict[tuple[str, str], str] = {}
    pairs_doc = doc.get("pairs") or {}
    if not isinstance(pairs_doc, dict):
        raise ForceFieldError(f"{where}: pairs: expected a mapping")
    for label, pdoc in pairs_doc.items():
        pwhere = f"{where}: pairs.{label}"
        a, b = _parse_pair_name(label, pwhere)
        check_known(label, a, b, pwhere)
        key = pair_key(a, b)
        if form == "buckingham":
            _check_keys(pdoc, _FORMS[form], pwhere)
            for req in ("A", "rho", "C"):
                if req not in pdoc:
                    raise ForceFieldError(f"{pwhere}: required key {req!r} is missing")
            A = _number(pdoc["A"], f"{pwhere}.A", minimum=0.0) * e_scale
            rho = _number(pdoc["rho"], f"{pwhere}.rho", minimum=0.0, strict=True) * l_scale
            C = _number(pdoc["C"], f"{pwhere}.C", minimum=0.0) * e_scale * l_scale**6
            term = PairTerm(A, rho, 0.0, C, form, dict(pdoc), where)
        else:
            _check_keys(pdoc, _FORMS[form], pwhere)
            eps = _number(pdoc.get("epsilon"), f"{pwhere}.epsilon", minimum=0.0) * e_scale
            sig = _number(pdoc.get("sigma"), f"{pwhere}.sigma", minimum=0.0, strict=True) * l_scale
            term = _lj_term(eps, sig, dict(pdoc), where)
        if key in pairs:
            # Also catches X-Y given next to Y-X.
            if not pairs[key].same_as(term):
                raise ForceFieldError(
                    f"{pwhere}: pair given twice with different values "
                    f"({labels[key]!r} and {label!r}); keep one"
                )
        pairs[key] = term
        labels[key] = str(label)

    mixing = doc.get("mixing")
    if form == "lennard-jones":
        if mixing not in _MIXING:
            raise ForceFieldError(
                f"{where}: mixing {mixing!r} unknown; lennard-jones files need "
                f"mixing: {sorted(_MIXING)[0]}"
            )
        names = sorted(lj)
        for i, a in enumerate(names):
            for b in names[i:]:
                key = pair_key(a, b)
                if key in pairs:
                    continue
                (ea, sa), (eb, sb) = lj[a], lj[b]
                eps, sig = math.sqrt(ea * eb), 0.5 * (sa + sb)
                pairs[key] = _lj_term(
                    eps, sig, {"epsilon": eps / e_scale, "sigma": sig / l_scale, "mixed": True},
                    where,
                )
    elif mixing is not None:
        raise ForceFieldError(f"{where}: mixing only applies to lennard-jones files")

    none_pairs: dict[tuple[str, str], str] = {}
    for label in doc.get("no_short_range") or []:
        nwhere = f"{where}: no_short_range"
        a, b = _parse_pair_name(label, nwhere)
        check_known(label, a, b, nwhere)
        key = pair_key(a, b)
        if key in pairs:
            raise ForceFieldError(
                f"{nwhere}: pair {label!r} is listed as having no short-range term but also "
                f"has parameters under 'pairs'; keep one"
            )
        none_pairs[key] = where

    assumptions = doc.get("assumptions") or []
    if not isinstance(assumptions, list):
        raise ForceFieldError(f"{where}: assumptions: expected a list of strings")
    return _FileData(path, str(doc["name"]), species, pairs, none_pairs, cutoff,
                     str(doc["citation"]), [f"{doc['name']}: {a}" for a in assumptions])


def _lj_term(eps_eV: float, sigma_A: float, published, source: str) -> PairTerm:
    return PairTerm(0.0, 1.0, 4 * eps_eV * sigma_A**12, 4 * eps_eV * sigma_A**6,
                    "lennard-jones", published, source)


def load_forcefield(spec: str | Iterable[str], *, cutoff_A: float | None = None) -> ForceField:
    """Load and combine parameter files.

    Parameters
    ----------
    spec
        ``"pbcdse+psl-nonpreferential"``, a list of names, or paths to YAML files.
    cutoff_A
        Short-range cutoff in Å; default: the files' cutoff (they must agree) or 12 Å.

    Raises
    ------
    ForceFieldError
        With the file and key at fault: unknown species or keys, invalid numbers, pairs
        given twice with different values, species whose charge or mass differ between
        files, files that disagree on the cutoff.
    """
    names = spec.split("+") if isinstance(spec, str) else list(spec)
    names = [n.strip() for n in names if n.strip()]
    if not names:
        raise ForceFieldError("empty force-field name; e.g. 'pbcdse+psl-nonpreferential'")
    files = [_load_file(resolve_forcefield_file(n)) for n in names]

    species: dict[str, Species] = {}
    for f in files:
        for s in f.species.values():
            if s.name in species:
                old = species[s.name]
                if abs(old.charge_e - s.charge_e) > _CHARGE_TOL:
                    raise ForceFieldError(
                        f"species {s.name!r} has charge {old.charge_e:+g} e in {old.source} but "
                        f"{s.charge_e:+g} e in {s.source}; these files cannot be combined"
                    )
                if abs(old.mass_amu - s.mass_amu) > _MASS_TOL:
                    raise ForceFieldError(
                        f"species {s.name!r} has mass {old.mass_amu:g} g/mol in {old.source} but "
                        f"{s.mass_amu:g} g/mol in {s.source}; these files cannot be combined"
                    )
                if old.role != s.role:
                    raise ForceFieldError(
                        f"species {s.name!r} has role {old.role!r} in {old.source} but "
                        f"{s.role!r} in {s.source}; these files cannot be combined"
                    )
            else:
                species[s.name] = s

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

    cutoffs = {f.path: f.cutoff_A for f in files if f.cutoff_A is not None}
    if cutoff_A is None:
        distinct = sorted(set(cutoffs.values()))
        if len(distinct) > 1:
            detail = ", ".join(f"{p}: {c} Å" for p, c in cutoffs.items())
            raise ForceFieldError(
                f"files disagree on the cutoff ({detail}); pass an explicit cutoff"
            )
        cutoff_A = distinct[0] if distinct else DEFAULT_CUTOFF_ANGSTROM
    else:
        cutoff_A = _number(cutoff_A, "cutoff_A", minimum=0.0, strict=True)

    ff = ForceField(
        name="+".join(f.name for f in files),
        species=species,
        pairs=pairs,
        none_pairs=none_pairs,
        cutoff_A=cutoff_A,
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
