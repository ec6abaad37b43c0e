"""The unit tier: no OpenMM Context (so no energies, MD or minimization) and no Python
subprocess (no CLI run through ``python -m`` / ``omm-cx``). Enforced here while a unit
test's setup, call and teardown run: creating an ``openmm.Context`` or starting a Python
interpreter fails the test with a pointer to tests/integration/. Test file names are
unique across tests/unit and tests/integration (the folders are not packages)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

_ACTIVE = False
_RULE = "belongs in tests/integration (tests/unit creates no OpenMM Context and starts no Python subprocess)"


def _is_python(args) -> bool:
    """Whether a Popen command line starts a Python interpreter or the omm-cx script."""
    if isinstance(args, (str, bytes, os.PathLike)):
        first = os.fsdecode(args).split()[0] if os.fsdecode(args).split() else ""
    else:
        argv = list(args or [])
        first = os.fsdecode(argv[0]) if argv else ""
    name = os.path.basename(first)
    return first == sys.executable or name.startswith("python") or name == "omm-cx"


def _install_guard() -> None:
    import openmm

    if getattr(openmm.Context, "_omm_cx_unit_guard", False):
        return
    context_init = openmm.Context.__init__

    def guarded_context_init(self, *args, **kwargs):
        if _ACTIVE:
            raise AssertionError(f"an openmm.Context was created: this test {_RULE}")
        return context_init(self, *args, **kwargs)

    popen_init = subprocess.Popen.__init__

    def guarded_popen_init(self, args, *rest, **kwargs):
        if _ACTIVE and _is_python(args):
            raise AssertionError(f"a Python subprocess was started ({args!r}): this test {_RULE}")
        return popen_init(self, args, *rest, **kwargs)

    openmm.Context.__init__ = guarded_context_init
    openmm.Context._omm_cx_unit_guard = True
    subprocess.Popen.__init__ = guarded_popen_init


_install_guard()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item):
    yield from _guarded()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    yield from _guarded()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item):
    yield from _guarded()


def _guarded():
    """Turn the guard on around one runtest phase of an item under tests/unit (these hooks
    of a conftest are called only for the items under its folder)."""
    global _ACTIVE
    _ACTIVE = True
    try:
        yield
    finally:
        _ACTIVE = False
