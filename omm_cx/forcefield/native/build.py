"""Compile, cache and load the native OpenMM plugin (``pair_table_force.cpp``).

The plugin is compiled on first use with the C++ compiler found (``$CXX``, ``g++`` or
``c++``) against the headers and ``libOpenMM.so`` that ship inside the ``openmm`` wheel,
so ``pip install`` stays pure Python. The library is cached under
``$OMM_CX_CACHE`` (default ``~/.cache/omm_cx``)/``native/<key>/``; the key hashes the
source, the OpenMM version, the compiler and the CPU's model and flags (the code is
compiled with ``-march=native``, so a cache shared by different machines keeps one
build per CPU). Written to a temporary file, then renamed: concurrent workers never load
a half-written library.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import subprocess
import tempfile
from functools import lru_cache
from pathlib import Path

from omm_cx.errors import NativeUnavailable

SOURCE = Path(__file__).with_name("pair_table_force.cpp")
LIBRARY_NAME = "libomm_cx_native.so"


def _openmm_dirs() -> tuple[Path, Path]:
    """(include, lib) directories of the installed OpenMM."""
    import openmm

    candidates = [Path(openmm.__file__).parent.parent / "OpenMM.libs",  # PyPI wheel
                  Path(openmm.version.openmm_library_path).parent]          # conda, source builds
    for root in candidates:
        if (root / "include" / "OpenMM.h").is_file() and (root / "lib").is_dir():
            return root / "include", root / "lib"
    raise NativeUnavailable("OpenMM's C++ headers were not found next to the openmm package "
                            "(expected OpenMM.libs/include/OpenMM.h); install openmm from PyPI or conda")


def _compiler() -> str:
    for name in (os.environ.get("CXX"), "g++", "c++"):
        if name and shutil.which(name):
            return shutil.which(name)
    raise NativeUnavailable("no C++ compiler found (set $CXX or install g++, e.g. apt install g++)")


def _cpu_signature() -> str:
    try:
        lines = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return os.uname().machine
    keep = [ln for ln in lines if ln.startswith(("model name", "flags"))][:2]
    return "\n".join(keep)


def cache_dir() -> Path:
    """Root of the build cache (``$OMM_CX_CACHE`` or ``~/.cache/omm_cx``)."""
    return Path(os.environ.get("OMM_CX_CACHE", Path.home() / ".cache" / "omm_cx"))


#: Compiler flags. -ffast-math + -fopenmp-simd: the pair loop's "omp simd" becomes vector
#: code with glibc's vector exp (libmvec); no OpenMP runtime is linked. They compile the
#: object only: linking with -ffast-math would add crtfastmath.o, whose constructor turns
#: on flush-to-zero and denormals-are-zero for the whole process that loads the plugin
#: (numpy, scipy and OpenMM would then silently lose denormals).
FLAGS = ("-O3", "-march=native", "-ffast-math", "-fopenmp-simd", "-std=c++17", "-fPIC")
#: Link flags (no -ffast-math: see FLAGS).
LINK_FLAGS = ("-shared", "-fPIC")


def _flags() -> tuple[str, ...]:
    """:data:`FLAGS` plus ``$OMM_CX_NATIVE_CXXFLAGS`` (e.g. ``-march=x86-64-v3`` for one
    build that runs on every node of a mixed cluster)."""
    return FLAGS + tuple(os.environ.get("OMM_CX_NATIVE_CXXFLAGS", "").split())


def _build_key(compiler: str) -> str:
    import openmm

    version = subprocess.run([compiler, "--version"], capture_output=True, text=True).stdout
    h = hashlib.sha256()
    for part in (SOURCE.read_bytes(), " ".join(_flags() + LINK_FLAGS).encode(),
                 openmm.__version__.encode(), version.encode(),
                 _cpu_signature().encode()):
        h.update(part)
        h.update(b"\0")
    return h.hexdigest()[:16]


def compile_library() -> Path:
    """Path of the compiled plugin, compiling it first when the cache has none."""
    compiler = _compiler()
    include, lib = _openmm_dirs()
    target = cache_dir() / "native" / _build_key(compiler) / LIBRARY_NAME
    if target.is_file():
        return target
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        lock = open(target.parent / ".compile.lock", "a")
    except OSError as exc:
        raise NativeUnavailable(f"cannot write the build cache {target.parent} ({exc.strerror}); "
                                f"set OMM_CX_CACHE to a writable folder") from None
    with lock:  # N Dask workers starting at once: one compiles, the others wait and load it
        import fcntl

        fcntl.flock(lock, fcntl.LOCK_EX)
        if target.is_file():
            return target
        return _compile(compiler, include, lib, target)


def _compile(compiler: str, include: str, lib: str, target: Path) -> Path:
    """Compile and link the plugin into ``target`` (atomically: a temporary file, then a
    rename)."""
    logging.getLogger("omm_cx").info("compiling the native short-range kernel (once per "
                                     "machine, a few seconds) into %s", target.parent)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(suffix=".so", dir=target.parent)
    except OSError as exc:
        raise NativeUnavailable(f"cannot write the build cache {target.parent} ({exc.strerror}); "
                                f"set OMM_CX_CACHE to a writable folder") from None
    os.close(fd)
    obj = tmp[:-3] + ".o"
    steps = ([compiler, *_flags(), f"-I{include}", "-c", str(SOURCE), "-o", obj],
             [compiler, *LINK_FLAGS, obj, f"-L{lib}", "-lOpenMM", f"-Wl,-rpath,{lib}", "-o", tmp])
    try:
        for cmd in steps:
            proc = subprocess.run(cmd, capture_output=True, text=True)
            if proc.returncode != 0:
                os.unlink(tmp)
                tail = " | ".join(proc.stderr.strip().splitlines()[-3:])
                raise NativeUnavailable(f"compiling {SOURCE.name} failed ({compiler}): {tail}")
    finally:
        if os.path.exists(obj):
            os.unlink(obj)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o755 & ~umask)  # mkstemp's 0600 (+x by the linker): others could not load it
    os.replace(tmp, target)
    return target


@lru_cache(maxsize=1)
def load() -> Path:
    """Compile (once per machine) and load the plugin into OpenMM; returns its path.
    Raises :class:`NativeUnavailable` when that is not possible here."""
    import openmm

    path = compile_library()
    try:
        openmm.Platform.loadPluginLibrary(str(path))
    except Exception as exc:  # OpenMMException: a broken cache entry or ABI mismatch
        raise NativeUnavailable(f"loading {path} failed: {exc}; delete {path.parent} to rebuild") from None
    return path
