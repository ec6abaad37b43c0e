"""002's core/shell particle: the shell cut along whole {100} / {111} layers, the
size-averaged pattern of the xrd study call, and the sign of the core and shell (200)
amplitudes that splits (200) in the coherent model (docs/fidelity.md, 002 section)."""

from __future__ import annotations

import numpy as np
import pytest

from omm_cx.analysis.xrd.form_factors import form_factor_table
from omm_cx.errors import StructureError
from omm_cx.systems import shapes
from omm_cx.systems.lattice import Crystal

A_PBS, A_CDS = 5.94, 5.81


def _pbs() -> Crystal:
    return Crystal.make("rocksalt", "Pb", "S", A_PBS)


@pytest.mark.parametrize("cut", ["100", "111"])
def test_layer_cut_takes_whole_layers(cut):
    crystal = _pbs()
    atoms = shapes.core_shell(crystal, "Cd", "zincblende", 40.0, exchanged_fraction=0.6,
                              cut=cut)
    roles, parts = np.array(atoms.roles), np.array(atoms.parts)
    an = atoms.positions_A[roles == "anion"]
    level = shapes._shell_level(an, crystal.rotation, cut)
    shell = parts[roles == "anion"] == "shell"
    # every shell anion lies on a layer beyond every core anion's: whole layers only
    assert level[shell].min() > level[~shell].max() + 1e-3
    n_layers = len(np.unique(np.round(level, 4)))
    assert abs(shell.mean() - 0.6) < 1.0 / n_layers + 0.1
    # the radius cut (the default) is exact and may split a shell of equal radii
    exact = shapes.core_shell(crystal, "Cd", "zincblende", 40.0, exchanged_fraction=0.6)
    r_roles, r_parts = np.array(exact.roles), np.array(exact.parts)
    assert np.sum((r_roles == "cation") & (r_parts == "shell")) == round(0.6 * np.sum(r_roles == "anion"))


def test_layer_cut_by_thickness_and_bad_cut():
    crystal = _pbs()
    atoms = shapes.core_shell(crystal, "Cd", "zincblende", 40.0, shell_thickness_A=6.0, cut="111")
    roles, parts = np.array(atoms.roles), np.array(atoms.parts)
    an = atoms.positions_A[roles == "anion"]
    level = shapes._shell_level(an, crystal.rotation, "111")
    shell = parts[roles == "anion"] == "shell"
    assert np.all(level[shell] > 14.0) and np.all(level[~shell] <= 14.0)
    with pytest.raises(StructureError, match="shell cut"):
        shapes.core_shell(crystal, "Cd", "zincblende", 40.0, exchanged_fraction=0.5, cut="110")


def _amplitude(xyz, species, q_vec):
    q = float(np.linalg.norm(q_vec))
    f = form_factor_table(list(species), np.array([q]), "wk1995")
    fa = np.array([f[s][0] for s in species])
    return np.sum(fa * np.exp(1j * xyz @ q_vec))


@pytest.mark.parametrize("hkl,sign", [((2, 0, 0), -1), ((2, 2, 0), 1)])
def test_core_and_shell_amplitudes_opposite_at_200(hkl, sign):
    """The zinc-blende shell's cations sit a/4 <111> from the rocksalt core's octahedral
    sites: r_hkl . R = 1/2 for (200), so the core's (200) amplitude (f_Pb + f_S) and the
    shell's (f_S - f_Cd) have opposite signs; for (220), r . R = 1, they add."""
    atoms = shapes.core_shell(_pbs(), "Cd", "zincblende", 40.0, exchanged_fraction=0.5)
    parts, sp = np.array(atoms.parts), np.array(atoms.species)
    g = 2 * np.pi * np.array(hkl, float) / A_PBS
    fc = _amplitude(atoms.positions_A[parts == "core"], sp[parts == "core"], g)
    fs = _amplitude(atoms.positions_A[parts == "shell"], sp[parts == "shell"], g)
    assert np.sign(np.real(fc * np.conj(fs))) == sign
    assert abs(np.cos(np.angle(fc) - np.angle(fs)) - sign) < 1e-6


def test_size_average_is_the_weighted_sum_of_three_sizes():
    from omm_cx.analysis.xrd.debye import debye_intensity, q_grid
    from omm_cx.io.yaml_input import load_yaml
    from omm_cx.studies.tasks import _core_shell_pattern
    from omm_cx.systems.recipes import build_recipe, resolve_recipe

    doc = load_yaml(resolve_recipe("pbs-cds-core-shell-xrd"), "recipe")
    doc["nanocrystal"]["exchanged_fraction"] = 0.5
    q = q_grid(1.8, 2.2, 0.02)
    avg, n_atoms, built = _core_shell_pattern(doc, q, 2.6, 0.2)
    parts = []
    for d, w in ((2.6 - 0.2 * np.sqrt(3), 1 / 6), (2.6, 2 / 3), (2.6 + 0.2 * np.sqrt(3), 1 / 6)):
        doc["nanocrystal"]["diameter_nm"] = d
        s = build_recipe(doc).structure
        parts.append(w * debye_intensity(s.positions_A, s.species, q))
        if d == 2.6:
            assert n_atoms == len(s.species)
    assert np.allclose(avg, sum(parts), rtol=1e-12)
    assert abs(built - 0.5) < 0.02


def test_recipe_key_shell_cut():
    from omm_cx.io.yaml_input import load_yaml
    from omm_cx.systems.recipes import build_recipe, resolve_recipe

    doc = load_yaml(resolve_recipe("pbs-cds-core-shell-xrd"), "recipe")
    doc["nanocrystal"].update(diameter_nm=3.0, exchanged_fraction=0.5, shell_cut="100")
    info = build_recipe(doc).info
    assert info["recipe"]["nanocrystal"]["shell_cut"] == "100"
    assert 0.3 < info["exchanged_fraction"] < 0.7
    doc["nanocrystal"]["shell_cut"] = "sphere"
    with pytest.raises(Exception, match="shell_cut"):
        build_recipe(doc)
