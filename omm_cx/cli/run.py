"""``omm-cx run``: MD from a run config.

Importing this module does not import OpenMM (:func:`run` imports the runner lazily).
Exit codes (the one policy of :mod:`omm_cx.cli.main`): 0 finished; 2 bad config, command
line or output folder, a folder another run is writing into, or a failed write (disk full,
size limit, no permission; the last checkpoint is kept); 3 simulation failed (NaN or
explosion; the last good checkpoint is kept); 4 stopped at the wall-time budget
(``--max-wall-time``) after writing a checkpoint; 128 + signal (130 SIGINT, 143 SIGTERM)
stopped by a signal after writing a checkpoint -- after 4 or 128 + signal, continue with
--resume.
"""

from __future__ import annotations

import argparse
import logging
import sys

DESCRIPTION = (
    "Run MD from a YAML run config into the folder DIR: traj.dcd (or .xtc; coordinates as "
    "integrated, not wrapped), state.csv, checkpoint.chk (every report.checkpoint_ps and at "
    "the end), final.pdb, run.json (settings, versions, platform, seeds, status). "
    "SIGTERM/SIGINT write a checkpoint and stop; --resume continues from it. One run at a "
    "time writes into DIR (DIR/.lock)."
)
EPILOG = (
    "exit codes: 0 finished; 2 bad config, command line or output folder, DIR in use by "
    "another run, or a failed write (disk full, no permission; last checkpoint kept); 3 "
    "simulation failed (NaN/explosion, last good checkpoint kept); 4 stopped at the "
    "wall-time budget (--max-wall-time) after a checkpoint; 130/143 stopped by "
    "SIGINT/SIGTERM after a checkpoint. After 4, 130 or 143 continue with --resume, e.g. "
    "in a batch job: omm-cx run CFG -o DIR --resume --max-wall-time 23:50:00"
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Options of ``omm-cx run`` (``--out`` still works: argparse accepts the prefix)."""
    p.add_argument("config", help="run config (YAML); see examples/quick.yaml")
    p.add_argument("-o", "--output", required=True, metavar="DIR", help="run folder")
    p.add_argument("--steps", type=int, metavar="N",
                   help="total steps of the run (overrides steps/length_ns; with --resume it "
                        "may extend a finished run)")
    p.add_argument("--platform", metavar="NAME",
                   help="OpenMM platform: CUDA, OpenCL, CPU or Reference (default: config, "
                        "else the fastest: CUDA > OpenCL > CPU)")
    p.add_argument("--precision", choices=("single", "mixed", "double"),
                   help="GPU precision (default: config, else mixed)")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--resume", action="store_true",
                      help="continue from the folder's last checkpoint (from the start when "
                           "there is none yet); frames/rows after it are dropped first")
    mode.add_argument("--overwrite", action="store_true",
                      help="delete the folder's run files and start again")
    p.add_argument("--max-wall-time", metavar="TIME",
                   help="wall-time budget of this start/resume: seconds (3600), 90m, 2h or "
                        "[D-]H:MM:SS; the run stops with a checkpoint before it runs out and "
                        "exits with 4 (default: config key max_wall_time, else none)")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="progress line on stderr (default: only on a terminal)")
    live = p.add_argument_group("live exchange (NC systems: DIR/live_exchange.csv while it runs)")
    live.add_argument("--live-every-ps", type=float, default=10.0, metavar="PS",
                      help="NC membership counts and rho every PS ps (default 10; 0: off; "
                           "nothing is written for systems without a nanocrystal)")
    live.add_argument("--stop-rho-above", type=float, metavar="X",
                      help="end the run once rho >= X (a checkpoint and final.pdb; run.json "
                           "says which rule stopped it)")
    live.add_argument("--stop-plateau-ps", type=float, metavar="PS",
                      help="end the run once rho varies less than --plateau-tolerance over "
                           "the last PS ps")
    live.add_argument("--plateau-tolerance", type=float, default=0.01, metavar="DRHO",
                      help="range of rho that counts as a plateau (default 0.01)")
    p.add_argument("--quiet", "-q", action="store_true", help="warnings and errors only")


class _StderrHandler(logging.StreamHandler):
    """Writes to ``sys.stderr`` as it is when a message is logged, not as it was when the
    handler was made (an embedding program or a test harness may swap and close it)."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:  # StreamHandler.__init__ sets it; sys.stderr wins
        pass


def _setup_logging(quiet: bool) -> None:
    logger = logging.getLogger("omm_cx.simulation")
    if not logger.handlers:
        handler = _StderrHandler()
        handler.setFormatter(logging.Formatter("omm-cx run: %(message)s"))
        logger.addHandler(handler)
        logger.propagate = False
    logger.setLevel(logging.WARNING if quiet else logging.INFO)


def run(args: argparse.Namespace) -> int:
    """Run (or continue) the MD; errors are raised for :func:`omm_cx.cli.main.call`."""
    import signal

    from omm_cx.errors import EXIT_OK, EXIT_WALL_TIME, RunInterrupted

    _setup_logging(args.quiet)
    try:
        from omm_cx.analysis.live import StopRule, live_reporters
        from omm_cx.simulation.config import load_config
        from omm_cx.simulation.runner import run as run_md

        cfg = load_config(args.config)
        rule = StopRule(args.stop_rho_above, args.stop_plateau_ps, args.plateau_tolerance)
        live = live_reporters(args.output, cfg.timestep_fs, args.live_every_ps, rule)
        result = run_md(cfg, args.output, steps=args.steps, platform=args.platform,
                        precision=args.precision, resume=args.resume, overwrite=args.overwrite,
                        progress=args.progress, max_wall_time=args.max_wall_time,
                        reporters=live)
    except KeyboardInterrupt:
        raise RunInterrupted("stopped by a second signal without a new checkpoint; --resume "
                             "continues from the last one", signal.SIGINT, None) from None
    return EXIT_WALL_TIME if result.status == "stopped" else EXIT_OK
