"""OpenMM platform choice: the fastest available unless one is named."""

from __future__ import annotations

import glob

from omm_cx.errors import OmmCxError

#: Preference order when no platform is named.
PREFERENCE = ("CUDA", "OpenCL", "CPU", "Reference")


def available_platforms() -> list[str]:
    """Names of the OpenMM platforms that loaded on this machine."""
    import openmm as mm

    return [mm.Platform.getPlatform(i).getName() for i in range(mm.Platform.getNumPlatforms())]


def opencl_is_cpu_only() -> bool:
    """True when the only OpenCL drivers installed are CPU ones (PoCL): then OpenMM's own
    CPU platform is faster and is preferred."""
    icds = glob.glob("/etc/OpenCL/vendors/*.icd")
    return bool(icds) and all("pocl" in p or "pocl" in _read_lower(p) for p in icds)


def _read_lower(path: str) -> str:
    with open(path, encoding="utf-8", errors="replace") as fh:
        return fh.read().lower()


def default_precision(platform_name: str) -> str | None:
    """'mixed' on GPU platforms, None (the platform's own) elsewhere."""
    return "mixed" if platform_name in ("CUDA", "OpenCL", "HIP") else None


def get_platform(name: str | None = None, precision: str | None = None):
    """(openmm.Platform, properties dict) for ``name`` or the fastest available one.

    ``precision``: 'single', 'mixed' or 'double' (CUDA/OpenCL/HIP only; the CPU platform is
    mixed and Reference double by construction).
    """
    import openmm as mm

    names = available_platforms()
    if name is None:
        for cand in PREFERENCE:
            if cand in names and not (cand == "OpenCL" and opencl_is_cpu_only()):
                name = cand
                break
    if name not in names:
        raise OmmCxError(
            f"platform {name!r} is not available here; available: {', '.join(names)}"
        )
    platform = mm.Platform.getPlatformByName(name)
    props = {}
    precision = precision or default_precision(name)
    if precision is not None:
        if precision not in ("single", "mixed", "double"):
            raise OmmCxError(f"precision {precision!r} unknown; use single, mixed or double")
        if name in ("CUDA", "OpenCL", "HIP"):
            props["Precision"] = precision
        elif (name, precision) not in (("CPU", "mixed"), ("Reference", "double")):
            raise OmmCxError(
                f"the {name} platform has fixed precision "
                f"({'mixed' if name == 'CPU' else 'double'}); do not set precision={precision!r}"
            )
    return platform, props
