"""Parameter files: finding them by name and reading one into species and pair terms.

A parameter file (YAML, in ``forcefields/``) defines species (charge, mass, role) and the
short-range pair terms of one published set, in the units of its paper. It is read with
the strict loader (:mod:`omm_cx.io.yaml_input`), checked against its schema
(:mod:`omm_cx.forcefield.schema`) and then for what relates keys (species names, pair
labels, pairs given twice). Combining files is :func:`omm_cx.forcefield.params.load_forcefield`.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

from omm_cx import units
from omm_cx.errors import ConfigError, ForceFieldError, ForceFieldFileError  # noqa: F401
from omm_cx.forcefield.schema import ForceFieldFile, LennardJonesFile
from omm_cx.forcefield.terms import ELEMENT_SYMBOLS, PairTerm, Species, pair_key
from omm_cx.io.shipped import shipped_dirs
from omm_cx.io.validation import key_error, validate_input
from omm_cx.io.yaml_input import load_yaml


def _forcefield_dirs() -> list[Path]:
    """Folders searched for named parameter files, first match wins."""
    dirs = [Path(p) for p in os.environ.get("OMM_CX_FORCEFIELD_PATH", "").split(os.pathsep) if p]
    return dirs + shipped_dirs("forcefields")


def available_forcefields() -> list[str]:
    """Names of the parameter files shipped with omm_cx (and on ``OMM_CX_FORCEFIELD_PATH``)."""
    names = set()
    for d in _forcefield_dirs():
        if d.is_dir():
            names.update(p.stem for p in d.glob("*.yaml"))
    return sorted(names)


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


@dataclass
class FileData:
    """One parameter file in eV and Å: its species, pair terms, pairs declared without
    short-range term, cutoff (None: not given), citation and assumptions."""

    path: Path
    name: str
    species: dict[str, Species]
    pairs: dict[tuple[str, str], PairTerm]
    none_pairs: dict[tuple[str, str], str]
    cutoff_A: float | None
    citation: str
    assumptions: list[str]


def read_forcefield_file(path: str | os.PathLike) -> FileData:
    """Read and check one parameter file; raise :class:`ForceFieldFileError` naming the
    file and the key at fault (duplicate keys, unknown keys, impossible values, ...)."""
    path = Path(path)
    try:
        doc = load_yaml(path, "force-field file")
    except ConfigError as exc:
        raise ForceFieldFileError(str(exc)) from None
    return file_from_doc(doc, str(path), path)


def _lj_term(eps_eV: float, sigma_A: float, published, source: str) -> PairTerm:
    return PairTerm(0.0, 1.0, 4 * eps_eV * sigma_A**12, 4 * eps_eV * sigma_A**6,
                    "lennard-jones", published, source)


def _fail(where: str, key: str, problem: str) -> ForceFieldFileError:
    return key_error(where, key, problem, ForceFieldFileError)


def _pair_species(label: str, key: str, where: str, known: set) -> tuple[str, str]:
    parts = str(label).split("-")
    if len(parts) != 2 or not all(parts):
        raise _fail(where, key, f"pair {label!r} must be written 'X-Y' (e.g. 'Cd-Se')")
    for s in parts:
        if s not in known:
            raise _fail(where, key, f"unknown species {s!r} in pair {label!r}; species must "
                                    f"be defined under 'species' or be a chemical element "
                                    f"symbol")
    return parts[0], parts[1]


def file_from_doc(doc: dict, where: str, path: Path | None = None) -> FileData:
    """Check a parameter file's document (read from ``where``) and convert it to eV and Å.

    Raises :class:`ForceFieldFileError` naming ``where`` and the key at fault.
    """
    m = validate_input(ForceFieldFile, doc, where, error=ForceFieldFileError)
    e_scale = units.ENERGY_UNITS_IN_EV[m.units.energy]
    l_scale = units.LENGTH_UNITS_IN_ANGSTROM[m.units.length]
    lj_file = isinstance(m, LennardJonesFile)

    species: dict[str, Species] = {}
    lj: dict[str, tuple[float, float]] = {}
    for sname, s in m.species.items():
        if "-" in sname or not sname.isalnum():
            raise _fail(where, f"species.{sname}", "species names must be alphanumeric")
        role = s.role or ("cation" if s.charge > 0 else "anion")
        species[sname] = Species(sname, s.charge, s.mass, role, where)
        if lj_file:
            lj[sname] = (s.epsilon * e_scale, s.sigma * l_scale)
    known = ELEMENT_SYMBOLS | set(species)

    pairs: dict[tuple[str, str], PairTerm] = {}
    labels: dict[tuple[str, str], str] = {}
    raw_pairs = doc.get("pairs") or {}
    for label, p in (m.pairs or {}).items():
        key = pair_key(*_pair_species(label, f"pairs.{label}", where, known))
        if lj_file:
            term = _lj_term(p.epsilon * e_scale, p.sigma * l_scale, dict(raw_pairs[label]), where)
        else:
            term = PairTerm(p.A * e_scale, p.rho * l_scale, 0.0, p.C * e_scale * l_scale**6,
                            "buckingham", dict(raw_pairs[label]), where)
        if key in pairs and not pairs[key].same_as(term):
            # also catches X-Y given next to Y-X
            raise _fail(where, f"pairs.{label}", f"pair given twice with different values "
                                                 f"({labels[key]!r} and {label!r}); keep one")
        pairs[key] = term
        labels[key] = label
    if lj_file:
        _mix_lorentz_berthelot(lj, pairs, e_scale, l_scale, where)

    none_pairs: dict[tuple[str, str], str] = {}
    for label in m.no_short_range or []:
        key = pair_key(*_pair_species(label, "no_short_range", where, known))
        if key in pairs:
            raise _fail(where, "no_short_range", f"pair {label!r} is listed as having no "
                        f"short-range term but also has parameters under 'pairs'; keep one")
        none_pairs[key] = where
    cutoff = None if m.cutoff is None else m.cutoff * l_scale
    return FileData(path if path is not None else Path(where), m.name, species, pairs,
                    none_pairs, cutoff, m.citation,
                    [f"{m.name}: {a}" for a in m.assumptions or []])


def _mix_lorentz_berthelot(lj: dict[str, tuple[float, float]],
                           pairs: dict[tuple[str, str], PairTerm],
                           e_scale: float, l_scale: float, where: str) -> None:
    """Add the Lorentz-Berthelot pair of every two species without an explicit pair."""
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
