"""The compiled short-range kernel (encoding "native", omm_cx.forcefield.native): the same
energies and forces as the CustomNonbondedForce encodings, a Verlet list that stays
exact as atoms move and boxes tilt, XML round trips, and the run config's choice."""

import json

import numpy as np
import pytest

from omm_cx import units
from omm_cx.errors import NativeUnavailable
from omm_cx.forcefield import load_forcefield
from omm_cx.forcefield.groups import SHORT_RANGE_GROUPS
from omm_cx.forcefield.openmm_forces import create_system
from structures import disordered_box

mm = pytest.importorskip("openmm")
native = pytest.importorskip("omm_cx.forcefield.native")
if not native.available():
    pytest.skip("the native kernel cannot be built here (no C++ compiler)", allow_module_level=True)

FF = "pbcdse+psl-cd-preferred"
COUNTS = {"Pb": 40, "Cd": 40, "Se": 52, "PSL": 28}
HEX = np.array([[28.5, 0, 0], [-14.25, 28.5 * np.sqrt(3) / 2, 0], [0, 0, 25.0]])


def _short_range(system, positions_A, platform="Reference"):
    """(energy kJ/mol, forces kJ/mol/nm) of the short-range groups (pair terms + guard)."""
    ctx = mm.Context(system, mm.VerletIntegrator(1e-3), mm.Platform.getPlatformByName(platform))
    ctx.setPositions(units.angstrom_to_nm(positions_A))
    st = ctx.getState(getEnergy=True, getForces=True, groups=set(SHORT_RANGE_GROUPS))
    return (st.getPotentialEnergy().value_in_unit(mm.unit.kilojoule_per_mole),
            np.asarray(st.getForces(asNumpy=True).value_in_unit(mm.unit.kilojoule_per_mole / mm.unit.nanometer)))


def _pair(structure, ff=FF):
    forcefield = load_forcefield(ff)
    return (create_system(forcefield, structure.species, structure.box_A, encoding="onehot"),
            create_system(forcefield, structure.species, structure.box_A, encoding="native"))


def _assert_same(a, b, rel=1e-9):
    (e0, f0), (e1, f1) = a, b
    assert abs(e1 - e0) <= rel * abs(e0)
    assert np.max(np.abs(f1 - f0)) <= rel * np.max(np.abs(f0))


@pytest.mark.parametrize("platform", ["Reference", "CPU"])
@pytest.mark.parametrize("box", ["cubic", "hexagonal"])
def test_native_equals_the_custom_force(platform, box):
    s = (disordered_box(COUNTS, 25.0, 2.3, seed=3) if box == "cubic" else
         disordered_box(COUNTS, 0, 2.3, seed=4, box_matrix=HEX))
    custom, nat = _pair(s)
    ref = _short_range(custom, s.positions_A)  # Reference: double precision, as native
    got = _short_range(nat, s.positions_A, platform)
    _assert_same(ref, got)
    assert [f.getName() for f in nat.getForces()][1:] == ["ShortRange"]  # one force, guard inside


def _total(system, positions_A, platform="Reference"):
    """(energy kJ/mol, forces kJ/mol/nm) of the whole system."""
    ctx = mm.Context(system, mm.VerletIntegrator(1e-3), mm.Platform.getPlatformByName(platform))
    ctx.setPositions(units.angstrom_to_nm(positions_A))
    st = ctx.getState(getEnergy=True, getForces=True)
    return (st.getPotentialEnergy().value_in_unit(mm.unit.kilojoule_per_mole),
            np.asarray(st.getForces(asNumpy=True).value_in_unit(mm.unit.kilojoule_per_mole / mm.unit.nanometer)))


@pytest.mark.parametrize("box", ["cubic", "hexagonal"])
def test_native_coulomb_takes_over_the_real_space_exactly(box):
    """Coulomb's real space in the native pair loop, the reciprocal part in the
    NonbondedForce: the total energy and forces of the system are unchanged (Reference
    platform, double precision)."""
    s = (disordered_box(COUNTS, 25.0, 2.3, seed=9) if box == "cubic" else
         disordered_box(COUNTS, 0, 2.3, seed=10, box_matrix=HEX))
    ff = load_forcefield(FF)
    ref = _total(create_system(ff, s.species, s.box_A, encoding="onehot"), s.positions_A)
    fused = create_system(ff, s.species, s.box_A, encoding="native-coulomb")
    assert not fused.getForce(0).getIncludeDirectSpace()
    _assert_same(ref, _total(fused, s.positions_A), rel=1e-9)


def test_native_coulomb_on_cpu_is_as_accurate_as_the_custom_force():
    """On the CPU platform (single-precision PME and tabulated erfc there) the fused
    native kernel's forces are no further from the Reference platform's than the
    one-hot CustomNonbondedForce's."""
    s = disordered_box(COUNTS, 25.0, 2.3, seed=11)
    ff = load_forcefield(FF)
    e_ref, f_ref = _total(create_system(ff, s.species, s.box_A, encoding="onehot"), s.positions_A)
    errors = {}
    for enc in ("onehot", "native-coulomb"):
        e, f = _total(create_system(ff, s.species, s.box_A, encoding=enc), s.positions_A, "CPU")
        assert abs(e - e_ref) <= 1e-5 * abs(e_ref), enc
        errors[enc] = np.sqrt(np.mean((f - f_ref) ** 2))
    assert errors["native-coulomb"] <= 1.1 * errors["onehot"], errors


def test_guard_wall_is_inside_the_native_force():
    """Two ions pushed inside a catastrophe wall: the native force has the guard's energy."""
    s = disordered_box(COUNTS, 25.0, 2.3, seed=5)
    pos = s.positions_A.copy()
    i = s.species.index("Pb")
    j = s.species.index("Se")
    pos[j] = pos[i] + np.array([0.8, 0.0, 0.0])  # far inside the Pb-Se wall (< 1.5 Å)
    custom, nat = _pair(s)
    ref = _short_range(custom, pos)
    assert ref[0] > 1e4  # the wall is on
    _assert_same(ref, _short_range(nat, pos))


def test_verlet_list_follows_moving_atoms_on_cpu():
    """Displacements beyond half the skin (0.5 Å) force a rebuild; energies stay exact."""
    s = disordered_box(COUNTS, 25.0, 2.3, seed=6)
    custom, nat = _pair(s)
    cpu = mm.Platform.getPlatformByName("CPU")
    ctx = mm.Context(nat, mm.VerletIntegrator(1e-3), cpu)
    rng = np.random.default_rng(0)
    pos = s.positions_A.copy()
    for step in range(4):
        ctx.setPositions(units.angstrom_to_nm(pos))
        st = ctx.getState(getEnergy=True, groups=set(SHORT_RANGE_GROUPS))
        e = st.getPotentialEnergy().value_in_unit(mm.unit.kilojoule_per_mole)
        e_ref = _short_range(custom, pos)[0]
        assert abs(e - e_ref) <= 1e-9 * abs(e_ref), step
        pos = pos + rng.normal(scale=0.3 if step % 2 else 0.05, size=pos.shape)  # small, then large
        pos[0] += 30.0  # one atom wraps through the box: the list must use minimum images


def test_xml_round_trip_keeps_the_force():
    s = disordered_box(COUNTS, 25.0, 2.3, seed=7)
    _, nat = _pair(s)
    xml = mm.XmlSerializer.serialize(nat)
    assert native.FORCE_TYPE in xml
    native.load_for(xml)
    again = mm.XmlSerializer.deserialize(xml)
    _assert_same(_short_range(nat, s.positions_A), _short_range(again, s.positions_A), rel=1e-14)


def test_native_refuses_systems_without_a_box():
    s = disordered_box(COUNTS, 25.0, 2.3, seed=3)
    with pytest.raises(ValueError, match="periodic box"):
        create_system(load_forcefield(FF), s.species, None, encoding="native")


def test_a_failing_compiler_raises_native_unavailable(tmp_path, monkeypatch):
    from omm_cx.forcefield.native import build

    monkeypatch.setenv("OMM_CX_CACHE", str(tmp_path))
    monkeypatch.setenv("CXX", "false")  # a "compiler" that always fails
    with pytest.raises(NativeUnavailable, match="compiling pair_table_force.cpp failed"):
        build.compile_library()
    assert not list(tmp_path.rglob("*.so"))  # no half-written library left behind


def test_an_unwritable_cache_raises_native_unavailable(tmp_path, monkeypatch):
    from omm_cx.forcefield.native import build

    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv("OMM_CX_CACHE", str(blocker / "cache"))  # a path under a file
    with pytest.raises(NativeUnavailable, match="OMM_CX_CACHE"):
        build.compile_library()


def test_swap_gives_the_same_system_energy():
    from omm_cx.forcefield.native.swap import native_applies, use_native

    s = disordered_box(COUNTS, 25.0, 2.3, seed=8)
    ff = load_forcefield(FF)
    system = create_system(ff, s.species, s.box_A, encoding="onehot")
    ref = _short_range(system, s.positions_A)
    assert native_applies(system) is None
    total = _total(system, s.positions_A)
    twin = create_system(ff, s.species, s.box_A, encoding="onehot")
    use_native(system, ff, s.species, coulomb=False)
    assert native_applies(system) is not None  # nothing left to swap
    _assert_same(ref, _short_range(system, s.positions_A))
    use_native(twin, ff, s.species)  # with Coulomb's real space: the total is the same
    _assert_same(total, _total(twin, s.positions_A))


def _run(tmp_path, kernel_line: str, name: str):
    from omm_cx.cli.main import main

    quick = __import__("pathlib").Path(__file__).resolve().parents[2] / "examples" / "quick" / "structure.pdb"
    cfg = tmp_path / f"{name}.yaml"
    cfg.write_text(f"system: {{forcefield: pbcdse+psl-nonpreferential, structure: {quick}}}\n"
                   f"{kernel_line}seed: 1\nensemble: nvt\ntemperature_K: 550\nsteps: 20\n"
                   "minimize: false\nreport: {state_steps: 10, trajectory_steps: 10, "
                   "checkpoint_steps: 20}\nplatform: CPU\n", encoding="utf-8")
    code = main(["run", str(cfg), "-o", str(tmp_path / name)])
    return code, tmp_path / name


def test_cpu_runs_use_the_native_kernel_and_custom_is_kept_on_request(tmp_path):
    code, out = _run(tmp_path, "", "auto")
    assert code == 0
    run = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert run["platform"]["properties"]["omm_cx.short_range_kernel"] == "native"
    # the run folder's system stays platform-neutral (no plugin needed to read it)
    assert native.FORCE_TYPE not in (out / "build" / "system.xml").read_text(encoding="utf-8")
    code, out = _run(tmp_path, "short_range_kernel: custom\n", "custom")
    assert code == 0
    run = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert run["platform"]["properties"]["omm_cx.short_range_kernel"] == "custom"


def test_native_asked_for_a_system_without_a_box_exits_2(tmp_path, capsys):
    from omm_cx.cli.main import main

    quick = __import__("pathlib").Path(__file__).resolve().parents[2] / "examples" / "quick" / "structure.pdb"
    lines = [ln for ln in quick.read_text(encoding="utf-8").splitlines() if not ln.startswith("CRYST1")]
    (tmp_path / "vac.pdb").write_text("\n".join(lines) + "\n", encoding="utf-8")
    cfg = tmp_path / "run.yaml"
    cfg.write_text(f"system: {{forcefield: pbcdse+psl-nonpreferential, structure: {tmp_path / 'vac.pdb'}}}\n"
                   "short_range_kernel: native\nseed: 1\nensemble: nvt\ntemperature_K: 550\nsteps: 10\n"
                   "minimize: false\nplatform: CPU\n", encoding="utf-8")
    assert main(["run", str(cfg), "-o", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "short_range_kernel" in err and "custom" in err
