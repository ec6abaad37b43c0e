"""A failed write stops the run with exit 2 and one line naming the path; the previous
checkpoint and the files complete before stay intact, and --resume continues.

* a file-size limit (RLIMIT_FSIZE in the child, SIGXFSZ ignored so that the write fails
  with EFBIG instead of killing the process): the trajectory outgrows it mid-run;
* a read-only run folder (chmod 555 mid-run): the next checkpoint cannot be written.
  Root ignores permissions, so as root the child runs without CAP_DAC_OVERRIDE,
  CAP_DAC_READ_SEARCH and CAP_FOWNER (``setpriv --bounding-set``); skipped when neither
  works.
"""

import os
import re
import resource
import shutil
import signal
import subprocess
import sys

import numpy as np
import pytest

from omm_cx.errors import WriteError
from omm_cx.simulation import run
from omm_cx.simulation.faults import write_failure
from omm_cx.simulation.outputs import dcd_frame_count, read_state_csv
from test_run_resume import QUICK, ROOT, WAIT_S, _record, _wait_for_step

LIMIT = 64 * 1024  # bytes: above every other file of the quick run, below its trajectory


def _cmd(out, *extra):
    return [sys.executable, "-m", "omm_cx", "run", str(QUICK), "-o", str(out),
            "--platform", "CPU", *extra]


def _size_limit():
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # stays ignored across exec
    resource.setrlimit(resource.RLIMIT_FSIZE, (LIMIT, LIMIT))


def _resume_to_the_end(out, total: int, checkpoint: int) -> None:
    proc = subprocess.run(_cmd(out, "--resume", "--steps", str(total)), cwd=ROOT,
                          capture_output=True, encoding="utf-8", timeout=WAIT_S)
    assert proc.returncode == 0, proc.stderr
    assert re.search(rf"resuming from checkpoint\.\w+ at step {checkpoint}\b", proc.stderr)
    rec = _record(out)
    assert rec["status"] == "finished" and rec["steps_done"] == total
    steps = np.array(read_state_csv(out / "state.csv")["Step"], dtype=int)
    assert np.array_equal(steps, np.arange(50, total + 1, 50))
    assert dcd_frame_count(out / "traj.dcd") == total // 50
    assert not list(out.glob(".*.tmp"))


def test_file_size_limit_stops_cleanly_and_keeps_the_checkpoint(tmp_path):
    out = tmp_path / "run"
    proc = subprocess.run(_cmd(out, "--steps", "3000"), cwd=ROOT, capture_output=True,
                          encoding="utf-8", timeout=WAIT_S, preexec_fn=_size_limit)
    assert proc.returncode == 2, proc.stderr
    line = proc.stderr.strip().splitlines()[-1]
    assert line.startswith("omm-cx run: error: ") and "Traceback" not in proc.stderr
    assert f"{out / 'traj.dcd'}: cannot write (File too large, EFBIG)" in line
    assert "--resume" in line
    rec = _record(out)
    assert rec["status"] == "failed" and rec["message"] in line
    kept = rec["checkpoint_step"]
    assert kept > 0 and kept % 250 == 0 and f"last checkpoint (step {kept})" in line
    # every frame up to the checkpoint is complete; at most the one being written is torn
    assert dcd_frame_count(out / "traj.dcd") >= kept // 50
    assert os.path.getsize(out / "traj.dcd") <= LIMIT
    assert not (out / ".lock").exists()
    _resume_to_the_end(out, 1500, kept)


def _drop_root_powers() -> list[str]:
    if os.geteuid() != 0:
        return []
    if shutil.which("setpriv") is None:
        pytest.skip("root ignores folder permissions and setpriv is missing")
    return ["setpriv", "--bounding-set=-dac_override,-dac_read_search,-fowner"]


def test_read_only_folder_stops_cleanly_and_keeps_the_checkpoint(tmp_path):
    out = tmp_path / "run"
    prefix = _drop_root_powers()
    proc = subprocess.Popen(prefix + _cmd(out, "--steps", "6000"), cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, encoding="utf-8")
    try:
        _wait_for_step(proc, out, 300)  # past the checkpoint at step 250
        out.chmod(0o555)                # no new file (checkpoint, run.json) can be made
        _, err = proc.communicate(timeout=WAIT_S)
    finally:
        out.chmod(0o755)
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 2, err
    line = err.strip().splitlines()[-1]
    assert line.startswith("omm-cx run: error: ") and "Traceback" not in err
    assert re.search(rf"{re.escape(str(out))}/[\w.]+: cannot access \(Permission denied, "
                     rf"EACCES\): make the folder and its files writable", line), line
    rec = _record(out)  # run.json could not be rewritten: it still shows the last checkpoint
    kept = rec["checkpoint_step"]
    assert kept >= 250 and kept % 250 == 0 and f"last checkpoint (step {kept})" in line
    _resume_to_the_end(out, kept + 500, kept)


def test_write_failure_names_the_file():
    err = write_failure(OSError(28, "No space left on device", "/x/run/checkpoint.chk"),
                        "/x/run", last_checkpoint=500)
    assert isinstance(err, WriteError)
    assert str(err).startswith("/x/run/checkpoint.chk: cannot write (No space left on device, "
                               "ENOSPC): free space on that file system; the last checkpoint "
                               "(step 500)")
    assert write_failure(FileNotFoundError(2, "gone", "/x"), "/x") is None
    assert write_failure(ValueError("no"), "/x") is None


def test_unwritable_folder_is_refused_before_any_work(tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root ignores folder permissions")
    tmp_path.chmod(0o555)
    try:
        with pytest.raises(WriteError, match=r"cannot access \(Permission denied"):
            run(str(QUICK), tmp_path / "run", steps=100, platform="CPU")
    finally:
        tmp_path.chmod(0o755)
