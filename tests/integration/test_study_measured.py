"""presets.<scale>.measured: the recorded wall time of a run, shown by `study list` and
in the report, and left out of the study's hash (recording it does not invalidate the
run it records)."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from omm_cx.errors import ConfigError
from omm_cx.studies.spec import load_study
from omm_cx.studies.spec_records import _MEASURED_LINE, spec_hash

ROOT = Path(__file__).resolve().parents[2]


def _study_text() -> str:
    """004-reverse.yaml without its measured records (the tests add their own)."""
    return _MEASURED_LINE.sub("", (ROOT / "studies" / "004-reverse.yaml").read_text(encoding="utf-8"))


def test_hash_ignores_measured_records_only():
    text = _study_text()
    assert spec_hash(text) == hashlib.sha256(text.encode()).hexdigest()
    marker = "\n  small:\n"
    assert marker in text
    recorded = text.replace(marker, marker + "    measured: {wall_s: 110, cores: 2, "
                                                 "date: 2026-12-07}\n", 1)
    assert spec_hash(recorded) == spec_hash(text)
    assert spec_hash(text.replace("seeds: [1, 2, 3]", "seeds: [1, 2]", 1)) != spec_hash(text)


def test_measured_is_validated_and_read(tmp_path):
    text = _study_text()
    good = tmp_path / "004-reverse.yaml"
    good.write_text(text.replace("\n  small:\n", "\n  small:\n    measured: {wall_s: 110, "
                                 "cores: 2, date: 2026-12-07, note: idle}\n", 1), encoding="utf-8")
    m = load_study(good).presets["small"].measured
    assert (m.wall_s, m.cores, m.date, m.note) == (110, 2, "2026-12-07", "idle")
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace("\n  small:\n", "\n  small:\n    measured: {wall_s: -1, "
                                "cores: 2, date: 2026-12-07}\n", 1), encoding="utf-8")
    with pytest.raises(ConfigError, match="measured.wall_s"):
        load_study(bad)


def test_study_list_shows_the_measured_time_next_to_the_estimate():
    out = subprocess.run([sys.executable, "-m", "omm_cx", "study", "list"], capture_output=True,
                         text=True, encoding="utf-8", check=True,
                         env={**os.environ, "PYTHONIOENCODING": "utf-8"}).stdout
    line = next(ln for ln in out.splitlines()
                if ln.strip().startswith("small") and "; measured " in ln)
    assert "on 2 CPU cores" in line and "wall (2026-" in line
