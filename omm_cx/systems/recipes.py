"""Recipes: a short YAML description of a study's starting configuration -> a checked
OpenMM system (structure, System, groups and a build record).

A recipe names the force field, the nanocrystal (shape, crystal, vacancies), the
solution, the box and the seed; see ``systems/*.yaml`` for one per published system and
``docs`` in each file. The whole recipe is checked before anything is built
(:mod:`omm_cx.systems.recipe_schema`; ``omm-cx schema recipe``): unknown keys, impossible
values and species the force field lacks are errors that name the key path. The parts
are built by :mod:`omm_cx.systems.recipe_parts`.

    >>> built = build_recipe("pbse-nc-cd-psl", seed=1)
    >>> built.write("out/build")        # structure.pdb, system.xml, build.json
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from omm_cx import __version__
from omm_cx.errors import ConfigError, StructureError
from omm_cx.forcefield import ForceField, load_forcefield
from omm_cx.io.pdb import Structure
from omm_cx.io.shipped import find_shipped, shipped_names
from omm_cx.io.validation import key_error, validate_input
from omm_cx.io.yaml_input import load_yaml
from omm_cx.systems.charge import NEUTRALITY_RULE, Removal
from omm_cx.systems.lattice import Atoms
from omm_cx.systems.recipe_parts import box_matrix, build_nanocrystal, solution_species
from omm_cx.systems.recipe_schema import RecipeInput, check_recipe
from omm_cx.systems.solution import place_random
from omm_cx.systems.openmm_system import openmm_system
from omm_cx.systems.vacuum import vacuum_box


def available_recipes() -> list[str]:
    """Names of the recipes shipped in ``systems/``."""
    return shipped_names("systems")


def resolve_recipe(name_or_path: str | os.PathLike) -> Path:
    """Path of a recipe given its name (``pbse-nc-cd-psl``) or a path to a YAML file."""
    p = Path(name_or_path)
    if p.suffix in (".yaml", ".yml") or p.is_file():
        if not p.is_file():
            raise ConfigError(f"recipe file {str(p)!r} not found")
        return p
    found = find_shipped("systems", str(p))
    if found is not None:
        return found
    raise ConfigError(f"unknown recipe {str(name_or_path)!r}; available: "
                      f"{', '.join(available_recipes())} (or give a path to a .yaml file)")


@dataclass
class BuiltSystem:
    """A built system: :class:`~omm_cx.io.pdb.Structure` (Å), the OpenMM System,
    and ``info`` (the build record written to build.json, with ``groups``)."""

    structure: Structure
    system: Any
    info: dict

    @property
    def groups(self) -> dict[str, list[int]]:
        return self.info["groups"]

    @property
    def box_A(self):
        return self.structure.box_A

    def write(self, out_dir: str | os.PathLike) -> Path:
        """Write structure.pdb, system.xml and build.json (atomically) into ``out_dir``."""
        from omm_cx.systems.builddir import write_build_dir

        return write_build_dir(out_dir, self.structure, self.system, self.info)


# --------------------------------------------------------------------------- build
def read_recipe(recipe: str | os.PathLike | dict) -> tuple[RecipeInput, dict, str]:
    """Read and check a recipe (name, path or dict): (checked input, document, origin).

    Every key is checked here (:class:`~omm_cx.systems.recipe_schema.RecipeInput`), before
    anything is built; raises :class:`~omm_cx.errors.ConfigError` naming the key path.
    """
    if isinstance(recipe, dict):
        doc, where = recipe, "recipe"
    else:
        path = resolve_recipe(recipe)
        doc, where = load_yaml(path, "recipe"), str(path)
    return validate_input(RecipeInput, doc, where), doc, where


def build_recipe(recipe: str | os.PathLike | dict, seed: int | None = None) -> BuiltSystem:
    """Build the system a recipe describes.

    Parameters
    ----------
    recipe
        A recipe name (``systems/<name>.yaml``), a path, or the recipe as a dict.
    seed
        Overrides the recipe's seed (solution placement and vacancies).
    """
    r, doc, where = read_recipe(recipe)
    ff = load_forcefield(r.forcefield)
    check_recipe(r, ff, where)  # the whole recipe is checked before anything is built
    name = r.name if r.name is not None else Path(where).stem
    seed = r.seed if seed is None else int(seed)
    rng = np.random.default_rng(seed)
    box = box_matrix(r.box_nm)
    removal = Removal()
    record: dict = {}
    nc, period = _placed_nanocrystal(r, ff, rng, removal, record, box, where)
    if r.vacuum_padding_nm is not None:
        box, shift = vacuum_box(nc.positions_A, r.vacuum_padding_nm)
        nc = nc.translated(shift)
    sol_species, sol_pos = _solution(r, ff, box, nc, rng, record, where)
    structure, groups = _assemble(name, ff, nc, period, box, sol_species, sol_pos, where)
    system, vacuum = openmm_system(ff, structure, background=r.charge_policy == "background",
                                   vacuum_method=r.vacuum_method or "all-pairs",
                                   padding_nm=r.vacuum_padding_nm)
    if vacuum is not None:
        record["vacuum"] = vacuum
    info = _build_info(name, ff, structure, groups, seed, r.charge_policy, removal, record, doc)
    return BuiltSystem(structure, system, info)


def _placed_nanocrystal(r: RecipeInput, ff: ForceField, rng, removal: Removal, record: dict,
                        box: np.ndarray | None, where: str) -> tuple[Atoms, float | None]:
    """The NC centred in the box (a periodic wire keeps 0 <= z < period; the box's z length
    becomes the wire period), and the period (Å) of a wire."""
    nc, period = Atoms([], [], np.empty((0, 3))), None
    if r.nanocrystal is not None:
        nc, period = build_nanocrystal(r.nanocrystal, ff, rng, removal, record, box, where)
    if period is not None:
        box[2, 2] = period
        record["wire_period_A"] = float(period)
        if period < 2 * ff.cutoff_A:
            raise key_error(where, "nanocrystal.length_nm", f"gives a wire period of "
                            f"{period / 10:.2f} nm, shorter than 2 x cutoff "
                            f"({2 * ff.cutoff_A / 10:.1f} nm); make the wire longer")
    if box is not None:
        centre = np.diag(box) / 2
        nc = nc.translated(centre - (0 if period is None else np.array([0, 0, centre[2]])))
    return nc, period


def _solution(r: RecipeInput, ff: ForceField, box: np.ndarray | None, nc: Atoms, rng,
              record: dict, where: str) -> tuple[list[str], np.ndarray]:
    """Species and positions (Å) of the solution, placed at random around the NC."""
    if r.solution is None:
        return [], np.empty((0, 3))
    s = r.solution
    species = solution_species(s, ff, float(np.prod(np.diag(box))) / 1000)
    positions = place_random(species, np.diag(box), s.min_separation_A, rng,
                             occupied_A=nc.positions_A if len(nc) else None,
                             what=f"{where}: solution")
    record["min_separation_A"] = s.min_separation_A
    return species, positions


def _assemble(name: str, ff: ForceField, nc: Atoms, period: float | None,
              box: np.ndarray | None, sol_species: list[str], sol_pos: np.ndarray,
              where: str) -> tuple[Structure, dict[str, list[int]]]:
    """The structure in file order (NC cations, NC anions, solution cations, solution
    anions/ligands) and its groups."""
    order_nc = sorted(range(len(nc)), key=lambda i: (nc.roles[i] != "cation", i))
    nc = nc.take(np.array(order_nc, dtype=int)) if len(nc) else nc
    roles_sol = [ff.species[s].role for s in sol_species]
    order_sol = sorted(range(len(sol_species)), key=lambda i: (roles_sol[i] != "cation", i))
    species = nc.species + [sol_species[i] for i in order_sol]
    positions = np.vstack([nc.positions_A, sol_pos[order_sol]]) if len(order_sol) else nc.positions_A
    if box is not None:
        positions = positions.copy()
        # wrap periodic-wire atoms into the box along z
        if period is not None:
            positions[:, 2] %= period
    if not species:
        raise key_error(where, "", "the recipe has neither nanocrystal nor solution")

    n_nc = len(nc)
    groups = {
        "nc_cations": [i for i in range(n_nc) if nc.roles[i] == "cation"],
        "nc_anions": [i for i in range(n_nc) if nc.roles[i] == "anion"],
        "solution_cations": [n_nc + k for k, i in enumerate(order_sol) if roles_sol[i] == "cation"],
        "solution_anions": [n_nc + k for k, i in enumerate(order_sol) if roles_sol[i] == "anion"],
        "ligands": [n_nc + k for k, i in enumerate(order_sol) if roles_sol[i] == "ligand"],
    }
    for part in sorted(set(nc.parts) - {""}):
        groups[f"nc_{part}"] = [i for i in range(n_nc) if nc.parts[i] == part]
    return Structure(species, positions, box, name), groups


def formula(species: list[str]) -> str:
    """Hill-like formula in order of appearance: 'Pb481Se481'."""
    counts: dict[str, int] = {}
    for s in species:
        counts[s] = counts.get(s, 0) + 1
    return "".join(f"{s}{n}" for s, n in counts.items())


def _min_distance(positions: np.ndarray, box: np.ndarray | None) -> float:
    """Smallest distance between two particles (Å, minimum image)."""
    from omm_cx.periodic import NeighborSearch

    if len(positions) < 2:
        return math.inf
    d, _ = NeighborSearch(positions, box).nearest(positions, 2)
    return float(d[:, 1].min())


def _build_info(name, ff, structure, groups, seed, policy, removal, record, doc) -> dict:
    charge = float(sum(ff.charge(s) for s in structure.species))
    if policy == "neutral" and abs(charge) > 1e-6:
        raise StructureError(f"{name}: net charge {charge:+.4f} e; the recipe's "
                             f"charge_policy is neutral")
    counts: dict[str, int] = {}
    for s in structure.species:
        counts[s] = counts.get(s, 0) + 1
    nc_idx = groups["nc_cations"] + groups["nc_anions"]
    sol_idx = groups["solution_cations"] + groups["solution_anions"] + groups["ligands"]
    nc_species = [structure.species[i] for i in nc_idx]
    info = {
        "name": name,
        "omm_cx_version": __version__,
        "forcefield": ff.name,
        "seed": seed,
        "n_atoms": len(structure.species),
        "species_order": sorted(counts),
        "counts": counts,
        "group_counts": {k: len(v) for k, v in groups.items()},
        "nc_counts": {s: nc_species.count(s) for s in sorted(set(nc_species))},
        "formula": formula(structure.species),
        "nc_formula": formula(nc_species),
        "net_charge_e": round(charge, 9),
        "nc_net_charge_e": round(float(sum(ff.charge(s) for s in nc_species)), 9),
        "charge_policy": policy,  # ChargePolicy: neutral | background
        "neutrality_rule": NEUTRALITY_RULE,
        "removed_ions": removal.records,
        "box_A": None if structure.box_A is None else structure.box_A.tolist(),
        "min_distance_A": _min_distance(structure.positions_A, structure.box_A),
        "min_distance_solution_A": _min_distance_subset(structure, sol_idx),
        "groups": groups,
        "recipe": doc,
        **record,
    }
    from omm_cx.choices import BuildSource
    from omm_cx.systems.record import BuildRecord

    # the typed build record validates the dict; build.json holds exactly this dict
    return BuildRecord.from_dict({"source": BuildSource.RECIPE, **info}, name).to_dict()


def _min_distance_subset(structure: Structure, idx: list[int]) -> float | None:
    """Smallest distance between a particle of ``idx`` and any other particle (Å)."""
    from omm_cx.periodic import NeighborSearch

    if not idx:
        return None
    pos = structure.positions_A
    d, _ = NeighborSearch(pos, structure.box_A).nearest(pos[idx], 2)
    return float(d[:, 1].min())
