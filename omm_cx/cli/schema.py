"""``omm-cx schema KIND``: the JSON schema of one kind of YAML input.

The schemas are made from the pydantic models that check each input
(:mod:`omm_cx.io.validation`); this is the one place that knows them all, so it sits at
the top of the stages, with the commands.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

DESCRIPTION = ("Print the JSON schema of one kind of YAML input: forcefield (forcefields/*.yaml), "
               "recipe (systems/*.yaml), run (a run config) or fit (a fit file).")

#: Input kind -> what it is.
INPUT_KINDS: dict[str, str] = {
    "forcefield": "a parameter file (forcefields/*.yaml)",
    "recipe": "a recipe (systems/*.yaml)",
    "run": "a run configuration (omm-cx run CONFIG)",
    "fit": "a fit file (omm-cx fit FIT)",
}


def input_model(kind: str):
    """The pydantic model (or annotated type) that checks inputs of ``kind``."""
    from omm_cx.errors import ConfigError

    if kind == "forcefield":
        from omm_cx.forcefield.schema import ForceFieldFile as model
    elif kind == "recipe":
        from omm_cx.systems.recipe_schema import RecipeInput as model
    elif kind == "run":
        from omm_cx.simulation.config_schema import RunConfigInput as model
    elif kind == "fit":
        from omm_cx.fitting.spec_schema import FitInput as model
    else:
        raise ConfigError(f"unknown input kind {kind!r}; use one of {', '.join(INPUT_KINDS)}")
    return model


def json_schema(kind: str) -> dict:
    """The JSON schema (draft 2020-12) of ``kind``: forcefield, recipe, run or fit."""
    from omm_cx.io.validation import json_schema_of

    schema = json_schema_of(input_model(kind))
    schema.setdefault("title", f"omm_cx {kind} input")
    schema.setdefault("description", INPUT_KINDS[kind])
    return schema


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Options of ``omm-cx schema``."""
    p.add_argument("kind", choices=sorted(INPUT_KINDS), help="the kind of input")
    p.add_argument("-o", "--output", default=None,
                   help="write the schema to this file (default: print it)")


def run(args: argparse.Namespace) -> int:
    """Print (or write) the schema."""
    text = json.dumps(json_schema(args.kind), indent=2) + "\n"
    if args.output:
        from omm_cx.io.atomic import atomic_write_text

        atomic_write_text(Path(args.output), text)
    else:
        print(text, end="")
    return 0
