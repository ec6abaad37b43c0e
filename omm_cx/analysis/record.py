"""The analysis summary (summary.json of ``omm-cx analyze``) as a typed record: one
model, validated before it is written, and one reader.

Format version 1 (files written before the version was recorded load as version 1).
Keys: ``format_version``, ``omm_cx_version``, ``label``, ``inputs`` (trajectory,
topology, build_json), ``groups`` (source, roles, counts), ``frames`` (n_frames, dt_ps,
t0_ps, t_last_ps, time_source, chunk_frames), ``membership`` (the resolved criterion, or
null without a nanocrystal), ``analyses`` (name -> headline numbers), ``skipped`` (name
-> reason), ``outputs`` (file names), ``out_dir``, ``wall_s``, ``peak_rss_MiB``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from omm_cx.errors import AnalysisError, OmmCxError
from omm_cx.io.tables import read_json, write_json
from omm_cx.simulation.rundir import RunFolder

#: Version of the summary.json format written by this omm_cx.
SUMMARY_FORMAT_VERSION = 1
#: The file name of the summary in an analysis folder (the one place it is spelled).
SUMMARY_JSON = "summary.json"


class SummaryInputs(BaseModel):
    """The files analysed (paths as given)."""

    model_config = ConfigDict(extra="forbid")

    trajectory: str
    topology: str
    build_json: str | None = None


class SummaryFrames(BaseModel):
    """Frames read, times in ps, and where the times came from."""

    model_config = ConfigDict(extra="forbid")

    n_frames: int
    dt_ps: float
    t0_ps: float
    t_last_ps: float
    time_source: str
    chunk_frames: int


class AnalysisSummary(BaseModel):
    """summary.json of one analysed trajectory (see the module docstring)."""

    model_config = ConfigDict(extra="forbid")

    format_version: int = SUMMARY_FORMAT_VERSION
    omm_cx_version: str
    label: str | None = None
    inputs: SummaryInputs
    groups: dict[str, Any]
    frames: SummaryFrames
    membership: dict[str, Any] | None = None
    analyses: dict[str, dict[str, Any]] = {}
    skipped: dict[str, str] = {}
    outputs: list[str] = []
    out_dir: str
    wall_s: float
    peak_rss_MiB: float

    def as_dict(self) -> dict:
        """The summary as the plain dict written to summary.json (same key order)."""
        return self.model_dump()


def validate_summary(data: dict, where: str = "summary") -> AnalysisSummary:
    """``data`` as an :class:`AnalysisSummary`; an :class:`AnalysisError` names the first
    bad key."""
    try:
        return AnalysisSummary.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(x) for x in err["loc"]) or "(top)"
        raise AnalysisError(f"{where}: key {loc}: {err['msg']}") from None


def write_summary(path: str | os.PathLike, summary: AnalysisSummary) -> Path:
    """Write summary.json atomically (NaN as null)."""
    return write_json(path, summary.as_dict())


def read_summary(path: str | os.PathLike) -> AnalysisSummary:
    """Read a summary.json, or the ``analysis/summary.json`` of a run directory."""
    path = Path(path)
    if path.is_dir():
        own = path / SUMMARY_JSON
        path = own if own.is_file() else RunFolder(path).analysis_dir / SUMMARY_JSON
    try:
        data = read_json(path, "analysis summary")
    except OmmCxError as exc:
        raise AnalysisError(str(exc)) from None
    if not isinstance(data, dict):
        raise AnalysisError(f"{path}: the analysis summary is not a JSON object; rerun omm-cx analyze")
    return validate_summary(data, str(path))
