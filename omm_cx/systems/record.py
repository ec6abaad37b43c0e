"""The build record (``build.json``): what a build directory holds, typed, with one reader
and one writer.

    from omm_cx.systems.record import read_build_record, write_build_record
    record = read_build_record("out/build/build.json")     # BuildRecord
    record.groups["nc_cations"], record.charge_policy, record.crystals[0].rotation

Format versions (key ``format``; a file without it is version 1):

1. written by omm_cx up to issue 11: no ``format`` key, no ``source`` key for recipe
   builds, ``charge_policy`` as prose for the background policy ("background: net charge
   left to PME's ..."), non-finite distances written as ``Infinity``.
2. (this one) ``format: 2``; ``source`` (``recipe`` | ``structure``) always written;
   ``charge_policy`` is ``neutral`` | ``background``; ``n_atoms`` always written;
   non-finite numbers are ``null``.

Version-1 files load: :meth:`BuildRecord.from_dict` upgrades them in memory.

Extra keys: **forbidden** (``extra='forbid'``). A record is a contract between the builder
and its readers (runner, analysis, xrd, energy paths); a key that no model declares is
either a typo of the writer or a newer format, and is reported with the fix instead of
being carried along silently. The recipe as read (``recipe``) is free-form on purpose.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Mapping

from pydantic import Field, ValidationError, field_validator

from omm_cx.choices import BuildSource, ChargePolicy, Facet, Role
from omm_cx.errors import OmmCxError, StructureError
from omm_cx.io.record_base import Record
from omm_cx.io.tables import read_json, to_jsonable, write_json

#: Version of the build.json layout written by this omm_cx.
BUILD_JSON_FORMAT = 2
#: Prefix of the version-1 prose of the background charge policy.
_V1_BACKGROUND = "background"












class CrystalRecord(Record):
    """One crystal of the build: structure type, species, lattice parameters (Å) and the
    rotation crystal -> lab (rows: lab components of the crystal axes)."""

    structure: str
    cation: str
    anion: str
    a_A: float
    c_A: float | None = None
    u: float | None = None
    axis: list[float] = Field(default_factory=lambda: [0.0, 0.0, 1.0])
    x_axis: list[float] | None = None
    lattice_source: str = "recipe"
    rotation: list[list[float]] | None = None  # None in builds older than the facets analysis

    @field_validator("structure")
    @classmethod
    def _known_structure(cls, v: str) -> str:
        from omm_cx.crystals import STRUCTURES

        if v not in STRUCTURES:
            raise ValueError(f"unknown crystal structure {v!r}; known: {', '.join(STRUCTURES)}")
        return v


class RemovedIon(Record):
    """An ion the builder removed (neutrality, vacancies): species, role, position (Å), why."""

    species: str
    role: Role
    position_A: list[float]
    reason: str


class VacuumRecord(Record):
    """An isolated particle computed by a fast path (:mod:`omm_cx.systems.vacuum`): the
    method, its settings (padding of the periodic box, nm; or the cutoffs of the
    short-range-cutoff path) and the force error (eV/Å) measured against all pairs at
    build time."""

    method: str
    padding_nm: float | None = None
    coulomb_cutoff_nm: float | None = None
    largest_pair_distance_nm: float | None = None
    short_range_cutoff_A: float | None = None
    energy_offset_kJ_per_mol: float | None = None
    rms_force_error_eV_per_A: float
    max_force_error_eV_per_A: float
    rms_force_eV_per_A: float
    reference: str


class DumbbellRecord(Record):
    """The tips of a dumbbell: facets facing the rod, gap (Å) and the rule in words."""

    top_facet: Facet
    bottom_facet: Facet
    gap_A: float
    rule: str


class SphereCutRecord(Record):
    """How a sphere with a target pair count was cut (recipe ``nanocrystal.pairs``):
    centre in conventional fractional coordinates, diameter (Å), pairs cut, the target."""

    centre_frac: list[float]
    diameter_A: float
    pairs: int
    target_pairs: int
    rule: str


class BuildRecord(Record):
    """Contents of build.json. Indices are 0-based in file order; lengths in Å; charges
    in e. ``groups``: name -> atom indices (``nc_cations``, ``nc_anions``,
    ``solution_cations``, ``solution_anions``, ``ligands``, and ``nc_<part>`` such as
    ``nc_core``/``nc_shell``)."""

    format: int = BUILD_JSON_FORMAT
    source: BuildSource = BuildSource.RECIPE
    name: str | None = None
    omm_cx_version: str | None = None
    forcefield: str
    seed: int | None = None
    n_atoms: int | None = None
    species_order: list[str] = Field(default_factory=list)
    counts: dict[str, int] = Field(default_factory=dict)
    group_counts: dict[str, int] | None = None
    nc_counts: dict[str, int] | None = None
    formula: str | None = None
    nc_formula: str | None = None
    net_charge_e: float | None = None
    nc_net_charge_e: float | None = None
    charge_policy: ChargePolicy | None = None
    neutrality_rule: str | None = None
    removed_ions: list[RemovedIon] = Field(default_factory=list)
    box_A: list[list[float]] | None = None
    min_distance_A: float | None = None
    min_distance_solution_A: float | None = None
    groups: dict[str, list[int]] = Field(default_factory=dict)
    recipe: dict[str, Any] | None = None
    crystals: list[CrystalRecord] = Field(default_factory=list)
    wire_period_A: float | None = None
    min_separation_A: float | None = None
    shell_a_A: float | None = None
    exchanged_fraction: float | None = None
    dumbbell: DumbbellRecord | None = None
    sphere_cut: SphereCutRecord | None = None
    vacuum: VacuumRecord | None = None
    # a system from a PDB file + force field (run config ``system:``)
    structure_file: str | None = None
    dispersion_correction: bool | None = None
    ewald_error_tolerance: float | None = None
    guard: bool | None = None

    @field_validator("charge_policy", mode="before")
    @classmethod
    def _policy_v1(cls, v: Any) -> Any:
        if isinstance(v, str) and v.startswith(_V1_BACKGROUND + ":"):  # version-1 prose
            return ChargePolicy.BACKGROUND
        return v

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], where: str = "build record") -> "BuildRecord":
        """A record from the dict of a build.json (version 1 or 2); :class:`StructureError`
        naming ``where`` and the key when it does not fit."""
        data = upgrade_build_dict(data, where)
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise StructureError(f"{where}: {describe_validation_error(exc)}; the build record "
                                 f"is damaged or not from omm_cx: rebuild it with 'omm-cx build' "
                                 f"(or rerun)") from None

    def to_dict(self, groups: bool = True) -> dict[str, Any]:
        """The JSON dict written to build.json (enums as strings, non-finite numbers as
        None); without ``groups`` when ``groups`` is False."""
        return to_jsonable(self.model_dump(mode="json", exclude=None if groups else {"groups"}))

    @property
    def nc_indices(self) -> list[int]:
        """Atoms of the nanocrystal as built (``nc_cations`` + ``nc_anions``)."""
        return list(self.groups.get("nc_cations", [])) + list(self.groups.get("nc_anions", []))


def upgrade_build_dict(data: Mapping[str, Any], where: str = "build record") -> dict[str, Any]:
    """The dict of a build.json of any known format in the layout of the current one."""
    if not isinstance(data, Mapping):
        raise StructureError(f"{where}: expected a JSON object, got {type(data).__name__}; "
                             f"rebuild it with 'omm-cx build'")
    data = dict(data)
    version = data.get("format", 1)
    if not isinstance(version, int) or version < 1 or version > BUILD_JSON_FORMAT:
        raise StructureError(f"{where}: format {version!r} is not one this omm_cx reads "
                             f"(1..{BUILD_JSON_FORMAT}); upgrade omm_cx or rebuild the system")
    if version == 1:
        data.setdefault("source", BuildSource.RECIPE.value if "recipe" in data
                        else BuildSource.STRUCTURE.value)
        counts = data.get("counts")
        if data.get("n_atoms") is None and isinstance(counts, Mapping) and counts:
            # a count that is not a number is reported by the model, key 'counts.X'
            if all(isinstance(v, int) and not isinstance(v, bool) for v in counts.values()):
                data["n_atoms"] = sum(counts.values())
    data["format"] = BUILD_JSON_FORMAT
    return data


def describe_validation_error(exc: ValidationError) -> str:
    """'key 'a.b.0': message' of the first error of a pydantic ValidationError (and how many
    more there are)."""
    errors = exc.errors()
    first = errors[0]
    loc = ".".join(str(p) for p in first.get("loc", ())) or "(top level)"
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"key {loc!r}: {first.get('msg', 'invalid')}{more}"


def read_build_record(path: str | os.PathLike) -> BuildRecord:
    """Read a build.json (format 1 or 2). A missing, truncated or malformed file raises
    :class:`StructureError` naming it and the fix."""
    path = Path(path)
    try:
        data = read_json(path, "build record (build.json)")
    except StructureError:
        raise
    except OmmCxError as exc:
        raise StructureError(f"{exc} (rebuild the system with 'omm-cx build')") from None
    return BuildRecord.from_dict(data, str(path))


def write_build_record(path: str | os.PathLike, record: BuildRecord | Mapping[str, Any]) -> Path:
    """Write a build record (a :class:`BuildRecord` or a dict that validates as one) to
    ``path`` atomically, in the current format."""
    if not isinstance(record, BuildRecord):
        record = BuildRecord.from_dict(record)
    return write_json(path, record.to_dict())


__all__ = ["BUILD_JSON_FORMAT", "BuildRecord", "CrystalRecord", "DumbbellRecord", "RemovedIon",
           "describe_validation_error", "read_build_record", "upgrade_build_dict",
           "write_build_record"]
