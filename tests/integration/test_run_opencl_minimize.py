"""``minimize: true`` on the OpenCL platform: OpenMM 8.6.1's minimizer crashes (SIGSEGV) on
PoCL's OpenCL, so a run there minimizes on the CPU platform (omm_cx.simulation.start)."""

import subprocess
import sys

import pytest

from omm_cx.platforms import available_platforms


@pytest.mark.skipif("OpenCL" not in available_platforms(), reason="no OpenCL platform")
def test_run_with_minimization_on_opencl(tmp_path):
    cfg = tmp_path / "run.yaml"
    cfg.write_text("recipe: demo-pbse-cd-psl\nseed: 1\nensemble: nvt\ntemperature_K: 700\n"
                   "steps: 10\nminimize: true\nminimize_max_iterations: 50\n"
                   "report: {trajectory_steps: 10, state_steps: 10, checkpoint_steps: 10}\n"
                   "platform: OpenCL\n", encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "omm_cx", "run", str(cfg), "-o", str(tmp_path / "out")],
                          capture_output=True, encoding="utf-8", errors="replace", timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "minimized:" in proc.stderr
    assert (tmp_path / "out" / "run.json").is_file()
