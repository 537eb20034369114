// The checkpointed and direct gradients' reverse sweeps from the forward solve's kept stage passes (StageTapes) against
// the former path, which evaluates every reversed step's stages again: the same numbers bit for bit.
#include "nde/stage_tapes.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <tuple>

#include "approx.hpp"
#include "nde/batch_field.hpp"
#include "nde/dense.hpp"
#include "nde/gradient.hpp"
#include "nde/rng.hpp"

using namespace nde;

namespace {

/// A random 2-8-8-2 network (or other hidden widths) on a batch of 3 states, targets at irregular times.
struct Problem {
  Mlp mlp;
  RowVec offsets = RowVec::LinSpaced(3, 0.0, 0.8);
  Vec y0;
  std::vector<double> times;
  std::vector<Vec> targets;
  double kinetic, jacobian;

  Problem(bool time_dependent, double kin, double jac, double span, std::vector<int> hidden = {8, 8})
      : mlp([&] {
          MlpConfig c;
          c.hidden = hidden;
          c.time_dependent = time_dependent;
          return c;
        }()),
        kinetic(kin),
        jacobian(jac) {
    mlp.init(3);
    mlp.params() *= 2.0;  // a livelier field: more steps, some rejected
    Rng r(11);
    const bool reg = kin > 0 || jac > 0;
    y0 = Vec::Zero(6 + (reg ? 1 : 0));
    for (Index k = 0; k < 6; ++k) y0[k] = r.normal();
    double t = 0;
    for (int i = 0; i < 6; ++i) {
      t += r.uniform(0.2, 1.0) * span / 3.6;
      times.push_back(t);
      Vec g = Vec::Zero(y0.size());
      for (Index k = 0; k < 6; ++k) g[k] = r.normal();
      targets.push_back(g);
    }
  }
  [[nodiscard]] BatchField field() const { return BatchField(mlp, offsets, kinetic, jacobian); }
  [[nodiscard]] LossTerm loss() const {
    return [this](std::size_t i, const Vec& y, Vec* g) {
      const Index n = y.size();
      Vec d = y - targets[i];
      double l = 0.1 * d.head(6).squaredNorm();
      if (g) {
        g->setZero(n);
        g->head(6) = 0.2 * d.head(6);
      }
      if ((kinetic > 0 || jacobian > 0) && i + 1 == times.size()) {
        l += y[n - 1];
        if (g) (*g)[n - 1] = 1;
      }
      return l;
    };
  }
};

struct Case {
  std::string name;
  SolverOptions options;
};

std::vector<Case> cases() {
  std::vector<Case> c;
  SolverOptions o;
  c.push_back({"dopri5 adaptive (outputs end steps: stage 0 evaluated afresh)", o});
  o.controller.rtol = o.controller.atol = 1e-9;
  c.push_back({"dopri5 adaptive, tight", o});
  o = SolverOptions{};
  o.method = with_dense_output(o.method);
  o.dense = true;
  c.push_back({"dopri5 adaptive, dense outputs (FSAL throughout)", o});
  o.h0 = 2.0;  // a first step far too large: rejected tries before the first accepted step
  c.push_back({"dopri5 adaptive, dense, rejected first steps", o});
  o = SolverOptions{};
  o.method = with_dense_output(o.method);
  o.dense = true;
  o.step = 0.07;
  c.push_back({"dopri5 fixed steps, dense (FSAL reuse)", o});
  o = SolverOptions{};
  o.method = rk4();
  o.step = 0.05;
  c.push_back({"rk4 fixed steps", o});
  o.method = with_dense_output(rk4());
  o.step = 0.0;
  o.dense = true;
  o.dense_steps = 9;
  c.push_back({"rk4 dense (Hermite)", o});
  return c;
}

/// A field that counts the network's forward passes: every call but vjp_kept runs one (vjp redoes the forward).
class Counting final : public DifferentiableField {
 public:
  explicit Counting(const DifferentiableField& f) : f_(f) {}
  mutable long passes = 0;
  Index size() const override { return f_.size(); }
  Index quadrature() const override { return f_.quadrature(); }
  Index num_params() const override { return f_.num_params(); }
  double kept_bytes() const override { return f_.kept_bytes(); }
  void eval(double t, const Vec& y, Vec& dy) const override {
    ++passes;
    f_.eval(t, y, dy);
  }
  void eval_keep(double t, const Vec& y, Vec& dy, int slot) const override {
    ++passes;
    f_.eval_keep(t, y, dy, slot);
  }
  void vjp(double t, const Vec& y, const Vec& a, Vec& a_y, Vec& g_theta) const override {
    ++passes;
    f_.vjp(t, y, a, a_y, g_theta);
  }
  void eval_and_vjp(double t, const Vec& y, const Vec& a, Vec& dy, Vec& a_y, Vec& g_theta) const override {
    ++passes;
    f_.eval_and_vjp(t, y, a, dy, a_y, g_theta);
  }
  void vjp_kept(double t, const Vec& y, const Vec& a, Vec& a_y, Vec& g_theta, int slot) const override {
    f_.vjp_kept(t, y, a, a_y, g_theta, slot);
  }

 private:
  const DifferentiableField& f_;
};

/// The gradient by `method` with the stage passes kept up to `bytes` (0: the former path); `passes`, when given, gets
/// the network's forward passes it ran.
GradientResult gradient(GradientMethod method, const Problem& p, const SolverOptions& o, double bytes,
                        int checkpoints = 4, long* passes = nullptr) {
  GradientOptions g;
  g.method = method;
  g.checkpoints = checkpoints;
  g.stage_tape_bytes = bytes;
  const BatchField f = p.field();
  const Counting counted(f);
  GradientResult r = loss_and_gradient(counted, 0.0, p.y0, p.times, p.loss(), o, g);
  if (passes) *passes = counted.passes;
  return r;
}

/// Bytes for `groups` steps' stage passes of p's field under method m.
double bytes_for(const Problem& p, const Tableau& m, double groups) {
  const BatchField f = p.field();
  return groups * StageTapes::step_bytes(f, m, p.y0.size());
}

}  // namespace

/// The methods that reverse the solver's steps (both keep the last steps' stage passes).
const GradientMethod kMethods[] = {GradientMethod::Checkpointed, GradientMethod::Direct};

TEST_CASE("The checkpointed and direct gradients from the forward solve's kept stage passes equal the recomputing path bit for bit") {
  long rejected = 0;
  for (const GradientMethod method : kMethods) {
  // Two hidden layers (the row path), one (2-16-2: the float64 points-in-lanes kernels), and regularised.
  for (const auto& [kin, jac, hidden] : {std::tuple{0.0, 0.0, std::vector<int>{8, 8}}, std::tuple{0.0, 0.0, std::vector<int>{16}},
                                         std::tuple{0.3, 0.2, std::vector<int>{8, 8}}}) {
    const Problem p(false, kin, jac, 3.6, hidden);
    for (const Case& c : cases()) {
      for (int checkpoints : {2, 4, 64}) {
        if (method == GradientMethod::Direct && checkpoints != 4) continue;  // it keeps every step's start and stages
        long old_passes = 0, kept_passes = 0;
        const GradientResult old = gradient(method, p, c.options, 0.0, checkpoints, &old_passes);
        REQUIRE(old.status == Status::Success);
        const long steps = old.forward.accepted;
        rejected += old.forward.rejected;
        // Every step kept, about half (the ring wraps), two, none (too small a cap: the former path).
        for (double groups : {1e6, std::max(3.0, steps / 2.0), 2.0, 1.5}) {
          const GradientResult kept = gradient(method, p, c.options, bytes_for(p, c.options.method, groups), checkpoints,
                                             &kept_passes);
          INFO(to_string(method) << ": " << c.name << (kin > 0 ? ", regularised" : "") << ", " << hidden.size() << " hidden layer(s): " << steps << " steps (" << old.forward.rejected
                      << " rejected), " << groups << " kept at most, " << checkpoints << " checkpoints");
          REQUIRE(kept.status == Status::Success);
          CHECK(kept.loss == old.loss);
          CHECK(kept.grad_theta == old.grad_theta);
          CHECK(kept.grad_y0 == old.grad_y0);
          CHECK(kept.forward.nfe == old.forward.nfe);
          CHECK(kept.backward.accepted == old.backward.accepted);
          // Each kept step saves its stages' forward passes (the FSAL stage of the oldest kept step may be gone):
          // checkpointed evaluates them again before its VJPs, direct's VJPs redo them (NFE counts the VJPs alone).
          if (groups >= 2) CHECK(kept_passes < old_passes);
          else CHECK(kept_passes == old_passes);
          if (method == GradientMethod::Direct) CHECK(kept.backward.nfe == old.backward.nfe);
          else if (groups >= 2) CHECK(kept.backward.nfe < old.backward.nfe);
          else CHECK(kept.backward.nfe == old.backward.nfe);
        }
      }
    }
  }
  }
  CHECK(rejected > 0);  // rejected tries' passes were overwritten, not reused
}

TEST_CASE("With a time-dependent network the kept passes give the recomputing path's gradient to rounding") {
  // A step that ends on an output time starts the next at that time, while its last (FSAL) stage ran at t + h,
  // which may differ from it in the last bit: the kept pass is the one the forward solve used.
  const Problem p(true, 0.0, 0.0, 3.6);
  for (const GradientMethod method : kMethods) {
  for (const Case& c : cases()) {
    const GradientResult old = gradient(method, p, c.options, 0.0);
    const GradientResult kept = gradient(method, p, c.options, kStageTapeBytes);
    INFO(to_string(method) << ": " << c.name);
    REQUIRE(old.status == Status::Success);
    REQUIRE(kept.status == Status::Success);
    CHECK(kept.loss == old.loss);
    CHECK(test::rel_err(kept.grad_theta, old.grad_theta) <= 1e-12);
    CHECK(test::rel_err(kept.grad_y0, old.grad_y0) <= 1e-12);
  }
  }
}

TEST_CASE("The kept passes survive a resumable gradient suspended at every step") {
  const Problem p(false, 0.0, 0.0, 3.6);
  for (const GradientMethod method : kMethods) {
  for (const Case& c : cases()) {
    for (double groups : {1e6, 3.0}) {
      GradientOptions g;
      g.method = method;
      g.checkpoints = 4;
      g.stage_tape_bytes = bytes_for(p, c.options.method, groups);
      const BatchField f = p.field();
      const LossTerm loss = p.loss();
      const GradientResult whole = loss_and_gradient(f, 0.0, p.y0, p.times, loss, c.options, g);
      GradientWorkspace work;
      GradientResult r;
      int pieces = 0;
      for (;;) {
        WorkBudget b;
        b.steps = 1;
        ++pieces;
        if (loss_and_gradient_resumable(f, 0.0, p.y0, p.times, loss, c.options, g, work, r, &b)) break;
        REQUIRE(pieces < 100000);
      }
      INFO(to_string(method) << ": " << c.name << ", " << groups << " kept at most, " << pieces << " pieces");
      REQUIRE(r.status == Status::Success);
      CHECK(pieces > whole.forward.accepted);
      CHECK(r.loss == whole.loss);
      CHECK(r.grad_theta == whole.grad_theta);
      CHECK(r.grad_y0 == whole.grad_y0);
      CHECK(r.backward.nfe == whole.backward.nfe);
    }
  }
  }
}

TEST_CASE("The kept stage passes are bounded by their cap: the ring keeps the last steps") {
  const Problem p(false, 0.0, 0.0, 3.6);
  const BatchField f = p.field();
  const Tableau m = dopri5();
  StageTapes tapes;
  tapes.reset(f, m, p.y0.size(), bytes_for(p, m, 5.5), 64);
  CHECK(tapes.groups() == 5);
  tapes.reset(f, m, p.y0.size(), bytes_for(p, m, 5.5), 3);
  CHECK(tapes.groups() == 3);
  tapes.reset(f, m, p.y0.size(), bytes_for(p, m, 1.9), 64);
  CHECK_FALSE(tapes.active());
  tapes.reset(f, m, p.y0.size(), 0.0, 64);
  CHECK_FALSE(tapes.active());
}
