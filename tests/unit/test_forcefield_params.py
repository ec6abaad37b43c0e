"""Parameter files: the shipped sets load with the published numbers, and every error
path names the file and the key or species at fault."""

import re
from pathlib import Path

import pytest

from omm_cx.errors import ForceFieldError
from omm_cx.forcefield import available_forcefields, load_forcefield

HEADER = """name: test
citation: test file
functional_form: buckingham
units: {energy: eV, length: angstrom, charge: e, mass: g/mol}
cutoff: 12.0
"""
GOOD_SPECIES = """species:
  Zn: {charge: 0.8, mass: 65.38}
  S: {charge: -0.8, mass: 32.06}
"""
GOOD_PAIRS = """pairs:
  Zn-S: {A: 1000.0, rho: 0.3, C: 10.0}
  S-S: {A: 1000.0, rho: 0.3, C: 10.0}
no_short_range: [Zn-Zn]
"""


def write(tmp_path: Path, text: str, name="test.yaml") -> str:
    p = tmp_path / name
    p.write_text(text)
    return str(p)


def expect_error(spec, *fragments):
    with pytest.raises(ForceFieldError) as exc:
        load_forcefield(spec)
    msg = str(exc.value)
    for frag in fragments:
        assert frag in msg, f"{frag!r} not in {msg!r}"
    return msg


def test_shipped_files_load_with_published_values():
    assert {"pbcdse", "psl-nonpreferential", "psl-pb-preferred", "psl-cd-preferred",
            "cdse-cu-lj"} <= set(available_forcefields())
    ff = load_forcefield("pbcdse+psl-pb-preferred")
    assert ff.cutoff_A == 12.0
    cdse = ff.pair("Cd", "Se")
    assert (cdse.A_eV, cdse.rho_A, cdse.C_eVA6) == (2.64e9, 0.108, 64.4)
    assert ff.pair("Se", "Pb").C_eVA6 == 211.0
    assert ff.pair("Pb", "Cd") is None and ff.pair("Pb", "Pb") is None
    assert ff.pair("PSL", "Pb").C_eVA6 == 200.0 and ff.pair("PSL", "Cd").C_eVA6 == 0.0
    assert ff.pair("PSL", "PSL").A_eV == 0.0
    assert ff.species["PSL"].mass_amu == 500.0 and ff.charge("PSL") == -0.8
    assert any("Se-PSL" in a for a in ff.assumptions)


def test_lj_file_mixes_by_lorentz_berthelot_and_matches_printed_cross_terms():
    ff = load_forcefield("cdse-cu-lj")
    # 003 Table 2/3 print the mixed Se-Cd (1.58 meV, 3.61 Å) and Se-Cu (1.33 meV, 3.12 Å)
    for (a, b), (eps_meV, sigma) in {("Cd", "Se"): (1.58, 3.61), ("Cu", "Se"): (1.33, 3.12)}.items():
        p = ff.pair(a, b)
        assert p.published["epsilon"] == pytest.approx(eps_meV, abs=0.01)  # printed truncated: sqrt(1.49*1.20)=1.337
        assert p.published["sigma"] == pytest.approx(sigma, abs=0.005)
        e, sg = p.published["epsilon"] * 1e-3, p.published["sigma"]
        assert p.C_eVA6 == pytest.approx(4 * e * sg**6, rel=1e-12)
        assert p.B_eVA12 == pytest.approx(4 * e * sg**12, rel=1e-12)


def test_unknown_forcefield_name():
    expect_error("pbcdsee", "unknown force field 'pbcdsee'", "pbcdse")


def test_unknown_species_in_pair(tmp_path):
    f = write(tmp_path, HEADER + GOOD_SPECIES + GOOD_PAIRS.replace("S-S", "Xq-S"))
    expect_error(f, f, "pairs.Xq-S", "unknown species 'Xq'")


@pytest.mark.parametrize("text,key", [
    (HEADER + "colour: red\n" + GOOD_SPECIES + GOOD_PAIRS, "'colour'"),
    (HEADER + GOOD_SPECIES.replace("mass: 65.38", "mass: 65.38, spin: 1") + GOOD_PAIRS, "species.Zn"),
    (HEADER + GOOD_SPECIES + GOOD_PAIRS.replace("C: 10.0}", "C: 10.0, D: 1.0}", 1), "pairs.Zn-S"),
])
def test_unknown_key(tmp_path, text, key):
    f = write(tmp_path, text)
    expect_error(f, f, key, "unknown key")


def test_missing_pair_for_species_present(tmp_path):
    f = write(tmp_path, HEADER + GOOD_SPECIES + GOOD_PAIRS.replace("  S-S: {A: 1000.0, rho: 0.3, C: 10.0}\n", ""))
    expect_error(f, "missing pair parameters for S-S", f)


def test_pair_given_twice_in_both_orders_with_different_values(tmp_path):
    text = HEADER + GOOD_SPECIES + GOOD_PAIRS.replace(
        "pairs:\n", "pairs:\n  S-Zn: {A: 1000.0, rho: 0.31, C: 10.0}\n")
    f = write(tmp_path, text)
    expect_error(f, f, "given twice with different values", "Zn-S")


def test_duplicate_yaml_key_is_refused(tmp_path):
    text = HEADER + GOOD_SPECIES + GOOD_PAIRS.replace(
        "pairs:\n", "pairs:\n  Zn-S: {A: 1000.0, rho: 0.3, C: 10.0}\n")
    f = write(tmp_path, text)
    expect_error(f, f, "'Zn-S' is given twice")


def test_same_pair_in_two_files_with_different_values(tmp_path):
    a = write(tmp_path, HEADER + GOOD_SPECIES + GOOD_PAIRS, "a.yaml")
    b = write(tmp_path, HEADER.replace("name: test", "name: other") + "species: {}\n"
              "pairs:\n  S-S: {A: 999.0, rho: 0.3, C: 10.0}\n", "b.yaml")
    expect_error(f"{a}+{b}", "S-S", "given twice with different values", a, b)


@pytest.mark.parametrize("field,value,fragment", [
    ("A: 1000.0", "A: lots", "expected a number"),
    ("A: 1000.0", "A: -5.0", "impossible"),
    ("rho: 0.3", "rho: 0.0", "impossible"),
    ("C: 10.0", "C: .nan", "not finite"),
])
def test_bad_numbers_in_pairs(tmp_path, field, value, fragment):
    f = write(tmp_path, HEADER + GOOD_SPECIES + GOOD_PAIRS.replace(field, value, 1))
    expect_error(f, f, "pairs.Zn-S", fragment)


def test_negative_mass(tmp_path):
    f = write(tmp_path, HEADER + GOOD_SPECIES.replace("mass: 65.38", "mass: -65.38") + GOOD_PAIRS)
    expect_error(f, f, "species.Zn.mass", "impossible")


def test_combination_disagreeing_on_charge():
    msg = expect_error("pbcdse+cdse-cu-lj", "species 'Cd'", "+0.8", "+1.18", "cannot be combined")
    assert "pbcdse.yaml" in msg and "cdse-cu-lj.yaml" in msg


def test_combination_disagreeing_on_mass(tmp_path):
    other = write(tmp_path, HEADER.replace("name: test", "name: heavy") +
                  "species:\n  Se: {charge: -0.8, mass: 80.0}\n", "heavy.yaml")
    expect_error(f"pbcdse+{other}", "species 'Se'", "mass", "78.971", "80", other)


def test_cation_anion_pair_without_repulsion_is_refused(tmp_path):
    f = write(tmp_path, HEADER + GOOD_SPECIES + GOOD_PAIRS.replace(
        "  Zn-S: {A: 1000.0, rho: 0.3, C: 10.0}\n", "").replace("[Zn-Zn]", "[Zn-Zn, Zn-S]"))
    expect_error(f, "S-Zn", "opposite charges", "collapse")


def test_structure_with_unknown_species_or_missing_pair():
    ff = load_forcefield("pbcdse")
    with pytest.raises(ForceFieldError, match=re.escape("unknown species 'PSL'")):
        ff.check_species(["Pb", "Se", "PSL"])
    ff2 = load_forcefield("psl-nonpreferential")  # defines PSL only
    with pytest.raises(ForceFieldError, match="unknown species 'Cd'"):
        ff2.check_species(["Cd", "PSL"])
