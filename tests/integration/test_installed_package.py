"""A non-editable install works: the wheel of this checkout, installed (without its
dependencies, which this environment has) into a folder of its own, runs ``omm-cx demo``
from another directory and finds its force fields, recipes and studies as package data
(``omm_cx/_data``), not in the checkout."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.slow, pytest.mark.long]  # .ci/run: pytest -m long


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    wheels = tmp_path_factory.mktemp("wheel")
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "-q",
                            "-w", str(wheels)], capture_output=True, text=True)
    if build.returncode != 0:
        pytest.skip(f"cannot build the wheel here (pip wheel: {build.stderr.strip()[-300:]})")
    target = tmp_path_factory.mktemp("site")
    wheel = next(wheels.glob("omm_cx-*.whl"))
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target",
                    str(target), str(wheel)], check=True)
    return target


def _run(target: Path, cwd: Path, *argv: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(target)}  # before the editable checkout on sys.path
    return subprocess.run([sys.executable, *argv], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=900)


def test_the_installed_package_finds_its_data_and_runs_the_demo(installed, tmp_path):
    where = _run(installed, tmp_path, "-c",
                 "import omm_cx; from omm_cx.io.shipped import find_shipped as f; "
                 "from omm_cx.forcefield.files import resolve_forcefield_file as r; "
                 "print(omm_cx.__file__); print(f('systems', 'pbse-nc-cd-psl')); "
                 "print(f('studies', '004-reverse')); print(r('pbcdse'))")
    assert where.returncode == 0, where.stderr
    lines = where.stdout.split()
    assert all(line.startswith(str(installed)) for line in lines), lines
    assert all("_data" in line for line in lines[1:]), lines
    demo = _run(installed, tmp_path, "-m", "omm_cx", "demo")
    assert demo.returncode == 0, demo.stderr[-2000:]
    assert (tmp_path / "out" / "demo" / "analysis" / "summary.json").is_file(), demo.stderr[-2000:]
