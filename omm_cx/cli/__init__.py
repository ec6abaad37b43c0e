"""The ``omm-cx`` command line: :mod:`.main` holds the entry point and the registry of
subcommands; each subcommand is one module that parses arguments, calls the Python API
and prints."""
