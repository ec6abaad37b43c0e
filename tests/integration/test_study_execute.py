"""Study execution on a real local Dask cluster (2 worker processes): runs cut into
wall-time segments, a run that fails on purpose, the study process SIGKILLed mid-way and
run again to completion without redoing a finished segment, the progress table and ETA.

The runs are tiny Cd/PSL liquids (60 pairs in a 2.5 nm box, 8 ps at 500 K, ~1 s per ps on
one core), written as RunPlan mappings (the contract of omm_cx.studies.plan)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from omm_cx.errors import RunFolderBusy
from omm_cx.io.tables import write_json
from omm_cx.studies.execute import execute_plans, study_status
from omm_cx.studies.state import StudyStatus, read_segments, run_folder

LENGTH_PS, DT_FS = 8.0, 2.0  # long enough for several 2.5 s segments even on a fast machine
RECIPE = {"name": "tiny-cd-psl", "forcefield": "pbcdse+psl-nonpreferential", "seed": 1,
          "box_nm": 2.5, "solution": {"pairs": 60, "cation": "Cd", "ligand": "PSL",
                                      "min_separation_A": 3.0}}
CONFIG = {"ensemble": "nvt", "temperature_K": 500, "timestep_fs": DT_FS,
          "length_ns": LENGTH_PS / 1000, "minimize": True, "platform": "CPU",
          "report": {"trajectory_ps": 0.1, "state_ps": 0.1, "checkpoint_ps": 0.5}}
SEGMENT_S = 2.5


def _plans() -> list[dict]:
    good = [{"key": f"cd_s{s}", "kind": "md", "params": {"seed": s}, "recipe": RECIPE,
             "config": dict(CONFIG, seed=s), "analyses": ["rdf"], "length_ps": LENGTH_PS}
            for s in (1, 2)]
    # fails on purpose: a force field that does not exist (bad input)
    bad = {"key": "bad_ff", "kind": "md", "params": {"seed": 3},
           "recipe": dict(RECIPE, forcefield="no-such-forcefield"), "config": CONFIG,
           "length_ps": LENGTH_PS}
    return good + [bad]


_SCRIPT = """
import json, sys
from omm_cx.studies.execute import execute_plans
if __name__ == "__main__":
    plans = json.load(open(sys.argv[1]))
    execute_plans(plans, sys.argv[2], name="tiny-test", scale="tiny", n_workers=2,
                  segment_wall_s=float(sys.argv[3]), progress=True)
"""


def _children(pid: int) -> list[int]:
    """Pids of every descendant of ``pid`` (from /proc)."""
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text(encoding="utf-8")
            except OSError:
                continue
            parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        kids = [c for c, pp in parents.items() if pp == p]
        out += kids
        todo += kids
    return out


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8")
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _wait_for(cond, timeout: float, what: str) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def _segment_lines(out: Path) -> dict[str, list[dict]]:
    return {p["key"]: read_segments(run_folder(out, p["key"])) for p in _plans()}


def _progressed(out: Path) -> bool:
    return any(s["end_step"] > 0 for segs in _segment_lines(out).values() for s in segs)


def _kill_mid_way(tmp_path: Path, out: Path) -> dict[str, list[dict]]:
    """Start the study in a subprocess, SIGKILL it once a segment has finished and before
    the runs are done; return the segments recorded before the kill."""
    plans_file = tmp_path / "plans.json"
    write_json(plans_file, _plans())
    proc = subprocess.Popen([sys.executable, "-c", _SCRIPT, str(plans_file), str(out),
                             str(SEGMENT_S)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        _wait_for(lambda: _progressed(out) or proc.poll() is not None, 180,
                  "the first finished segment that advanced a run")
        assert proc.poll() is None, proc.stdout.read().decode()
        # the study folder is locked by the live study process
        with pytest.raises(RunFolderBusy, match=str(proc.pid)):
            execute_plans(_plans(), out, name="tiny-test", scale="tiny", n_workers=2)
        workers = _children(proc.pid)
        assert workers, "the local cluster's worker processes are children of the study"
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    # the workers notice their parent is gone and exit: nothing keeps writing
    _wait_for(lambda: not any(_alive(w) for w in workers), 60, "the orphaned workers to exit")
    assert (out / ".lock").is_file()  # left behind by the killed study, taken over below
    return _segment_lines(out)


def _check_run(out: Path, key: str, before: list[dict], after: list[dict]) -> None:
    folder = run_folder(out, key)
    total_steps = round(LENGTH_PS / (DT_FS / 1000))
    # the segments recorded before the kill are kept as they were ...
    assert after[:len(before)] == before
    # ... and none is redone: each segment starts where an earlier one ended or later
    # (at the checkpoint of a segment cut by the kill), the last ends the run
    for prev, cur in zip(after, after[1:]):
        assert cur["start_step"] >= prev["end_step"], (key, after)
        assert cur["start_ps"] == pytest.approx(cur["start_step"] * DT_FS / 1000)
    assert after[0]["start_step"] == 0 and after[-1]["end_step"] == total_steps
    # a segment cut by the kill after a checkpoint is recorded by the next one as 'cut'
    assert all(s["status"] in ("stopped", "cut") for s in after[:-1]), after
    assert after[-1]["status"] == "finished"
    for prev, cur in zip(after, after[1:]):
        if prev["status"] == "cut":
            assert cur["start_step"] == prev["end_step"], after
    assert [s["index"] for s in after] == list(range(1, len(after) + 1))
    # the run's own outputs cover the 8 ps once: state.csv rows every 0.1 ps, no repeats
    t = np.loadtxt(folder / "run" / "state.csv", delimiter=",", comments="#", usecols=1)
    assert np.all(np.diff(t) > 0) and t[-1] == pytest.approx(LENGTH_PS)
    assert len(t) == round(LENGTH_PS / 0.1)
    status = json.loads((folder / "status.json").read_text(encoding="utf-8"))
    assert status["state"] == "finished" and status["error"] is None
    assert status["segments"] == len(after)
    assert status["simulated_ps"] == pytest.approx(LENGTH_PS)
    summary = json.loads((folder / "analysis" / "summary.json").read_text(encoding="utf-8"))
    assert "rdf" in summary["analyses"]


@pytest.mark.slow  # a study killed and run again, in subprocesses
def test_study_killed_mid_way_resumes_without_redoing_segments_and_reports_failure(tmp_path):
    out = tmp_path / "study"
    before = _kill_mid_way(tmp_path, out)
    mid = study_status(out)
    assert mid.counts["done"] < 2, "the kill must come before both runs are finished"
    assert any(s["end_step"] > 0 for segs in before.values() for s in segs)

    status = execute_plans(_plans(), out, name="tiny-test", scale="tiny", n_workers=2,
                           segment_wall_s=SEGMENT_S, progress=False)
    assert status.counts == {"done": 2, "running": 0, "failed": 1, "pending": 0}
    assert status.complete and status.eta_s == 0.0
    assert set(status.failed) == {"bad_ff"}
    assert "ForceFieldError" in status.failed["bad_ff"]
    assert "no-such-forcefield" in status.failed["bad_ff"]
    assert status.simulated_ns == pytest.approx(2 * LENGTH_PS / 1000)
    after = _segment_lines(out)
    for key in ("cd_s1", "cd_s2"):
        _check_run(out, key, before[key], after[key])
    # segments were bounded: at least one run needed several
    assert max(len(after["cd_s1"]), len(after["cd_s2"])) >= 2
    table = status.table()
    assert "bad_ff" in table and "failed" in table and "2 done" in table

    # a third call finds everything done: nothing is run or rewritten
    mtimes = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()
              and p.name != "study.json"}
    again = execute_plans(_plans(), out, name="tiny-test", scale="tiny", n_workers=2,
                          progress=False)
    assert again.counts == status.counts
    assert {p: p.stat().st_mtime_ns for p in mtimes} == mtimes


def test_progress_table_counts_ns_and_eta(tmp_path):
    """The ETA is the remaining ps at the rate measured from finished segments, with as
    many runs at once as workers (and as unfinished runs)."""
    out = tmp_path / "s"
    rows = {"a": ("finished", 10.0, 10.0), "b": ("running", 4.0, 10.0),
            "c": ("pending", 0.0, 10.0), "d": ("failed", 1.0, 10.0)}
    for key, (state, done, length) in rows.items():
        folder = run_folder(out, key)
        write_json(folder / "status.json", {"state": state, "error": "boom" if state ==
                                            "failed" else None, "segments": 1,
                                            "simulated_ps": done, "length_ps": length,
                                            "wall_s": 5.0})
    # 10 ps in 20 s and 4 ps in 12 s of finished segments: 14 ps / 32 s
    (run_folder(out, "a") / "segments.jsonl").write_text(
        '{"start_ps": 0, "end_ps": 10, "wall_s": 20}\n')
    (run_folder(out, "b") / "segments.jsonl").write_text(
        '{"start_ps": 0, "end_ps": 4, "wall_s": 12}\n')
    write_json(out / "study.json", {"name": "t", "scale": "tiny", "keys": list(rows),
                                    "workers": 4})
    st = study_status(out)
    assert isinstance(st, StudyStatus)
    assert st.counts == {"done": 1, "running": 1, "failed": 1, "pending": 1}
    assert st.simulated_ns == pytest.approx(15.0 / 1000)
    # 16 ps left (b: 6, c: 10), 2 unfinished runs at once (4 workers), 14/32 ps/s each
    assert st.eta_s == pytest.approx(16.0 / (2 * 14.0 / 32.0))
    assert not st.complete
    line = st.table().splitlines()[-1]
    assert "1 done, 1 running, 1 failed, 1 pending of 4 runs" in line
    assert "0.015/0.04 ns" in line


def test_not_a_study_folder(tmp_path):
    from omm_cx.errors import OmmCxError

    with pytest.raises(OmmCxError, match="study.json"):
        study_status(tmp_path)


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "omm_cx", "study", *args]


def _check_shipped(out: Path, name: str, before: dict[str, list[dict]]) -> None:
    """A shipped study's folder after the re-run: every run finished, no segment redone,
    the report's fields."""
    from omm_cx.studies.plan import plan_runs
    from omm_cx.studies.verdicts import VERDICTS

    plans = plan_runs(name, "tiny")
    st = study_status(out)
    assert st.counts == {"done": len(plans), "running": 0, "failed": 0, "pending": 0}, \
        st.table()
    for plan in plans:
        after = read_segments(run_folder(out, plan.key))
        assert after[:len(before.get(plan.key, []))] == before.get(plan.key, [])
        for prev, cur in zip(after, after[1:]):
            assert cur["start_step"] >= prev["end_step"], (plan.key, after)
        assert after[-1]["end_ps"] == pytest.approx(plan.length_ps)
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["study"] == name and report["scale"] == "tiny"
    assert report["runs"]["complete"] is True
    assert report["runs"]["counts"]["finished"] == len(plans)
    assert {r["key"] for r in report["runs"]["table"]} == {p.key for p in plans}
    assert report["claims"], "every shipped study states what it checks"
    for claim in report["claims"]:
        assert claim["verdict"] in VERDICTS, claim
    assert sum(report["verdicts"].values()) == len(report["claims"])
    assert report["quantities"] and (out / "report.md").is_file()


@pytest.mark.slow
@pytest.mark.parametrize("name, sig", [("004-jumps", signal.SIGKILL),
                                       ("004-liquid-gr", signal.SIGTERM)])
def test_cli_tiny_study_killed_then_rerun_to_completion(tmp_path, name, sig):
    """``omm-cx study run NAME --scale tiny`` on 2 workers, killed after its first
    segment that advanced a run, run again to the end; then the report."""
    out = tmp_path / name
    run = _cli("run", name, "-o", str(out), "--scale", "tiny", "--workers", "2",
               "--segment-wall-time", "3")
    proc = subprocess.Popen(run, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        _wait_for(lambda: ((out / "study.json").is_file() and any(
            s["end_step"] > 0 for k in json.loads((out / "study.json").read_text(encoding="utf-8"))["keys"]
            for s in read_segments(run_folder(out, k)))) or proc.poll() is not None, 300,
            "the first segment that advanced a run")
        assert proc.poll() is None, proc.stdout.read().decode()
        workers = _children(proc.pid)
        proc.send_signal(sig)
        proc.wait(60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    _wait_for(lambda: not any(_alive(w) for w in workers), 60, "the workers to exit")
    assert not study_status(out).complete, "killed after all runs had finished"
    before = {k: read_segments(run_folder(out, k))
              for k in json.loads((out / "study.json").read_text(encoding="utf-8"))["keys"]}
    done = subprocess.run(run, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr
    _check_shipped(out, name, before)
    status = subprocess.run(_cli("status", str(out)), capture_output=True, text=True,
                            timeout=120)
    assert status.returncode == 0 and "0 failed, 0 pending" in status.stdout


@pytest.mark.slow
def test_call_study_writes_results(tmp_path):
    """A study of 'call' runs (000-lattice-statics, tiny): one task per run, its returned
    mapping in result.json."""
    from omm_cx.studies.execute import run_study
    from omm_cx.studies.plan import plan_runs

    out = tmp_path / "statics"
    st = run_study("000-lattice-statics", out, "tiny", n_workers=2, progress=False)
    plans = plan_runs("000-lattice-statics", "tiny")
    assert st.counts["done"] == len(plans) and not st.failed
    for plan in plans:
        result = json.loads((run_folder(out, plan.key) / "result.json").read_text(encoding="utf-8"))
        assert isinstance(result, dict) and result
        assert read_segments(run_folder(out, plan.key)) == []


@pytest.mark.slow
def test_segment_budget_shorter_than_the_set_up_adapts(tmp_path):
    """A budget that the set-up alone exceeds (0.01 s) gives segments without progress; the
    executor doubles that run's budget after each one (failing the run after MAX_STALLS + 1
    in a row), so the run still finishes, every segment starting where the last ended."""
    from omm_cx.studies.execute import MAX_STALLS

    plan = dict(_plans()[0], key="short")
    st = execute_plans([plan], tmp_path / "s", name="stall", scale="tiny", n_workers=1,
                       segment_wall_s=0.01, progress=False)
    assert st.counts["done"] == 1, st.table()
    segs = read_segments(run_folder(tmp_path / "s", "short"))
    assert segs[0]["end_step"] == 0 and segs[0]["status"] == "stopped"  # the set-up only
    stalls = run = 0
    for prev, cur in zip(segs, segs[1:]):
        assert cur["start_step"] == prev["end_step"]
        run = run + 1 if cur["end_step"] == cur["start_step"] else 0
        stalls = max(stalls, run)
    assert stalls <= MAX_STALLS and segs[-1]["end_ps"] == pytest.approx(LENGTH_PS)


@pytest.mark.slow  # 5-10 s: kept out of the 3-min inner loop
def test_segment_waits_for_a_run_folder_still_held_by_a_live_process(tmp_path):
    """A run folder locked by another live process (a worker of a killed study still
    ending its segment) is waited for, not failed: the segment runs once it is free."""
    import threading

    from omm_cx.simulation.lock import acquire

    out = tmp_path / "s"
    plan = dict(_plans()[0], key="held", config=dict(CONFIG, length_ns=0.001), analyses=[])
    folder = run_folder(out, "held") / "run"
    folder.mkdir(parents=True)
    held = acquire(folder)

    def release_later():  # 3 s after the segment was submitted
        status = run_folder(out, "held") / "status.json"
        _wait_for(lambda: status.is_file() and '"running"' in status.read_text(encoding="utf-8"), 120,
                  "the segment's submission")
        time.sleep(3.0)
        held.release()

    thread = threading.Thread(target=release_later, daemon=True)
    thread.start()
    try:
        st = execute_plans([plan], out, name="busy", scale="tiny", n_workers=1,
                           progress=False)
    finally:
        thread.join(130)
        held.release()
    assert st.counts["done"] == 1, st.table()
    segs = read_segments(run_folder(out, "held"))
    assert len(segs) == 1 and segs[0]["end_ps"] == pytest.approx(1.0)
    assert segs[0]["wall_s"] >= 2.0  # it waited for the lock


def test_progress_of_a_segment_cut_by_a_kill_is_recorded_as_cut(tmp_path):
    """A run folder that checkpointed past its last recorded segment (the study was killed
    between the checkpoint and the record): the next segment records the gap as 'cut'
    and continues from the checkpoint, so the segments cover the run once."""
    from omm_cx.simulation import run
    from omm_cx.studies.segments import RUN, _record_cut, ensure_build
    from omm_cx.studies.state import PLAN_JSON

    key_dir = tmp_path / "runs" / "cd_s1"
    key_dir.mkdir(parents=True)
    plan = _plans()[0]
    write_json(key_dir / PLAN_JSON, plan)
    build = ensure_build(key_dir, plan)
    cfg = {k: v for k, v in plan["config"].items() if k != "length_ns"}
    cfg.update(build=str(build.resolve()), steps=60,
               report={"trajectory_steps": 10, "state_steps": 10, "checkpoint_steps": 20})
    run(cfg, key_dir / RUN, progress=False)            # progress that no segment recorded
    assert read_segments(key_dir) == []
    _record_cut(key_dir, DT_FS / 1000)
    (cut,) = read_segments(key_dir)
    assert (cut["status"], cut["start_step"], cut["end_step"]) == ("cut", 0, 60)
    assert cut["end_ps"] == pytest.approx(60 * DT_FS / 1000)
    _record_cut(key_dir, DT_FS / 1000)                 # nothing new: nothing added
    assert len(read_segments(key_dir)) == 1
