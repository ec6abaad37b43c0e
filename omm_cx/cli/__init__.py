"""The ``omm-cx`` command line: :mod:`.main` holds the entry point and the registry of
subcommands; each subcommand is one module that parses arguments, calls the Python API
and prints."""

from omm_cx._lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(__name__, {
    "main": "main",
})
