"""Run plans: a study and a scale preset -> the list of runs (:class:`RunPlan`).

    plans = plan_runs(load_study("004-forward-psl"), "small")
    plans[0].key      # 'pbse_psl-nonpreferential_s1'
    plans[0].recipe   # the full recipe mapping, overrides applied (build_recipe(recipe, seed=...))

The matrix is the product of the preset's systems, each axis's values (or variant
names; a preset may restrict them) and the preset's seeds. Each point's overrides are
applied in this order: the system's, the preset's, then each axis's; text values may
name matrix values and system vars in braces. Every recipe and run config is checked
here (the schema of :mod:`omm_cx.systems.recipe_schema` and
:mod:`omm_cx.simulation.config_schema`), so a study that plans also builds; errors name
the study file, the preset and the run.
"""

from __future__ import annotations

import copy
import itertools
import math
import re
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from omm_cx.errors import ConfigError
from omm_cx.io.validation import validate_input
from omm_cx.io.yaml_input import load_yaml
from omm_cx.studies.spec import SCALES, StudySpec, load_study

__all__ = ["RunPlan", "plan_runs", "estimate_atoms", "set_path"]


@dataclass(frozen=True)
class RunPlan:
    """One run of a study (see the module doc and the study folder layout in
    docs/studies.md). ``length_ps``: simulated length (md); ``n_atoms``: estimate for
    the cost."""

    key: str
    kind: str
    params: dict
    recipe: dict | None = None
    build_call: str | None = None
    config: dict | None = None
    analyses: tuple[str, ...] = ()
    analysis_options: dict = field(default_factory=dict)
    call: str | None = None
    length_ps: float = 0.0
    n_atoms: int | None = None
    #: md: the live-exchange reporter and stop rules (:class:`~omm_cx.studies.spec.LiveInput`)
    live: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        d = asdict(self)
        d["analyses"] = list(self.analyses)
        return d

    @classmethod
    def from_json(cls, d: dict) -> "RunPlan":
        known = {f.name for f in fields(cls)}
        kw = {k: v for k, v in d.items() if k in known}
        kw["analyses"] = tuple(kw.get("analyses") or ())
        return cls(**kw)


def set_path(doc: dict, path: str, value: Any) -> None:
    """Set ``doc[a][b][c] = value`` for ``path`` "a.b.c" (missing mappings are created)."""
    keys = path.split(".")
    for k in keys[:-1]:
        nxt = doc.get(k)
        if not isinstance(nxt, dict):
            nxt = doc[k] = {}
        doc = nxt
    doc[keys[-1]] = copy.deepcopy(value)


def _formatted(value: Any, ctx: dict) -> Any:
    if isinstance(value, str) and "{" in value:
        try:
            return value.format(**ctx)
        except (KeyError, IndexError, ValueError) as exc:
            raise ConfigError(f"override value {value!r}: cannot fill in {exc} (known names: "
                              f"{', '.join(sorted(ctx))})") from None
    if isinstance(value, list):
        return [_formatted(v, ctx) for v in value]
    if isinstance(value, dict):
        return {k: _formatted(v, ctx) for k, v in value.items()}
    return value


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._+-]+", "-", text).strip("-") or "run"


def _key(spec: StudySpec, system: str | None, point: dict, seed: int | None) -> str:
    parts = [system] if system is not None and len(spec.systems) > 1 else []
    for name, value in point.items():
        fmt = spec.matrix[name].key
        parts.append(fmt.format(value) if fmt else f"{name}-{value}")
    if seed is not None:
        parts.append(f"s{seed}")
    return "_".join(_safe(str(p)) for p in parts) or "run"


def _overrides(spec: StudySpec, system: str | None, point: dict, scale: str) -> list[tuple]:
    """(path, value) pairs in the order they apply."""
    out: list[tuple] = []
    if system is not None:
        for p, v in spec.systems[system].overrides.items():
            out.append((p if p.split(".", 1)[0] == "recipe" else f"recipe.{p}", v))
    out.extend(spec.presets[scale].overrides.items())
    for name, value in point.items():
        axis = spec.matrix[name]
        if axis.variants is not None:
            out.extend(axis.variants[value].items())
        else:
            out.extend((p, value) for p in axis.sets)
    return out


def plan_runs(spec: StudySpec | str | dict, scale: str = "small") -> list[RunPlan]:
    """The runs of ``spec`` at ``scale`` (tiny, small or paper), in a stable order."""
    spec = load_study(spec)
    if scale not in SCALES:
        raise ConfigError(f"unknown scale {scale!r}; choose from {', '.join(SCALES)}")
    preset = spec.presets[scale]
    systems: list = (preset.systems or list(spec.systems)) if spec.kind == "md" else [None]
    names = list(spec.matrix)
    values = [preset.axes.get(n, spec.matrix[n].names()) for n in names]
    seeds: list = list(preset.seeds) or [None]
    plans = []
    for system in systems:
        for combo in itertools.product(*values):
            for seed in seeds:
                plans.append(_plan(spec, scale, system, dict(zip(names, combo)), seed))
    seen: dict[str, int] = {}
    for p in plans:
        if p.key in seen:
            raise ConfigError(f"{spec.origin}: presets.{scale}: two runs get the key {p.key!r}; "
                              f"give the matrix axes distinct 'key' formats")
        seen[p.key] = 1
    return plans


def _plan(spec: StudySpec, scale: str, system: str | None, point: dict,
          seed: int | None) -> RunPlan:
    preset = spec.presets[scale]
    key = _key(spec, system, point, seed)
    params: dict = {}
    if system is not None and len(spec.systems) > 1:
        params["system"] = system
    params.update(point)
    if seed is not None:
        params["seed"] = seed
    sys_in = spec.systems.get(system) if system is not None else None
    ctx = {**(sys_in.vars if sys_in else {}), **(sys_in.params if sys_in else {}), **params}
    targets: dict[str, dict] = {
        "recipe": _recipe_doc(sys_in.recipe) if sys_in and sys_in.recipe else {},
        "config": copy.deepcopy(spec.run),
        "analysis": copy.deepcopy(spec.analysis_options),
        "params": copy.deepcopy(sys_in.params if sys_in else spec.call_params),
    }
    where = f"{spec.origin}: presets.{scale}, run {key!r}"
    overrides = _overrides(spec, system, point, scale)
    try:  # params.* first: their values may be named in the other overrides
        for path, value in sorted(overrides, key=lambda pv: pv[0].split(".", 1)[0] != "params"):
            head, rest = path.split(".", 1)
            set_path(targets[head], rest, _formatted(value, ctx))
            if head == "params":
                ctx = {**ctx, **targets["params"], **params}
        targets["analysis"] = _formatted(targets["analysis"], ctx)
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from None
    if spec.kind == "call":
        return RunPlan(key, "call", {**targets["params"], **params}, call=spec.call,
                       analysis_options=targets["analysis"])
    recipe, config = targets["recipe"] or None, targets["config"]
    if seed is not None:
        config["seed"] = int(seed)
        if recipe is not None:
            recipe["seed"] = int(seed)
    config["length_ns"] = float(preset.length_ps) / 1000.0
    _check_md(where, recipe, config, targets["analysis"], spec)
    n_atoms = (estimate_atoms(recipe) if recipe is not None
               else preset.n_atoms.get(system, sys_in.n_atoms))
    return RunPlan(key, "md", {**targets["params"], **params}, recipe=recipe, build_call=sys_in.build_call,
                   config=config, analyses=tuple(spec.analyses),
                   analysis_options=targets["analysis"], length_ps=float(preset.length_ps),
                   n_atoms=n_atoms, live=spec.live.model_dump())


def _recipe_doc(name: str) -> dict:
    from omm_cx.systems.recipes import resolve_recipe

    return load_yaml(resolve_recipe(name), "recipe")


def _check_md(where: str, recipe: dict | None, config: dict, analysis: dict,
              spec: StudySpec) -> None:
    """Check the recipe, run config and analysis options of one run (schema only)."""
    from omm_cx.analysis.options import AnalysisOptions
    from omm_cx.analysis.registry import parse_what
    from omm_cx.simulation.config_schema import RunConfigInput

    if recipe is not None:
        from omm_cx.systems.recipe_schema import RecipeInput

        validate_input(RecipeInput, recipe, f"{where}: recipe")
    for k in ("build", "recipe", "system"):
        if k in config:
            raise ConfigError(f"{where}: run config key {k!r}: the study sets the system "
                              f"source; remove it from 'run' and give it in 'systems'")
    validate_input(RunConfigInput, {**config, "build": "."}, f"{where}: run config")
    known = {f.name for f in fields(AnalysisOptions)}
    for k in analysis:
        if k not in known:
            raise ConfigError(f"{where}: analysis option {k!r} unknown; known: "
                              f"{', '.join(sorted(known))}")
    try:
        parse_what(list(spec.analyses))
    except Exception as exc:  # AnalysisError: unknown analysis name
        raise ConfigError(f"{spec.origin}: key 'analyses': {exc}") from None


# --------------------------------------------------------------------------- atoms
def _density_per_A3(crystal: dict) -> float:
    """Atoms per Å^3 of a crystal mapping of a recipe (its a_A/c_A, or the starting
    lattice parameters omm_cx knows for it)."""
    from omm_cx.systems.recipe_schema import starting_parameters

    p = starting_parameters(crystal.get("structure", ""), crystal.get("cation", ""),
                            crystal.get("anion", "")) or {}
    a = float(crystal.get("a_A") or p.get("a") or 6.0)
    if crystal.get("structure") == "wurtzite":
        c = float(crystal.get("c_A") or p.get("c") or a * 1.633)
        return 4.0 / (math.sqrt(3) / 2 * a * a * c)
    per_cell = {"rocksalt": 8, "zincblende": 8, "cscl": 2, "antifluorite": 12}
    return per_cell.get(crystal.get("structure"), 8) / a ** 3


def estimate_atoms(recipe: dict) -> int:
    """Atom count of a recipe mapping from its sizes (NC volume x atom density + the
    solution), without building it; within a few % of the built count."""
    n = 0.0
    nc = recipe.get("nanocrystal") or {}
    shape = nc.get("shape")
    if shape in ("sphere", "core_shell"):
        n += math.pi / 6 * (10 * nc["diameter_nm"]) ** 3 * _density_per_A3(nc["crystal"])
    elif shape in ("rod", "wire"):
        n += (math.pi / 4 * (10 * nc["diameter_nm"]) ** 2 * 10 * nc["length_nm"]
              * _density_per_A3(nc["crystal"]))
    elif shape == "dumbbell":
        for part, count in (("rod", 1), ("tips", 2)):
            d = nc[part]
            n += count * (math.pi / 4 * (10 * d["diameter_nm"]) ** 2 * 10 * d["length_nm"]
                          * _density_per_A3(d["crystal"]))
    sol = recipe.get("solution") or {}
    n += 2 * (sol.get("pairs") or 0) + sum((sol.get("ions") or {}).values())
    if sol.get("pairs_per_nm3"):
        box = recipe.get("box_nm")
        box = [box] * 3 if isinstance(box, (int, float)) else box
        n += 2 * sol["pairs_per_nm3"] * math.prod(box)
    return max(1, int(round(n)))
