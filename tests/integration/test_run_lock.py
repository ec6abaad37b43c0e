"""Exclusive run folders: a run holds DIR/.lock (pid, host, start; flock'ed) while it writes;
a second process on the folder is refused (exit 2, naming the holder's pid and host); a
lock whose process is gone is taken over with a warning; temporary files of interrupted
writes are removed at the next start."""

import json
import logging
import os
import signal
import socket
import subprocess
import sys
import textwrap

import pytest

from omm_cx.errors import RunFolderBusy
from omm_cx.simulation import run
from omm_cx.simulation.lock import LOCK_FILE, acquire, hold
from omm_cx.simulation.outputs import read_state_csv
from test_run_resume import ROOT, WAIT_S, _cfg, _record, _start, _wait_for_step

HOST = socket.gethostname()


def _lock_in_child(folder, then: str) -> subprocess.CompletedProcess | subprocess.Popen:
    """A child process that takes the folder's lock, then ``then`` ('exit': dies without
    releasing it; 'hold': prints 'held', waits for stdin and releases it)."""
    code = textwrap.dedent(f"""
        import os, sys
        from omm_cx.simulation.lock import acquire
        lock = acquire({str(folder)!r})
        if {then!r} == "exit":
            os._exit(0)          # no release: like a kill
        print("held", flush=True)
        sys.stdin.read()
        lock.release()
    """)
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, encoding="utf-8")
    if then == "exit":
        proc.err = proc.communicate(timeout=WAIT_S)[1]
    else:
        assert proc.stdout.readline().strip() == "held", proc.stderr.read()
    return proc


def test_lock_refuses_a_live_holder_and_takes_over_a_dead_one(tmp_path, caplog):
    holder = _lock_in_child(tmp_path, "hold")
    try:
        info = json.loads((tmp_path / LOCK_FILE).read_text())
        assert info["pid"] == holder.pid and info["host"] == HOST and info["started"]
        with pytest.raises(RunFolderBusy, match=rf"pid {holder.pid} on host {HOST}"):
            acquire(tmp_path)
    finally:
        holder.communicate("", timeout=WAIT_S)
    assert not (tmp_path / LOCK_FILE).exists()  # released: removed

    dead = _lock_in_child(tmp_path, "exit")  # exited holding it: the file stays, unlocked
    assert dead.returncode == 0
    assert json.loads((tmp_path / LOCK_FILE).read_text())["pid"] == dead.pid
    with caplog.at_level(logging.WARNING, logger="omm_cx.simulation"):
        lock = acquire(tmp_path)
    assert f"taking over the lock of a run that is gone (pid {dead.pid}" in caplog.text
    assert json.loads((tmp_path / LOCK_FILE).read_text())["pid"] == os.getpid()
    other = _lock_in_child(tmp_path, "exit")  # our own lock excludes another process too
    assert other.returncode == 1 and f"RunFolderBusy: {tmp_path}" in other.err
    lock.release()
    assert not (tmp_path / LOCK_FILE).exists()

    (tmp_path / LOCK_FILE).write_text("garbage")  # unreadable and unlocked: taken over
    with hold(tmp_path):
        assert json.loads((tmp_path / LOCK_FILE).read_text())["pid"] == os.getpid()
    assert not (tmp_path / LOCK_FILE).exists()
    with hold(tmp_path / "new"):  # made for the run, removed again when left empty
        assert (tmp_path / "new").is_dir()
    assert not (tmp_path / "new").exists()


def test_second_run_is_refused_and_a_killed_runs_lock_is_taken_over(tmp_path, caplog):
    out = tmp_path / "run"
    proc = _start(out)
    try:
        _wait_for_step(proc, out, 300)  # past the checkpoint at step 250
        for extra in (("--resume",), ()):
            second = _start(out, *extra)
            _, err = second.communicate(timeout=WAIT_S)
            assert second.returncode == 2, err
            line = err.strip().splitlines()[-1]
            assert line.startswith("omm-cx run: error: ") and "another run" in line
            assert f"pid {proc.pid} on host {HOST}" in line
        with pytest.raises(RunFolderBusy, match=f"pid {proc.pid}"):
            run(_cfg(), out, resume=True)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=WAIT_S)
    assert json.loads((out / LOCK_FILE).read_text())["pid"] == proc.pid  # left by the kill

    # leftovers of interrupted atomic writes, in the folder and in build/
    tmps = [out / ".checkpoint.chk.ab12cd34.tmp", out / "build" / ".system.xml.x_9Yz0Q1.tmp"]
    for p in tmps:
        p.write_bytes(b"half a file")
    step = _record(out)["checkpoint_step"]
    with caplog.at_level(logging.INFO, logger="omm_cx.simulation"):
        res = run(str(ROOT / "examples" / "quick.yaml"), out, resume=True, steps=step + 100,
                  platform="CPU")
    assert res.status == "finished" and res.steps == step + 100
    assert f"taking over the lock of a run that is gone (pid {proc.pid}" in caplog.text
    assert "removed 2 temporary file(s) of an interrupted write" in caplog.text
    assert not any(p.exists() for p in tmps) and not (out / LOCK_FILE).exists()
    assert not list(out.glob(".*.tmp"))
    steps = read_state_csv(out / "state.csv")["Step"]
    assert steps == [float(s) for s in range(50, step + 101, 50)]
