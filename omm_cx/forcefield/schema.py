"""The schema of a parameter file (YAML in ``forcefields/``), one model per functional
form (``functional_form: buckingham | lennard-jones``), in the units the file declares.

Types, ranges and unknown keys are checked here; species names, pair labels, pairs
given twice and the species a pair refers to are checked by
:func:`omm_cx.forcefield.files.file_from_doc`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Optional, Union

from pydantic import Field, field_validator

from omm_cx import units
from omm_cx.io.validation import InputModel, NonNegative, Positive

ROLES = ("cation", "anion", "ligand")
MIXING_RULES = ("lorentz-berthelot",)


class Units(InputModel):
    """``units:`` of the numbers in the file."""

    energy: Literal[tuple(units.ENERGY_UNITS_IN_EV)] = "eV"  # type: ignore[valid-type]
    length: Literal[tuple(units.LENGTH_UNITS_IN_ANGSTROM)] = "angstrom"  # type: ignore[valid-type]
    charge: Literal["e"] = "e"
    mass: Literal["g/mol", "amu", "Da"] = "g/mol"


class SpeciesEntry(InputModel):
    """One species: charge in e, mass in g/mol, role (default: by the charge's sign)."""

    charge: float
    mass: Positive
    role: Optional[Literal["cation", "anion", "ligand"]] = None


class LJSpeciesEntry(SpeciesEntry):
    """A species of a Lennard-Jones file: also epsilon (energy unit) and sigma (length)."""

    epsilon: NonNegative
    sigma: Positive


class BuckinghamPair(InputModel):
    """A Buckingham pair: A exp(-r/rho) - C/r^6."""

    A: NonNegative
    rho: Positive
    C: NonNegative


class LJPair(InputModel):
    """A Lennard-Jones pair: 4 epsilon ((sigma/r)^12 - (sigma/r)^6)."""

    epsilon: NonNegative
    sigma: Positive


class _FileBase(InputModel):
    name: str = Field(description="the name of the parameter set")
    title: Optional[str] = None
    citation: str = Field(description="where the parameters are published")
    expression: Optional[str] = None
    units: Units
    cutoff: Optional[Positive] = Field(None, description="short-range cutoff (length unit)")
    no_short_range: Optional[list[str]] = Field(None, description="pairs 'X-Y' without a "
                                                "short-range term")
    assumptions: Optional[list[str]] = None
    notes: Any = None
    provenance: Any = None


class BuckinghamFile(_FileBase):
    """A parameter file of Buckingham pairs."""

    functional_form: Literal["buckingham"]
    species: dict[str, SpeciesEntry]
    pairs: Optional[dict[str, BuckinghamPair]] = None
    mixing: Optional[str] = None

    @field_validator("mixing")
    @classmethod
    def _no_mixing(cls, v: Optional[str]) -> None:
        if v is not None:
            raise ValueError("mixing only applies to lennard-jones files")
        return v


class LennardJonesFile(_FileBase):
    """A parameter file of Lennard-Jones species; unlisted pairs are mixed."""

    functional_form: Literal["lennard-jones"]
    species: dict[str, LJSpeciesEntry]
    pairs: Optional[dict[str, LJPair]] = None
    mixing: Literal["lorentz-berthelot"] = Field(description="lennard-jones files need "
                                                 "mixing: lorentz-berthelot")


#: A parameter file of either form (chosen by its ``functional_form``).
ForceFieldFile = Annotated[Union[BuckinghamFile, LennardJonesFile],
                           Field(discriminator="functional_form")]
