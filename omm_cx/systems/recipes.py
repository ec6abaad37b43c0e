"""Recipes: a short YAML description of a study's starting configuration -> a checked
OpenMM system (structure, System, groups and a build record).

A recipe names the force field, the nanocrystal (shape, crystal, vacancies), the
solution, the box and the seed; see ``systems/*.yaml`` for one per published system and
``docs`` in each file. Unknown keys and impossible values are errors that name the key.

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
from omm_cx.systems.charge import NEUTRALITY_RULE, Removal, add_vacancies, neutralize
from omm_cx.systems.lattice import Atoms, Crystal
from omm_cx.systems import shapes
from omm_cx.systems.solution import place_random
from omm_cx.io.yaml_input import ConfigError, Section, load_yaml
from omm_cx.errors import StructureError
from omm_cx.forcefield import ForceField, load_forcefield
from omm_cx.io.pdb import Structure

_SHAPES = ("sphere", "rod", "wire", "core_shell", "dumbbell")


def _recipe_dirs() -> list[Path]:
    here = Path(__file__).resolve().parent.parent  # the omm_cx package folder
    return [here / "_data" / "systems", here.parent / "systems"]


def available_recipes() -> list[str]:
    """Names of the recipes shipped in ``systems/``."""
    return sorted({p.stem for d in _recipe_dirs() if d.is_dir() for p in d.glob("*.yaml")})


def resolve_recipe(name_or_path: str | os.PathLike) -> Path:
    """Path of a recipe given its name (``pbse-nc-cd-psl``) or a path to a YAML file."""
    p = Path(name_or_path)
    if p.suffix in (".yaml", ".yml") or p.is_file():
        if not p.is_file():
            raise ConfigError(f"recipe file {str(p)!r} not found")
        return p
    for d in _recipe_dirs():
        if (d / f"{p}.yaml").is_file():
            return d / f"{p}.yaml"
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


# ------------------------------------------------------------------------ crystals
def _relaxed_parameters(ff: ForceField, structure: str, cation: str, anion: str) -> dict:
    from omm_cx.crystals import ALL_PHASES, get_structure
    from omm_cx.lattice_statics.relax import relax_structure

    for phase in ALL_PHASES.values():
        if phase.structure.name == structure and phase.species == {"cation": cation, "anion": anion}:
            initial = phase.initial_params()
            break
    else:
        raise ConfigError(
            f"no starting lattice parameters known for {cation}{anion} {structure}; give a_A "
            f"(and c_A, u for hexagonal structures) in the recipe"
        )
    relaxed = relax_structure(ff, get_structure(structure), {"cation": cation, "anion": anion}, initial)
    return relaxed.params


def _crystal(sec: Section, ff: ForceField, record: dict) -> Crystal:
    from omm_cx.crystals import STRUCTURES

    structure = sec.string("structure", choices=sorted(STRUCTURES))
    cation, anion = sec.string("cation"), sec.string("anion")
    for key, s in (("cation", cation), ("anion", anion)):
        if s not in ff.species:
            raise ConfigError(f"{sec.where}.{key}: unknown species {s!r}; the force field "
                              f"{ff.name!r} defines {', '.join(sorted(ff.species))}")
    a = sec.number("a_A", None, minimum=0, strict=True)
    c = sec.number("c_A", None, minimum=0, strict=True)
    u = sec.number("u", None, minimum=0, maximum=1)
    axis = sec.vector("axis", [0, 0, 1])
    x_axis = sec.vector("x_axis", None)
    sec.finish()
    source = "recipe"
    if a is None:
        p = _relaxed_parameters(ff, structure, cation, anion)
        a, c, u = p.get("a"), p.get("c", c), p.get("u", u)
        source = f"relaxed by lattice statics in {ff.name}"
    needs = STRUCTURES[structure].parameters
    if "c" in needs and c is None:
        raise ConfigError(f"{sec.where}: {structure} needs c_A (or leave out a_A to relax)")
    if "u" in needs and u is None:
        raise ConfigError(f"{sec.where}: {structure} needs u (or leave out a_A to relax)")
    crystal = Crystal.make(structure, cation, anion, a, c, u, axis, x_axis)
    record.setdefault("crystals", []).append(
        {"structure": structure, "cation": cation, "anion": anion, "a_A": a, "c_A": c,
         "u": u, "axis": axis, "x_axis": x_axis, "lattice_source": source,
         "rotation": np.asarray(crystal.rotation).tolist()})  # crystal -> lab vectors
    return crystal


# --------------------------------------------------------------------- nanocrystal
def _nanocrystal(sec: Section, ff: ForceField, rng, removal: Removal, record: dict,
                 box_A: np.ndarray | None) -> tuple[Atoms, float | None]:
    """Atoms of the NC centred at the origin, and the wire period (Å) if periodic."""
    charges = {s: ff.charge(s) for s in ff.species}
    shape = sec.string("shape", choices=_SHAPES)
    period = None
    if shape == "dumbbell":
        atoms = _dumbbell(sec, ff, removal, record, charges)
    else:
        crystal = _crystal(sec.section("crystal"), ff, record)
        d = sec.number("diameter_nm", minimum=0, strict=True) * 10
        if shape == "sphere":
            atoms = neutralize(shapes.sphere(crystal, d), charges, removal)
        elif shape == "rod":
            L = sec.number("length_nm", minimum=0, strict=True) * 10
            atoms = neutralize(shapes.cylinder(crystal, d, L), charges, removal)
        elif shape == "wire":
            L = sec.number("length_nm", minimum=0, strict=True) * 10
            atoms, period = shapes.periodic_wire(crystal, d, L)
            atoms = neutralize(atoms, charges, removal, period_z_A=period)
        else:  # core_shell
            shell = sec.section("shell")
            shell_a = shell.number("a_A", None, minimum=0, strict=True)
            atoms = shapes.core_shell(
                crystal, shell.string("cation"), shell.string("structure", choices=("rocksalt", "zincblende")),
                d, exchanged_fraction=sec.number("exchanged_fraction", None, minimum=0, maximum=1),
                shell_thickness_A=(None if not sec.has("shell_thickness_nm")
                                   else sec.number("shell_thickness_nm", minimum=0, strict=True) * 10),
                shell_a_A=shell_a)
            record["shell_a_A"] = shell_a if shell_a is not None else crystal.a_A
            if shell.doc.get("cation") not in ff.species:
                raise ConfigError(f"{shell.where}.cation: unknown species {shell.doc.get('cation')!r}")
            shell.finish()
            atoms = neutralize(atoms, charges, removal)
            n_cat = sum(1 for r in atoms.roles if r == "cation")
            n_shell = sum(1 for r, p in zip(atoms.roles, atoms.parts) if r == "cation" and p == "shell")
            record["exchanged_fraction"] = n_shell / n_cat
    if sec.has("vacancies"):
        v = sec.section("vacancies")
        species = v.string("species")
        if species not in ff.species:
            raise ConfigError(f"{v.where}.species: unknown species {species!r}")
        atoms = add_vacancies(atoms, species, v.number("fraction", minimum=0, maximum=0.5), rng,
                              removal, charges, v.string("compensate", "anions", choices=("anions", "none")))
        v.finish()
    sec.finish()
    if len(atoms) == 0:
        raise ConfigError(f"{sec.where}: the nanocrystal is empty; check diameter_nm and the lattice")
    if box_A is not None:
        extent = atoms.positions_A.max(axis=0) - atoms.positions_A.min(axis=0)
        L = np.diag(box_A)
        for k in range(2 if period else 3):
            if extent[k] >= L[k]:
                raise ConfigError(
                    f"{sec.where}: the nanocrystal ({extent[k] / 10:.2f} nm along "
                    f"{'xyz'[k]}) is larger than the box ({L[k] / 10:.2f} nm); enlarge box_nm")
    return atoms, period


def _dumbbell(sec: Section, ff: ForceField, removal: Removal, record: dict, charges) -> Atoms:
    """WZ rod along [0001] (whole bilayers: anion (0001) end at +z, cation (000-1) end at
    -z) with a rocksalt tip at each end, ``gap_A`` from the rod's end plane. Tip facets:
    '100' (non-polar) or '111' (polar; the tip plane facing the rod carries the charge
    opposite to the rod's end plane: cation-{111} at the anion end, anion-{111} at the
    cation end)."""
    rod_sec = sec.section("rod")
    rod_crystal = _crystal(rod_sec.section("crystal"), ff, record)
    rod = shapes.wurtzite_rod_by_bilayers(
        rod_crystal, rod_sec.number("diameter_nm", minimum=0, strict=True) * 10,
        rod_sec.number("length_nm", minimum=0, strict=True) * 10).with_part("rod")
    rod_sec.finish()
    tip_sec = sec.section("tips")
    tip_cr = tip_sec.section("crystal")
    tip_d = tip_sec.number("diameter_nm", minimum=0, strict=True) * 10
    tip_L = tip_sec.number("length_nm", minimum=0, strict=True) * 10
    gap = sec.number("gap_A", 3.0, minimum=0)
    facets = {}
    for end in ("top", "bottom"):
        facets[end] = sec.string(f"{end}_facet", choices=("100", "111"))
    base = _crystal(tip_cr, ff, record)
    parts = [rod]
    z_top, z_bot = rod.positions_A[:, 2].max(), rod.positions_A[:, 2].min()
    for end, sign in (("top", 1), ("bottom", -1)):
        axis = (0, 0, 1) if facets[end] == "100" else (1, 1, 1)
        x_axis = (1, 0, 0) if facets[end] == "100" else (1, -1, 0)
        tip_crystal = Crystal(base.structure, base.species, base.a_A, base.c_A, base.u, axis, x_axis)
        facing = None
        if facets[end] == "111":
            facing = base.species["cation"] if end == "top" else base.species["anion"]
        tip = shapes.stack_of_layers(tip_crystal, tip_d, tip_L, facing)
        if sign < 0:
            tip = Atoms(tip.species, tip.roles, tip.positions_A * np.array([1, 1, -1]), tip.parts)
        tip = tip.translated([0, 0, (z_top + gap) if sign > 0 else (z_bot - gap)])
        parts.append(neutralize(tip.with_part(f"tip_{end}"), charges, removal))
    record["dumbbell"] = {"top_facet": facets["top"], "bottom_facet": facets["bottom"], "gap_A": gap,
                          "rule": _dumbbell.__doc__.split("\n\n")[0].replace("\n", " ")}
    atoms = Atoms.concat(parts)
    return atoms


# ------------------------------------------------------------------------ solution
def _solution_species(sec: Section, ff: ForceField, box_volume_nm3: float) -> list[str]:
    species: list[str] = []
    pairs = sec.number("pairs", None, minimum=0, integer=True)
    conc = sec.number("pairs_per_nm3", None, minimum=0)
    if pairs is not None and conc is not None:
        raise ConfigError(f"{sec.where}: give pairs or pairs_per_nm3, not both")
    if conc is not None:
        pairs = int(round(conc * box_volume_nm3))
    if pairs:
        cation, ligand = sec.string("cation"), sec.string("ligand", "PSL")
        for key, s in (("cation", cation), ("ligand", ligand)):
            if s not in ff.species:
                raise ConfigError(f"{sec.where}.{key}: unknown species {s!r}; the force field "
                                  f"{ff.name!r} defines {', '.join(sorted(ff.species))}")
        species += [cation, ligand] * pairs
    ions = sec.section("ions", {})
    for s in sorted(ions.doc):
        if s not in ff.species:
            raise ConfigError(f"{ions.where}: unknown species {s!r}; the force field "
                              f"{ff.name!r} defines {', '.join(sorted(ff.species))}")
        species += [s] * ions.number(s, minimum=0, integer=True)
    ions.finish()
    return species


# --------------------------------------------------------------------------- build
def _box(sec: Section) -> np.ndarray | None:
    raw = sec.raw("box_nm", None)
    if raw is None:
        return None
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        L = [sec.number("box_nm", minimum=0, strict=True)] * 3
    else:
        L = sec.vector("box_nm")
        if min(L) <= 0:
            raise ConfigError(f"{sec.where}.box_nm: {raw!r} is impossible, lengths must be > 0")
    return np.diag(np.array(L) * 10.0)


def build_recipe(recipe: str | os.PathLike | dict, seed: int | None = None) -> BuiltSystem:
    """Build the system a recipe describes.

    Parameters
    ----------
    recipe
        A recipe name (``systems/<name>.yaml``), a path, or the recipe as a dict.
    seed
        Overrides the recipe's seed (solution placement and vacancies).
    """
    if isinstance(recipe, dict):
        doc, where = recipe, "recipe"
    else:
        path = resolve_recipe(recipe)
        doc, where = load_yaml(path, "recipe"), str(path)
    sec = Section(doc, where)
    name = sec.string("name", Path(where).stem)
    sec.raw("description", None)
    sec.raw("source", None)
    sec.raw("notes", None)
    ff = load_forcefield(sec.string("forcefield"))
    recipe_seed = sec.number("seed", 0, minimum=0, integer=True)
    seed = recipe_seed if seed is None else int(seed)
    rng = np.random.default_rng(seed)
    policy = sec.string("charge_policy", "neutral", choices=("neutral", "background"))
    box = _box(sec)
    removal = Removal()
    record: dict = {}

    nc = Atoms([], [], np.empty((0, 3)))
    period = None
    if sec.has("nanocrystal"):
        nc, period = _nanocrystal(sec.section("nanocrystal"), ff, rng, removal, record, box)
    if period is not None:
        if box is None:
            raise ConfigError(f"{where}: a periodic wire needs box_nm (its z length is set to "
                              f"the wire period)")
        box[2, 2] = period
        record["wire_period_A"] = float(period)
        if period < 2 * ff.cutoff_A:
            raise ConfigError(
                f"{where}: nanocrystal.length_nm gives a wire period of {period / 10:.2f} nm, "
                f"shorter than 2 x cutoff ({2 * ff.cutoff_A / 10:.1f} nm); make the wire longer")
    if box is not None:
        centre = np.diag(box) / 2
        # NC centred in the box (a periodic wire keeps 0 <= z < period)
        nc = nc.translated(centre - (0 if period is None else np.array([0, 0, centre[2]])))

    sol_species: list[str] = []
    sol_pos = np.empty((0, 3))
    if sec.has("solution"):
        s = sec.section("solution")
        if box is None:
            raise ConfigError(f"{s.where}: a solution needs a periodic box (box_nm)")
        sol_species = _solution_species(s, ff, float(np.prod(np.diag(box))) / 1000)
        dmin = s.number("min_separation_A", 3.0, minimum=0, strict=True)
        dnc = s.number("min_distance_to_nc_A", dmin, minimum=0, strict=True)
        s.finish()
        if dnc != dmin and len(nc):
            raise ConfigError(f"{s.where}: min_distance_to_nc_A different from "
                              f"min_separation_A is not supported yet")
        sol_pos = place_random(sol_species, np.diag(box), dmin, rng,
                               occupied_A=nc.positions_A if len(nc) else None, what=s.where)
        record["min_separation_A"] = dmin
    sec.finish()

    # file order: NC cations, NC anions, solution cations, solution anions/ligands
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
        raise ConfigError(f"{where}: the recipe has neither nanocrystal nor solution")

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

    structure = Structure(species, positions, box, name)
    info = _build_info(name, ff, structure, groups, seed, policy, removal, record, doc)
    system = _create_system(ff, structure, policy)
    return BuiltSystem(structure, system, info)


def _create_system(ff: ForceField, structure: Structure, policy: str):
    from omm_cx.forcefield.openmm_forces import create_system

    return create_system(ff, structure.species, structure.box_A,
                         allow_net_charge=(policy == "background"))


def formula(species: list[str]) -> str:
    """Hill-like formula in order of appearance: 'Pb481Se481'."""
    counts: dict[str, int] = {}
    for s in species:
        counts[s] = counts.get(s, 0) + 1
    return "".join(f"{s}{n}" for s, n in counts.items())


def _min_distance(positions: np.ndarray, box: np.ndarray | None) -> float:
    from scipy.spatial import cKDTree

    if len(positions) < 2:
        return math.inf
    if box is None:
        d, _ = cKDTree(positions).query(positions, k=2)
    else:
        L = np.diag(box)
        p = np.mod(positions, L)
        d, _ = cKDTree(p, boxsize=L).query(p, k=2)
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
        "charge_policy": policy if policy == "neutral" else
        "background: net charge left to PME's uniform neutralizing background",
        "neutrality_rule": NEUTRALITY_RULE,
        "removed_ions": removal.records,
        "box_A": None if structure.box_A is None else structure.box_A.tolist(),
        "min_distance_A": _min_distance(structure.positions_A, structure.box_A),
        "min_distance_solution_A": _min_distance_subset(structure, sol_idx),
        "groups": groups,
        "recipe": doc,
        **record,
    }
    return info


def _min_distance_subset(structure: Structure, idx: list[int]) -> float | None:
    """Smallest distance between a particle of ``idx`` and any other particle (Å)."""
    from scipy.spatial import cKDTree

    if not idx:
        return None
    pos = structure.positions_A
    if structure.box_A is None:
        tree, p = cKDTree(pos), pos
    else:
        L = np.diag(structure.box_A)
        p = np.mod(pos, L)
        tree = cKDTree(p, boxsize=L)
    d, _ = tree.query(p[idx], k=2)
    return float(d[:, 1].min())
