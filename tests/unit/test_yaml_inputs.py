"""One validation layer for every YAML input (force-field files, recipes, run configs, fit
files): the strict loader refuses duplicate keys at any depth with the file, the key path
and both lines; unknown keys and wrong types are named with their key path; a recipe is
checked whole before anything is built; each kind has a JSON schema."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from omm_cx.cli.schema import INPUT_KINDS, json_schema
from omm_cx.errors import ConfigError, ForceFieldError, OmmCxError
from omm_cx.fitting import load_fit_spec
from omm_cx.forcefield import load_forcefield
from omm_cx.io.yaml_input import load_yaml, loads_yaml
from omm_cx.simulation.config import load_config
from omm_cx.systems.recipes import build_recipe

ROOT = Path(__file__).resolve().parents[2]
LIQUID = ROOT / "examples" / "quick" / "structure.pdb"

FORCEFIELD = """\
name: test
citation: test file
functional_form: buckingham
units: {energy: eV, length: angstrom, charge: e, mass: g/mol}
cutoff: 12.0
species:
  Zn:
    charge: 0.8
    mass: 65.38
  S: {charge: -0.8, mass: 32.06}
pairs:
  Zn-S: {A: 1000.0, rho: 0.3, C: 10.0}
  S-S: {A: 1000.0, rho: 0.3, C: 10.0}
no_short_range: [Zn-Zn]
"""

RECIPE = """\
name: tiny
forcefield: pbcdse
seed: 1
box_nm: 3.0
nanocrystal:
  shape: sphere
  diameter_nm: 1.2
  crystal:
    structure: rocksalt
    cation: Pb
    anion: Se
    a_A: 6.09
"""

RUN = f"""\
system:
  forcefield: pbcdse+psl-nonpreferential
  structure: {LIQUID}
temperature_K: 550
steps: 100
report:
  trajectory_steps: 50
  state_steps: 50
  checkpoint_steps: 50
platform: CPU
"""

FIT = """\
name: tiny-fit
forcefield: pbcdse
start:
  Pb-Se: {A: 2.0e6, rho: 0.173, C: 211.0}
free:
  Pb-Se: [A]
targets:
  - phase: PbSe-rocksalt
    property: a_A
    value: 6.12
    source: 000 Table S9 Exp.
"""

#: kind -> (valid text, loader, (top-level line to repeat), (nested line to repeat, path))
KINDS = {
    "forcefield": (FORCEFIELD, load_forcefield, "cutoff: 12.0",
                   ("    mass: 65.38", "species.Zn.mass")),
    "recipe": (RECIPE, build_recipe, "seed: 1", ("    cation: Pb", "nanocrystal.crystal.cation")),
    "run": (RUN, load_config, "temperature_K: 550", ("  state_steps: 50", "report.state_steps")),
    "fit": (FIT, load_fit_spec, "name: tiny-fit", ("    value: 6.12", "targets[0].value")),
}


def write(tmp_path: Path, text: str, name: str = "input.yaml") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def line_of(text: str, line: str) -> int:
    return text.splitlines().index(line) + 1


def repeated(text: str, line: str) -> tuple[str, int, int]:
    """``text`` with ``line`` given twice (the copy right after the original)."""
    first = line_of(text, line)
    lines = text.splitlines()
    lines.insert(first, line)
    return "\n".join(lines) + "\n", first, first + 1


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_valid_inputs_load(kind, tmp_path, monkeypatch):
    text, load, *_ = KINDS[kind]
    if kind == "recipe":  # reading is enough here; building is tested in test_recipes.py
        from omm_cx.systems.recipes import read_recipe as load
    load(write(tmp_path, text))


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_duplicate_top_level_key(kind, tmp_path):
    text, load, line, _ = KINDS[kind]
    bad, first, second = repeated(text, line)
    path = write(tmp_path, bad)
    key = line.split(":")[0].strip()
    with pytest.raises(ConfigError) as exc:
        load(path)
    msg = str(exc.value)
    assert isinstance(exc.value, OmmCxError)
    assert str(path) in msg and f"key {key!r} is given twice" in msg
    assert f"lines {first} and {second}" in msg and "keep one" in msg
    assert "\n" not in msg


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_duplicate_nested_key(kind, tmp_path):
    text, load, _, (line, key_path) = KINDS[kind]
    bad, first, second = repeated(text, line)
    path = write(tmp_path, bad)
    key = line.split(":")[0].strip()
    with pytest.raises(ConfigError) as exc:
        load(path)
    msg = str(exc.value)
    assert str(path) in msg and f"key {key!r} is given twice" in msg
    assert f"({key_path}, lines {first} and {second})" in msg


def test_run_config_temperature_given_twice_is_an_error(tmp_path):
    """Before, PyYAML kept the second value and the run went on at 600 K."""
    path = write(tmp_path, RUN.replace("temperature_K: 550", "temperature_K: 550\nseed: 3\n"
                                       "temperature_K: 600"))
    with pytest.raises(ConfigError, match=r"key 'temperature_K' is given twice \(lines 4 and 6\)"):
        load_config(path)


def test_forcefield_file_error_is_both_kinds(tmp_path):
    bad, _, _ = repeated(FORCEFIELD, "cutoff: 12.0")
    with pytest.raises(ForceFieldError) as exc:
        load_forcefield(str(write(tmp_path, bad)))
    assert isinstance(exc.value, ConfigError)


@pytest.mark.parametrize("kind, old, new, words", [
    ("forcefield", "    charge: 0.8", "    charge: 0.8\n    spin: 1",
     ["unknown key 'species.Zn.spin'", "known keys in species.Zn: charge, mass, role"]),
    ("recipe", "    a_A: 6.09", "    a_A: 6.09\n    colour: red",
     ["unknown key 'nanocrystal.crystal.colour'", "known keys in nanocrystal.crystal:"]),
    ("run", "  state_steps: 50", "  state_step: 50",
     ["unknown key 'report.state_step'", "did you mean 'report.state_steps'"]),
    ("fit", "    value: 6.12", "    value: 6.12\n    wieght: 2",
     ["unknown key 'targets[0].wieght'", "did you mean 'targets[0].weight'"]),
])
def test_unknown_keys_are_named(kind, old, new, words, tmp_path):
    text, load, *_ = KINDS[kind]
    path = write(tmp_path, text.replace(old, new))
    with pytest.raises(ConfigError) as exc:
        load(path)
    msg = str(exc.value)
    assert msg.startswith(f"{path}: ")
    for w in words:
        assert w in msg, f"{w!r} not in {msg!r}"


@pytest.mark.parametrize("kind, old, new, words", [
    ("forcefield", "    mass: 65.38", "    mass: heavy",
     ["key 'species.Zn.mass'", "expected a number, got 'heavy'"]),
    ("recipe", "  diameter_nm: 1.2", "  diameter_nm: [1.2]",
     ["key 'nanocrystal.diameter_nm'", "expected a number"]),
    ("run", "temperature_K: 550", "temperature_K: hot",
     ["key 'temperature_K'", "expected a number in K, got 'hot'"]),
    ("run", "steps: 100", "steps: 100.5", ["key 'steps'", "expected a whole number"]),
    ("fit", "    value: 6.12", "    value: true",
     ["key 'targets[0].value'", "expected a number, got True"]),
    ("recipe", "    structure: rocksalt", "    structure: perovskite",
     ["key 'nanocrystal.crystal.structure'", "'perovskite' is not one of", "rocksalt"]),
])
def test_wrong_types_are_named_with_their_key_path(kind, old, new, words, tmp_path):
    text, load, *_ = KINDS[kind]
    path = write(tmp_path, text.replace(old, new))
    with pytest.raises(ConfigError) as exc:
        load(path)
    for w in words:
        assert w in str(exc.value), f"{w!r} not in {str(exc.value)!r}"


def test_more_problems_are_counted(tmp_path):
    path = write(tmp_path, RUN.replace("temperature_K: 550", "temperature_K: -1\n"
                                       "timestep_fs: -2\nfriction_per_ps: -3"))
    with pytest.raises(ConfigError, match=r"'temperature_K'.*\(and 2 more problems\)$"):
        load_config(path)


class _Built(Exception):
    """Raised by the spies below: building started."""


@pytest.fixture
def build_spies(monkeypatch):
    """Record (and stop) any relaxation or nanocrystal building."""
    import omm_cx.lattice_statics.relax as relax
    import omm_cx.systems.recipes as recipes

    calls: list[str] = []

    def spy(name):
        def f(*a, **k):
            calls.append(name)
            raise _Built(name)
        return f

    monkeypatch.setattr(relax, "relax_structure", spy("relax"))
    monkeypatch.setattr(recipes, "build_nanocrystal", spy("build_nanocrystal"))
    return calls


# a_A left out: building would start with a lattice-statics relaxation
UNRELAXED = RECIPE.replace("    a_A: 6.09\n", "") + "  vacancies: {species: Pb, fraction: 0.1}\n"


def test_recipe_is_checked_whole_before_building(tmp_path, build_spies):
    """An unknown key at the end of a recipe (today: found only after the geometry was
    built) or an unknown species is reported before any relaxation or building."""
    for old, new, words in [
            ("fraction: 0.1}", "fraction: 0.1, colour: red}",
             "unknown key 'nanocrystal.vacancies.colour'"),
            ("species: Pb,", "species: Zn,", "'nanocrystal.vacancies.species': unknown species 'Zn'"),
            ("box_nm: 3.0", "box_nm: 3.0\nsolution: {pairs: 5, cation: Cd, ligand: PSL, x: 1}",
             "unknown key 'solution.x'")]:
        path = write(tmp_path, UNRELAXED.replace(old, new))
        with pytest.raises(ConfigError, match=re.escape(words)):
            build_recipe(path)
        assert build_spies == [], f"building started before {words!r} was reported"
    # the spies do see building start when the recipe is valid (so the test can fail)
    with pytest.raises(_Built):
        build_recipe(write(tmp_path, UNRELAXED))
    assert build_spies == ["build_nanocrystal"]


@pytest.mark.parametrize("text, words", [
    ("", "the file is empty"),
    ("# a comment only\n", "the file is empty"),
    ("- a\n- b\n", "expected a mapping (key: value) at the top level, got list"),
    ("a: [1, 2\nb: 3\n", "not valid YAML at line 2"),
    ("a: 1\n  b: 2\n", "not valid YAML at line 2"),
])
def test_loader_refuses_empty_lists_and_malformed_yaml(text, words, tmp_path):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as exc:
        load_yaml(path)
    assert str(exc.value).startswith(f"{path}: ") and words in str(exc.value)


def test_loader_reads_yaml12_numbers_and_allows_anchors():
    doc = loads_yaml("a: 1e7\nb: 2.64e9\nc: -1.5e-3\nd: text1e5\nx: &s hello\ny: *s\n")
    assert doc == {"a": 1e7, "b": 2.64e9, "c": -1.5e-3, "d": "text1e5", "x": "hello",
                   "y": "hello"}
    # a merge key may be overridden by an explicit one (YAML's '<<' semantics)
    assert loads_yaml("base: &b {x: 1, y: 2}\nd: {<<: *b, x: 3}\n")["d"] == {"x": 3, "y": 2}


def test_no_module_reads_yaml_without_the_strict_loader():
    offenders = [f"{p.relative_to(ROOT)}:{i}" for p in sorted((ROOT / "omm_cx").rglob("*.py"))
                 for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
                 if re.search(r"yaml\.(safe_)?load\b|yaml\.(full_|unsafe_)?load\(", line)]
    assert offenders == []


@pytest.mark.parametrize("kind, keys", [
    ("forcefield", ["functional_form", "species", "pairs", "cutoff", "units"]),
    ("recipe", ["forcefield", "nanocrystal", "solution", "box_nm", "diameter_nm"]),
    ("run", ["temperature_K", "timestep_fs", "report", "ensemble", "trajectory_ps"]),
    ("fit", ["forcefield", "free", "targets", "optimizer", "source"]),
])
def test_json_schema_of_each_kind(kind, keys):
    import json

    schema = json_schema(kind)
    text = json.dumps(schema)
    assert kind in INPUT_KINDS and schema["title"]
    for key in keys:
        assert f'"{key}"' in text, f"{key} not in the {kind} schema"
    assert '"additionalProperties": false' in text  # unknown keys are refused
    with pytest.raises(ConfigError, match="unknown input kind 'study'"):
        json_schema("study")
