// omm_cx native short-range force: per type pair
//     u(r) = A exp(-r/rho) + B/r^12 - C/r^6 + [r < r_w] D ((r_w/r)^6 - 1)^2
// cut sharply at the cutoff, periodic (OpenMM's reduced triclinic boxes included).
// The same energy as the CustomNonbondedForce pair "ShortRange" + "CatastropheGuard"
// (omm_cx/forcefield/openmm_forces.py), as compiled code: a Verlet list with a skin,
// rebuilt when an atom moved more than half the skin or the box changed; pairs whose
// type pair has no term (cation-cation, PSL-PSL) never enter the list; optionally
// (pruneSkin > 0) a pruned list of the pairs within cutoff + pruneSkin, taken from the
// Verlet list in the pair loop itself and used until an atom has moved half of pruneSkin
// (GROMACS's dynamic pruning, with an exact criterion); OpenMM's own
// ThreadPool (threads block between calls, they do not spin against PME's threads).
// Optionally (coulombCutoff > 0) it also computes the real-space part of Ewald/PME Coulomb,
//     k q_i q_j erfc(alpha r) / r   for r < coulombCutoff,
// in the same pair loop, as LAMMPS's buck/coul/long does; the NonbondedForce beside it
// then keeps only the reciprocal part (setIncludeDirectSpace(false)).
// Without a box (periodic = 0, an isolated particle in vacuum) the cells span a box twice
// the particle's extent, so that the minimum image never wraps a pair, and (coulombAllPairs
// = 1) Coulomb k q_i q_j / r is summed over every pair, without cutoff, in its own loop
// over contiguous arrays.
// Units: OpenMM's (nm, kJ/mol, e). Built and loaded by omm_cx/forcefield/native/build.py.

#include "openmm/Force.h"
#include "openmm/OpenMMException.h"
#include "openmm/Platform.h"
#include "openmm/Vec3.h"
#include "openmm/reference/SimTKOpenMMRealType.h"
#include "openmm/internal/ContextImpl.h"
#include "openmm/internal/CustomCPPForceImpl.h"
#include "openmm/internal/ThreadPool.h"
#include "openmm/serialization/SerializationNode.h"
#include "openmm/serialization/SerializationProxy.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cmath>
#include <cstdlib>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

using namespace OpenMM;

// GCC keeps to 256-bit vectors on most AVX-512 CPUs; 512-bit ones make the all-pairs
// Coulomb loop ~10 % faster (73 against 82 ms for 12,066 ions on one core)
#if defined(__GNUC__) && !defined(__clang__)
#define OMM_CX_WIDE_VECTORS __attribute__((target("prefer-vector-width=512")))
#else
#define OMM_CX_WIDE_VECTORS
#endif

namespace omm_cx {

class PairTableForce : public Force {
public:
    int numTypes = 0;
    double cutoff = 1.2;   // nm
    double skin = 0.1;     // nm
    double pruneSkin = 0;  // nm; 0: no pruned list (also when >= skin)
    int numThreads = 0;    // 0: the CPU platform's Threads, else the hardware's
    double coulombCutoff = 0;  // nm; 0: no Coulomb
    double ewaldAlpha = 0;     // 1/nm
    bool periodic = true;      // false: no box (an isolated particle)
    bool coulombAllPairs = false;  // Coulomb over all pairs, no cutoff (needs !periodic)
    std::vector<double> charges;                  // per particle (e), with Coulomb
    std::vector<int> types;                       // per particle
    std::vector<double> A, irho, B, C, D, rw;     // numTypes^2, row-major, symmetric
    bool usesPeriodicBoundaryConditions() const override { return periodic; }
protected:
    ForceImpl* createImpl() const override;
};

namespace {

struct Box {
    Vec3 a, b, c;
    double inv[3];  // 1 / a_x, 1 / b_y, 1 / c_z
    bool operator!=(const Box& o) const { return a != o.a || b != o.b || c != o.c; }
    // Minimum image of a displacement in OpenMM's reduced (lower-triangular) box, exact
    // for partners closer than half the smallest perpendicular width.
    inline void minimumImage(double& dx, double& dy, double& dz) const {
        double s = std::floor(dz * inv[2] + 0.5);
        dx -= s * c[0]; dy -= s * c[1]; dz -= s * c[2];
        s = std::floor(dy * inv[1] + 0.5);
        dx -= s * b[0]; dy -= s * b[1];
        dx -= a[0] * std::floor(dx * inv[0] + 0.5);
    }
};

std::string joinInts(const std::vector<int>& v) {
    std::ostringstream s;
    for (size_t i = 0; i < v.size(); i++) s << (i ? " " : "") << v[i];
    return s.str();
}

std::string joinDoubles(const std::vector<double>& v) {
    std::ostringstream s;
    s.precision(17);
    for (size_t i = 0; i < v.size(); i++) s << (i ? " " : "") << v[i];
    return s.str();
}

template <class T>
std::vector<T> split(const std::string& text) {
    std::istringstream s(text);
    std::vector<T> out;
    T x;
    while (s >> x) out.push_back(x);
    return out;
}

}  // namespace

class PairTableForceImpl : public CustomCPPForceImpl {
public:
    explicit PairTableForceImpl(const PairTableForce& owner) : CustomCPPForceImpl(owner), owner(owner) {}
    const PairTableForce& getOwner() const override { return owner; }

    ~PairTableForceImpl() {
        if (std::getenv("OMM_CX_NATIVE_STATS"))
            std::fprintf(stderr, "OmmCxPairTableForce: %d evaluations, %d list builds (%.1f ms each), %zu pairs, %d prunes\n",
                         numEvaluations, numBuilds, numBuilds ? buildSeconds * 1e3 / numBuilds : 0.0, neighbors.size(),
                         numPrunes);
    }

    void initialize(ContextImpl& context) override {
        CustomCPPForceImpl::initialize(context);
        int n = owner.numTypes;
        size_t nn = (size_t) n * n;
        if (n < 1 || owner.A.size() != nn || owner.irho.size() != nn || owner.B.size() != nn ||
            owner.C.size() != nn || owner.D.size() != nn || owner.rw.size() != nn)
            throw OpenMMException("OmmCxPairTableForce: tables must have numTypes^2 entries");
        if ((int) owner.types.size() != context.getSystem().getNumParticles())
            throw OpenMMException("OmmCxPairTableForce: one type per particle is needed");
        for (int t : owner.types)
            if (t < 0 || t >= n) throw OpenMMException("OmmCxPairTableForce: type index out of range");
        coulomb = owner.coulombCutoff > 0;
        allPairs = owner.coulombAllPairs;
        if (allPairs && (coulomb || owner.periodic))
            throw OpenMMException("OmmCxPairTableForce: Coulomb over all pairs needs no box and no cutoff Coulomb");
        if ((coulomb || allPairs) && owner.charges.size() != owner.types.size())
            throw OpenMMException("OmmCxPairTableForce: one charge per particle is needed with Coulomb");
        listCutoff = coulomb ? std::max(owner.cutoff, owner.coulombCutoff) : owner.cutoff;
        usePrune = owner.pruneSkin > 0 && owner.pruneSkin < owner.skin;
        tA = owner.A; tIrho = owner.irho; tB = owner.B; tC = owner.C;
        tD.assign(nn, 0); tRw2.assign(nn, 0); tRw6.assign(nn, 0); hasTerm.assign(nn, 0);
        for (size_t k = 0; k < nn; k++) {
            if (owner.D[k] != 0 && owner.rw[k] > 0) {
                tD[k] = owner.D[k];
                tRw2[k] = owner.rw[k] * owner.rw[k];
                tRw6[k] = tRw2[k] * tRw2[k] * tRw2[k];
            }
            hasTerm[k] = tA[k] != 0 || tB[k] != 0 || tC[k] != 0 || tD[k] != 0;
        }
        int threads = owner.numThreads;
        if (threads <= 0) {
            try {
                threads = std::atoi(context.getPlatform().getPropertyValue(context.getOwner(), "Threads").c_str());
            } catch (...) {
                threads = 0;
            }
        }
        if (threads <= 0) threads = std::max(1u, std::thread::hardware_concurrency());
        pool.reset(new ThreadPool(threads));
        forceBuffers.assign(threads, std::vector<double>());
        energyBuffers.assign(threads, 0.0);
        coulombBuffers.assign(threads, std::vector<double>());
        coulombEnergy.assign(threads, 0.0);
    }

    double computeForce(ContextImpl& context, const std::vector<Vec3>& positions, std::vector<Vec3>& forces) override {
        Box box;
        if (owner.periodic) {
            context.getPeriodicBoxVectors(box.a, box.b, box.c);
            box.inv[0] = 1.0 / box.a[0]; box.inv[1] = 1.0 / box.b[1]; box.inv[2] = 1.0 / box.c[2];
        } else {
            box = builtBox;  // the box of the last list build (vacuumBox)
        }
        numEvaluations++;
        bool prune = false;
        if (needsRebuild(positions, box)) {
            auto t0 = std::chrono::steady_clock::now();
            if (!owner.periodic) box = vacuumBox(positions);
            buildList(positions, box);
            buildSeconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            prune = usePrune;
        } else if (usePrune) {
            prune = movedMoreThan(positions, prunedPositions, 0.5 * owner.pruneSkin);
        }
        if (prune) {
            prunedPositions = positions;
            numPrunes++;
            inner.resize(pool->getNumThreads());
            innerStart.resize(pool->getNumThreads());
        }
        // the pruned list where it is valid, else the Verlet list (and, when pruning, write
        // the pruned list from it)
        const bool useInner = usePrune && !prune;
        const int N = positions.size();
        for (int p = 0; p < N; p++) {  // cell order: partners lie close in memory
            const Vec3& r = positions[atomOf[p]];
            px[p] = r[0]; py[p] = r[1]; pz[p] = r[2]; ptype[p] = owner.types[atomOf[p]];
        }
        const int threads = pool->getNumThreads();
        pool->execute([&](ThreadPool&, int t) {
            if (coulomb) {
                if (prune) pairLoop<true, true>(t, box, false);
                else pairLoop<true, false>(t, box, useInner);
            } else {
                if (prune) pairLoop<false, true>(t, box, false);
                else pairLoop<false, false>(t, box, useInner);
            }
            if (allPairs) allPairsCoulomb(t);
        });
        pool->waitForThreads();
        double energy = 0;
        for (int t = 0; t < threads; t++) energy += energyBuffers[t] + (allPairs ? coulombEnergy[t] : 0.0);
        for (int p = 0; p < N; p++) {
            double fx = 0, fy = 0, fz = 0;
            for (int t = 0; t < threads; t++) {
                const double* f = forceBuffers[t].data() + 3 * (size_t) p;
                fx += f[0]; fy += f[1]; fz += f[2];
                if (allPairs) {
                    const double* c = coulombBuffers[t].data();
                    fx += c[p]; fy += c[N + p]; fz += c[2 * N + p];
                }
            }
            forces[atomOf[p]] = Vec3(fx, fy, fz);
        }
        return energy;
    }

private:
    static constexpr int BLOCK = 64;

    // An orthorhombic box for a particle without one: each edge twice the particle's
    // extent plus the list radius and 1 nm, so no pair of the particle (nor one that comes
    // within skin/2 of it before the next build) is ever wrapped by the minimum image.
    Box vacuumBox(const std::vector<Vec3>& positions) const {
        Vec3 lo = positions[0], hi = positions[0];
        for (const Vec3& r : positions)
            for (int d = 0; d < 3; d++) { lo[d] = std::min(lo[d], r[d]); hi[d] = std::max(hi[d], r[d]); }
        const double pad = 2 * (listCutoff + owner.skin) + 1.0;
        Box box;
        box.a = Vec3(2 * (hi[0] - lo[0]) + pad, 0, 0);
        box.b = Vec3(0, 2 * (hi[1] - lo[1]) + pad, 0);
        box.c = Vec3(0, 0, 2 * (hi[2] - lo[2]) + pad);
        box.inv[0] = 1.0 / box.a[0]; box.inv[1] = 1.0 / box.b[1]; box.inv[2] = 1.0 / box.c[2];
        return box;
    }

    // Coulomb k q_i q_j / r over every pair i < j (no box, no cutoff). Rows are dealt out
    // round-robin (row i has N-1-i partners, so the threads get equal work); the partners
    // are contiguous, so the loop vectorizes without gathers. Forces go to per-thread x, y,
    // z arrays (structure of arrays).
    OMM_CX_WIDE_VECTORS
    void allPairsCoulomb(int t) {
        const int N = px.size(), threads = pool->getNumThreads();
        std::vector<double>& f = coulombBuffers[t];
        f.assign(3 * (size_t) N, 0.0);
        double* FX = f.data();
        double* FY = FX + N;
        double* FZ = FY + N;
        const double *X = px.data(), *Y = py.data(), *Z = pz.data(), *Q = pq.data();
        double energy = 0;
        for (int i = t; i < N - 1; i += threads) {
            const double xi = X[i], yi = Y[i], zi = Z[i], qi = Q[i];
            if (qi == 0) continue;
            double fxi = 0, fyi = 0, fzi = 0;
            #pragma omp simd reduction(+:energy, fxi, fyi, fzi)
            for (int j = i + 1; j < N; j++) {
                const double dx = xi - X[j], dy = yi - Y[j], dz = zi - Z[j];
                const double r2 = dx * dx + dy * dy + dz * dz;
                // 1/sqrt in float (a vector rsqrt with -ffast-math), then one Newton step in
                // double: relative error ~1e-14, faster than a vector sqrt and divide
                const float y = 1.0f / std::sqrt((float) r2);
                const double invR = (double) y * (1.5 - 0.5 * r2 * (double) y * (double) y);
                const double e = qi * Q[j] * invR;
                const double de = e * invR * invR;  // -dU/dr / r
                energy += e;
                fxi += de * dx; fyi += de * dy; fzi += de * dz;
                FX[j] -= de * dx; FY[j] -= de * dy; FZ[j] -= de * dz;
            }
            FX[i] += fxi; FY[i] += fyi; FZ[i] += fzi;
        }
        coulombEnergy[t] = energy;
    }

    // Pairs of the atoms (cell order) chunk[t] .. chunk[t+1]-1: each atom's partners in
    // blocks, the arithmetic in a SIMD loop (gathers, vector exp), the scatter after.
    // The partners come from the Verlet list or (fromInner) thread t's pruned list; PRUNE:
    // also write that pruned list (the partners within listCutoff + pruneSkin now).
    template <bool COULOMB, bool PRUNE>
    void pairLoop(int t, const Box& box, bool fromInner) {
        const int N = px.size();
        std::vector<double>& f = forceBuffers[t];
        f.assign(3 * (size_t) N, 0.0);
        double energy = 0;
        const double rc2 = owner.cutoff * owner.cutoff;
        const double rcc2 = coulomb ? owner.coulombCutoff * owner.coulombCutoff : 0.0;
        const double alpha = owner.ewaldAlpha;
        const double twoAlphaOverSqrtPi = 2.0 * alpha / std::sqrt(M_PI);
        const double* Q = pq.data();
        const double *X = px.data(), *Y = py.data(), *Z = pz.data();
        const int* T = ptype.data();
        const double *A = tA.data(), *Irho = tIrho.data(), *B = tB.data(), *C = tC.data();
        const double *D = tD.data(), *Rw2 = tRw2.data(), *Rw6 = tRw6.data();
        alignas(64) double gx[BLOCK], gy[BLOCK], gz[BLOCK];
        alignas(64) double pa[BLOCK], pirho[BLOCK], pb[BLOCK], pc[BLOCK], pd[BLOCK], prw2[BLOCK], prw6[BLOCK], pqq[BLOCK];
        alignas(64) double rr[BLOCK];  // r^2 per partner, for the pruned list
        const double Rp = listCutoff + owner.pruneSkin, Rp2 = Rp * Rp;
        // S[i - chunk[t]] .. S[i - chunk[t] + 1]: atom i's partners in L
        const int* L = fromInner ? inner[t].data() : neighbors.data();
        const int* S = fromInner ? innerStart[t].data() : start.data() + chunk[t];
        if (PRUNE) {
            inner[t].clear();
            innerStart[t].assign(chunk[t + 1] - chunk[t] + 1, 0);
        }
        for (int i = chunk[t]; i < chunk[t + 1]; i++) {
            const double xi = X[i], yi = Y[i], zi = Z[i];
            const double qi = coulomb ? Q[i] : 0.0;
            const int rowI = T[i] * owner.numTypes;  // i's row of the pair tables
            const int* nb = L + S[i - chunk[t]];
            const int count = S[i - chunk[t] + 1] - S[i - chunk[t]];
            double fxi = 0, fyi = 0, fzi = 0;
            for (int k0 = 0; k0 < count; k0 += BLOCK) {
                const int m = std::min(BLOCK, count - k0);
                const int* js = nb + k0;
                for (int k = 0; k < m; k++) {  // gather the partners' coordinates, charges, pair values
                    const int j = js[k];
                    gx[k] = X[j]; gy[k] = Y[j]; gz[k] = Z[j];
                    pqq[k] = Q[j];
                    const int pp = rowI + T[j];
                    pa[k] = A[pp]; pirho[k] = Irho[pp]; pb[k] = B[pp]; pc[k] = C[pp];
                    pd[k] = D[pp]; prw2[k] = Rw2[pp]; prw6[k] = Rw6[pp];
                }
                #pragma omp simd reduction(+:energy, fxi, fyi, fzi)
                for (int k = 0; k < m; k++) {  // the arithmetic, vector exp/erfc
                    double dx = xi - gx[k], dy = yi - gy[k], dz = zi - gz[k];
                    box.minimumImage(dx, dy, dz);
                    const double a = pa[k], irho = pirho[k], b = pb[k], c = pc[k];
                    const double r2 = dx * dx + dy * dy + dz * dz;
                    if (PRUNE) rr[k] = r2;
                    const double invR2 = 1.0 / r2;
                    const double invR6 = invR2 * invR2 * invR2;
                    const double invR12 = invR6 * invR6;
                    const double r = std::sqrt(r2);
                    const double invR = 1.0 / r;
                    const double ex = a * std::exp(-r * irho);
                    const double rw6 = prw6[k];
                    const double xw = rw6 * invR6 - 1.0;
                    const double wall = r2 <= prw2[k] ? pd[k] : 0.0;
                    double e = ex + b * invR12 - c * invR6 + wall * xw * xw;
                    double de = -irho * ex * invR + (6.0 * c * invR6 - 12.0 * b * invR12
                                                     - 12.0 * wall * xw * rw6 * invR6) * invR2;
                    const double inside = r2 < rc2 ? 1.0 : 0.0;
                    e *= inside;
                    de *= inside;
                    if (COULOMB) {  // Ewald real space:
                        // d/dr [erfc(ar)/r] = -erfc(ar)/r^2 - 2a/sqrt(pi) exp(-a^2 r^2)/r
                        const double qq = r2 < rcc2 ? qi * pqq[k] : 0.0;
                        const double g = std::exp(-alpha * alpha * r2);
                        const double ec = qq * std::erfc(alpha * r) * invR;
                        e += ec;
                        de -= (ec + qq * twoAlphaOverSqrtPi * g) * invR2;
                    }
                    energy += e;
                    gx[k] = de * dx; gy[k] = de * dy; gz[k] = de * dz;
                    fxi -= gx[k]; fyi -= gy[k]; fzi -= gz[k];
                }
                for (int k = 0; k < m; k++) {
                    double* fj = f.data() + 3 * (size_t) js[k];
                    fj[0] += gx[k]; fj[1] += gy[k]; fj[2] += gz[k];
                }
                if (PRUNE)
                    for (int k = 0; k < m; k++)
                        if (rr[k] < Rp2) inner[t].push_back(js[k]);
            }
            if (PRUNE) innerStart[t][i - chunk[t] + 1] = inner[t].size();
            f[3 * i] += fxi; f[3 * i + 1] += fyi; f[3 * i + 2] += fzi;
        }
        energyBuffers[t] = energy;
    }

    bool needsRebuild(const std::vector<Vec3>& positions, const Box& box) {
        if (start.empty() || (owner.periodic && box != builtBox)) return true;
        return movedMoreThan(positions, builtPositions, 0.5 * owner.skin);
    }

    static bool movedMoreThan(const std::vector<Vec3>& positions, const std::vector<Vec3>& before, double distance) {
        const double limit = distance * distance;
        for (size_t i = 0; i < positions.size(); i++) {
            Vec3 d = positions[i] - before[i];
            if (d.dot(d) > limit) return true;
        }
        return false;
    }

    // Verlet list at cutoff + skin, cell order. Cells in fractional coordinates at least
    // (cutoff + skin)/2 wide along each perpendicular width, so partners lie within +-2
    // cells; each pair of cells is visited once (the partner cell's index >= the cell's).
    void buildList(const std::vector<Vec3>& positions, const Box& box) {
        numBuilds++;
        const int N = positions.size();
        builtPositions = positions;
        builtBox = box;
        const double R = listCutoff + owner.skin, R2 = R * R;
        const double volume = box.a[0] * box.b[1] * box.c[2];
        Vec3 cross[3] = {box.b.cross(box.c), box.c.cross(box.a), box.a.cross(box.b)};
        int nc[3];
        for (int d = 0; d < 3; d++) {
            double width = volume / std::sqrt(cross[d].dot(cross[d]));
            // the minimum image is exact only for partners closer than half the smallest
            // perpendicular width (OpenMM checks a_x, b_y, c_z; a barostat can shrink a
            // triclinic box below this while those still pass)
            if (width < 2 * listCutoff) {
                std::ostringstream msg;
                msg << "OmmCxPairTableForce: the periodic box is " << width << " nm wide "
                    << "(perpendicular to one face), less than twice the cutoff ("
                    << listCutoff << " nm); use a larger box";
                throw OpenMMException(msg.str());
            }
            nc[d] = std::max(1, (int) std::floor(width / (0.5 * R)));
        }
        const int numCells = nc[0] * nc[1] * nc[2];
        std::vector<int> cellOf(N), cellStart(numCells + 1, 0);
        for (int i = 0; i < N; i++) {
            Vec3 r = positions[i];
            double s2 = r[2] / box.c[2];
            double s1 = (r[1] - s2 * box.c[1]) / box.b[1];
            double s0 = (r[0] - s2 * box.c[0] - s1 * box.b[0]) / box.a[0];
            double s[3] = {s0 - std::floor(s0), s1 - std::floor(s1), s2 - std::floor(s2)};
            int c[3];
            for (int d = 0; d < 3; d++) c[d] = std::max(0, std::min(nc[d] - 1, (int) (s[d] * nc[d])));
            cellOf[i] = (c[0] * nc[1] + c[1]) * nc[2] + c[2];
            cellStart[cellOf[i] + 1]++;
        }
        for (int c = 0; c < numCells; c++) cellStart[c + 1] += cellStart[c];
        atomOf.resize(N);
        std::vector<int> fill(cellStart.begin(), cellStart.end() - 1);
        for (int i = 0; i < N; i++) atomOf[fill[cellOf[i]]++] = i;
        px.resize(N); py.resize(N); pz.resize(N); ptype.resize(N); pq.assign(N, 0.0);
        for (int p = 0; p < N; p++) {
            const Vec3& r = positions[atomOf[p]];
            px[p] = r[0]; py[p] = r[1]; pz[p] = r[2]; ptype[p] = owner.types[atomOf[p]];
            if (coulomb || allPairs) pq[p] = owner.charges[atomOf[p]] * std::sqrt(ONE_4PI_EPS0);
        }
        std::vector<int> offsets[3];
        for (int d = 0; d < 3; d++)
            for (int o = -2; o <= 2; o++) if (o + 2 < nc[d] || nc[d] >= 5) offsets[d].push_back(o);
        const int threads = pool->getNumThreads();
        std::vector<std::vector<int>> lists(threads), counts(threads);
        pool->execute([&](ThreadPool&, int t) {
            std::vector<int>& list = lists[t];
            std::vector<int>& count = counts[t];
            list.clear();
            const int cLo = (long long) numCells * t / threads, cHi = (long long) numCells * (t + 1) / threads;
            count.assign(cellStart[cHi] - cellStart[cLo], 0);
            std::vector<int> cells, cand;
            std::vector<double> qx, qy, qz, d2;
            for (int c = cLo; c < cHi; c++) {
                int c0 = c / (nc[1] * nc[2]), c1 = (c / nc[2]) % nc[1], c2 = c % nc[2];
                cells.clear();
                for (int o0 : offsets[0]) for (int o1 : offsets[1]) for (int o2 : offsets[2]) {
                    int x = (c0 + o0 + nc[0]) % nc[0], y = (c1 + o1 + nc[1]) % nc[1], z = (c2 + o2 + nc[2]) % nc[2];
                    int other = (x * nc[1] + y) * nc[2] + z;
                    if (other >= c) cells.push_back(other);
                }
                std::sort(cells.begin(), cells.end());  // c itself first
                cells.erase(std::unique(cells.begin(), cells.end()), cells.end());
                // the candidates of every atom of cell c, contiguous: c's own atoms first
                cand.clear();
                for (int other : cells)
                    for (int j = cellStart[other]; j < cellStart[other + 1]; j++) cand.push_back(j);
                const int m = cand.size();
                qx.resize(m); qy.resize(m); qz.resize(m); d2.resize(m);
                for (int k = 0; k < m; k++) { qx[k] = px[cand[k]]; qy[k] = py[cand[k]]; qz[k] = pz[cand[k]]; }
                const double *QX = qx.data(), *QY = qy.data(), *QZ = qz.data();
                double* D2 = d2.data();
                for (int i = cellStart[c]; i < cellStart[c + 1]; i++) {
                    const double xi = px[i], yi = py[i], zi = pz[i];
                    const char* row = hasTerm.data() + (size_t) ptype[i] * owner.numTypes;
                    const int k0 = i - cellStart[c] + 1;  // partners in c: the later ones only
                    #pragma omp simd
                    for (int k = k0; k < m; k++) {
                        double dx = xi - QX[k], dy = yi - QY[k], dz = zi - QZ[k];
                        box.minimumImage(dx, dy, dz);
                        D2[k] = dx * dx + dy * dy + dz * dz;
                    }
                    size_t before = list.size();
                    const bool charged = coulomb && pq[i] != 0;
                    for (int k = k0; k < m; k++)
                        if (D2[k] < R2 && (row[ptype[cand[k]]] || (charged && pq[cand[k]] != 0)))
                            list.push_back(cand[k]);
                    count[i - cellStart[cLo]] = list.size() - before;
                }
            }
        });
        pool->waitForThreads();
        start.assign(N + 1, 0);
        neighbors.clear();
        for (int t = 0; t < threads; t++) {
            const int pLo = cellStart[(long long) numCells * t / threads];
            for (size_t k = 0; k < counts[t].size(); k++) start[pLo + k + 1] = counts[t][k];
            neighbors.insert(neighbors.end(), lists[t].begin(), lists[t].end());
        }
        for (int p = 0; p < N; p++) start[p + 1] += start[p];
        // split the atoms among the threads by equal numbers of pairs
        chunk.assign(threads + 1, N);
        chunk[0] = 0;
        const size_t total = neighbors.size();
        int t = 1;
        for (int p = 0; p < N && t < threads; p++)
            if ((size_t) start[p] * threads >= total * t) chunk[t++] = p;
    }

    const PairTableForce& owner;
    std::vector<double> tA, tIrho, tB, tC, tD, tRw2, tRw6;
    std::vector<char> hasTerm;
    std::unique_ptr<ThreadPool> pool;
    std::vector<std::vector<double>> forceBuffers;
    std::vector<double> energyBuffers;
    std::vector<std::vector<double>> coulombBuffers;  // all-pairs Coulomb: x, y, z arrays
    std::vector<double> coulombEnergy;
    std::vector<int> start, neighbors, chunk, atomOf, ptype;
    std::vector<double> px, py, pz, pq;  // pq: charge * sqrt(k_e) (kJ/mol nm)^1/2
    bool coulomb = false, allPairs = false, usePrune = false;
    double listCutoff = 0;
    // pruned lists, per thread, of its atoms chunk[t] .. chunk[t+1]-1 (offsets from chunk[t])
    std::vector<std::vector<int>> inner, innerStart;
    std::vector<Vec3> prunedPositions;
    int numPrunes = 0;
    std::vector<Vec3> builtPositions;
    Box builtBox{};
    int numBuilds = 0, numEvaluations = 0;
    double buildSeconds = 0;
};

ForceImpl* PairTableForce::createImpl() const { return new PairTableForceImpl(*this); }

class PairTableForceProxy : public SerializationProxy {
public:
    PairTableForceProxy() : SerializationProxy("OmmCxPairTableForce") {}
    void serialize(const void* object, SerializationNode& node) const override {
        const PairTableForce& f = *reinterpret_cast<const PairTableForce*>(object);
        node.setIntProperty("version", 1);
        if (!f.periodic) node.setIntProperty("periodic", 0);
        if (f.coulombAllPairs) node.setIntProperty("coulombAllPairs", 1);
        node.setIntProperty("forceGroup", f.getForceGroup());
        node.setStringProperty("name", f.getName());
        node.setIntProperty("numTypes", f.numTypes);
        node.setDoubleProperty("cutoff", f.cutoff);
        node.setDoubleProperty("skin", f.skin);
        if (f.pruneSkin > 0) node.setDoubleProperty("pruneSkin", f.pruneSkin);
        node.setIntProperty("numThreads", f.numThreads);
        node.setDoubleProperty("coulombCutoff", f.coulombCutoff);
        node.setDoubleProperty("ewaldAlpha", f.ewaldAlpha);
        node.setStringProperty("charges", joinDoubles(f.charges));
        node.setStringProperty("types", joinInts(f.types));
        node.setStringProperty("A", joinDoubles(f.A));
        node.setStringProperty("irho", joinDoubles(f.irho));
        node.setStringProperty("B", joinDoubles(f.B));
        node.setStringProperty("C", joinDoubles(f.C));
        node.setStringProperty("D", joinDoubles(f.D));
        node.setStringProperty("rw", joinDoubles(f.rw));
    }
    void* deserialize(const SerializationNode& node) const override {
        if (node.getIntProperty("version") != 1)
            throw OpenMMException("OmmCxPairTableForce: unsupported version");
        PairTableForce* f = new PairTableForce();
        try {
            f->setForceGroup(node.getIntProperty("forceGroup", 0));
            f->setName(node.getStringProperty("name", "ShortRange"));
            f->numTypes = node.getIntProperty("numTypes");
            f->cutoff = node.getDoubleProperty("cutoff");
            f->skin = node.getDoubleProperty("skin");
            f->pruneSkin = node.getDoubleProperty("pruneSkin", 0.0);
            f->numThreads = node.getIntProperty("numThreads", 0);
            f->coulombCutoff = node.getDoubleProperty("coulombCutoff", 0.0);
            f->ewaldAlpha = node.getDoubleProperty("ewaldAlpha", 0.0);
            f->periodic = node.getIntProperty("periodic", 1) != 0;
            f->coulombAllPairs = node.getIntProperty("coulombAllPairs", 0) != 0;
            f->charges = split<double>(node.getStringProperty("charges", ""));
            f->types = split<int>(node.getStringProperty("types"));
            f->A = split<double>(node.getStringProperty("A"));
            f->irho = split<double>(node.getStringProperty("irho"));
            f->B = split<double>(node.getStringProperty("B"));
            f->C = split<double>(node.getStringProperty("C"));
            f->D = split<double>(node.getStringProperty("D"));
            f->rw = split<double>(node.getStringProperty("rw"));
        } catch (...) {
            delete f;
            throw;
        }
        return f;
    }
};

}  // namespace omm_cx

extern "C" void registerKernelFactories() {
    static bool registered = false;
    if (!registered) {
        SerializationProxy::registerProxy(typeid(omm_cx::PairTableForce), new omm_cx::PairTableForceProxy());
        registered = true;
    }
}
