"""A run killed with SIGKILL at random moments and resumed each time ends with the outputs of
an uninterrupted run (issue 12): the trajectory and state.csv hold, frame for frame and
row for row, the uninterrupted run's steps and times, and no temporary file remains.

The moments (drawn from a fixed seed): during start-up (imports, set-up, minimization,
the first checkpoint), at a random step between checkpoints (a torn frame or row), and
inside a checkpoint write, at each point of
:data:`omm_cx.simulation.checkpoint.FAULT_POINTS` (the process kills itself there through
the ``OMM_CX_FAULT`` test hook: temporary files written, old pair rotated, new XML in
place, both files in place before run.json).

What is compared: on the Reference platform (deterministic: a resume from the binary
checkpoint continues bit for bit) every frame's coordinates and every CSV column but the
speed; on the CPU platform (multi-threaded sums: not bitwise reproducible after a restart)
the steps, the times and the frame count, exactly.
"""

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import mdtraj
import numpy as np
import pytest

from omm_cx.simulation import run
from omm_cx.simulation.checkpoint import FAULT_POINTS
from omm_cx.simulation.outputs import dcd_frame_count
from test_run_resume import ROOT, _cfg
from run_files import last_csv_step

WAIT_S = 300  # safety limit for one subprocess (not a timing assertion)


def _config(platform: str, steps: int, every: int, checkpoint: int) -> dict:
    report = {"trajectory_steps": every, "state_steps": every, "checkpoint_steps": checkpoint}
    return _cfg(steps=steps, platform=platform, report=report, seed=11)


def _launch(cfg_path: Path, out: Path, steps: int, fault: str | None) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k != "OMM_CX_FAULT"}
    if fault:
        env["OMM_CX_FAULT"] = fault
    cmd = [sys.executable, "-m", "omm_cx", "run", str(cfg_path), "-o", str(out), "--resume",
           "--steps", str(steps)]
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, encoding="utf-8")


_last_row = last_csv_step


def _checkpoint_step(out: Path) -> int:
    try:
        return int(json.loads((out / "run.json").read_text())["checkpoint_step"] or 0)
    except (FileNotFoundError, ValueError, KeyError, TypeError):
        return 0


def _kill_once(proc, out: Path, kind: str, rng: random.Random, span: int) -> None:
    """SIGKILL ``proc`` at a moment of ``kind`` (a 'fault' kill happens by itself)."""
    if kind == "startup":
        time.sleep(rng.uniform(0.2, 1.5))
    elif kind == "step":
        target = _checkpoint_step(out) + rng.randint(1, span)
        t0 = time.monotonic()
        while _last_row(out) < target and proc.poll() is None:
            assert time.monotonic() - t0 < WAIT_S
            time.sleep(0.002)
        time.sleep(rng.uniform(0.0, 0.02))
    if kind != "fault" and proc.poll() is None:
        proc.kill()
    proc.wait(timeout=WAIT_S)


def _plan(kills: int, rng: random.Random) -> list[tuple[str, str | None]]:
    """(kind, OMM_CX_FAULT) of each kill: a fifth at start-up, the rest split between a
    random step and the checkpoint-write points (each point at least once from 4 on)."""
    n_start = max(1, kills // 5)
    n_fault = (kills - n_start + 1) // 2
    faults = [f"{FAULT_POINTS[i % len(FAULT_POINTS)]}:{rng.randint(1, 2)}"
              for i in range(n_fault)]
    plan = ([("startup", None)] * n_start + [("fault", f) for f in faults]
            + [("step", None)] * (kills - n_start - n_fault))
    rng.shuffle(plan)
    return plan


def _csv_rows(out: Path) -> list[list[str]]:
    lines = (out / "state.csv").read_text(encoding="utf-8").splitlines()
    return [line.split(",") for line in lines]


@pytest.mark.parametrize("platform, kills, steps, every, checkpoint", [
    pytest.param("Reference", 4, 300, 10, 50, marks=pytest.mark.slow),
    pytest.param("Reference", 10, 800, 10, 50, marks=pytest.mark.slow),
    pytest.param("CPU", 10, 3000, 20, 100, marks=pytest.mark.slow),
])
def test_sigkill_loop_ends_with_the_uninterrupted_outputs(tmp_path, platform, kills, steps,
                                                          every, checkpoint):
    cfg = _config(platform, steps, every, checkpoint)
    cfg_path = tmp_path / "run.yaml"
    cfg_path.write_text(json.dumps(cfg), encoding="utf-8")  # JSON is YAML
    rng = random.Random(20260 + kills)
    out = tmp_path / "killed"
    killed, history = 0, []
    for kind, fault in _plan(kills, rng):
        proc = _launch(cfg_path, out, steps, fault)
        _kill_once(proc, out, kind, rng, span=max(1, steps // (kills + 2)))
        history.append((kind, fault, proc.returncode, _checkpoint_step(out)))
        assert proc.returncode in (-signal.SIGKILL, 0), (history, proc.stderr.read())
        killed += proc.returncode == -signal.SIGKILL
    proc = _launch(cfg_path, out, steps, None)
    _, err = proc.communicate(timeout=WAIT_S)
    assert proc.returncode == 0, (history, err)
    assert killed == kills, history
    assert "NaN" not in err

    ref = tmp_path / "uninterrupted"
    run(cfg, ref)
    rec = json.loads((out / "run.json").read_text())
    assert rec["status"] == "finished" and rec["steps_done"] == steps
    assert all(s["first_step"] % checkpoint == 0 for s in rec["segments"])
    assert not [p for p in out.rglob("*.tmp")], "temporary files remain"

    rows, ref_rows = _csv_rows(out), _csv_rows(ref)
    assert rows[0] == ref_rows[0] and len(rows) == len(ref_rows) == steps // every + 1
    assert [r[:2] for r in rows] == [r[:2] for r in ref_rows]  # step and time, row for row
    assert dcd_frame_count(out / "traj.dcd") == dcd_frame_count(ref / "traj.dcd") == steps // every
    top = str(ref / "start.pdb")
    traj = mdtraj.load(str(out / "traj.dcd"), top=top)
    ref_traj = mdtraj.load(str(ref / "traj.dcd"), top=top)
    assert np.array_equal(traj.time, ref_traj.time)
    if platform == "Reference":  # deterministic: the same numbers, bit for bit
        assert [r[:-1] for r in rows] == [r[:-1] for r in ref_rows]  # all but the speed
        assert np.array_equal(traj.xyz, ref_traj.xyz)
        assert np.array_equal(traj.unitcell_lengths, ref_traj.unitcell_lengths)


def test_kill_in_the_first_checkpoint_write_starts_again(tmp_path):
    """Killed after the step-0 checkpoint files but before run.json exists: nothing to
    resume from, so --resume starts again (with a warning) instead of refusing."""
    cfg = _config("CPU", 200, 50, 100)
    cfg_path = tmp_path / "run.yaml"
    cfg_path.write_text(json.dumps(cfg), encoding="utf-8")
    out = tmp_path / "run"
    proc = _launch(cfg_path, out, 200, "checkpoint-files:1")
    proc.wait(timeout=WAIT_S)
    assert proc.returncode == -signal.SIGKILL
    assert (out / "checkpoint.chk").is_file() and not (out / "run.json").exists()
    proc = _launch(cfg_path, out, 200, None)
    _, err = proc.communicate(timeout=WAIT_S)
    assert proc.returncode == 0, err
    assert "killed while writing its first checkpoint" in err
    rec = json.loads((out / "run.json").read_text())
    assert rec["status"] == "finished" and len(rec["segments"]) == 1


def test_kill_between_rotation_and_new_files_resumes_from_the_moved_checkpoint(tmp_path):
    """Killed after the newest pair moved to checkpoint.prev.* and before the new pair is
    in place: run.json still names checkpoint.chk, and the resume finds the same bytes
    (by checksum) under the .prev name and continues from them exactly."""
    cfg = _config("CPU", 400, 50, 100)
    cfg_path = tmp_path / "run.yaml"
    cfg_path.write_text(json.dumps(cfg), encoding="utf-8")
    out = tmp_path / "run"
    proc = _launch(cfg_path, out, 400, "checkpoint-rotated:3")  # checkpoints 0, 100, 200
    proc.wait(timeout=WAIT_S)
    assert proc.returncode == -signal.SIGKILL
    rec = json.loads((out / "run.json").read_text())
    assert rec["checkpoints"][-1]["step"] == 100
    assert rec["checkpoints"][-1]["binary"]["file"] == "checkpoint.chk"
    assert not (out / "checkpoint.chk").exists() and (out / "checkpoint.prev.chk").is_file()
    proc = _launch(cfg_path, out, 400, None)
    _, err = proc.communicate(timeout=WAIT_S)
    assert proc.returncode == 0, err
    assert "resuming from checkpoint.prev.chk at step 100" in err and "because" not in err
    rec = json.loads((out / "run.json").read_text())
    assert [s["first_step"] for s in rec["segments"]] == [0, 100]
    assert rec["segments"][1]["resumed_from"] == "checkpoint.prev.chk"
    steps = [int(r[0]) for r in _csv_rows(out)[1:]]
    assert steps == list(range(50, 401, 50)) and not [p for p in out.rglob("*.tmp")]
