"""An isolated particle in a periodic box (recipe key vacuum_padding_nm): the box, the
centring, and the force error against all pairs measured at build time and recorded in
build.json; it falls with the padding. Bad combinations are one-line recipe errors."""

import numpy as np
import pytest

from omm_cx.errors import ConfigError
from omm_cx.systems.recipes import build_recipe

SPHERE = {"name": "vac", "forcefield": "pbcdse", "seed": 1,
          "nanocrystal": {"shape": "sphere", "diameter_nm": 2.0,
                          "crystal": {"structure": "rocksalt", "cation": "Pb", "anion": "Se"}}}


def test_padding_box_centring_and_recorded_error():
    near = build_recipe(dict(SPHERE, vacuum_padding_nm=1.0))
    far = build_recipe(dict(SPHERE, vacuum_padding_nm=3.0))
    s = far.structure
    lo, hi = s.positions_A.min(axis=0), s.positions_A.max(axis=0)
    assert np.allclose(np.diag(s.box_A), hi - lo + 60.0)          # 3 nm on every side
    assert np.allclose((lo + hi) / 2, np.diag(s.box_A) / 2)      # centred
    v_near, v_far = near.info["vacuum"], far.info["vacuum"]
    assert v_far["padding_nm"] == 3.0 and "all pairs" in v_far["reference"]
    # the image interaction falls with the padding (measured: ~6e-3 -> ~2e-3 eV/Å here)
    assert v_far["rms_force_error_eV_per_A"] < 0.6 * v_near["rms_force_error_eV_per_A"]
    assert v_far["rms_force_error_eV_per_A"] < 0.01 * v_far["rms_force_eV_per_A"]
    assert far.info["box_A"] is not None and build_recipe(SPHERE).info["box_A"] is None


@pytest.mark.parametrize("extra, msg", [
    ({"box_nm": 6.0}, "leave out box_nm"),
    ({"vacuum_padding_nm": 0.5}, "half the"),
])
def test_bad_vacuum_recipes(extra, msg):
    doc = {**SPHERE, "vacuum_padding_nm": 2.0, **extra}
    with pytest.raises(ConfigError, match=msg):
        build_recipe(doc)
