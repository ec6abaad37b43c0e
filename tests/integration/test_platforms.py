"""Reference, CPU and OpenCL platforms agree within their precision (CUDA is checked on
GPU machines only; it is skipped here when absent)."""

import numpy as np
import pytest

from omm_cx.energy.single_point import single_point
from omm_cx.forcefield import load_forcefield
from omm_cx.forcefield.openmm_forces import CoulombSettings
from omm_cx.platforms import available_platforms, get_platform
from structures import disordered_box

# Energy tolerance relative to |E_coulomb| + |E_short_range| (the total is a small
# difference of the two); force tolerance in eV/Å (forces here reach ~50 eV/Å). Seen here:
# single/mixed 1e-4 eV/Å and 6e-7 relative; OpenCL double 1e-5 eV/Å, 1e-7 relative (PME
# implementations differ at the 1e-6 tolerance; OpenCL keeps its tables in float).
TOL = {"double": (1e-6, 1e-4), "mixed": (3e-6, 1e-3), "single": (3e-6, 1e-3)}
CASES = [("CPU", None, "mixed"), ("OpenCL", "single", "single"), ("OpenCL", "mixed", "mixed"),
         ("OpenCL", "double", "double"), ("CUDA", "mixed", "mixed"), ("CUDA", "double", "double")]


@pytest.fixture(scope="module")
def system_and_reference():
    ff = load_forcefield("pbcdse+psl-nonpreferential")
    s = disordered_box({"Pb": 40, "Cd": 40, "Se": 50, "PSL": 30}, 25.0, 2.3, seed=21)
    return ff, s, single_point(ff, s, coulomb=CoulombSettings(ewald_error_tolerance=1e-6))


@pytest.mark.parametrize("platform,precision,kind", CASES)
def test_platform_agrees_with_reference(system_and_reference, platform, precision, kind):
    if platform not in available_platforms():
        pytest.skip(f"{platform} platform not available on this machine")
    ff, s, ref = system_and_reference
    sp = single_point(ff, s, platform=platform, precision=precision,
                      coulomb=CoulombSettings(ewald_error_tolerance=1e-6))
    e_tol, f_tol = TOL[kind]
    assert sp.platform == platform
    scale = abs(ref.coulomb_eV) + abs(ref.short_range_eV)
    assert sp.total_eV == pytest.approx(ref.total_eV, abs=e_tol * scale)
    assert sp.coulomb_eV == pytest.approx(ref.coulomb_eV, abs=e_tol * scale)
    assert np.abs(sp.forces_eV_per_A - ref.forces_eV_per_A).max() < f_tol


def test_default_platform_prefers_fast_ones():
    platform, props = get_platform()
    names = available_platforms()
    assert platform.getName() in names
    if "CUDA" in names:
        assert platform.getName() == "CUDA" and props == {"Precision": "mixed"}
    else:
        assert platform.getName() in ("OpenCL", "CPU")


def test_unknown_platform_is_a_clear_error():
    from omm_cx.errors import OmmCxError

    with pytest.raises(OmmCxError, match="platform 'Metal' is not available here"):
        get_platform("Metal")
