#!/usr/bin/env bash
# lammps_build.sh -- build LAMMPS from Debian's source package, tuned for this
# machine, and smoke-test the accelerator packages.
#
# Usage (as root, Debian bookworm):
#   benchmarks/lammps_build.sh [BUILD_DIR]
#   LAMMPS_BUILD_DIR=/some/dir benchmarks/lammps_build.sh
#
# BUILD_DIR defaults to /work/lammps_build. Every step is idempotent and skips
# work already done (deb-src entry, packages, unpacked source, configured and
# built tree), so the script can simply be rerun.
#
# What it does:
#   1. adds a deb-src entry for Debian bookworm (deb822 file
#      /etc/apt/sources.list.d/debian-src.sources, copied from debian.sources)
#      if none exists, and runs apt-get update;
#   2. installs build deps: cmake g++ make pkg-config libfftw3-dev mpich
#      libmpich-dev dpkg-dev (gdb for debugging);
#   3. `apt-get source lammps` into BUILD_DIR;
#   4. configures with CMake (Release, -O3 -march=native -faligned-new, MPI (MPICH) + OpenMP,
#      packages KSPACE OPENMP INTEL OPT only, FFT=FFTW3, INTEL_ARCH=cpu) and
#      builds with `nice -n 5 make -j2` in BUILD_DIR/${VARIANT:-build};
#      writes BUILD_DIR/BUILD_INFO.txt (version, compiler, cmake flags,
#      installed packages, FFT library) and prints the lmp binary path;
#   5. smoke test: a small rocksalt buck/coul/long + pppm system, run 20 NVE
#      steps (a) plain, (b) -sf omp -pk omp 1 with mpiexec -np 2,
#      (c) -sf intel mode mixed, (d) -sf intel mode double, (e) -sf opt.
#      Results go to <build tree>/smoke/SMOKE_RESULTS.txt.
#
# Knobs (environment variables), for rebuild variants:
#   VARIANT          build sub-folder name (default: build)
#   LMP_CXX_FLAGS    CMAKE_CXX_FLAGS (default: "-O3 -march=native -faligned-new")
#   INTEL_LRT_MODE   INTEL long-range-thread mode: threads|none|c++11
#                    (default: LAMMPS default, "threads")
#   EXTRA_CMAKE      extra cmake arguments (word-split)
#   JOBS             make -j (default 2)
#   SKIP_SMOKE=1     skip the smoke test
set -euo pipefail

BUILD_DIR="${1:-${LAMMPS_BUILD_DIR:-/work/lammps_build}}"
VARIANT="${VARIANT:-build}"
# -faligned-new: LAMMPS 29Sep2021 forces -std=c++11, where `new` ignores the
# alignas(64) of INTEL-package classes (FixIntel, IntelBuffers, Pair*Intel);
# with -march=native GCC emits aligned AVX stores into those members and
# `-sf intel` dies with SIGSEGV (a #GP on a 16-byte-aligned object). GCC's
# -faligned-new turns on C++17 over-aligned operator new.
LMP_CXX_FLAGS="${LMP_CXX_FLAGS:--O3 -march=native -faligned-new}"
JOBS="${JOBS:-2}"
export DEBIAN_FRONTEND=noninteractive

log() { printf '\n=== %s\n' "$*"; }

# ---------------------------------------------------------------- 1. deb-src
log "1. deb-src entry"
have_src=0
if grep -rqsE '^Types:.*deb-src' /etc/apt/sources.list.d/*.sources 2>/dev/null; then have_src=1; fi
if grep -qsE '^deb-src' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null; then have_src=1; fi
if [ "$have_src" = 0 ]; then
    [ -f /etc/apt/sources.list.d/debian.sources ] || { echo "no debian.sources to copy" >&2; exit 1; }
    sed -E 's/^Types:[[:space:]]*deb[[:space:]]*$/Types: deb-src/' \
        /etc/apt/sources.list.d/debian.sources > /etc/apt/sources.list.d/debian-src.sources
    echo "wrote /etc/apt/sources.list.d/debian-src.sources"
    apt-get update
elif ! apt-cache showsrc lammps >/dev/null 2>&1 || [ -z "$(apt-cache showsrc lammps 2>/dev/null)" ]; then
    apt-get update
else
    echo "deb-src present and source index available; skipping"
fi

# ---------------------------------------------------------------- 2. build deps
log "2. build dependencies"
DEPS=(cmake g++ make pkg-config libfftw3-dev mpich libmpich-dev dpkg-dev gdb)
missing=()
for p in "${DEPS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
    apt-get install -y --no-install-recommends "${missing[@]}"
else
    echo "all installed: ${DEPS[*]}"
fi

# ---------------------------------------------------------------- 3. source
log "3. LAMMPS source"
mkdir -p "$BUILD_DIR"
cd "$BUILD_DIR"
SRC_DIR="$(find "$BUILD_DIR" -maxdepth 1 -type d -name 'lammps-*' | sort | tail -1)"
if [ -z "$SRC_DIR" ] || [ ! -f "$SRC_DIR/cmake/CMakeLists.txt" ]; then
    apt-get source lammps
    SRC_DIR="$(find "$BUILD_DIR" -maxdepth 1 -type d -name 'lammps-*' | sort | tail -1)"
else
    echo "source already unpacked: $SRC_DIR"
fi
[ -f "$SRC_DIR/cmake/CMakeLists.txt" ] || { echo "no cmake/CMakeLists.txt in $SRC_DIR" >&2; exit 1; }

# ---------------------------------------------------------------- 4. configure + build
log "4. configure + build ($VARIANT)"
BLD="$BUILD_DIR/$VARIANT"
mkdir -p "$BLD"
CMAKE_ARGS=(
    -D CMAKE_BUILD_TYPE=Release
    -D "CMAKE_CXX_FLAGS=$LMP_CXX_FLAGS"
    -D CMAKE_CXX_COMPILER=g++
    -D BUILD_MPI=yes
    -D MPI_CXX_COMPILER=/usr/bin/mpicxx.mpich
    -D BUILD_OMP=yes
    -D PKG_KSPACE=yes
    -D PKG_OPENMP=yes
    -D PKG_INTEL=yes
    -D PKG_OPT=yes
    -D FFT=FFTW3
    -D INTEL_ARCH=cpu
)
[ -n "${INTEL_LRT_MODE:-}" ] && CMAKE_ARGS+=(-D "INTEL_LRT_MODE=$INTEL_LRT_MODE")
# shellcheck disable=SC2206
[ -n "${EXTRA_CMAKE:-}" ] && CMAKE_ARGS+=($EXTRA_CMAKE)

cd "$BLD"
cmake "${CMAKE_ARGS[@]}" "$SRC_DIR/cmake" 2>&1 | tee cmake_configure.log
t0=$(date +%s)
if ! nice -n 5 make -j"$JOBS" > make.log 2>&1; then
    grep -m20 -E 'error|Error' make.log || tail -30 make.log
    echo "build failed (see $BLD/make.log)" >&2
    exit 1
fi
t1=$(date +%s)
LMP="$BLD/lmp"
[ -x "$LMP" ] || { echo "build failed: no $LMP (see $BLD/make.log)" >&2; exit 1; }
echo "make wall time this run: $((t1 - t0)) s" | tee -a make_times.log

INFO="$BUILD_DIR/BUILD_INFO.txt"
[ "$VARIANT" != build ] && INFO="$BUILD_DIR/BUILD_INFO.$VARIANT.txt"
{
    echo "LAMMPS build info ($(date -u +%FT%TZ))"
    echo "binary:   $LMP"
    echo "source:   $SRC_DIR (Debian source package lammps $(dpkg-parsechangelog -l "$SRC_DIR/debian/changelog" -S Version 2>/dev/null || echo '?'))"
    echo "version:  $("$LMP" -h 2>/dev/null | grep -m1 -E '^Large-scale|LAMMPS \(' || true)"
    "$LMP" -h 2>/dev/null | sed -n '/^OS:/,/^$/p'
    echo "compiler: $(g++ --version | head -1)"
    echo "mpi:      $(mpichversion 2>/dev/null | head -1 || echo '?')"
    echo "cmake:    cmake $(printf '%q ' "${CMAKE_ARGS[@]}")$SRC_DIR/cmake"
    echo "make:     nice -n 5 make -j$JOBS"
    echo "FFT:      $(grep -A2 'FFT settings' cmake_configure.log | tail -2 | sed 's/^-- //' | paste -sd';' -)"
    grep -E '^(FFTW3_LIBRARY|FFTW3_OMP_LIBRARY|INTEL_LRT_MODE|INTEL_ARCH|FFT_PACK):' CMakeCache.txt 2>/dev/null || true
    echo "defines:  $(grep -m1 'Defines:' cmake_configure.log | sed 's/.*Defines: *//')"
    echo
    echo "Installed packages / accelerator config (lmp -h):"
    "$LMP" -h 2>/dev/null | sed -n '/^Installed packages:/,/^List of individual style options/p' | sed '$d'
    "$LMP" -h 2>/dev/null | grep -E -A3 'Accelerator configuration|FFT information' || true
} > "$INFO"
echo "wrote $INFO"

# ---------------------------------------------------------------- 5. smoke test
if [ "${SKIP_SMOKE:-0}" = 1 ]; then echo "lmp binary: $LMP"; exit 0; fi
log "5. smoke test"
SMK="$BLD/smoke"
mkdir -p "$SMK"
cd "$SMK"
cat > in.smoke <<'EOF'
# rocksalt lattice of two ion types, Buckingham + long-range Coulomb (PPPM)
units           metal
atom_style      charge
boundary        p p p
lattice         custom 5.64 a1 1 0 0 a2 0 1 0 a3 0 0 1 &
                basis 0.0 0.0 0.0  basis 0.5 0.5 0.0  basis 0.5 0.0 0.5  basis 0.0 0.5 0.5 &
                basis 0.5 0.0 0.0  basis 0.0 0.5 0.0  basis 0.0 0.0 0.5  basis 0.5 0.5 0.5
region          box block 0 4 0 4 0 4
create_box      2 box
create_atoms    1 box basis 5 2 basis 6 2 basis 7 2 basis 8 2
mass            1 22.99
mass            2 35.45
set             type 1 charge  1.18
set             type 2 charge -1.18
pair_style      buck/coul/long 10.0
pair_coeff      1 1    0.0 1.0 0.0
pair_coeff      2 2    0.0 1.0 0.0
pair_coeff      1 2 1000.0 0.3 0.0
kspace_style    pppm 1.0e-5
neighbor        2.0 bin
velocity        all create 300.0 4928459 mom yes rot yes
fix             1 all nve
timestep        0.001
thermo          5
thermo_style    custom step temp pe etotal press
run             20
EOF

MPIEXEC=mpiexec.mpich
command -v "$MPIEXEC" >/dev/null || MPIEXEC=mpiexec
declare -A MODES=(
    [a_plain]="$LMP -in in.smoke"
    [b_omp_np2]="$MPIEXEC -np 2 $LMP -sf omp -pk omp 1 -in in.smoke"
    [c_intel_mixed]="$LMP -sf intel -pk intel 0 mode mixed -in in.smoke"
    [d_intel_double]="$LMP -sf intel -pk intel 0 mode double -in in.smoke"
    [e_opt]="$LMP -sf opt -in in.smoke"
)
RES="$SMK/SMOKE_RESULTS.txt"
: > "$RES"
plain_ok=0
for m in a_plain b_omp_np2 c_intel_mixed d_intel_double e_opt; do
    cmd="${MODES[$m]} -log log.$m.lammps"
    set +e
    OMP_NUM_THREADS=1 timeout 300 $cmd > "out.$m.txt" 2>&1
    rc=$?
    set -e
    styles="$(grep -m1 -oE '\(1\) pair [^,]+' "out.$m.txt" || true); $(grep -m1 -oE '^[A-Za-z/]*PPPM[A-Za-z]* initialization' "out.$m.txt" || true)"
    loop=$(grep -m1 -E '^Loop time' "out.$m.txt" || true)
    if [ "$rc" = 0 ] && [ -n "$loop" ]; then
        status="OK"
        [ "$m" = a_plain ] && plain_ok=1
    else
        status="FAIL rc=$rc: $(grep -m3 -iE 'error|fault|signal|killed' "out.$m.txt" | paste -sd' | ' - || true)"
    fi
    printf '%-15s %s\n    cmd: %s\n    styles: %s\n    %s\n' "$m" "$status" "$cmd" "$styles" "$loop" | tee -a "$RES"
done
echo
echo "smoke results: $RES"
echo "lmp binary: $LMP"
[ "$plain_ok" = 1 ]
