"""Versions, git commit and host recorded in run.json."""

from __future__ import annotations

import platform as _platform
import socket
import subprocess
import sys
from pathlib import Path

from omm_cx import __version__


def git_commit(folder: str | Path | None = None) -> str | None:
    """``git rev-parse HEAD`` of the omm_cx package folder, None outside a git checkout."""
    folder = Path(folder) if folder else Path(__file__).resolve().parent.parent
    try:
        out = subprocess.run(["git", "-C", str(folder), "rev-parse", "HEAD"],
                             capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    commit = out.stdout.strip()
    return commit if out.returncode == 0 and commit else None


def git_describe(folder: str | Path | None = None) -> str | None:
    """The commit of the omm_cx package folder with ``-dirty`` appended when tracked
    files differ from it (what was really run), None outside a git checkout."""
    commit = git_commit(folder)
    if commit is None:
        return None
    folder = Path(folder) if folder else Path(__file__).resolve().parent.parent
    try:
        out = subprocess.run(["git", "-C", str(folder), "status", "--porcelain",
                              "--untracked-files=no"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return commit
    return commit + ("-dirty" if out.returncode == 0 and out.stdout.strip() else "")


def versions() -> dict[str, str]:
    import numpy
    import openmm

    return {
        "omm_cx": __version__,
        "openmm": openmm.__version__,
        "python": sys.version.split()[0],
        "numpy": numpy.__version__,
    }


def host() -> dict[str, str]:
    return {"hostname": socket.gethostname(), "system": _platform.platform()}
