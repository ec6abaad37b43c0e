"""Portable resume (issue 12, item 2): a run started on the CPU platform continues on
Reference (and OpenCL where this machine has it) through the XML state of its checkpoint,
since OpenMM refuses a binary checkpoint of another platform. The potential energy of the
restored state equals the one recorded at the checkpoint within a stated tolerance, and
run.json lists each segment's platform, device and OpenMM version."""

import logging

import openmm
import pytest

from omm_cx.io.tables import read_json
from omm_cx.simulation import run
from omm_cx.simulation.outputs import read_state_csv
from test_run_resume import _cfg

#: Relative tolerance for the potential energy of the restored state vs the checkpoint's.
#: CPU computes in mixed single precision (and its PME grid differs slightly); Reference
#: in double: they agree to ~1e-7 for this 216-ion liquid.
RTOL = 2e-5


def _platforms() -> set[str]:
    return {openmm.Platform.getPlatform(i).getName()
            for i in range(openmm.Platform.getNumPlatforms())}


@pytest.mark.parametrize("target", ["Reference", "OpenCL"])
def test_cpu_run_resumes_on_another_platform(tmp_path, caplog, target):
    if target not in _platforms():
        pytest.skip(f"no {target} platform on this machine")
    out = tmp_path / "run"
    run(_cfg(), out)  # CPU, 200 steps, checkpoints at 0, 100, 200
    rec = read_json(out / "run.json")
    at_checkpoint = rec["checkpoints"][-1]["potential_kJmol"]
    assert rec["checkpoints"][-1]["step"] == 200 and rec["checkpoints"][-1]["platform"] == "CPU"
    with caplog.at_level(logging.WARNING, logger="omm_cx.simulation"):
        res = run(_cfg(), out, resume=True, steps=300, platform=target)
    assert res.status == "finished" and res.platform == target and res.steps == 300
    assert "resumed from checkpoint.xml (step 200) because checkpoint.chk (step 200): cannot be " \
           "loaded here" in caplog.text
    rec = read_json(out / "run.json")
    first, second = rec["segments"]
    assert first["platform"] == "CPU" and second["platform"] == target
    for seg in (first, second):
        assert seg["device"] and seg["openmm"] == openmm.__version__
    assert second["resumed_from"] == "checkpoint.xml" and second["resumed_from_step"] == 200
    restart = second["restart_potential_kJmol"]
    assert restart == pytest.approx(at_checkpoint, rel=RTOL)
    # the CSV row of the checkpoint step (written on CPU) agrees too, and the run goes on
    # from there at the same energy scale (no jump: within the scatter of the CPU rows)
    csv = read_state_csv(out / "state.csv")
    assert csv["Step"] == [50.0, 100.0, 150.0, 200.0, 250.0, 300.0]
    pot = csv["Potential Energy (kJ/mole)"]
    assert pot[3] == pytest.approx(restart, rel=RTOL)
    spread = max(pot[:4]) - min(pot[:4])
    assert all(abs(p - pot[3]) < 3 * spread + 1.0 for p in pot[4:])
    # the new checkpoints belong to the new platform; a later resume there is exact
    assert [c["platform"] for c in rec["checkpoints"]] == ["CPU", target]
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="omm_cx.simulation"):
        res = run(_cfg(), out, resume=True, steps=350, platform=target)
    assert res.resumed_from_step == 300 and "resumed from" not in caplog.text
    assert read_json(out / "run.json")["segments"][-1]["resumed_from"] == "checkpoint.chk"
