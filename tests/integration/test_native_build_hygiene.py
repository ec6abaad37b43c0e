"""Loading the native kernel leaves the process's floating point alone (no flush-to-zero
or denormals-are-zero from crtfastmath.o) and the library is readable by others (a cache
shared by a group)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

CODE = """
import os, sys
from omm_cx.forcefield.native.build import NativeUnavailable, load
try:
    path = load()
except NativeUnavailable as exc:
    print("SKIP", exc); sys.exit(0)
import numpy as np
print(path)
print(repr(1e-310 * 1.0), repr(float((np.array([1e-310]) * 1.0)[0])))
print(oct(os.stat(path).st_mode & 0o777))
"""


def test_loading_the_kernel_keeps_denormals_and_the_library_is_world_readable(tmp_path):
    env = {**os.environ, "OMM_CX_CACHE": str(tmp_path / "cache")}  # a fresh build
    out = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, env=env,
                         timeout=300)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.split("\n")
    if lines[0].startswith("SKIP"):
        pytest.skip(lines[0])
    assert lines[1] == "1e-310 1e-310", "flush-to-zero is on after loading the kernel"
    mode = int(lines[2], 8)
    assert mode & 0o055 == 0o055, f"library mode {oct(mode)}: others cannot load it"
