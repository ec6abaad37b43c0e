"""The benchmark script runs for a few steps and writes valid JSON (no timing asserts)."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_benchmark_script_writes_valid_json(tmp_path):
    out = tmp_path / "bench.json"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run_benchmark.py"), "--recipe", "cd-psl-liquid",
         "--steps", "3", "--platforms", "CPU", "--target", "1e-3", "--json", str(out)],
        capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(out.read_text())
    assert result["particles"] == 1728
    engines = {(r["engine"], r["platform"]) for r in result["results"]}
    assert ("omm_cx", "CPU") in engines
    for r in result["results"]:
        assert r["ns_per_day"] > 0 and r["ms_per_step"] > 0
        assert 0 < r["rms_force_error_eV_per_A"] < 1
        assert r["particles"] == 1728
    if any(r["engine"] == "lammps" for r in result["results"]):
        assert result["ratio_vs_lammps"] > 0
    assert "ratio_vs_lammps" in proc.stdout
