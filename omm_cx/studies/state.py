"""The state of a study folder: per-run ``status.json`` and ``segments.jsonl``, the study's
``study.json``, and the progress table (runs done/running/failed/pending, simulated ns, ETA).

Layout (see :mod:`omm_cx.studies.execute`)::

    DIR/study.json                 {name, scale, spec_sha256, created, keys, workers}
    DIR/runs/<key>/status.json     {format, state, error, segments, simulated_ps, length_ps,
                                    wall_s, phase, updated}: :class:`StudyRunStatus`
    DIR/runs/<key>/segments.jsonl  one line per finished segment
                                   {index, start_ps, end_ps, wall_s, host, status, ...}

Every file is written atomically (:mod:`omm_cx.io.atomic`), so a study process or worker
killed at any moment leaves the previous complete version. Times: ps (simulated), s (wall).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from omm_cx.choices import RunStatus
from omm_cx.errors import OmmCxError
from omm_cx.io.atomic import atomic_write_text
from omm_cx.io.tables import json_text, read_json, write_json
from omm_cx.simulation.walltime import format_seconds

STUDY_JSON = "study.json"
RUNS_DIR = "runs"
STATUS_JSON = "status.json"
SEGMENTS_JSONL = "segments.jsonl"
PLAN_JSON = "plan.json"

#: The states of a study's run: the run status vocabulary of omm_cx (:class:`RunStatus`).
PENDING, RUNNING, FINISHED, FAILED = (RunStatus.PENDING, RunStatus.RUNNING, RunStatus.FINISHED,
                                      RunStatus.FAILED)
STATES = (PENDING, RUNNING, FINISHED, FAILED)
#: The names of :attr:`StudyStatus.counts` for each state (keyed by the JSON string).
COUNT_NAMES = {FINISHED.value: "done", RUNNING.value: "running", FAILED.value: "failed",
               PENDING.value: "pending"}
#: Version of the status.json layout written by this omm_cx (a file without ``format``
#: is version 1, the same keys).
STATUS_FORMAT = 1


class StudyRunStatus(BaseModel):
    """``status.json`` of one run of a study: its state, the error of a failed run, the
    segments done, simulated and target ps, wall s and the phase (md, analysis, call)."""

    model_config = ConfigDict(extra="forbid")

    format: int = STATUS_FORMAT
    state: RunStatus = RunStatus.PENDING
    error: str | None = None
    segments: int = 0
    simulated_ps: float = 0.0
    length_ps: float = 0.0
    wall_s: float = 0.0
    phase: str | None = None
    updated: str | None = None


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def run_folder(out_dir: str | os.PathLike, key: str) -> Path:
    """``DIR/runs/<key>``."""
    return Path(out_dir) / RUNS_DIR / key


def new_status(length_ps: float = 0.0) -> dict[str, Any]:
    """The status of a run that has not started (the dict of :class:`StudyRunStatus`)."""
    return StudyRunStatus(length_ps=float(length_ps), updated=now_iso()).model_dump(mode="json")


def read_status(run_dir: str | os.PathLike) -> dict[str, Any]:
    """``status.json`` of a run folder, validated (:class:`StudyRunStatus`), as a dict; a
    pending status when it is missing, unreadable or not a status: the run is then
    simply done again from its checkpoint."""
    path = Path(run_dir) / STATUS_JSON
    try:
        data = read_json(path, "run status")
        return StudyRunStatus.model_validate(data).model_dump(mode="json")
    except (OmmCxError, ValidationError):
        return new_status()


def update_status(run_dir: str | os.PathLike, **changes: Any) -> dict[str, Any]:
    """Read, change and write back ``status.json`` (atomically); returns the new status."""
    status = read_status(run_dir)
    status.update(changes, updated=now_iso())
    status = StudyRunStatus.model_validate(status).model_dump(mode="json")
    write_json(Path(run_dir) / STATUS_JSON, status)
    return status


def read_segments(run_dir: str | os.PathLike) -> list[dict]:
    """The finished segments of a run (``segments.jsonl``); a damaged line is skipped."""
    path = Path(run_dir) / SEGMENTS_JSONL
    if not path.is_file():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            row = json.loads(line)
        except ValueError:
            continue
        if isinstance(row, dict):
            out.append(row)
    return out


def append_segment(run_dir: str | os.PathLike, segment: dict) -> list[dict]:
    """Add one finished segment to ``segments.jsonl`` (the file is rewritten atomically, so a
    kill never leaves half a line). Returns all segments."""
    segments = read_segments(run_dir) + [dict(segment)]
    text = "".join(json_text(s, indent=None) for s in segments)
    atomic_write_text(Path(run_dir) / SEGMENTS_JSONL, text)
    return segments


def write_study_json(out_dir: str | os.PathLike, info: dict) -> Path:
    return write_json(Path(out_dir) / STUDY_JSON, info)


def read_study_json(out_dir: str | os.PathLike) -> dict:
    """``DIR/study.json``; an :class:`OmmCxError` naming the folder when it is no study."""
    path = Path(out_dir) / STUDY_JSON
    if not path.is_file():
        raise OmmCxError(f"{out_dir}: no {STUDY_JSON} here, so this is not a study folder; "
                         f"give the folder of 'omm-cx study run ... -o DIR'")
    data = read_json(path, "study file")
    if not isinstance(data, dict) or not isinstance(data.get("keys"), list):
        raise OmmCxError(f"{path}: damaged (no list 'keys'); run the study again into a new "
                         f"folder")
    return data


@dataclass
class StudyStatus:
    """Where a study stands: ``runs`` maps each key to its status.json (plus
    ``kind``). ``rate_ps_per_s``: simulated ps per wall second of one worker, from the
    finished segments (None before the first); ``workers``: how many run at once."""

    out_dir: Path
    name: str = ""
    scale: str = ""
    runs: dict[str, dict] = field(default_factory=dict)
    workers: int = 1
    rate_ps_per_s: float | None = None

    @property
    def counts(self) -> dict[str, int]:
        """``{done, running, failed, pending}``: number of runs in each state."""
        out = {v: 0 for v in COUNT_NAMES.values()}
        for st in self.runs.values():
            out[COUNT_NAMES.get(st.get("state"), "pending")] += 1
        return out

    @property
    def simulated_ns(self) -> float:
        return sum(float(s.get("simulated_ps") or 0.0) for s in self.runs.values()) / 1000.0

    @property
    def total_ns(self) -> float:
        return sum(float(s.get("length_ps") or 0.0) for s in self.runs.values()) / 1000.0

    @property
    def failed(self) -> dict[str, str]:
        """``{key: error}`` of the failed runs."""
        return {k: str(s.get("error")) for k, s in self.runs.items() if s.get("state") == FAILED}

    @property
    def complete(self) -> bool:
        """No run pending or running (each finished or failed)."""
        c = self.counts
        return c["pending"] == 0 and c["running"] == 0

    @property
    def eta_s(self) -> float | None:
        """Seconds until the unfinished runs' remaining ps are simulated at the measured
        rate with ``workers`` runs at once (0 when nothing is left, None before a rate)."""
        left = sum(max(0.0, float(s.get("length_ps") or 0.0) - float(s.get("simulated_ps") or 0))
                   for s in self.runs.values() if s.get("state") in (PENDING, RUNNING))
        if left <= 0:
            return 0.0
        if not self.rate_ps_per_s:
            return None
        parallel = max(1, min(self.workers, self.counts["pending"] + self.counts["running"]))
        return left / (self.rate_ps_per_s * parallel)

    def summary(self) -> str:
        """One line: counts, simulated/total ns, ETA."""
        c = self.counts
        eta = self.eta_s
        eta_text = "unknown" if eta is None else format_seconds(eta)
        return (f"{self.name or self.out_dir.name} [{self.scale}]: {c['done']} done, "
                f"{c['running']} running, {c['failed']} failed, {c['pending']} pending of "
                f"{len(self.runs)} runs | {self.simulated_ns:.4g}/{self.total_ns:.4g} ns | "
                f"ETA {eta_text}")

    def table(self) -> str:
        """A table of every run (key, state, segments, ps done/length, wall, error) and the
        summary line."""
        width = max([len("run")] + [len(k) for k in self.runs])
        lines = [f"{'run':<{width}}  {'state':<8} {'seg':>4} {'ps done':>10} {'of ps':>9} "
                 f"{'wall':>9}  error"]
        for key, s in self.runs.items():
            err = s.get("error") or ""
            err = err if len(err) <= 90 else err[:87] + "..."
            lines.append(f"{key:<{width}}  {s.get('state', PENDING):<8} {s.get('segments', 0):>4}"
                         f" {float(s.get('simulated_ps') or 0):>10.4g}"
                         f" {float(s.get('length_ps') or 0):>9.4g}"
                         f" {format_seconds(float(s.get('wall_s') or 0)):>9}  {err}")
        lines.append(self.summary())
        return "\n".join(lines)

    def as_dict(self) -> dict:
        return {"name": self.name, "scale": self.scale, "counts": self.counts,
                "simulated_ns": self.simulated_ns, "total_ns": self.total_ns,
                "eta_s": self.eta_s, "failed": self.failed, "runs": self.runs}


def measured_rate(out_dir: str | os.PathLike, keys: list[str]) -> float | None:
    """Simulated ps per wall second of one worker over every finished MD segment."""
    ps = wall = 0.0
    for key in keys:
        for seg in read_segments(run_folder(out_dir, key)):
            ps += max(0.0, float(seg.get("end_ps", 0)) - float(seg.get("start_ps", 0)))
            wall += float(seg.get("wall_s", 0) or 0)
    return ps / wall if ps > 0 and wall > 0 else None


def study_status(out_dir: str | os.PathLike) -> StudyStatus:
    """The :class:`StudyStatus` of a study folder, read from its files (works while the
    study runs, after it was killed, and when it is complete)."""
    out = Path(out_dir)
    info = read_study_json(out)
    keys = [str(k) for k in info["keys"]]
    runs = {}
    for key in keys:
        runs[key] = read_status(run_folder(out, key))
    return StudyStatus(out, str(info.get("name", "")), str(info.get("scale", "")), runs,
                       int(info.get("workers") or 1), measured_rate(out, keys))


__all__ = ["STATES", "PENDING", "RUNNING", "FINISHED", "FAILED", "StudyRunStatus", "StudyStatus", "study_status",
           "read_status", "update_status", "read_segments", "append_segment", "new_status",
           "run_folder", "read_study_json", "write_study_json", "measured_rate"]
