import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

#: Records of format version 1 kept verbatim (tests/data/records_v1/README.md).
RECORDS_V1 = Path(__file__).parent / "data" / "records_v1"


@pytest.fixture()
def v1_run_folder(tmp_path) -> Path:
    """A copy of a real version-1 run folder (216 Cd/PSL atoms, two DCD frames): start.pdb,
    traj.dcd, run.json, state.csv, checkpoint.xml and build/ (stored as build_dir)."""
    out = tmp_path / "run"
    shutil.copytree(RECORDS_V1 / "run_quick", out)
    (out / "build_dir").rename(out / "build")  # stored as build_dir: build/ is git-ignored
    return out
