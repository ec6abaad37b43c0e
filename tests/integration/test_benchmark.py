"""The benchmark script runs for a few steps and writes valid JSON (no timing asserts)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from omm_cx.io.tables import read_json

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow  # a subprocess that builds a system and times several engines
def test_benchmark_script_writes_valid_json(tmp_path):
    out = tmp_path / "bench.json"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run_benchmark.py"), "--recipe", "cd-psl-liquid",
         "--steps", "3", "--platforms", "CPU", "--target", "1e-3", "--json", str(out),
         "--encodings", "onehot,tables", "--replicas", "1,2", "--lammps-search", "quick",
         "--repeats", "2"],
        capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    result = read_json(out)
    assert result["particles"] == 1728
    assert result["error_frames"] == {"frames": 3, "gap_steps": 250}  # errors: the worst frame's
    # NPT: the fastest omm_cx row with a Monte Carlo barostat every 25 steps, and LAMMPS's
    # fastest with fix nph, each with its own ratio
    npt = [r for r in result["results"] if r["ensemble"] == "NPT"]
    assert {r["engine"] for r in npt} <= {"omm_cx", "lammps"} and any(r["engine"] == "omm_cx" for r in npt)
    assert all("MC barostat 1 bar every 25 steps" in r["setting"] for r in npt if r["engine"] == "omm_cx")
    assert (result["ratio_vs_lammps_npt"] is None) == (len({r["engine"] for r in npt}) < 2)
    assert "the worst of 3 frames" in proc.stdout and "ms/step min-max" in proc.stdout
    assert result["timing_repeats"] == 2
    engines = {(r["engine"], r["platform"]) for r in result["results"]}
    assert ("omm_cx", "CPU") in engines
    settings = [r["setting"] for r in result["results"] if r["engine"] == "omm_cx"
                and r["ensemble"] == "NVT"]
    # per encoding: OpenMM's tolerance, then PME alpha and grid tuned for the target
    assert len(settings) == 4 and settings[0].endswith("onehot") and settings[2].endswith("tables")
    assert "(tuned)" in settings[1] and "(tuned)" in settings[3]
    assert [row["replicas"] for row in result["replicas"]] == [1, 2]
    for row in result["replicas"]:
        assert row["platform"] == "CPU" and row["steps"] == 3
        assert row["threads_per_replica"] == max(1, (os.cpu_count() or 1) // row["replicas"])
        assert row["ns_per_day_per_replica"] > 0 and row["aggregate_ns_per_day"] > 0
        # n replicas finish no faster than their slowest member
        assert row["aggregate_ns_per_day"] <= row["replicas"] * row["ns_per_day_per_replica"] * 1.0001
    assert result["replicas"][0]["speedup_vs_one"] == 1.0
    for r in result["results"]:
        if r["engine"] == "lammps" and r["ns_per_day"] is None:  # a setting short of the target
            assert "not timed" in r["setting"] or "failed" in r["setting"]
            continue
        assert r["ns_per_day"] > 0 and r["ms_per_step"] > 0
        # two timings, interleaved with the other rows', the median reported
        assert len(r["ms_per_step_repeats"]) == 2
        assert r["ms_per_step"] == pytest.approx(sum(r["ms_per_step_repeats"]) / 2)
        assert 0 < r["rms_force_error_eV_per_A"] < 1
        assert r["particles"] == 1728
    if any(r["engine"] == "lammps" for r in result["results"]):
        assert result["ratio_vs_lammps"] > 0
    assert "ratio_vs_lammps" in proc.stdout
    assert result["fastest"]["omm_cx_cpu_side"]["engine"] == "omm_cx"
    if result["ratio_vs_lammps"] is not None:  # against the fastest LAMMPS at the target
        fastest = result["fastest"]
        at_target = [r["ns_per_day"] for r in result["results"] if r["engine"] == "lammps"
                     and r["ns_per_day"] and r["rms_force_error_eV_per_A"] <= 1e-3]
        assert fastest["lammps"]["ns_per_day"] == max(at_target)
        assert result["ratio_vs_lammps"] == pytest.approx(
            fastest["omm_cx_cpu_side"]["ns_per_day"] / fastest["lammps"]["ns_per_day"])
        assert "fastest lammps:" in proc.stdout
