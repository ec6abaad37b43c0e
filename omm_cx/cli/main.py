"""The ``omm-cx`` entry point: a registry of subcommands and the one error policy.

Each command is a module of :mod:`omm_cx.cli` (ASE's ``ase/cli/main.py`` pattern) with

* ``DESCRIPTION`` (and optionally ``EPILOG``): the text of ``omm-cx CMD --help``;
* ``add_arguments(parser)``: its options;
* ``run(args) -> int``: parse nothing more, call the Python API, print; raise
  :class:`~omm_cx.errors.OmmCxError` for bad input.

Command modules import only argparse at import time, so ``omm-cx --help`` and
``omm-cx CMD --help`` import no OpenMM, numpy or mdtraj. To add a command, write its module
and add a line to :data:`COMMANDS`.

Error policy (:func:`call`): bad input (:class:`~omm_cx.errors.OmmCxError`, a missing or
unreadable path) -> exit 2 and one line ``omm-cx CMD: error: <message>`` on stderr; a failed
simulation -> exit 3; a run stopped at its wall-time budget -> 4; a run stopped by a signal ->
128 + signal (130, 143); Ctrl-C -> 130;
a traceback only with ``--traceback``. argparse's usage errors exit 2 with one line too.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from typing import Sequence

from omm_cx import __version__
from omm_cx.errors import PATH_ERRORS, OmmCxError, RunInterrupted, exit_code_of

#: name -> (module, one-line help), in the order of ``omm-cx --help``.
COMMANDS: dict[str, tuple[str, str]] = {
    "energy": ("omm_cx.cli.energy", "single-point energy (eV) and forces of a PDB structure"),
    "validate": ("omm_cx.cli.validate", "lattice statics of the crystal phases vs the paper"),
    "build": ("omm_cx.cli.build", "build a system from a recipe (systems/*.yaml)"),
    "recipes": ("omm_cx.cli.recipes", "list the recipes shipped with omm_cx"),
    "demo": ("omm_cx.cli.demo",
             "end-to-end demo: build, run and analyze a small cation exchange"),
    "bench": ("omm_cx.cli.bench", "benchmark omm_cx against LAMMPS at equal force accuracy"),
    "run": ("omm_cx.cli.run", "run MD from a config (checkpoints, --resume)"),
    "analyze": ("omm_cx.cli.analyze",
                "analyse trajectories: exchange ratio, densities, g(r), jumps, RMSD, MSD"),
    "render": ("omm_cx.cli.render", "cross-section pictures of a slab through the NC, movies"),
    "xrd": ("omm_cx.cli.xrd", "powder X-ray patterns of NCs (Debye equation), peaks and I111/I200"),
    "path": ("omm_cx.cli.path",
             "energy along a straight path of moving atoms (barriers, kick-off swaps)"),
    "fit": ("omm_cx.cli.fit", "fit Buckingham parameters to crystal data (relaxed fitting)"),
    "forcefields": ("omm_cx.cli.forcefields", "list the parameter files shipped with omm_cx"),
    "study": ("omm_cx.cli.study", "studies: reproduce a paper's figure or table (list, run, status, report)"),
    "schema": ("omm_cx.cli.schema", "JSON schema of a YAML input: forcefield, recipe, run, fit"),
}

_TRACEBACK_HELP = "print the full traceback of an error (for bug reports)"


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are one line on stderr (exit 2), like every
    other error of ``omm-cx``."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def configure(parser: argparse.ArgumentParser, name: str) -> argparse.ArgumentParser:
    """Add command ``name``'s arguments (and ``--traceback``) to ``parser``; its defaults
    ``func`` and ``command`` say what :func:`call` runs."""
    module = importlib.import_module(COMMANDS[name][0])
    module.add_arguments(parser)
    parser.add_argument("--traceback", action="store_true", default=argparse.SUPPRESS,
                        help=_TRACEBACK_HELP)
    parser.set_defaults(func=module.run, command=name)
    return parser


def command_parser(name: str, prog: str) -> argparse.ArgumentParser:
    """A stand-alone parser of one command (e.g. to parse ``omm-cx analyze`` arguments
    from Python)."""
    module = importlib.import_module(COMMANDS[name][0])
    parser = Parser(prog=prog, description=getattr(module, "DESCRIPTION", None),
                    epilog=getattr(module, "EPILOG", None))
    return configure(parser, name)


def build_parser() -> argparse.ArgumentParser:
    """The ``omm-cx`` parser with every command of :data:`COMMANDS`."""
    parser = Parser(prog="omm-cx", description="OpenMM simulations of cation exchange in "
                    "colloidal nanocrystals. 'omm-cx CMD --help' describes a command.",
                    epilog="exit codes: 0 done; 2 bad input (one line names the file, key or "
                    "atom); 3 simulation failed; 4 run stopped at its wall-time budget (resume it); "
                    "130/143 stopped by SIGINT/SIGTERM; 1 a bug (rerun with --traceback)")
    parser.add_argument("--version", action="version", version=f"omm_cx {__version__}")
    parser.add_argument("--traceback", action="store_true", help=_TRACEBACK_HELP)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (module_name, help_text) in COMMANDS.items():
        module = importlib.import_module(module_name)
        configure(sub.add_parser(name, help=help_text,
                                 description=getattr(module, "DESCRIPTION", help_text),
                                 epilog=getattr(module, "EPILOG", None)), name)
    return parser


def _one_line(exc: BaseException) -> str:
    if isinstance(exc, PATH_ERRORS) and exc.filename is not None:
        text = f"{exc.filename}: {exc.strerror or exc}; check the path"
    else:
        text = str(exc) or type(exc).__name__
    return "; ".join(line.strip() for line in text.splitlines() if line.strip())


def call(args: argparse.Namespace) -> int:
    """Run ``args.func(args)`` under the error policy; returns the exit code."""
    prefix = f"omm-cx {getattr(args, 'command', '')}".rstrip()
    try:
        return int(args.func(args) or 0)
    except (OmmCxError, KeyboardInterrupt, *PATH_ERRORS) as exc:
        if getattr(args, "traceback", False):
            import traceback

            traceback.print_exc()
        if isinstance(exc, RunInterrupted):
            print(f"{prefix}: {_one_line(exc)}", file=sys.stderr)
        elif isinstance(exc, KeyboardInterrupt):
            print(f"{prefix}: interrupted", file=sys.stderr)
        else:  # bad input (exit 2) or a failed simulation (exit 3)
            print(f"{prefix}: error: {_one_line(exc)}", file=sys.stderr)
        return exit_code_of(exc)
    except BrokenPipeError:  # the reader went away (omm-cx study list | head): quietly stop
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no error at exit
        return 141  # 128 + SIGPIPE, as a shell pipeline reports it
    except Exception as exc:  # a bug: one line unless --traceback
        if getattr(args, "traceback", False):
            raise
        print(f"{prefix}: internal error: {type(exc).__name__}: {_one_line(exc)} (this is a "
              f"bug: rerun with 'omm-cx --traceback ...' and report it)", file=sys.stderr)
        return 1


def main(argv: Sequence[str] | None = None) -> int:
    """``omm-cx [--traceback] COMMAND ...``; returns the exit code."""
    return call(build_parser().parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
