// Native benchmarks, one JSON line per figure:
//  - the torchdiffeq ode_demo replica with RK4/direct, dopri5/direct and dopri5/adjoint;
//  - the toggle switch (the page's kind of problem) with each gradient method;
//  - peak heap memory of a gradient versus the number of solver steps, adjoint against direct.
#include <algorithm>
#include <cmath>
#include <tuple>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <malloc.h>
#include <time.h>

#include "alloc_counter.hpp"
#include "nde/batch_field.hpp"
#include "nde/dense.hpp"
#include "nde/densities.hpp"
#include "nde/ensemble.hpp"
#include "nde/grid.hpp"
#include "nde/kernels.hpp"
#include "nde/lanes.hpp"
#include "nde/lanes64.hpp"
#include "nde/density.hpp"
#include "nde/systems.hpp"
#include "nde/trainer.hpp"

using namespace nde;

namespace {

/// Stops the bench with the message of a failed call (a bench on refused data measures nothing).
template <class R>
void require(const R& r) {
  if (!r.ok()) {
    std::fprintf(stderr, "%s\n", r.message.c_str());
    std::exit(1);
  }
}

TrainerConfig replica_config(const std::string& method, GradientMethod g) {
  TrainerConfig c;
  c.mlp.hidden = {50};
  c.mlp.input = InputMap::Cube;
  c.mlp.init_std = 0.1;
  c.mlp.init_output = 1.0;  // torchdiffeq's init: normal(0, 0.1) in every layer
  c.normalize = false;
  c.solver.method = method;
  c.solver.rtol = 1e-7;  // torchdiffeq's defaults for dopri5
  c.solver.atol = 1e-9;
  c.gradient = g;
  c.optimizer.kind = OptimizerConfig::Kind::RmsProp;
  c.optimizer.lr = 1e-3;
  c.batch_size = 20;
  c.window = 10;
  c.loss = LossKind::L1;
  return c;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

double run(const char* bench, const char* variant, const TrainerConfig& c, const std::vector<Trajectory>& data, int iters) {
  Trainer t(c);
  for (const auto& tr : data) require(t.add_trajectory(tr));
  std::vector<double> ms;
  ms.reserve(static_cast<std::size_t>(iters));  // the bench's own storage stays out of the allocation count
  long nfe_f = 0, nfe_b = 0;
  double loss = 0;
  nde_bench::reset_peak();
  const std::size_t base = nde_bench::heap_in_use();
  // Allocations are counted after these warm-up steps, and apart over the second half: buffers that grow to the
  // largest solve met (the stage-pass rings) still allocate early on, so the second half shows the steady state.
  const int warm = std::min(10, iters / 2), half = iters / 2;
  std::size_t allocs = 0, allocs_late = 0;
  for (int i = 0; i < iters; ++i) {
    const std::size_t a0 = nde_bench::allocations();
    const auto a = std::chrono::steady_clock::now();
    const StepReport r = t.step();
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - a).count());
    if (i >= warm) allocs += nde_bench::allocations() - a0;
    if (i >= half) allocs_late += nde_bench::allocations() - a0;
    nfe_f += r.nfe_forward;
    nfe_b += r.nfe_backward;
    loss = r.loss;
  }
  std::printf(
      "{\"bench\":\"%s\",\"variant\":\"%s\",\"iterations\":%d,\"ms_per_iter_median\":%.4f,\"nfe_forward_per_iter\":%.1f,"
      "\"nfe_backward_per_iter\":%.1f,\"final_batch_loss\":%.5g,\"peak_heap_bytes\":%zu,\"allocations_per_step\":%.1f,"
      "\"allocations_per_step_second_half\":%.2f}\n",
      bench, variant, iters, median(ms), double(nfe_f) / iters, double(nfe_b) / iters, loss, nde_bench::heap_peak() - base,
      double(allocs) / std::max(1, iters - warm), double(allocs_late) / std::max(1, iters - half));
  std::fflush(stdout);
  return median(ms);
}

void memory_sweep() {
  // One window of the spiral, integrated with RK4 at a step that sets the number of steps.
  TrainerConfig c = replica_config("rk4", GradientMethod::Adjoint);
  Trajectory tr = torchdiffeq_spiral(1000);
  tr.times.resize(10);
  tr.states.conservativeResize(2, 10);
  for (long steps : {100L, 1000L, 10000L, 100000L}) {
    for (GradientMethod g : {GradientMethod::Adjoint, GradientMethod::Direct}) {
      c.gradient = g;
      c.solver.step = tr.times.back() / static_cast<double>(steps);
      c.solver.max_steps = 10 * steps;
      Trainer t(c);
      require(t.add_trajectory(tr));
      nde_bench::reset_peak();
      const std::size_t base = nde_bench::heap_in_use();
      const auto a = std::chrono::steady_clock::now();
      const GradientResult r = t.full_gradient(g);
      const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - a).count();
      std::printf("{\"bench\":\"memory-vs-steps\",\"gradient\":\"%s\",\"solver_steps\":%ld,\"peak_heap_bytes\":%zu,\"ms\":%.2f,\"status\":\"%s\"}\n",
                  to_string(g), r.forward.accepted, nde_bench::heap_peak() - base, ms, to_string(r.status));
    }
  }
}

void second_order_bench() {
  // The CNF's exact-trace gradient (∂/∂θ, ∂/∂z of Σ w tr ∂f/∂z) on a density batch: split value/tangent double
  // products against the generic Dual-scalar passes they replaced.
  MlpConfig mc;
  mc.hidden = {32, 32};
  mc.time_dependent = true;
  Mlp m(mc);
  m.init(1);
  const Index B = 256;
  const Mat Z = Mat::Random(2, B);
  const RowVec t = RowVec::Constant(B, 0.5), w = RowVec::Constant(B, 1.0 / B);
  std::vector<Mat> E;
  for (int i = 0; i < 2; ++i) {
    Mat e = Mat::Zero(2, B);
    e.row(i).setOnes();
    E.push_back(e);
  }
  double ms[3];
  for (int dual = 0; dual < 3; ++dual) {
    kernels::set_tiled(dual != 2);  // 2: split passes with Eigen's GEMM for the 32x32 layer (the former path)
    std::vector<double> v;
    for (int r = 0; r < 30; ++r) {
      Mat dZ;
      Vec dth;
      const auto a = std::chrono::steady_clock::now();
      if (dual == 1) m.second_order_dual(Z, t, E, E, w, &dZ, &dth);
      else m.second_order(Z, t, E, E, w, &dZ, &dth);
      v.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - a).count());
    }
    ms[dual] = median(v);
  }
  std::printf("{\"bench\":\"divergence-gradient\",\"network\":\"2-32-32-2 (time)\",\"columns\":%ld,\"ms_split\":%.4f,"
              "\"ms_dual_scalar\":%.4f,\"dual_over_split\":%.2f,\"ms_split_eigen\":%.4f,\"eigen_over_tiled\":%.2f}\n",
              static_cast<long>(B), ms[0], ms[1], ms[1] / ms[0], ms[2], ms[2] / ms[0]);
  kernels::set_tiled(true);
  std::fflush(stdout);
}

/// CPU time of this thread in ms (the machine is shared: wall time counts other processes' work too).
double thread_cpu_ms() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return 1e3 * static_cast<double>(ts.tv_sec) + 1e-6 * static_cast<double>(ts.tv_nsec);
}

/// One network's forward and reverse passes (dZ and dθ) through the float64 points-in-lanes kernels with a reverse-only
/// tape (the activations kept in the kernels' layout, as `BatchField`'s tapes) against a column-major tape (the former
/// layout; scattered by the forward, gathered by the reverse), alternating (which goes first too), each width: µs per
/// pass, best of 15 runs of 2,000 passes in this thread's CPU time. Two hidden layers with two lanes: the column-major
/// tape's reverse pass also takes dW2 through the row path's tiled product, the kept one through lane sums.
void tape_layout_bench() {
  struct Net { const char* name; std::vector<int> hidden; InputMap input; Index points; };
  for (const Net& n : {Net{"replica 2-50-2 (cube)", {50}, InputMap::Cube, 20}, Net{"page 2-32-32-2", {32, 32}, InputMap::Identity, 16},
                       Net{"page 2-32-32-2", {32, 32}, InputMap::Identity, 160}}) {
    MlpConfig mc;
    mc.hidden = n.hidden;
    mc.input = n.input;
    Mlp m(mc);
    m.init(1);
    Mat Z = Mat::Random(2, n.points), A = Mat::Random(2, n.points), F, dZ;
    const RowVec t = RowVec::Zero(n.points);
    Vec dth = Vec::Zero(m.num_params());
    for (int lanes : {4, 2}) {
      if (lanes == 4 && kernels::lanes_training_width() != 4) continue;
      kernels::set_lanes_training_avx2(lanes == 4);
      double fwd[2] = {1e300, 1e300}, rev[2] = {1e300, 1e300};
      for (int run = 0; run < 15; ++run)
        for (int order = 0; order < 2; ++order) {
          const int kept = order ^ (run & 1);
          Mlp::Tape<double> tape;
          tape.reverse_only = kept == 1;
          double c0 = thread_cpu_ms();
          for (int i = 0; i < 2000; ++i) m.forward<double>(Z, t, F, &tape);
          fwd[kept] = std::min(fwd[kept], (thread_cpu_ms() - c0) / 2.0);
          c0 = thread_cpu_ms();
          for (int i = 0; i < 2000; ++i) m.backward<double>(tape, A, &dZ, &dth, nullptr);
          rev[kept] = std::min(rev[kept], (thread_cpu_ms() - c0) / 2.0);
        }
      std::printf("{\"bench\":\"tape-layout\",\"network\":\"%s\",\"points\":%ld,\"lanes\":%d,\"us_forward_kept\":%.3f,"
                  "\"us_forward_column_major\":%.3f,\"us_reverse_kept\":%.3f,\"us_reverse_column_major\":%.3f,"
                  "\"column_major_over_kept\":%.2f}\n",
                  n.name, static_cast<long>(n.points), lanes, fwd[1], fwd[0], rev[1], rev[0], (fwd[0] + rev[0]) / (fwd[1] + rev[1]));
    }
    kernels::set_lanes_training_avx2(true);
  }
  std::fflush(stdout);
}

void density_bench(int iters) {
  // Two moons, exact trace: the regularisers should keep the flow simple and cut the solver's work. Three trainers
  // with the same seed train side by side, alternating step by step, one per CnfField::Passes: tangents (default:
  // the trace and its gradient reverse-over-forward from one kept forward pass), shared tape (one forward pass per
  // evaluation, kept per stage; forward-over-reverse trace gradient) and separate (the former path: every term redoes
  // the forward pass). Shared and separate must agree bit for bit; tangents agree to rounding (its trajectory can
  // drift apart over the iterations, so compare CPU time per NFE too).
  using P = CnfField::Passes;
  double nfe_plain = 0, nfe_reg = 0;
  for (const auto& [variant, kinetic, jacobian] : {std::tuple{"plain", 0.0, 0.0}, std::tuple{"kinetic+jacobian 0.05", 0.05, 0.05}}) {
    DensityConfig c;
    c.base.mlp.hidden = {32, 32};
    // batch: the density default (the page uses it too)
    c.base.kinetic = kinetic;
    c.base.jacobian = jacobian;
    std::vector<DensityTrainer> t(3, DensityTrainer(c));
    for (DensityTrainer& x : t) require(x.add_samples(sample_density("two-moons", 4000, 1)));
    const P passes[3] = {P::Tangents, P::SharedTape, P::Separate};
    std::vector<double> ms[3];
    double cpu[3] = {0, 0, 0}, nfe[3] = {0, 0, 0}, nfe_f = 0, nfe_b = 0, loss = 0, max_rel_loss = 0;
    bool identical = true;
    const int tail = std::max(1, iters / 3);
    for (int i = 0; i < iters; ++i) {
      StepReport r[3];
      for (int k = 0; k < 3; ++k) {
        CnfField::set_passes(passes[k]);
        const double c0 = thread_cpu_ms();
        r[k] = t[k].step();
        cpu[k] += thread_cpu_ms() - c0;
        ms[k].push_back(r[k].millis);
        nfe[k] += static_cast<double>(r[k].nfe_forward + r[k].nfe_backward);
      }
      identical = identical && r[1].loss == r[2].loss && r[1].nfe_forward == r[2].nfe_forward && r[1].nfe_backward == r[2].nfe_backward;
      max_rel_loss = std::max(max_rel_loss, std::abs(r[0].loss - r[1].loss) / std::abs(r[1].loss));
      if (i >= iters - tail) {
        nfe_f += static_cast<double>(r[0].nfe_forward) / tail;
        nfe_b += static_cast<double>(r[0].nfe_backward) / tail;
      }
      loss = r[0].loss;
    }
    CnfField::set_passes(P::Tangents);
    identical = identical && t[1].mlp().params() == t[2].mlp().params();
    const DensityResult nll = t[0].nll();
    (kinetic > 0 ? nfe_reg : nfe_plain) = nfe_f + nfe_b;
    std::printf("{\"bench\":\"density-two-moons\",\"variant\":\"%s\",\"iterations\":%d,\"ms_per_iter_median\":%.3f,"
                "\"cpu_ms_per_iter\":%.3f,\"cpu_us_per_nfe\":%.1f,\"shared_tape_cpu_ms_per_iter\":%.3f,\"shared_tape_cpu_us_per_nfe\":%.1f,"
                "\"separate_ms_per_iter_median\":%.3f,\"separate_cpu_ms_per_iter\":%.3f,\"separate_cpu_us_per_nfe\":%.1f,"
                "\"separate_over_tangents_cpu_per_nfe\":%.2f,\"shared_over_tangents_cpu_per_nfe\":%.2f,"
                "\"shared_separate_bit_identical\":%s,\"tangents_max_rel_loss_diff\":%.1e,"
                "\"nfe_forward_last_third\":%.1f,\"nfe_backward_last_third\":%.1f,\"final_batch_loss\":%.4f,\"nll\":%.4f}\n",
                variant, iters, median(ms[0]), cpu[0] / iters, 1e3 * cpu[0] / nfe[0], cpu[1] / iters, 1e3 * cpu[1] / nfe[1],
                median(ms[2]), cpu[2] / iters, 1e3 * cpu[2] / nfe[2], (cpu[2] / nfe[2]) / (cpu[0] / nfe[0]),
                (cpu[1] / nfe[1]) / (cpu[0] / nfe[0]), identical ? "true" : "false", max_rel_loss, nfe_f, nfe_b, loss,
                nll.values.size() ? nll.values[0] : NAN);
    std::fflush(stdout);
  }
  std::printf("{\"bench\":\"density-two-moons\",\"regularisers_cut_nfe_by_percent\":%.1f}\n", 100.0 * (1.0 - nfe_reg / nfe_plain));
}

/// Two trainers of config c with the same seed train side by side, alternating step by step, the first with `set(true)`
/// (the new path, named `now`), the second with `set(false)` (the former one, `former`): wall and this thread's CPU time
/// per step (the machine is shared), NFE, allocations, and whether losses, NFE and parameters agree bit for bit.
void alternating_bench(const char* bench, const char* what, void (*set)(bool), const char* now, const char* former,
                       const TrainerConfig& c, const std::vector<Trajectory>& data, int iters) {
  Trainer a(c), b(c);
  Trainer* t[2] = {&a, &b};
  for (Trainer* x : t)
    for (const auto& tr : data) require(x->add_trajectory(tr));
  std::vector<double> ms[2];
  for (auto& m : ms) m.reserve(static_cast<std::size_t>(iters));  // the bench's own storage stays out of the count
  double cpu[2] = {0, 0}, nfe_f[2] = {0, 0}, nfe_b[2] = {0, 0};
  std::size_t allocs[2] = {0, 0};
  bool identical = true;
  const int warm = std::min(10, iters / 2);
  for (int i = 0; i < iters; ++i) {
    StepReport r[2];
    for (int k = 0; k < 2; ++k) {
      set(k == 0);
      const std::size_t a0 = nde_bench::allocations();
      const double c0 = thread_cpu_ms();
      const auto start = std::chrono::steady_clock::now();
      r[k] = t[k]->step();
      ms[k].push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
      cpu[k] += thread_cpu_ms() - c0;
      if (i >= warm) allocs[k] += nde_bench::allocations() - a0;
      nfe_f[k] += static_cast<double>(r[k].nfe_forward);
      nfe_b[k] += static_cast<double>(r[k].nfe_backward);
    }
    identical = identical && r[0].loss == r[1].loss && r[0].nfe_forward == r[1].nfe_forward;
  }
  set(true);
  identical = identical && a.mlp().params() == b.mlp().params();
  const double n = iters, steps = std::max(1, iters - warm);
  std::printf("{\"bench\":\"%s\",\"variant\":\"%s (alternating)\",\"iterations\":%d,"
              "\"ms_per_iter_median\":%.4f,\"cpu_ms_per_iter\":%.4f,\"%s_ms_per_iter_median\":%.4f,"
              "\"%s_cpu_ms_per_iter\":%.4f,\"%s_over_%s_cpu\":%.3f,\"%s_over_%s_ms\":%.3f,"
              "\"nfe_forward_per_iter\":%.1f,\"nfe_backward_per_iter\":%.1f,\"%s_nfe_backward_per_iter\":%.1f,"
              "\"bit_identical\":%s,\"allocations_per_step\":%.1f,\"%s_allocations_per_step\":%.1f}\n",
              bench, what, iters, median(ms[0]), cpu[0] / n, former, median(ms[1]), former, cpu[1] / n, former, now,
              cpu[1] / cpu[0], former, now, median(ms[1]) / median(ms[0]), nfe_f[0] / n, nfe_b[0] / n, former,
              nfe_b[1] / n, identical ? "true" : "false", double(allocs[0]) / steps, former, double(allocs[1]) / steps);
  std::fflush(stdout);
}

void stage_tapes_bench(const char* bench, const TrainerConfig& c, const std::vector<Trajectory>& data, int iters) {
  // The forward solve's stage passes kept for the reverse sweep (default) against the former path (every reversed
  // step's stages evaluated again): losses, NFE and parameters must agree bit for bit.
  alternating_bench(bench, "stage tapes kept vs recomputed", [](bool on) { set_stage_tapes(on); }, "kept", "recomputed",
                    c, data, iters);
}

void grid_bench(int reps) {
  // The field on a 64×64 grid (what the page draws), float32 against float64, for both networks; float32 also through
  // the former paths: row by row (tiled kernel for the wide layer, before the points-in-lanes kernels) and, before
  // that, the axpy loops. Rounds alternate the order so that none always runs first.
  for (const auto& [label, hidden, cube] : {std::tuple{"replica 2-50-2 (cube)", std::vector<int>{50}, true},
                                            std::tuple{"page default 2-32-32-2", std::vector<int>{32, 32}, false}}) {
    TrainerConfig c;
    c.mlp.hidden = hidden;
    c.mlp.input = cube ? InputMap::Cube : InputMap::Identity;
    Trainer t(c);
    constexpr int kModes = 5;  // 0 float64, 1 float32 lanes (eight with AVX2), 2 float32 rows, 3 float32 axpy, 4 four lanes
    std::vector<double> v[kModes];
    for (int round = 0; round < 4; ++round)
      for (int k = 0; k < kModes; ++k) {
        const int mode = round % 2 ? kModes - 1 - k : k;
        GridSpec g;
        g.nx = g.ny = 64;
        g.single = mode >= 1;
        kernels::set_lanes(mode == 1 || mode == 4);
        kernels::set_lanes_avx2(mode != 4);
        kernels::set_tiled(mode != 3);
        for (int i = 0; i < reps / 4 + 1; ++i) {
          const auto a = std::chrono::steady_clock::now();
          const Mat f = sample_grid(t, g);
          v[mode].push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - a).count());
          if (!f.allFinite()) std::abort();
        }
      }
    kernels::set_tiled(true);
    kernels::set_lanes(true);
    kernels::set_lanes_avx2(true);
    double ms[kModes];
    for (int k = 0; k < kModes; ++k) ms[k] = median(v[k]);
    std::printf("{\"bench\":\"sample-grid\",\"runtime\":\"native\",\"grid\":\"64x64\",\"network\":\"%s\",\"ms_float64\":%.4f,"
                "\"ms_float32\":%.4f,\"lanes\":%d,\"speedup\":%.2f,\"ms_float32_four_lanes\":%.4f,\"four_over_lanes\":%.2f,"
                "\"ms_float32_rows\":%.4f,\"rows_over_lanes\":%.2f,\"ms_float32_untiled\":%.4f,\"untiled_over_lanes\":%.2f}\n",
                label, ms[0], ms[1], kernels::lanes_width(), ms[0] / ms[1], ms[4], ms[4] / ms[1], ms[2], ms[2] / ms[1],
                ms[3], ms[3] / ms[1]);
    std::fflush(stdout);
  }
}


/// Members' batch fields stacked into one state [y_0; …; y_{M−1}]: one solve steps every member together, with
/// the step size the error norm over the whole stack allows.
class StackedField : public VectorField {
 public:
  explicit StackedField(std::vector<const BatchField*> members) : members_(std::move(members)), block_(members_[0]->size()) {}
  Index size() const override { return block_ * static_cast<Index>(members_.size()); }
  void eval(double t, const Vec& y, Vec& dy) const override {
    dy.resize(size());
    for (std::size_t k = 0; k < members_.size(); ++k) {
      yk_ = y.segment(static_cast<Index>(k) * block_, block_);
      members_[k]->eval(t, yk_, dk_);
      dy.segment(static_cast<Index>(k) * block_, block_) = dk_;
    }
  }

 private:
  std::vector<const BatchField*> members_;
  Index block_;
  mutable Vec yk_, dk_;
};

void ensemble_bench(int iters) {
  // Issue 12: should the ensemble's members be stepped in one solve? The forward solve of a training step (same
  // 16 windows for every member) on the toggle preset, members trained 300 steps apart: each member solved alone
  // (what Ensemble::step does) against all members stacked in one dopri5 solve with error control over the stack.
  constexpr int kMembers = 5;
  TrainerConfig c;  // the page's defaults
  Ensemble e(c, kMembers);
  for (const Trajectory& tr : sample_system(*find_system("toggle"), SampleOptions{})) require(e.add_trajectory(tr));
  for (int i = 0; i < 300; ++i)
    if (e.step().status != Status::Success) std::abort();
  SolverOptions opt = solver_options(c.solver);
  opt.method = with_dense_output(opt.method);
  opt.dense = true;  // as the trainer's joint solve of windows on different time grids
  Rng rng(1);
  std::vector<double> ms_sep, ms_stack;
  long evals_sep = 0, evals_stack = 0, steps_sep_max = 0, steps_stack = 0;
  double max_diff = 0.0, max_ref = 0.0;
  for (int it = 0; it < iters; ++it) {
    const std::vector<Window> windows = e.member(0).sample_windows(rng);
    std::vector<BatchProblem> problems;
    std::vector<std::unique_ptr<BatchField>> fields;
    for (int k = 0; k < kMembers; ++k) {
      problems.push_back(e.member(k).make_problem(windows, false));
      fields.push_back(std::make_unique<BatchField>(e.member(k).mlp(), problems.back().offsets));
    }
    const std::vector<double>& times = problems[0].times;
    std::vector<const BatchField*> raw;
    for (const auto& f : fields) raw.push_back(f.get());
    const StackedField stacked(raw);
    const Index block = problems[0].y0.size();
    Vec y0(block * kMembers);
    for (int k = 0; k < kMembers; ++k) y0.segment(k * block, block) = problems[static_cast<std::size_t>(k)].y0;
    std::vector<Solution> alone;
    Solution together;
    // Alternate which path runs first, so neither always meets a warmer cache or a quieter machine.
    for (int pass = 0; pass < 2; ++pass) {
      const auto a = std::chrono::steady_clock::now();
      if ((pass == 0) == (it % 2 == 0)) {
        long most = 0;
        for (int k = 0; k < kMembers; ++k) {
          alone.push_back(solve(*fields[static_cast<std::size_t>(k)], 0.0, problems[static_cast<std::size_t>(k)].y0, times, opt));
          evals_sep += alone.back().stats.nfe;
          most = std::max(most, alone.back().stats.accepted + alone.back().stats.rejected);
        }
        ms_sep.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - a).count());
        steps_sep_max += most;
      } else {
        together = solve(stacked, 0.0, y0, times, opt);
        ms_stack.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - a).count());
        evals_stack += together.stats.nfe * kMembers;
        steps_stack += together.stats.accepted + together.stats.rejected;
      }
    }
    for (int k = 0; k < kMembers; ++k) {
      const Mat& s = alone[static_cast<std::size_t>(k)].states;
      max_diff = std::max(max_diff, (together.states.middleRows(k * block, block) - s).cwiseAbs().maxCoeff());
      max_ref = std::max(max_ref, s.cwiseAbs().maxCoeff());
    }
  }
  const double sep = median(ms_sep), stack = median(ms_stack);
  const double sep_min = *std::min_element(ms_sep.begin(), ms_sep.end());
  const double stack_min = *std::min_element(ms_stack.begin(), ms_stack.end());
  std::printf("{\"bench\":\"ensemble-solve\",\"members\":%d,\"windows\":%d,\"solves\":%d,\"ms_separate_median\":%.4f,"
              "\"ms_stacked_median\":%.4f,\"stacked_over_separate_ms\":%.2f,\"ms_separate_min\":%.4f,"
              "\"ms_stacked_min\":%.4f,\"stacked_over_separate_min\":%.2f,\"member_evals_separate\":%.1f,"
              "\"member_evals_stacked\":%.1f,\"steps_stacked\":%.1f,\"steps_largest_member\":%.1f,"
              "\"stacked_vs_separate_max_abs_diff\":%.2e,\"state_scale\":%.2f}\n",
              kMembers, c.batch_size, iters, sep, stack, stack / sep, sep_min, stack_min, stack_min / sep_min, double(evals_sep) / iters, double(evals_stack) / iters,
              double(steps_stack) / iters, double(steps_sep_max) / iters, max_diff, max_ref);
  std::fflush(stdout);
}
}  // namespace

int main(int argc, char** argv) {
  // usage: nde_bench [iterations] [ode_demo | page-like | density | ensemble | grid | kernels (only those)]
  mallopt(M_TRIM_THRESHOLD, 256 << 20);  // see tests/catch_main.cpp: keep freed heap pages
  mallopt(M_MMAP_THRESHOLD, 64 << 20);
  const int iters = argc > 1 ? std::atoi(argv[1]) : 200;
  const bool only_demo = argc > 2 && std::string(argv[2]) == "ode_demo";
  if (argc > 2 && std::string(argv[2]) == "ensemble") {
    ensemble_bench(iters);
    return 0;
  }
  if (argc > 2 && std::string(argv[2]) == "kernels") {
    tape_layout_bench();
    return 0;
  }
  if (argc > 2 && std::string(argv[2]) == "grid") {
    grid_bench(iters);
    return 0;
  }
  if (argc > 2 && std::string(argv[2]) == "density") {
    second_order_bench();
    density_bench(std::min(iters, 120));
    return 0;
  }
  const std::vector<Trajectory> spiral{torchdiffeq_spiral()};
  {
    // The net's passes through the float64 points-in-lanes kernels (lanes64.hpp) against the former row path.
    const double lanes = run("ode_demo", "rk4/direct", replica_config("rk4", GradientMethod::Direct), spiral, iters);
    if (kernels::lanes_training_width() == 4) {  // the two-lane (SSE2) kernels too
      kernels::set_lanes_training_avx2(false);
      const double two = run("ode_demo", "rk4/direct, two lanes (SSE2)", replica_config("rk4", GradientMethod::Direct),
                             spiral, iters);
      kernels::set_lanes_training_avx2(true);
      std::printf("{\"bench\":\"ode_demo\",\"variant\":\"rk4/direct\",\"two_over_four_lanes_ms\":%.2f}\n", two / lanes);
    }
    kernels::set_lanes_training(false);
    const double rows = run("ode_demo", "rk4/direct, row path (former)", replica_config("rk4", GradientMethod::Direct),
                            spiral, iters);
    kernels::set_lanes_training(true);
    std::printf("{\"bench\":\"ode_demo\",\"variant\":\"rk4/direct\",\"rows_over_lanes_ms\":%.2f}\n", rows / lanes);
    // Direct's VJPs on the stage passes its forward solve kept (StageTapes) against redoing them (the former path).
    stage_tapes_bench("ode_demo", replica_config("rk4", GradientMethod::Direct), spiral, iters);
  }
  run("ode_demo", "dopri5/direct", replica_config("dopri5", GradientMethod::Direct), spiral, iters);
  run("ode_demo", "dopri5/adjoint", replica_config("dopri5", GradientMethod::Adjoint), spiral, iters);
  tape_layout_bench();
  if (only_demo) return 0;
  const bool only_page = argc > 2 && std::string(argv[2]) == "page-like";
  if (!only_page) grid_bench(200);

  SampleOptions so;
  so.trajectories = 10;
  so.points = 30;
  const auto toggle = sample_system(*find_system("toggle"), so);
  TrainerConfig tc;  // the page's defaults
  for (GradientMethod g : {GradientMethod::Direct, GradientMethod::Adjoint, GradientMethod::Checkpointed}) {
    if (only_page) break;
    tc.gradient = g;
    run("toggle-default", to_string(g), tc, toggle, iters);
  }
  {
    // Page-like: 3 strokes of 60 points with jittered times, the page's defaults (16 windows of 10 points).
    SampleOptions po;
    po.trajectories = 3;
    po.points = 60;
    const auto strokes = sample_system(*find_system("toggle"), po);
    TrainerConfig pc;
    double ms[2];
    for (int joint = 1; joint >= 0; --joint) {
      pc.joint = joint == 1;
      ms[joint] = run("page-like", joint ? "joint (dense output)" : "separate (one solve per time grid)", pc, strokes, iters);
    }
    std::printf("{\"bench\":\"page-like\",\"separate_over_joint_ms\":%.2f}\n", ms[0] / ms[1]);
    // The hidden layer's three products (W X, Wᵀ G, G Xᵀ) through Eigen's GEMM, the path before the tiled kernel, both
    // on the row path (the points-in-lanes kernels take the page net's passes by default).
    pc.joint = true;
    kernels::set_lanes_training(false);
    const double tiled = run("page-like", "joint, row path, tiled kernel for the 32x32 layer", pc, strokes, iters);
    kernels::set_tiled(false);
    const double eigen = run("page-like", "joint, row path, Eigen GEMM for the 32x32 layer (old path)", pc, strokes, iters);
    kernels::set_tiled(true);
    kernels::set_lanes_training(true);
    std::printf("{\"bench\":\"page-like\",\"eigen_over_tiled_ms\":%.2f}\n", eigen / tiled);
    stage_tapes_bench("page-like", pc, strokes, iters);
    // The net's passes through the float64 points-in-lanes kernels (two hidden layers) against the former row path
    // (equal to rounding, bit for bit in the forward with two lanes; the four-lane kernels contract into FMAs).
    alternating_bench("page-like", "points-in-lanes vs row path", [](bool on) { kernels::set_lanes_training(on); },
                      "lanes", "rows", pc, strokes, iters);
    if (kernels::lanes_training_width() == 4) {
      kernels::set_lanes_training_avx2(false);
      alternating_bench("page-like", "points-in-lanes, two lanes (SSE2), vs row path",
                        [](bool on) { kernels::set_lanes_training(on); }, "lanes", "rows", pc, strokes, iters);
      kernels::set_lanes_training_avx2(true);
    }
  }
  if (only_page) return 0;
  ensemble_bench(iters);
  memory_sweep();
  second_order_bench();
  density_bench(std::min(iters, 120));
  return 0;
}
