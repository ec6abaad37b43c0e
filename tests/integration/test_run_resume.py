"""Checkpoints and restarts: SIGTERM writes a checkpoint and stops (exit 143), SIGKILL
loses only what came after the last checkpoint, --resume rolls the trajectory and the CSV
back to the checkpoint and appends: frames and rows end up continuous, none duplicated or
missing. Also: folders are protected, failures keep the last good checkpoint."""

import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import mdtraj
import numpy as np
import pytest

from omm_cx.simulation import RunDirError, SimulationError, run
from omm_cx.simulation.config import ConfigError
from omm_cx.simulation.engine import make_topology
from omm_cx.simulation.outputs import (
    dcd_frame_count,
    read_state_csv,
    roll_back_csv,
    roll_back_trajectory,
    xtc_frames,
)
from omm_cx.simulation.reporters import ProgressReporter
from omm_cx.io.pdb import Structure
from omm_cx.io.tables import read_json
from run_files import last_csv_step

ROOT = Path(__file__).resolve().parents[2]
QUICK = ROOT / "examples" / "quick.yaml"
STEPS = 6000        # of the subprocess run (quick.yaml: frames/rows every 50, checkpoint every 250)
EVERY = 50
CHECKPOINT = 250
WAIT_S = 300        # safety limit for waiting on the subprocess (not a timing assertion)


def _start(out: Path, *extra: str) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "omm_cx", "run", str(QUICK), "-o", str(out),
           "--steps", str(STEPS), "--platform", "CPU", *extra]
    return subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            encoding="utf-8")


_last_csv_step = last_csv_step


def _wait_for_step(proc: subprocess.Popen, out: Path, step: int) -> None:
    t0 = time.monotonic()
    while _last_csv_step(out) < step:
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() - t0 < WAIT_S, "the run did not get there"
        time.sleep(0.05)


def _record(out: Path) -> dict:
    return read_json(out / "run.json")


@pytest.mark.slow  # a run stopped by SIGTERM and SIGKILL and resumed, in subprocesses
def test_sigterm_sigkill_resume_gives_continuous_outputs(tmp_path):
    out = tmp_path / "run"

    # 1. SIGTERM in the middle: checkpoint at the current step, exit 128 + 15
    proc = _start(out)
    _wait_for_step(proc, out, 1200)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=WAIT_S)
    assert proc.returncode == 143, err
    assert "stopped by SIGTERM" in err and "--resume" in err
    rec = _record(out)
    stopped = rec["checkpoint_step"]
    assert rec["status"] == "interrupted" and 1200 <= stopped < STEPS
    assert rec["steps_done"] == stopped

    # without --resume, the unfinished folder is refused
    proc = _start(out)
    _, err = proc.communicate(timeout=WAIT_S)
    assert proc.returncode == 2 and "--resume" in err and "--overwrite" in err

    # 2. resume, then SIGKILL between two checkpoints: frames/rows after the last one are
    #    orphans that the next resume must drop
    proc = _start(out, "--resume")
    _wait_for_step(proc, out, (stopped // CHECKPOINT + 2) * CHECKPOINT)
    t0 = time.monotonic()
    while not EVERY <= _last_csv_step(out) % CHECKPOINT <= 3 * EVERY:
        assert proc.poll() is None and time.monotonic() - t0 < WAIT_S
        time.sleep(0.002)
    proc.kill()
    proc.communicate(timeout=WAIT_S)
    last_row = _last_csv_step(out)
    assert _record(out)["status"] == "running"  # killed: nobody could say otherwise

    # 3. resume to the end: starts from the last checkpoint, before the orphan rows
    proc = _start(out, "--resume")
    _, err = proc.communicate(timeout=WAIT_S)
    assert proc.returncode == 0, err
    killed_at = int(re.search(r"resuming from checkpoint\.chk at step (\d+)", err).group(1))
    assert killed_at % CHECKPOINT == 0 and stopped < killed_at < last_row

    rec = _record(out)
    assert rec["status"] == "finished" and rec["steps_done"] == STEPS
    assert [s["first_step"] for s in rec["segments"]] == [0, stopped, killed_at]
    steps = np.array(read_state_csv(out / "state.csv")["Step"], dtype=int)
    assert np.array_equal(steps, np.arange(EVERY, STEPS + 1, EVERY))  # none missing or doubled
    traj = mdtraj.load(str(out / "traj.dcd"), top=str(out / "start.pdb"))
    assert traj.n_frames == STEPS // EVERY == dcd_frame_count(out / "traj.dcd")
    # no jump at the restarts: the largest per-frame displacement is like any other frame's
    step_disp = np.abs(np.diff(traj.xyz, axis=0)).max(axis=(1, 2))
    assert step_disp.max() < 3 * np.median(step_disp)
    assert (out / "final.pdb").is_file() and (out / "checkpoint.chk").is_file()


def test_progress_line_only_when_asked(tmp_path):
    proc = _start(tmp_path / "a", "--steps", "1000", "--progress")
    _, err = proc.communicate(timeout=WAIT_S)
    assert proc.returncode == 0 and "ns/day" in err and "left" in err
    proc = _start(tmp_path / "b", "--steps", "1000")  # stderr is a pipe: no progress line
    _, err = proc.communicate(timeout=WAIT_S)
    assert proc.returncode == 0 and "ns/day, " not in err


def test_progress_line_format():
    import io

    p = ProgressReporter(total_steps=50_000_000, timestep_ps=0.002, stream=io.StringIO(),
                         enabled=True)
    assert p.line(0).startswith("step 0/50000000  0/100 ns (0.0%)  measuring speed")
    p._t0, p._step0 = time.monotonic() - 86.4, 0  # 1/1000 day for 0.1 ns: 100 ns/day
    line = p.line(50_000)
    assert "0.1/100 ns (0.1%)" in line and "100 ns/day" in line and "23h" in line


def _structure(n=20):
    rng = np.random.default_rng(0)
    return Structure(["Cd", "PSL"] * (n // 2), rng.random((n, 3)) * 25, np.eye(3) * 25)


@pytest.mark.parametrize("fmt", ["dcd", "xtc"])
def test_trajectory_roll_back_drops_frames_after_checkpoint_and_torn_frame(tmp_path, fmt):
    import openmm.app as app

    s = _structure()
    top = make_topology(s)
    path = tmp_path / f"traj.{fmt}"
    rng = np.random.default_rng(1)
    frames = [rng.random((len(s.species), 3)) * 2.5 for _ in range(8)]
    if fmt == "dcd":
        with open(path, "wb") as fh:
            writer = app.DCDFile(fh, top, 0.002, 50, 50)
            for f in frames[:7]:
                writer.writeModel(f)
    else:
        writer = app.XTCFile(str(path), top, 0.002, 50, 50)
        for f in frames[:7]:
            writer.writeModel(f)
    data = path.read_bytes()
    frame_bytes = 56 + 3 * (8 + 4 * len(s.species)) if fmt == "dcd" else (
        xtc_frames(path)[-1][1] - xtc_frames(path)[-1][0])
    with open(path, "ab") as fh:  # a torn 8th frame, as a kill mid-write leaves
        fh.write(data[-frame_bytes:-frame_bytes // 2])
    # checkpoint at step 260: frames at 50..250 stay
    assert roll_back_trajectory(path, fmt, 260, 50) == 5
    if fmt == "xtc":
        assert [f[2] for f in xtc_frames(path)] == [50, 100, 150, 200, 250]
    # OpenMM appends after the kept frames, as on --resume
    if fmt == "dcd":
        with open(path, "r+b") as fh:
            app.DCDFile(fh, top, 0.002, 50, 50, append=True).writeModel(frames[7])
    else:
        app.XTCFile(str(path), top, 0.002, 50, 50, append=True).writeModel(frames[7])
    traj = mdtraj.load(str(path), top=mdtraj.Topology.from_openmm(top))
    assert traj.n_frames == 6
    expected = np.array(frames[:5] + [frames[7]])
    assert np.allclose(traj.xyz, expected, atol=2e-3)
    # a checkpoint beyond the frames on disk means frames are missing: refuse
    with pytest.raises(RunDirError, match="frames are missing"):
        roll_back_trajectory(path, fmt, 1000, 50)


def test_csv_roll_back(tmp_path):
    path = tmp_path / "state.csv"
    rows = [f"{s},{s * 0.002},-1.0" for s in range(10, 110, 10)]
    path.write_text('#"Step","Time (ps)","Potential Energy (kJ/mole)"\n' + "\n".join(rows)
                    + "\n110,0.2")  # torn last line
    assert roll_back_csv(path, 75, 10) == 7
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("#") and [int(x.split(",")[0]) for x in lines[1:]] == list(
        range(10, 80, 10))
    with pytest.raises(RunDirError, match="rows are missing"):
        roll_back_csv(path, 200, 10)


def _cfg(**changes):
    cfg = {
        "system": {"forcefield": "pbcdse+psl-nonpreferential",
                   "structure": str(ROOT / "examples" / "quick" / "structure.pdb")},
        "temperature_K": 550, "steps": 200, "seed": 3, "platform": "CPU",
        "report": {"trajectory_steps": 50, "state_steps": 50, "checkpoint_steps": 100},
    }
    cfg.update(changes)
    return cfg


def test_finished_run_is_protected_and_can_be_extended(tmp_path):
    out = tmp_path / "run"
    res = run(_cfg(), out)
    assert res.status == "finished" and res.steps == 200
    with pytest.raises(RunDirError, match="finished run.*--overwrite"):
        run(_cfg(), out)
    assert run(_cfg(), out, resume=True).status == "already finished"
    with pytest.raises(ConfigError, match=r"temperature_K: 550.0 -> 600.0"):
        run(_cfg(temperature_K=600), out, resume=True, steps=300)
    res = run(_cfg(), out, resume=True, steps=300)  # extend a finished run
    assert res.status == "finished" and res.steps == 300 and res.resumed_from_step == 200
    steps = read_state_csv(out / "state.csv")["Step"]
    assert steps == [50.0, 100.0, 150.0, 200.0, 250.0, 300.0]
    assert dcd_frame_count(out / "traj.dcd") == 6
    res = run(_cfg(), out, overwrite=True)
    assert res.steps == 200 and len(res.record.segments) == 1
    assert dcd_frame_count(out / "traj.dcd") == 4


def test_resume_on_another_platform_uses_the_portable_state(tmp_path):
    out = tmp_path / "run"
    run(_cfg(), out)
    res = run(_cfg(), out, resume=True, steps=250, platform="Reference")
    assert res.platform == "Reference" and res.steps == 250
    rec = read_json(out / "run.json")
    assert rec["segments"][-1]["resumed_from"] == "checkpoint.xml"
    assert read_state_csv(out / "state.csv")["Step"] == [50.0, 100.0, 150.0, 200.0, 250.0]


def test_explosion_stops_with_message_and_keeps_last_good_checkpoint(tmp_path):
    out = tmp_path / "run"
    # an unminimized random liquid heats up to thousands of K within 0.2 ps
    cfg = _cfg(minimize=False, abort_temperature_K=600.0, steps=2000)
    with pytest.raises(SimulationError) as err:
        run(cfg, out)
    msg = str(err.value)
    assert "kinetic temperature reached" in msg and "at step 100" in msg
    assert "last good checkpoint (step 0) is intact" in msg
    assert "smaller time step" in msg and "minimize: true" in msg and "guard" in msg
    rec = read_json(out / "run.json")
    assert rec["status"] == "failed" and rec["checkpoint_step"] == 0 and msg in rec["message"]
    # the failed folder is unfinished: refused without --resume
    with pytest.raises(RunDirError, match="--resume"):
        run(cfg, out)


def test_health_check_reports_nan():
    from omm_cx.simulation.config import load_config
    from omm_cx.simulation.health import Snapshot, check

    cfg = load_config(_cfg())
    with pytest.raises(SimulationError, match=r"energy became NaN.*at step 1234.*step 1000"):
        check(Snapshot(1234, 2.468, float("nan"), 1.0, 500.0), cfg, 1000)
