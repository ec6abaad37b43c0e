"""The run record (``run.json``): settings, versions, platform, seeds, status and segments
of a run, typed, with one reader and one writer.

    from omm_cx.simulation.record import read_run_record
    rec = read_run_record("out/quick/run.json")     # RunRecord
    rec.status, rec.steps_done, rec.segments[-1].ns_per_day, rec.settings.ensemble

Format versions (key ``format``):

1. written by omm_cx up to issue 11: ``seed_source`` as prose ("random (not in the
   config)"), ``system.build_info`` a version-1 build record (see
   :mod:`omm_cx.systems.record`), a segment's ``ended``/``status``/``wall_s``/``ns_per_day``
   only once known.
2. ``seed_source`` is ``config`` | ``random``; ``system.build_info`` is a version-2 build
   record without its groups; every key of a segment is written (``null`` until known);
   non-finite numbers are ``null``.
3. (this one) as 2, plus ``checkpoints``: the last two checkpoints (oldest first), each
   with the size and SHA-256 of its binary and XML files and of the trajectory and
   state.csv up to its step (:class:`CheckpointEntry`); a segment also says on which
   device and OpenMM version it ran, from which step and why it resumed from the file it
   did (keys added in 3 are written once known).

Version-1 and -2 files load (:meth:`RunRecord.from_dict` upgrades them in memory) and a
run with such a run.json can be resumed (without checksums to verify until its next
checkpoint); the next write is version 3.

Extra keys: forbidden (``extra='forbid'``: a key no model declares is a typo or a newer
format, reported with the fix), except in ``settings``, which mirror
:meth:`omm_cx.simulation.config.RunConfig.as_dict` and may carry keys that a newer run
config adds (``extra='allow'``), and ``config`` (the run config as read, free-form).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Mapping

from pydantic import (
    Field,
    ValidationError,
    field_serializer,
    field_validator,
    model_serializer,
)

from omm_cx.errors import OmmCxError, RunDirError
from omm_cx.io.record_base import OpenRecord, Record
from omm_cx.io.tables import read_json, to_jsonable, write_json
from omm_cx.choices import (
    Barostat,
    Ensemble,
    Precision,
    RunStatus,
    SeedSource,
    SourceKind,
    TrajectoryFormat,
)
from omm_cx.systems.record import BuildRecord, describe_validation_error, upgrade_build_dict

#: Version of the run.json layout written by this omm_cx.
RUN_JSON_FORMAT = 3
_FIX = "the run's settings are unknown: use --overwrite to start the run again"


class ReportSettings(OpenRecord):
    """Output intervals in steps and the trajectory format."""

    trajectory_steps: int
    state_steps: int
    checkpoint_steps: int
    trajectory_format: TrajectoryFormat = TrajectoryFormat.DCD


class RunSettings(OpenRecord):
    """The resolved settings a run uses (:meth:`RunConfig.as_dict` plus the seed)."""

    source_kind: SourceKind
    source: dict[str, Any]
    ensemble: Ensemble
    temperature_K: float
    friction_per_ps: float | None = None
    pressure_GPa: float | None = None
    barostat: Barostat | None = None
    barostat_interval_steps: int | None = None
    timestep_fs: float
    steps: int
    length_ns: float | None = None
    minimize: bool = True
    minimize_tolerance_eV_per_A: float | None = None
    minimize_max_iterations: int | None = None
    abort_temperature_K: float | None = None
    report: ReportSettings
    platform: str | None = None
    precision: Precision | None = None
    seed: int | None = None

    def as_dict(self) -> dict[str, Any]:
        """The JSON dict (only the keys given, enums as strings), comparable with
        :meth:`RunConfig.as_dict`."""
        return to_jsonable(self.model_dump(mode="json", exclude_unset=True))


class Seeds(Record):
    """Seeds derived from the run's seed (:func:`omm_cx.simulation.engine.derive_seeds`)."""

    integrator: int
    velocities: int
    barostat: int


class RunSystem(Record):
    """The simulated system: its build record (without the groups; the full record is in
    ``build/build.json``) and the size of each group."""

    description: str
    n_atoms: int
    degrees_of_freedom: int
    build_info: BuildRecord | None = None
    groups: dict[str, int] = Field(default_factory=dict)

    @field_validator("build_info", mode="before")
    @classmethod
    def _upgrade_build_info(cls, v: Any) -> Any:
        return upgrade_build_dict(v, "system.build_info") if isinstance(v, Mapping) else v

    @field_serializer("build_info")
    def _build_info_without_groups(self, v: BuildRecord | None) -> dict | None:
        return None if v is None else v.to_dict(groups=False)


class PlatformRecord(Record):
    """The OpenMM platform the Context runs on and its property values."""

    name: str
    properties: dict[str, str] = Field(default_factory=dict)
    speed: float | None = None


class Minimization(Record):
    """Energy minimization before a fresh start (eV, eV/Å)."""

    initial_energy_eV: float | None
    final_energy_eV: float | None
    tolerance_eV_per_A: float


class TrajectoryInfo(Record):
    """The trajectory file, its frame interval and how its coordinates are written."""

    file: str
    interval_steps: int
    coordinates: str
    first_frame_step: int


#: Segment keys added in format 3, written only once known (older segments stay as read).
_SEGMENT_V3_KEYS = ("device", "openmm", "resumed_from_step", "resume_note",
                    "restart_potential_kJmol")


class Segment(Record):
    """One start or resume of a run: steps, times (ISO 8601, UTC), platform, device, OpenMM
    version, host, speed; for a resume the checkpoint step and file it continued from, why
    that file (``resume_note``: a fallback or another platform) and the potential energy
    of the restored state (kJ/mol)."""

    started: str
    first_step: int
    last_step: int
    resumed_from: str | None = None
    platform: str
    host: str
    pid: int
    ended: str | None = None
    status: RunStatus | None = None
    wall_s: float | None = None
    ns_per_day: float | None = None
    device: str | None = None
    openmm: str | None = None
    resumed_from_step: int | None = None
    resume_note: str | None = None
    restart_potential_kJmol: float | None = None

    @model_serializer(mode="wrap")
    def _v3_keys_once_known(self, handler) -> dict:
        data = handler(self)
        for key in _SEGMENT_V3_KEYS:
            if data.get(key) is None:
                data.pop(key, None)
        return data


class FileDigest(Record):
    """A checkpoint file: its name in the run folder, size (bytes) and SHA-256 (hex)."""

    file: str
    size: int
    sha256: str


class OutputPrefix(Record):
    """The trajectory or state.csv as it was at a checkpoint: its first ``size`` bytes,
    their SHA-256 (DCD: with the header's frame count and last step zeroed, the two fields
    that change with every frame) and the frames or rows they hold."""

    file: str
    size: int
    sha256: str
    count: int


class CheckpointEntry(Record):
    """One checkpoint: its step, when and where it was written, its binary (exact) and
    XML (portable) files, the potential energy of its state (kJ/mol) and the outputs it
    covers. A file found damaged or missing on a resume is dropped (``None``)."""

    step: int
    time_ps: float
    written: str
    platform: str
    binary: FileDigest | None = None
    state: FileDigest | None = None
    potential_kJmol: float | None = None
    trajectory: OutputPrefix | None = None
    state_csv: OutputPrefix | None = None


class RunRecord(Record):
    """Contents of run.json (see the module docstring for the format versions)."""

    format: int = RUN_JSON_FORMAT
    status: RunStatus
    message: str = ""
    config_file: str | None = None
    config: dict[str, Any] = Field(default_factory=dict)
    settings: RunSettings
    seed: int
    seed_source: SeedSource
    seeds: Seeds
    system: RunSystem
    platform: PlatformRecord
    versions: dict[str, str] = Field(default_factory=dict)
    git_commit: str | None = None
    minimization: Minimization | None = None
    trajectory: TrajectoryInfo
    total_steps: int
    steps_done: int = 0
    checkpoint_step: int | None = None
    time_ps: float = 0.0
    segments: list[Segment] = Field(default_factory=list)
    checkpoints: list[CheckpointEntry] = Field(default_factory=list)
    #: Why a reporter's stop rule ended the run early (e.g. "rho 0.52 >= 0.5"); such a run
    #: is finished: a resume has nothing to do.
    stop_rule: str | None = None

    @field_validator("seed_source", mode="before")
    @classmethod
    def _seed_source_v1(cls, v: Any) -> Any:
        if isinstance(v, str) and v.startswith("random ("):  # version 1: prose
            return SeedSource.RANDOM
        return v

    @field_serializer("settings")
    def _settings_as_given(self, v: RunSettings) -> dict:
        return v.as_dict()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], where: str = "run record") -> "RunRecord":
        """A record from the dict of a run.json (format 1 or 2); :class:`RunDirError` naming
        ``where``, the key and the fix when it does not fit."""
        if not isinstance(data, Mapping):
            raise RunDirError(f"{where}: expected a JSON object, got {type(data).__name__}; "
                              f"{_FIX}")
        version = data.get("format")
        if not isinstance(version, int) or not 1 <= version <= RUN_JSON_FORMAT:
            raise RunDirError(f"{where}: format {version!r} is not one this omm_cx reads "
                              f"(1..{RUN_JSON_FORMAT}); upgrade omm_cx, or {_FIX}")
        try:
            return cls.model_validate({**data, "format": RUN_JSON_FORMAT})
        except ValidationError as exc:
            raise RunDirError(f"{where}: {describe_validation_error(exc)}; {_FIX}") from None
        except OmmCxError as exc:  # a build_info that is not a build record
            raise RunDirError(f"{where}: {exc}; {_FIX}") from None

    def to_dict(self) -> dict[str, Any]:
        """The JSON dict written to run.json."""
        return to_jsonable(self.model_dump(mode="json"))

    def checkpointed(self, step: int, timestep_ps: float, now: str) -> None:
        """Record a checkpoint at ``step``."""
        self.checkpoint_step = self.steps_done = step
        self.time_ps = step * timestep_ps
        if self.segments:
            self.segments[-1].last_step, self.segments[-1].ended = step, now

    def end_segment(self, status: RunStatus, message: str, now: str, wall_s: float,
              ns_per_day: float | None) -> None:
        """Record the end of the current segment (finished, interrupted, failed)."""
        self.status, self.message = status, message
        if self.segments:
            seg = self.segments[-1]
            seg.ended, seg.status, seg.wall_s, seg.ns_per_day = now, status, wall_s, ns_per_day


def read_run_record(path: str | os.PathLike) -> RunRecord:
    """Read a run.json (format 1 or 2); a missing, truncated or malformed file raises
    :class:`RunDirError` naming it and the fix."""
    path = Path(path)
    try:
        data = read_json(path, "run record (run.json)")
    except OmmCxError as exc:
        raise RunDirError(f"{exc}; {_FIX}") from None
    return RunRecord.from_dict(data, str(path))


def write_run_record(path: str | os.PathLike, record: RunRecord) -> Path:
    """Write ``record`` to ``path`` atomically, in the current format."""
    return write_json(path, record.to_dict())


__all__ = ["RUN_JSON_FORMAT", "CheckpointEntry", "FileDigest", "Minimization", "OutputPrefix",
           "PlatformRecord", "ReportSettings", "RunRecord", "RunSettings", "RunSystem", "Seeds",
           "Segment", "TrajectoryInfo", "read_run_record", "write_run_record"]
