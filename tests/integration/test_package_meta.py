"""The conventions of a published package: one version (omm_cx.__version__, the package
metadata and `omm-cx --version` agree), a LICENSE matching pyproject's license, a
CITATION.cff and a CHANGELOG.md."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
from pathlib import Path

import yaml

import omm_cx

ROOT = Path(__file__).resolve().parents[2]


def test_one_version_everywhere():
    out = subprocess.run([sys.executable, "-m", "omm_cx", "--version"], capture_output=True,
                         text=True, check=True).stdout.strip()
    assert out == f"omm_cx {omm_cx.__version__}"
    assert importlib.metadata.version("omm_cx") == omm_cx.__version__
    assert 'dynamic = ["version"]' in (ROOT / "pyproject.toml").read_text(encoding="utf-8")


def test_license_citation_and_changelog():
    assert (ROOT / "LICENSE").read_text(encoding="utf-8").startswith("MIT License")
    assert 'license = { text = "MIT" }' in (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    assert cff["cff-version"] == "1.2.0" and cff["version"] == omm_cx.__version__
    assert cff["license"] == "MIT" and len(cff["references"]) >= 4
    log = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert f"## [{omm_cx.__version__}]" in log and "## [Unreleased]" in log
