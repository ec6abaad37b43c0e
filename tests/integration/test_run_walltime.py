"""Wall-time budget: --max-wall-time (or the config key max_wall_time) ends a run with a
checkpoint before the budget runs out, exit 4 and run.json status 'stopped' ("stopped at
wall-time budget ..."); --resume continues to the same final step count, with continuous
frames and rows."""

import re
import subprocess
import sys
import time

import numpy as np
import pytest

from omm_cx.errors import EXIT_WALL_TIME, ConfigError
from omm_cx.simulation import load_config, run
from omm_cx.simulation.outputs import dcd_frame_count, read_state_csv
from omm_cx.simulation.runner import CHUNK_STEPS
from omm_cx.simulation.walltime import WallTimeBudget, parse_duration
from test_run_resume import QUICK, ROOT, WAIT_S, _cfg, _record


@pytest.mark.parametrize("text, seconds", [
    (3600, 3600.0), (1.5, 1.5), ("3600", 3600.0), ("45s", 45.0), ("90m", 5400.0),
    ("2h", 7200.0), ("1.5h", 5400.0), ("1d", 86400.0), ("1:30:00", 5400.0),
    ("1-00:00:30", 86430.0), (" 2H ", 7200.0)])
def test_durations(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("bad", ["", "2x", "1:30", "1:60:00", "-5", 0, -1, True, "nan"])
def test_bad_durations_say_what_is_accepted(bad):
    with pytest.raises(ValueError, match="|".join(["90m", "impossible"])):
        parse_duration(bad)


def test_config_key_and_override():
    assert load_config(_cfg()).max_wall_time_s is None
    cfg = load_config(_cfg(max_wall_time="23:30:00"))
    assert cfg.max_wall_time_s == 84600.0 and cfg.as_dict()["max_wall_time_s"] == 84600.0
    assert load_config(_cfg(max_wall_time=600)).max_wall_time_s == 600.0
    assert cfg.with_overrides(max_wall_time="2h").max_wall_time_s == 7200.0
    with pytest.raises(ConfigError, match=r"key 'max_wall_time': '2 hours' is not a duration"):
        load_config(_cfg(max_wall_time="2 hours"))
    with pytest.raises(ConfigError, match=r"--max-wall-time: .*impossible"):
        cfg.with_overrides(max_wall_time=-1)


def test_budget_estimate():
    b = WallTimeBudget(10.0, started=time.monotonic())
    assert not b.stop_before(0, 200)  # nothing to estimate from: the first chunk runs
    b._rates.append(0.02)              # 20 ms per step: 200 steps take 4 s
    b.checkpoint_took(0.2)             # reserve: 2 x 0.2 s + 1 % of 10 s = 0.5 s
    b._last = (time.monotonic(), 200)
    b.started -= 5.0                   # 5 s spent: 5 + 4 + 0.5 fits in 10 s
    assert not b.stop_before(200, 200) and not b.stopped
    b.started -= 1.0                   # 6 s spent: it does not
    assert b.stop_before(200, 200) and b.stopped and "of the 10 s budget" in b.reason
    assert not WallTimeBudget(None).stop_before(0, 10**9)


def test_spent_budget_stops_at_once_and_resume_finishes(tmp_path):
    out = tmp_path / "run"
    res = run(_cfg(steps=200), out, max_wall_time=0.001)  # spent during the set-up
    assert res.status == "stopped" and res.steps == 0
    rec = _record(out)
    assert rec["status"] == "stopped" and rec["checkpoint_step"] == 0
    assert rec["message"].startswith("stopped at wall-time budget at step 0 of 200")
    res = run(_cfg(steps=200), out, resume=True)
    assert res.status == "finished" and res.steps == 200
    assert read_state_csv(out / "state.csv")["Step"] == [50.0, 100.0, 150.0, 200.0]


def _cli(out, *extra):
    cmd = [sys.executable, "-m", "omm_cx", "run", str(QUICK), "-o", str(out),
           "--platform", "CPU", *extra]
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, encoding="utf-8", timeout=WAIT_S)


@pytest.mark.slow  # waits out wall-time budgets: ~10 s whatever the machine
def test_max_wall_time_stops_within_a_chunk_and_resumes_to_the_end(tmp_path):
    out, budget = tmp_path / "run", 8.0
    # far more steps than fit in the budget on any CPU
    proc = _cli(out, "--steps", "5000000", "--max-wall-time", f"{budget:g}s")
    assert proc.returncode == EXIT_WALL_TIME == 4, proc.stderr
    rec = _record(out)
    stop = rec["checkpoint_step"]
    assert rec["status"] == "stopped" and rec["steps_done"] == stop > 0
    assert rec["message"].startswith(f"stopped at wall-time budget at step {stop} of 5000000")
    assert "stopped at wall-time budget" in proc.stderr and "--resume" in proc.stderr
    seg = rec["segments"][-1]
    assert seg["status"] == "stopped" and seg["last_step"] == stop
    # within one chunk of the budget: the time used (set-up included) plus the run's own
    # time for a chunk of steps and the checkpoint margin reaches the budget
    used = float(re.search(r"after ([\d.]+) s of the", rec["message"]).group(1))
    s_per_step = 0.002e-3 / (seg["ns_per_day"] / 86400.0)
    assert used <= budget + 0.5  # 0.5 s: a chunk slower than the slowest of the last three
    assert used + 3 * CHUNK_STEPS * s_per_step + 1.0 >= budget, (used, s_per_step)
    assert len(read_state_csv(out / "state.csv")["Step"]) == stop // 50

    total = stop + 300  # the rest without a budget: same final step count, continuous outputs
    proc = _cli(out, "--resume", "--steps", str(total))
    assert proc.returncode == 0, proc.stderr
    assert f"resuming from checkpoint.chk at step {stop}" in proc.stderr
    rec = _record(out)
    assert rec["status"] == "finished" and rec["steps_done"] == total
    steps = np.array(read_state_csv(out / "state.csv")["Step"], dtype=int)
    assert np.array_equal(steps, np.arange(50, total + 1, 50))
    assert dcd_frame_count(out / "traj.dcd") == total // 50
