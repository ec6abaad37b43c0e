"""The one base of omm_cx's typed records (build.json, run.json): pydantic models whose
unknown keys are errors (:class:`Record`, a contract between a writer and its readers),
and, for the free-form parts a record carries along (the settings of a run as resolved),
:class:`OpenRecord`."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Record(BaseModel):
    """A record part whose keys are all declared: an unknown key is an error."""

    model_config = ConfigDict(extra="forbid", use_enum_values=False)


class OpenRecord(BaseModel):
    """A record part that keeps keys it does not declare."""

    model_config = ConfigDict(extra="allow")


__all__ = ["OpenRecord", "Record"]
