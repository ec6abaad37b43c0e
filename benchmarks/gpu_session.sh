#!/usr/bin/env bash
# GPU measurements in one command per stage, for a machine with an NVIDIA GPU where
# omm_cx is not installed (e.g. a lent device machine; see docs/gpu.md).
#
#   bash benchmarks/gpu_session.sh check   # CUDA platform tests (agreement with Reference)
#   bash benchmarks/gpu_session.sh bench   # omm-cx bench on CUDA: encodings, replicas 1-8
#   bash benchmarks/gpu_session.sh run     # the production config for 20,000 steps on CUDA
#   bash benchmarks/gpu_session.sh all     # the three above
#
# PLATFORM (default CUDA) and STEPS (default 20000, stage run) override the defaults,
# e.g. for a smoke test on the CPU: PLATFORM=CPU STEPS=50 bash benchmarks/gpu_session.sh run
# Where openmm and mdtraj do not import, wheels for openmm, openmm-cuda-13 (same version)
# and mdtraj in .whl/ are installed to /tmp/site first. Results go to $OUT (default out/gpu).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-out/gpu}
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1
PY=${PYTHON:-python3}
if ! $PY -c "import openmm, mdtraj" 2>/dev/null && compgen -G ".whl/*.whl" >/dev/null; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
        --target /tmp/site .whl/*.whl
    export PYTHONPATH="/tmp/site:$PWD${PYTHONPATH:+:$PYTHONPATH}"
else
    export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
fi
stage=${1:-all}
PLATFORM=${PLATFORM:-CUDA}
STEPS=${STEPS:-20000}

nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv | tee "$OUT/gpu.txt" || true
$PY -m openmm.testInstallation 2>&1 | tee "$OUT/openmm_install.txt"

check() {
    $PY -m pytest -q -p no:cacheprovider tests/integration/test_platforms.py tests/integration/test_energy_reference.py \
        2>&1 | tee "$OUT/tests_cuda.log"
}
bench() {
    $PY -m omm_cx bench --platforms "$PLATFORM" --no-lammps --encodings onehot,tables \
        --replicas 1,2,4,8 --json-file "$OUT/bench.json" 2>&1 | tee "$OUT/bench.log"
}
run() {
    rm -rf /tmp/omm_cx_prod
    $PY -m omm_cx run examples/pbse-nc-550K.yaml -o /tmp/omm_cx_prod --steps "$STEPS" \
        --platform "$PLATFORM" 2>&1 | tail -20 | tee "$OUT/run.log"
    cp /tmp/omm_cx_prod/state.csv "$OUT/run_state.csv"
    cp /tmp/omm_cx_prod/run.json "$OUT/run.json"
}
case "$stage" in
    check) check ;;
    bench) bench ;;
    run) run ;;
    all) check; bench; run ;;
    *) echo "unknown stage '$stage': use check, bench, run or all" >&2; exit 2 ;;
esac
