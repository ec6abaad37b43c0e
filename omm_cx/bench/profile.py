"""Where an MD step's time goes: milliseconds per force group on one OpenMM platform.

``omm-cx bench --profile`` times, on a copy of the benchmark's system with PME's
reciprocal part moved to its own force group, a force evaluation of each group alone
(Coulomb real space, Coulomb reciprocal space, short range, guard, anything else), of all
groups together, and a whole MD step; "integration and the rest" is the step minus the
evaluation of all groups. The parts can add up to more or less than the whole (per-call
overheads, caches); OpenMM's CPU kernels compute PME's reciprocal part after the
real-space loop (they start and finish it back to back), not beside it.
"""

from __future__ import annotations

import time

from omm_cx import units
from omm_cx.forcefield.groups import COULOMB_GROUP, GUARD_GROUP, SHORT_RANGE_GROUP

#: Force group that the profile gives PME's reciprocal part (free in omm_cx systems).
RECIPROCAL_GROUP = 31
_NAMES = {COULOMB_GROUP: "Coulomb real space", RECIPROCAL_GROUP: "Coulomb reciprocal space",
          SHORT_RANGE_GROUP: "short range", GUARD_GROUP: "guard"}


def _with_reciprocal_group(system):
    """A copy of ``system`` whose NonbondedForce computes PME's reciprocal part in
    :data:`RECIPROCAL_GROUP`."""
    import openmm as mm

    copy = mm.XmlSerializer.clone(system)
    for f in copy.getForces():
        if isinstance(f, mm.NonbondedForce) and f.getNonbondedMethod() in (
                mm.NonbondedForce.PME, mm.NonbondedForce.LJPME, mm.NonbondedForce.Ewald):
            f.setReciprocalSpaceForceGroup(RECIPROCAL_GROUP)
    return copy


def _ms_per_evaluation(ctx, groups: set[int], repeats: int) -> float:
    ctx.getState(getForces=True, groups=groups)  # warm-up
    t = time.perf_counter()
    for _ in range(repeats):
        ctx.getState(getForces=True, groups=groups)
    return (time.perf_counter() - t) / repeats * 1e3


def profile_forces(system, positions_A, platform, props: dict, *, temperature_K: float = 550.0,
                   repeats: int = 10, steps: int = 50) -> dict[str, float]:
    """Milliseconds per evaluation of each force group of ``system`` at ``positions_A``
    (Å) on ``platform`` (an ``openmm.Platform``), of all of them ("all forces"), of an MD
    step ("MD step": Langevin, 2 fs) and their difference ("integration and the rest")."""
    from omm_cx.bench.timing import md_context, time_steps

    profiled = _with_reciprocal_group(system)
    groups = sorted({f.getForceGroup() for f in profiled.getForces()} | (
        {RECIPROCAL_GROUP} if any(getattr(f, "getReciprocalSpaceForceGroup", lambda: -1)() ==
                                  RECIPROCAL_GROUP for f in profiled.getForces()) else set()))
    ctx, integ = md_context(profiled, positions_A, platform, props, temperature_K)
    ctx.setPositions(units.angstrom_to_nm(positions_A))
    names = dict(_NAMES)
    from omm_cx.forcefield.native.coulomb import fused

    if fused(profiled):  # encoding "native-coulomb": the real space is in the native force
        names.update({COULOMB_GROUP: "Coulomb (PME bookkeeping, no real space)",
                      SHORT_RANGE_GROUP: "short range + Coulomb real space (native)"})
    out = {names.get(g, f"group {g}"): _ms_per_evaluation(ctx, {g}, repeats) for g in groups}
    out["all forces"] = _ms_per_evaluation(ctx, set(groups), repeats)
    out["MD step"] = time_steps(ctx, integ, steps) * 1e3
    out["integration and the rest"] = max(0.0, out["MD step"] - out["all forces"])
    return out


def format_profile(rows: dict[str, dict[str, float]]) -> str:
    """A text table: one column per platform, ms per part."""
    platforms = list(rows)
    parts: list[str] = []
    for p in platforms:
        parts += [k for k in rows[p] if k not in parts]
    width = max(len(k) for k in parts) + 2
    col = max(12, *(len(p) + 2 for p in platforms))
    lines = ["ms per evaluation".ljust(width) + "".join(f"{p:>{col}s}" for p in platforms)]
    for k in parts:
        lines.append(k.ljust(width) + "".join(
            f"{rows[p][k]:{col}.2f}" if k in rows[p] else f"{'-':>{col}s}" for p in platforms))
    return "\n".join(lines)


__all__ = ["RECIPROCAL_GROUP", "profile_forces", "format_profile"]
