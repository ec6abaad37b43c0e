"""The schema of a recipe (``systems/*.yaml``) and the checks that need its force field.

:class:`RecipeInput` holds every key with its type, range and default; the nanocrystal
is one model per ``shape``. :func:`check_recipe` checks what relates keys (species known
to the force field, a box where one is needed, lattice parameters a structure needs).
Both run before anything is built, so a wrong key deep in a recipe is reported at once.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Optional, Union

from pydantic import BeforeValidator, Field

from omm_cx.crystals import STRUCTURES
from omm_cx.forcefield import ForceField
from omm_cx.io.validation import InputModel, NonNegative, Positive, Vector3, Whole, key_error

Fraction = Annotated[float, Field(ge=0, le=1)]


def _cube(v: Any) -> Any:
    """``box_nm: 3.0`` means a cube of 3 nm."""
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return [v, v, v]
    return list(v) if isinstance(v, tuple) else v


#: Box edge lengths in nm: one number (a cube) or three.
Box = Annotated[list[Positive], BeforeValidator(_cube), Field(min_length=3, max_length=3)]


class CrystalInput(InputModel):
    """``crystal:`` structure, species and lattice (Å; left out: relaxed by lattice
    statics in the recipe's force field), orientation (crystal axis along z)."""

    structure: Literal[tuple(sorted(STRUCTURES))]  # type: ignore[valid-type]
    cation: str
    anion: str
    a_A: Optional[Positive] = None
    c_A: Optional[Positive] = None
    u: Optional[Fraction] = None
    axis: Vector3 = Field(default_factory=lambda: [0.0, 0.0, 1.0])
    x_axis: Optional[Vector3] = None


class VacanciesInput(InputModel):
    """``vacancies:`` remove ``fraction`` of the ``species`` ions at random (seeded)."""

    species: str
    fraction: Annotated[float, Field(ge=0, le=0.5)]
    compensate: Literal["anions", "none"] = "anions"


class _Nanocrystal(InputModel):
    vacancies: Optional[VacanciesInput] = None


class SphereInput(_Nanocrystal):
    shape: Literal["sphere"]
    crystal: CrystalInput
    diameter_nm: Positive
    #: Target number of cation-anion pairs (1:1 crystals): the cut centre and the diameter
    #: (within 5 % of diameter_nm) are chosen for a charge-balanced sphere closest to it.
    pairs: Optional[Annotated[int, Field(gt=0)]] = None


class RodInput(_Nanocrystal):
    shape: Literal["rod"]
    crystal: CrystalInput
    diameter_nm: Positive
    length_nm: Positive


class WireInput(_Nanocrystal):
    """A wire, periodic along z (its period sets the box's z length)."""

    shape: Literal["wire"]
    crystal: CrystalInput
    diameter_nm: Positive
    length_nm: Positive


class ShellInput(InputModel):
    cation: str
    structure: Literal["rocksalt", "zincblende"]
    a_A: Optional[Positive] = None


class CoreShellInput(_Nanocrystal):
    shape: Literal["core_shell"]
    crystal: CrystalInput
    diameter_nm: Positive
    shell: ShellInput
    exchanged_fraction: Optional[Fraction] = None
    shell_thickness_nm: Optional[Positive] = None
    #: the core/shell boundary: "radius" (a spherical core) or whole "100" / "111" layers
    shell_cut: Literal["radius", "100", "111"] = "radius"


class PartInput(InputModel):
    """The rod or the tips of a dumbbell: a cylinder of ``crystal``."""

    crystal: CrystalInput
    diameter_nm: Positive
    length_nm: Positive


class DumbbellInput(_Nanocrystal):
    shape: Literal["dumbbell"]
    rod: PartInput
    tips: PartInput
    gap_A: NonNegative = 3.0
    top_facet: Literal["100", "111"]
    bottom_facet: Literal["100", "111"]


Nanocrystal = Annotated[Union[SphereInput, RodInput, WireInput, CoreShellInput, DumbbellInput],
                        Field(discriminator="shape")]


class SolutionInput(InputModel):
    """``solution:`` cation-ligand pairs (a number or per nm^3) and single ions, placed at
    random (seeded) at least ``min_separation_A`` apart."""

    pairs: Optional[Annotated[Whole, Field(ge=0)]] = None
    pairs_per_nm3: Optional[NonNegative] = None
    cation: Optional[str] = None
    ligand: str = "PSL"
    ions: Optional[dict[str, Annotated[Whole, Field(ge=0)]]] = None
    min_separation_A: Positive = 3.0
    min_distance_to_nc_A: Optional[Positive] = None


class RecipeInput(InputModel):
    """A recipe as written (see ``systems/*.yaml``)."""

    name: Optional[str] = Field(None, description="default: the file name")
    description: Any = None
    source: Any = None
    notes: Any = None
    forcefield: str = Field(description="a force-field name such as "
                            "'pbcdse+psl-nonpreferential'")
    seed: Annotated[Whole, Field(ge=0)] = 0
    charge_policy: Literal["neutral", "background"] = "neutral"
    box_nm: Optional[Box] = None
    vacuum_padding_nm: Optional[Annotated[float, Field(gt=0)]] = Field(
        None, description="an isolated particle in a periodic box with this much vacuum on "
        "every side (PME, short-range cutoff; the force error against all pairs is measured "
        "and recorded); null: no box (see vacuum_method)")
    vacuum_method: Literal["all-pairs", "short-range-cutoff"] = Field(
        "all-pairs", description="a nanocrystal without a box: 'all-pairs' (every term, "
        "no cutoff, as 000) or 'short-range-cutoff' (Coulomb over all pairs, short-range "
        "terms within the force field's cutoff; ~10x faster, the force error against all "
        "pairs is measured and recorded)")
    nanocrystal: Optional[Nanocrystal] = None
    solution: Optional[SolutionInput] = None


def starting_parameters(structure: str, cation: str, anion: str) -> dict | None:
    """Starting lattice parameters of a phase omm_cx knows (None when it knows none)."""
    from omm_cx.crystals import ALL_PHASES

    for phase in ALL_PHASES.values():
        if phase.structure.name == structure and phase.species == {"cation": cation, "anion": anion}:
            return phase.initial_params()
    return None


def crystals_of(nc: Any) -> list[tuple[str, CrystalInput]]:
    """The crystals of a nanocrystal with their key paths."""
    if isinstance(nc, DumbbellInput):
        return [("nanocrystal.rod.crystal", nc.rod.crystal),
                ("nanocrystal.tips.crystal", nc.tips.crystal)]
    return [("nanocrystal.crystal", nc.crystal)]


def check_recipe(r: RecipeInput, ff: ForceField, where: str) -> None:
    """Raise :class:`~omm_cx.errors.ConfigError` for keys that do not fit together or
    name species the force field does not define (before anything is built)."""
    def species(key: str, name: str | None) -> None:
        if name not in ff.species:
            raise key_error(where, key, f"unknown species {name!r}; the force field "
                                        f"{ff.name!r} defines {', '.join(sorted(ff.species))}")

    nc, sol = r.nanocrystal, r.solution
    if nc is None and sol is None:
        raise key_error(where, "", "the recipe has neither nanocrystal nor solution")
    if nc is not None:
        for key, c in crystals_of(nc):
            species(f"{key}.cation", c.cation)
            species(f"{key}.anion", c.anion)
            if c.a_A is None and starting_parameters(c.structure, c.cation, c.anion) is None:
                raise key_error(where, f"{key}.a_A", f"no starting lattice parameters known for "
                                f"{c.cation}{c.anion} {c.structure}; give a_A (and c_A, u for "
                                f"hexagonal structures)")
            needs = STRUCTURES[c.structure].parameters
            for p, value in (("c", c.c_A), ("u", c.u)):
                if c.a_A is not None and p in needs and value is None:
                    raise key_error(where, key, f"{c.structure} needs "
                                    f"{'c_A' if p == 'c' else 'u'} (or leave out a_A to relax)")
        if isinstance(nc, CoreShellInput):
            species("nanocrystal.shell.cation", nc.shell.cation)
        if nc.vacancies is not None:
            species("nanocrystal.vacancies.species", nc.vacancies.species)
        if isinstance(nc, WireInput) and r.box_nm is None:
            raise key_error(where, "box_nm", "a periodic wire needs box_nm (its z length is "
                                             "set to the wire period)")
    if r.vacuum_padding_nm is not None:
        if r.box_nm is not None or sol is not None or nc is None:
            raise key_error(where, "vacuum_padding_nm", "is for a nanocrystal in vacuum: "
                                   "leave out box_nm and solution, or leave out this key")
        if 10.0 * r.vacuum_padding_nm < ff.cutoff_A / 2:
            raise key_error(where, "vacuum_padding_nm", f"{r.vacuum_padding_nm} nm is less "
                                   f"than half the {ff.cutoff_A} Å cutoff: an atom would see "
                                   f"an image; give at least {ff.cutoff_A / 20:.2f} nm")
    if r.vacuum_method != "all-pairs" and (r.box_nm is not None or r.vacuum_padding_nm is not None
                                          or nc is None):
        raise key_error(where, "vacuum_method", "is for a nanocrystal without a box: leave "
                        "out box_nm, vacuum_padding_nm and solution, or leave out this key")
    if sol is not None:
        if r.box_nm is None:
            raise key_error(where, "solution", "a solution needs a periodic box (box_nm)")
        if sol.pairs is not None and sol.pairs_per_nm3 is not None:
            raise key_error(where, "solution", "give pairs or pairs_per_nm3, not both")
        if sol.pairs or sol.pairs_per_nm3:
            if sol.cation is None:
                raise key_error(where, "solution.cation", "required key is missing (the "
                                                          "cation of the cation-ligand pairs)")
            species("solution.cation", sol.cation)
            species("solution.ligand", sol.ligand)
        for name in sorted(sol.ions or {}):
            species(f"solution.ions.{name}", name)
        if (nc is not None and sol.min_distance_to_nc_A is not None
                and sol.min_distance_to_nc_A != sol.min_separation_A):
            raise key_error(where, "solution.min_distance_to_nc_A", "a distance different from "
                                   "min_separation_A is not supported yet")
