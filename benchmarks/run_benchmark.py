#!/usr/bin/env python
"""Benchmark omm_cx against LAMMPS: same as ``omm-cx bench`` (see ``--help``).

    python benchmarks/run_benchmark.py --quick --json-file benchmarks/latest.json
"""
import sys

from omm_cx.cli.main import main

if __name__ == "__main__":
    sys.exit(main(["bench", *sys.argv[1:]]))
