"""Point defects: interstitial sites found from the Voronoi diagram against their known
crystallographic positions, defect supercells, and relaxed formation energies."""

from __future__ import annotations

import numpy as np
import pytest

from omm_cx.crystals import STRUCTURES
from omm_cx.errors import StructureError
from omm_cx.forcefield import load_forcefield
from omm_cx.lattice_statics.relax import relax_structure
from omm_cx.systems.defects import defect_supercell, interstitial_sites, parse_defect

CDSE = {"cation": "Cd", "anion": "Se"}


def _equivalent(frac, expected) -> bool:
    d = (np.asarray(frac) - np.asarray(expected) + 0.5) % 1.0 - 0.5
    return np.allclose(d, 0.0, atol=1e-6)


def test_zincblende_sites():
    """ZB (cations at 0, anions at 1/4 1/4 1/4): tetrahedral holes at 1/2 (4 anions at
    sqrt(3)/4 a) and 3/4 (4 cations), hexagonal sites at 5/8 (3 + 3, a flat ring)."""
    a = 6.2
    sites = {s.name: s for s in interstitial_sites(STRUCTURES["zincblende"], CDSE, a)}
    assert {"tetrahedral-anion", "tetrahedral-cation", "hexagonal"} <= set(sites)
    t_a, t_c, hexa = sites["tetrahedral-anion"], sites["tetrahedral-cation"], sites["hexagonal"]
    assert t_a.radius_A == pytest.approx(np.sqrt(3) / 4 * a, abs=1e-3)
    assert t_c.radius_A == pytest.approx(np.sqrt(3) / 4 * a, abs=1e-3)
    assert dict(t_a.shell) == {"cation": 0, "anion": 4} and t_a.multiplicity == 4
    assert dict(t_c.shell) == {"cation": 4, "anion": 0} and t_c.multiplicity == 4
    # each representative is one of the four fcc-equivalent positions
    fcc = [(0, 0, 0), (0, .5, .5), (.5, 0, .5), (.5, .5, 0)]
    assert any(_equivalent(t_a.frac, np.add((.5, .5, .5), t)) for t in fcc)
    assert any(_equivalent(t_c.frac, np.add((.75, .75, .75), t)) for t in fcc)
    assert dict(hexa.shell) == {"cation": 3, "anion": 3} and hexa.anisotropy < 0.15
    assert hexa.radius_A == pytest.approx(np.sqrt(11) / 8 * a, abs=1e-3)  # to (1/4, 1/4, 1/4) + (0, 1/2, 1/2)


def test_rocksalt_and_wurtzite_sites():
    rs = interstitial_sites(STRUCTURES["rocksalt"], {"cation": "Pb", "anion": "Se"}, 6.1)[0]
    assert rs.name == "cubic" and dict(rs.shell) == {"cation": 4, "anion": 4}
    assert rs.radius_A == pytest.approx(np.sqrt(3) / 4 * 6.1, abs=1e-3) and rs.multiplicity == 8
    wz = interstitial_sites(STRUCTURES["wurtzite"], CDSE, 4.43, 7.05, 0.383)
    octa = wz[0]  # the largest hole: the octahedral site on the c axis through the channel
    assert octa.name == "octahedral" and octa.multiplicity == 2
    assert np.allclose(np.asarray(octa.frac[:2]) % 1.0, 0.0, atol=1e-6) or np.allclose(
        np.asarray(octa.frac[:2]) % 1.0, 1.0, atol=1e-6)
    assert "hexagonal" in {s.name for s in wz}


def test_parse_defect_errors():
    assert str(parse_defect("interstitial:Cu@octahedral")) == "interstitial:Cu@octahedral"
    assert parse_defect("substitution:Cu@Cd").changes() == {"Cu": 1, "Cd": -1}
    for bad in ("vacancy", "hole:Cd", "interstitial:Cu", "vacancy:Cd@octahedral"):
        with pytest.raises(StructureError):
            parse_defect(bad)


def test_defect_supercells():
    params = {"a": 6.2}
    zb = STRUCTURES["zincblende"]
    v = defect_supercell(zb, CDSE, params, (2, 2, 2), parse_defect("vacancy:Cd"))
    assert len(v.species) == 63 and v.species.count("Cd") == 31 and len(v.perfect_species) == 64
    i = defect_supercell(zb, CDSE, params, (2, 2, 2), parse_defect("interstitial:Cu@tetrahedral-cation"))
    assert i.species[-1] == "Cu" and len(i.species) == 65
    d = np.linalg.norm(i.perfect_positions_A - i.defect_position_A, axis=1)
    assert d.min() == pytest.approx(np.sqrt(3) / 4 * 6.2, abs=1e-6)
    s = defect_supercell(zb, CDSE, params, (2, 2, 2), parse_defect("substitution:Cu@Cd"))
    assert s.species.count("Cu") == 1 and s.species.count("Cd") == 31
    with pytest.raises(StructureError, match="sites:"):
        defect_supercell(zb, CDSE, params, (2, 2, 2), parse_defect("interstitial:Cu@octahedral"))
    with pytest.raises(StructureError, match="no Pb"):
        defect_supercell(zb, CDSE, params, (2, 2, 2), parse_defect("vacancy:Pb"))


@pytest.fixture(scope="module")
def lj8():
    """003's force field with an 8 Å cutoff, so that a 300-ion cell is large enough."""
    ff = load_forcefield("cdse-cu-lj", cutoff_A=8.0)
    r = relax_structure(ff, STRUCTURES["wurtzite"], CDSE, {"a": 4.43, "c": 7.05, "u": 0.383})
    return ff, r


@pytest.mark.slow  # 5-10 s: kept out of the 3-min inner loop
def test_formation_energy_bookkeeping_and_relaxation(lj8):
    from omm_cx.energy.defects import formation_energy, relaxed_energy_eV

    ff, r = lj8
    wz, reps = STRUCTURES["wurtzite"], (5, 5, 3)
    # the perfect cell's energy per formula unit is the lattice-statics energy (Ewald
    # lattice sums vs OpenMM PME: two independent implementations)
    f = formation_energy(ff, wz, CDSE, r.params, reps, parse_defect("vacancy:Cd"))
    assert f.E_perfect_eV / 150 == pytest.approx(r.energy_eV, abs=2e-4)
    assert f.net_charge_e == pytest.approx(-1.18) and "background" in f.record["background"]
    unrelaxed, _ = relaxed_energy_eV(ff, f.cell.species, f.cell.positions_A, f.cell.box_A, relax=False)
    assert f.E_defect_eV < unrelaxed  # relaxation lowers the energy
    assert f.E_f_eV == pytest.approx(f.E_defect_eV - f.E_perfect_eV + 0.0)
    # a reservoir moves E_f by -dn * mu
    g = formation_energy(ff, wz, CDSE, r.params, reps, parse_defect("vacancy:Cd"),
                         chemical_potentials_eV={"Cd": -2.0})
    assert g.E_f_eV == pytest.approx(f.E_f_eV - 2.0, abs=1e-4)  # minimizer: ~1e-6 eV noise
    # replacing Cd by Cd changes nothing
    same = formation_energy(ff, wz, CDSE, r.params, reps, parse_defect("substitution:Cd@Cd"))
    assert same.E_f_eV == pytest.approx(0.0, abs=1e-4) and same.max_displacement_A < 1e-2


def test_validate_defects_only_for_its_own_force_field():
    from omm_cx.energy.defects import format_defects, validate_defects

    assert validate_defects(load_forcefield("pbcdse")) == []
    assert "no published defect energies" in format_defects([])


@pytest.mark.slow
def test_validate_cli_lists_003_table5(capsys):
    """omm-cx validate cdse-cu-lj --defects --json: 003 Table 5 beside ours (~30 s)."""
    import json

    from omm_cx.cli.main import main

    assert main(["validate", "cdse-cu-lj", "--defects", "--json"]) == 0
    rows = {r["defect"]: r for r in json.loads(capsys.readouterr().out)["defects"]}
    v, i = rows["vacancy:Cd"], rows["interstitial:Cu@octahedral"]
    assert (v["published_eV"], v["published_dft_eV"]) == (5.3, 4.9)
    assert (i["published_eV"], i["published_dft_eV"]) == (1.0, 0.4)
    assert v["deviation_eV"] == pytest.approx(v["E_f_eV"] - 5.3)
    assert v["n_host_atoms"] == 784 and "mu = 0" in v["reservoir"]
    assert v["E_f_eV"] > 0 > i["E_f_eV"]  # a bound ion costs energy to remove; Cu binds


def test_charged_defect_cell_runs_with_the_background_policy(tmp_path, lj8):
    """003 step (c): bulk wurtzite CdSe with one Cu interstitial (net +0.59 e) runs through
    the run config's ``system:`` route when the charge policy says background, and the
    policy and net charge are recorded; without it the net charge is an error (exit 2)."""
    import json

    from omm_cx.cli.main import main
    from omm_cx.io.pdb import Structure, write_pdb

    ff, r = lj8
    cell = defect_supercell(STRUCTURES["wurtzite"], CDSE, r.params, (5, 5, 3),
                            parse_defect("interstitial:Cu@octahedral"))
    write_pdb(tmp_path / "cell.pdb", Structure(cell.species, cell.positions_A, cell.box_A))
    base = ("temperature_K: 600\nsteps: 10\nplatform: CPU\nminimize: false\n"
            "report: {trajectory_steps: 10, state_steps: 10, checkpoint_steps: 10}\n")
    # the 8 Å cutoff of the fixture fits this 19 Å cell; the shipped file has 12 Å
    ff_file = tmp_path / "lj8.yaml"
    from omm_cx.forcefield.params import resolve_forcefield_file

    text = resolve_forcefield_file("cdse-cu-lj").read_text(encoding="utf-8")
    ff_file.write_text(text.replace("name: cdse-cu-lj", "name: cdse-cu-lj-8A") + "cutoff: 8.0\n",
                       encoding="utf-8")
    for policy, code in (("background", 0), ("neutral", 2)):
        cfg = tmp_path / f"{policy}.yaml"
        cfg.write_text(f"system: {{forcefield: {ff_file}, structure: cell.pdb, "
                       f"charge_policy: {policy}}}\n" + base, encoding="utf-8")
        assert main(["run", str(cfg), "-o", str(tmp_path / policy)]) == code
    rec = json.loads((tmp_path / "background" / "build" / "build.json").read_text())
    assert rec["charge_policy"] == "background" and rec["net_charge_e"] == pytest.approx(0.59)
