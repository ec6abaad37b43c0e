"""The parts of a recipe's system, built from its checked input
(:mod:`omm_cx.systems.recipe_schema`): crystals (given or relaxed lattice), the
nanocrystal of each shape, the solution's species and the box."""

from __future__ import annotations

import numpy as np

from omm_cx.errors import ConfigError, RelaxationError
from omm_cx.forcefield import ForceField
from omm_cx.io.validation import key_error
from omm_cx.systems import shapes
from omm_cx.systems.charge import Removal, add_vacancies, neutralize
from omm_cx.systems.lattice import Atoms, Crystal
from omm_cx.systems.recipe_schema import (
    CoreShellInput,
    CrystalInput,
    DumbbellInput,
    RodInput,
    SolutionInput,
    SphereInput,
    WireInput,
    starting_parameters,
)


def relaxed_parameters(ff: ForceField, structure: str, cation: str, anion: str) -> dict:
    """Lattice parameters (a, c, u in Å) of the crystal relaxed in ``ff``."""
    from omm_cx.crystals import get_structure
    from omm_cx.lattice_statics.relax import relax_structure

    initial = starting_parameters(structure, cation, anion)
    if initial is None:
        raise ConfigError(
            f"no starting lattice parameters known for {cation}{anion} {structure}; give a_A "
            f"(and c_A, u for hexagonal structures) in the recipe"
        )
    relaxed = relax_structure(ff, get_structure(structure), {"cation": cation, "anion": anion}, initial)
    return relaxed.params


def make_crystal(c: CrystalInput, key: str, ff: ForceField, record: dict, where: str) -> Crystal:
    """The crystal at ``key`` (lattice relaxed when a_A is left out); adds its record."""
    a, cc, u = c.a_A, c.c_A, c.u
    source = "recipe"
    if a is None:
        try:
            p = relaxed_parameters(ff, c.structure, c.cation, c.anion)
        except RelaxationError as exc:
            raise RelaxationError(f"{where}: key {key!r}: no a_A given, and {exc}") from exc
        a, cc, u = p.get("a"), p.get("c", cc), p.get("u", u)
        source = f"relaxed by lattice statics in {ff.name}"
    crystal = Crystal.make(c.structure, c.cation, c.anion, a, cc, u, c.axis, c.x_axis)
    record.setdefault("crystals", []).append(
        {"structure": c.structure, "cation": c.cation, "anion": c.anion, "a_A": a, "c_A": cc,
         "u": u, "axis": c.axis, "x_axis": c.x_axis, "lattice_source": source,
         "rotation": np.asarray(crystal.rotation).tolist()})  # crystal -> lab vectors
    return crystal


def build_nanocrystal(nc, ff: ForceField, rng, removal: Removal, record: dict,
                      box_A: np.ndarray | None, where: str) -> tuple[Atoms, float | None]:
    """Atoms of the NC centred at the origin, and the wire period (Å) if periodic."""
    charges = {s: ff.charge(s) for s in ff.species}
    period = None
    if isinstance(nc, DumbbellInput):
        atoms = _dumbbell(nc, ff, removal, record, charges, where)
    else:
        crystal = make_crystal(nc.crystal, "nanocrystal.crystal", ff, record, where)
        d = nc.diameter_nm * 10
        if isinstance(nc, SphereInput) and nc.pairs is not None:
            atoms, record["sphere_cut"] = shapes.sphere_with_pairs(crystal, d, nc.pairs)
            atoms = neutralize(atoms, charges, removal)
        elif isinstance(nc, SphereInput):
            atoms = neutralize(shapes.sphere(crystal, d), charges, removal)
        elif isinstance(nc, RodInput):
            atoms = neutralize(shapes.cylinder(crystal, d, nc.length_nm * 10), charges, removal)
        elif isinstance(nc, WireInput):
            atoms, period = shapes.periodic_wire(crystal, d, nc.length_nm * 10)
            atoms = neutralize(atoms, charges, removal, period_z_A=period)
        else:
            atoms = _core_shell(nc, crystal, charges, removal, record)
    if nc.vacancies is not None:
        v = nc.vacancies
        atoms = add_vacancies(atoms, v.species, v.fraction, rng, removal, charges, v.compensate)
    if len(atoms) == 0:
        raise key_error(where, "nanocrystal", "the nanocrystal is empty; check diameter_nm and "
                                              "the lattice")
    if box_A is not None:
        extent = atoms.positions_A.max(axis=0) - atoms.positions_A.min(axis=0)
        L = np.diag(box_A)
        for k in range(2 if period else 3):
            if extent[k] >= L[k]:
                raise key_error(where, "nanocrystal", f"the nanocrystal ({extent[k] / 10:.2f} nm "
                                f"along {'xyz'[k]}) is larger than the box ({L[k] / 10:.2f} nm); "
                                f"enlarge box_nm")
    return atoms, period


def _core_shell(nc: CoreShellInput, crystal: Crystal, charges, removal: Removal,
                record: dict) -> Atoms:
    shell = nc.shell
    atoms = shapes.core_shell(
        crystal, shell.cation, shell.structure, nc.diameter_nm * 10,
        exchanged_fraction=nc.exchanged_fraction,
        shell_thickness_A=None if nc.shell_thickness_nm is None else nc.shell_thickness_nm * 10,
        shell_a_A=shell.a_A, cut=nc.shell_cut)
    record["shell_a_A"] = shell.a_A if shell.a_A is not None else crystal.a_A
    atoms = neutralize(atoms, charges, removal)
    n_cat = sum(1 for r in atoms.roles if r == "cation")
    n_shell = sum(1 for r, p in zip(atoms.roles, atoms.parts) if r == "cation" and p == "shell")
    record["exchanged_fraction"] = n_shell / n_cat
    return atoms


def _dumbbell(nc: DumbbellInput, ff: ForceField, removal: Removal, record: dict, charges,
              where: str) -> Atoms:
    """WZ rod along [0001] (whole bilayers: anion (0001) end at +z, cation (000-1) end at
    -z) with a rocksalt tip at each end, ``gap_A`` from the rod's end plane. Tip facets:
    '100' (non-polar) or '111' (polar; the tip plane facing the rod carries the charge
    opposite to the rod's end plane: cation-{111} at the anion end, anion-{111} at the
    cation end)."""
    rod_crystal = make_crystal(nc.rod.crystal, "nanocrystal.rod.crystal", ff, record, where)
    rod = shapes.wurtzite_rod_by_bilayers(
        rod_crystal, nc.rod.diameter_nm * 10, nc.rod.length_nm * 10).with_part("rod")
    tip_d, tip_L, gap = nc.tips.diameter_nm * 10, nc.tips.length_nm * 10, nc.gap_A
    facets = {"top": nc.top_facet, "bottom": nc.bottom_facet}
    base = make_crystal(nc.tips.crystal, "nanocrystal.tips.crystal", ff, record, where)
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
    return Atoms.concat(parts)


def solution_species(sol: SolutionInput, ff: ForceField, box_volume_nm3: float) -> list[str]:
    """The species of the solution's particles (cation-ligand pairs, then single ions)."""
    species: list[str] = []
    pairs = sol.pairs
    if sol.pairs_per_nm3 is not None:
        pairs = int(round(sol.pairs_per_nm3 * box_volume_nm3))
    if pairs:
        species += [sol.cation, sol.ligand] * pairs
    ions = sol.ions or {}
    for s in sorted(ions):
        species += [s] * ions[s]
    return species


def box_matrix(box_nm: list[float] | None) -> np.ndarray | None:
    """The box (Å, 3x3 diagonal) of ``box_nm``; None for a system in vacuum."""
    return None if box_nm is None else np.diag(np.array(box_nm) * 10.0)
