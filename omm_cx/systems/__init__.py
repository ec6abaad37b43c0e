"""Building systems: crystal lattices (:mod:`.lattice`), NC shapes (:mod:`.shapes`),
charge neutrality (:mod:`.charge`), solution boxes (:mod:`.solution`), recipes
(:mod:`.recipes`) and the build folder with its record (:mod:`.builddir`)."""

from omm_cx._lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(__name__, {
    "build_recipe": "recipes",
    "available_recipes": "recipes",
    "resolve_recipe": "recipes",
    "BuildFolder": "builddir",
    "read_build_dir": "builddir",
    "write_build_dir": "builddir",
    "BuildRecord": "record",
    "read_build_record": "record",
})
