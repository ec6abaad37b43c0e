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


LOCK_CODE = """
import logging, sys
logging.basicConfig(level=logging.INFO, stream=sys.stdout, format="%(message)s")
from omm_cx.forcefield.native.build import NativeUnavailable, compile_library
try:
    print("PATH", compile_library())
except NativeUnavailable as exc:
    print("SKIP", exc)
"""


@pytest.mark.slow
def test_workers_starting_at_once_compile_once(tmp_path):
    """Two processes asking for the kernel at the same moment with an empty cache: one
    compiles, the other waits for it and uses its library."""
    env = {**os.environ, "OMM_CX_CACHE": str(tmp_path / "cache")}
    procs = [subprocess.Popen([sys.executable, "-c", LOCK_CODE], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env=env) for _ in range(2)]
    outs = [p.communicate(timeout=600) for p in procs]
    text = "".join(o for o, _ in outs)
    if "SKIP" in text:
        pytest.skip(text)
    assert all(p.returncode == 0 for p in procs), [e for _, e in outs]
    paths = {line.split(" ", 1)[1] for line in text.splitlines() if line.startswith("PATH ")}
    assert len(paths) == 1
    assert text.count("compiling the native short-range kernel") == 1, text
