"""``omm-cx bench --profile``: ms per force group (omm_cx.bench.profile); no timing asserts."""

import numpy as np
import openmm as mm
import pytest

from omm_cx import units
from omm_cx.bench.profile import RECIPROCAL_GROUP, _with_reciprocal_group, format_profile, profile_forces
from omm_cx.cli.main import main
from omm_cx.systems.recipes import build_recipe


@pytest.fixture(scope="module")
def liquid():
    return build_recipe("cd-psl-liquid")


def _forces(system, pos_A):
    ctx = mm.Context(system, mm.VerletIntegrator(0.001), mm.Platform.getPlatformByName("CPU"))
    ctx.setPositions(units.angstrom_to_nm(pos_A))
    return ctx.getState(getForces=True).getForces(asNumpy=True)._value


def test_moving_the_reciprocal_part_changes_no_force(liquid):
    """The profiled copy computes the same total forces; only the groups differ."""
    pos = liquid.structure.positions_A
    copy = _with_reciprocal_group(liquid.system)
    nb = [f for f in copy.getForces() if isinstance(f, mm.NonbondedForce)][0]
    assert nb.getReciprocalSpaceForceGroup() == RECIPROCAL_GROUP
    ref = _forces(liquid.system, pos)
    # the CPU platform's float sums differ between two contexts by ~1e-6 of the largest force
    assert np.abs(_forces(copy, pos) - ref).max() < 1e-5 * np.abs(ref).max()


def test_profile_has_every_part(liquid):
    plat = mm.Platform.getPlatformByName("CPU")
    prof = profile_forces(liquid.system, liquid.structure.positions_A, plat, {}, repeats=2, steps=3)
    for part in ("Coulomb real space", "Coulomb reciprocal space", "short range", "guard",
                 "all forces", "MD step", "integration and the rest"):
        assert part in prof and prof[part] >= 0
    assert prof["MD step"] > 0 and prof["all forces"] > 0
    table = format_profile({"CPU": prof})
    assert "Coulomb reciprocal space" in table and "CPU" in table.splitlines()[0]


@pytest.mark.slow  # 5-10 s: kept out of the 3-min inner loop
def test_cli_prints_the_profile(capsys):
    rc = main(["bench", "--recipe", "cd-psl-liquid", "--steps", "2", "--platforms", "CPU",
               "--no-lammps", "--target", "1e-3", "--profile"])
    out = capsys.readouterr().out
    assert rc == 0
    assert "ms per evaluation" in out and "short range" in out
