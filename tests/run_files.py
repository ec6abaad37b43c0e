"""Reading a run folder's files in tests (no omm_cx code: an independent reading)."""

from __future__ import annotations

from pathlib import Path


def last_csv_step(out: Path) -> int:
    """Step of the last complete row of state.csv (-1 when none yet)."""
    try:
        lines = (Path(out) / "state.csv").read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return -1
    for line in reversed(lines):
        fields = line.split(",")
        if not line.startswith("#") and len(fields) == 9 and fields[-1]:
            return int(fields[0])
    return -1
