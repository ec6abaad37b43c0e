"""MD runs: config -> OpenMM simulation with checkpoints, restarts and honest progress.

    from omm_cx.simulation import run, load_config
    result = run("examples/quick.yaml", "out/quick")          # RunResult
    result = run(cfg_dict, "out/x", steps=5000, resume=True)

Command line: ``omm-cx run CONFIG -o DIR [--steps N] [--platform NAME] [--resume]``. Modules: :mod:`.config` (the YAML
keys), :mod:`.choices` (ensemble, status, ... as string enums), :mod:`.runner` (the run),
:mod:`.resume` (fresh start, resume or nothing to do), :mod:`.start` (minimization and the
new run record), :mod:`.record` (run.json, typed: :class:`RunRecord`), :mod:`.rundir` (the
output folder), :mod:`.outputs` (roll-back of trajectory/CSV on resume),
:mod:`.checkpoint`, :mod:`.health` (NaN and explosion checks), :mod:`.reporters`,
:mod:`.signals`, :mod:`.engine` (OpenMM objects), :mod:`.source` (the simulated system),
:mod:`.provenance` (versions, host), :mod:`.lock` (one run per folder),
:mod:`.walltime` (the wall-time budget), :mod:`.faults` (failed writes -> one line).

Importing this package does not import OpenMM.
"""

from omm_cx._lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(__name__, {
    "run": "runner",
    "load_config": "config",
    "RunConfig": "config",
    "RunFolder": "rundir",
    "read_run_record": "record",
    "RunRecord": "record",
    "ConfigError": "omm_cx.errors",
    "RunDirError": "omm_cx.errors",
    "RunInterrupted": "omm_cx.errors",
    "SimulationError": "omm_cx.errors",
})
