"""The parts of a study file that record rather than ask: ``presets.<scale>.measured``
(the wall time of a finished run) and the study's hash, which leaves those records out
so that writing one down does not invalidate the run it records."""

from __future__ import annotations

import datetime
import hashlib
import re
from typing import Annotated, Any, Optional

from pydantic import Field, field_validator

from omm_cx.io.validation import InputModel, Positive, Whole


class MeasuredInput(InputModel):
    """``presets.<scale>.measured``: the wall time of a finished run of this preset, a
    record rather than an input: written as one line (a flow mapping), it is left out of
    the study's hash, so recording it does not invalidate the run it records."""

    wall_s: Positive = Field(description="wall time of the whole study run, s")
    cores: Annotated[Whole, Field(ge=1)] = Field(description="CPU cores it ran on")
    date: str = Field(min_length=1, description="when (YYYY-MM-DD)")
    commit: Optional[str] = Field(None, description="the commit it ran at")
    note: Optional[str] = Field(None, description="e.g. what else ran on the cores")

    @field_validator("date", mode="before")
    @classmethod
    def _iso(cls, v: Any) -> Any:  # YAML reads 2026-12-07 as a date
        return v.isoformat() if isinstance(v, datetime.date) else v


_MEASURED_LINE = re.compile(r"^[ \t]+measured:[ \t]*\{.*\}[ \t]*(\r?\n|$)", re.MULTILINE)


def spec_hash(text: str) -> str:
    """SHA-256 of a study file's text without its one-line ``measured: {...}`` records
    (a file without them hashes as its plain text)."""
    return hashlib.sha256(_MEASURED_LINE.sub("", text).encode()).hexdigest()
