#include "nde/gradient.hpp"

#include <catch2/catch.hpp>
#include <cmath>

#include "approx.hpp"
#include "nde/batch_field.hpp"
#include "nde/loss.hpp"
#include "nde/rng.hpp"

using namespace nde;

namespace {

/// A random network, a batch of initial states at staggered start times and targets at irregular times.
struct Problem {
  Mlp mlp;
  RowVec offsets;
  Vec y0;
  std::vector<double> times;
  std::vector<Mat> targets;
  double kinetic = 0, jacobian = 0;

  Problem(std::uint64_t seed, bool time_dependent, int augment, Activation act, double kin = 0, double jac = 0)
      : mlp([&] {
          MlpConfig c;
          c.hidden = {8, 8};
          c.time_dependent = time_dependent;
          c.augment = augment;
          c.activation = act;
          return c;
        }()),
        kinetic(kin),
        jacobian(jac) {
    mlp.init(seed);
    Rng r(seed + 100);
    const Index B = 3, S = mlp.state_dim();
    offsets = RowVec::LinSpaced(B, 0.0, 0.8);
    const bool reg = kin > 0 || jac > 0;
    y0 = Vec::Zero(S * B + (reg ? 1 : 0));
    for (Index k = 0; k < B; ++k)
      for (int j = 0; j < 2; ++j) y0[k * S + j] = r.normal();
    double t = 0;
    for (int i = 0; i < 5; ++i) {
      t += r.uniform(0.05, 0.4);
      times.push_back(t);
      Mat tg(2, B);
      for (Index q = 0; q < tg.size(); ++q) tg(q) = r.normal();
      targets.push_back(tg);
    }
  }
  BatchField field() const { return BatchField(mlp, offsets, kinetic, jacobian); }
  LossTerm loss(LossKind kind = LossKind::Mse) const {
    return [this, kind](std::size_t i, const Vec& y, Vec* g) {
      const Index S = mlp.state_dim(), n = y.size();
      if (g) g->setZero(n);
      double l = 0;
      for (Index k = 0; k < targets[i].cols(); ++k) {
        Vec tgt = targets[i].col(k);
        if (g) {
          auto gs = g->segment(k * S, 2);
          l += observation_loss(kind, y.segment(k * S, 2), tgt, 0.1, &gs);
        } else {
          l += observation_loss(kind, y.segment(k * S, 2), tgt, 0.1, static_cast<Vec*>(nullptr));
        }
      }
      if ((kinetic > 0 || jacobian > 0) && i + 1 == times.size()) {
        l += y[n - 1];
        if (g) (*g)[n - 1] = 1;
      }
      return l;
    };
  }
  /// Central-difference gradient of the loss w.r.t. θ with the given solver.
  Vec fd_theta(const SolverOptions& o) const {
    Problem p = *this;
    return test::central_gradient(
        [&](const Vec& th) {
          p.mlp.params() = th;
          const BatchField f = p.field();
          return loss_only(f, 0.0, p.y0, p.times, p.loss(), o).loss;
        },
        mlp.params(), 1e-6);
  }
};

SolverOptions tight_dopri() {
  SolverOptions o;
  o.controller.rtol = 1e-12;
  o.controller.atol = 1e-12;
  return o;
}

}  // namespace

TEST_CASE("The L1 observation loss: weight times |d| summed - its gradient weight times sign(d) - 0 at a zero or NaN residual") {
  Vec pred(6), target = Vec::Zero(6);
  pred << 0.5, -0.25, 0.0, -0.0, std::nan(""), 3.0;
  Vec g = Vec::Constant(6, 1.0);  // the gradient is added
  const double l = observation_loss(LossKind::L1, pred.head(4), target.head(4), 0.5, &g);
  CHECK(l == 0.5 * 0.75);
  CHECK(g[0] == 1.5);
  CHECK(g[1] == 0.5);
  CHECK(g[2] == 1.0);
  CHECK(g[3] == 1.0);
  Vec z = Vec::Zero(6);
  CHECK(std::isnan(observation_loss(LossKind::L1, pred, target, 0.5, &z)));
  CHECK(z[4] == 0.0);   // a NaN residual adds no gradient (its loss is NaN)
  CHECK(!std::signbit(z[3]));
  CHECK(z[5] == 0.5);
}

TEST_CASE("Every gradient method agrees with central differences (rel. error <= 1e-5)") {
  struct Case { std::uint64_t seed; bool time; int augment; Activation act; double kin, jac; };
  const Case cases[] = {{1, false, 0, Activation::Tanh, 0, 0},
                        {2, true, 0, Activation::Softplus, 0, 0},
                        {3, false, 1, Activation::Silu, 0, 0},
                        {4, true, 0, Activation::Tanh, 0.3, 0.2}};
  for (const Case& c : cases) {
    const Problem p(c.seed, c.time, c.augment, c.act, c.kin, c.jac);
    const BatchField f = p.field();
    const SolverOptions o = tight_dopri();
    const Vec fd = p.fd_theta(o);
    for (GradientMethod m : {GradientMethod::Direct, GradientMethod::Adjoint, GradientMethod::Checkpointed}) {
      DYNAMIC_SECTION("seed " << c.seed << " " << to_string(m)) {
        const GradientResult g = loss_and_gradient(f, 0.0, p.y0, p.times, p.loss(), o, m);
        REQUIRE(g.status == Status::Success);
        INFO("rel err " << test::rel_err(g.grad_theta, fd));
        CHECK(test::rel_err(g.grad_theta, fd) <= 1e-5);
        CHECK(g.loss == Approx(loss_only(f, 0.0, p.y0, p.times, p.loss(), o).loss).epsilon(1e-12));
        CHECK(g.forward.nfe > 0);
        CHECK(g.backward.nfe > 0);
      }
    }
  }
}

TEST_CASE("Direct backprop is the exact gradient of the discrete (fixed-step) solution") {
  const Problem p(9, true, 0, Activation::Tanh);
  for (const Tableau* t : {&euler(), &midpoint(), &rk4(), &rk4_38(), &dopri5()}) {
    SolverOptions o;
    o.method = *t;
    o.step = 0.07;
    const BatchField f = p.field();
    const GradientResult g = loss_and_gradient(f, 0.0, p.y0, p.times, p.loss(), o, GradientMethod::Direct);
    REQUIRE(g.status == Status::Success);
    const Vec fd = p.fd_theta(o);
    INFO(t->name << " rel err " << test::rel_err(g.grad_theta, fd));
    CHECK(test::rel_err(g.grad_theta, fd) <= 1e-7);
    // ∂L/∂y0 too.
    const Vec fd_y0 = test::central_gradient(
        [&](const Vec& y0) { return loss_only(f, 0.0, y0, p.times, p.loss(), o).loss; }, p.y0);
    CHECK(test::rel_err(g.grad_y0, fd_y0) <= 1e-7);
  }
}

TEST_CASE("The L1 loss differentiates like the MSE loss through every method") {
  const Problem p(5, false, 0, Activation::Tanh);
  const BatchField f = p.field();
  const SolverOptions o = tight_dopri();
  Problem q = p;
  const Vec fd = test::central_gradient(
      [&](const Vec& th) {
        q.mlp.params() = th;
        const BatchField fq = q.field();
        return loss_only(fq, 0.0, q.y0, q.times, q.loss(LossKind::L1), o).loss;
      },
      p.mlp.params());
  for (GradientMethod m : {GradientMethod::Direct, GradientMethod::Adjoint}) {
    const GradientResult g = loss_and_gradient(f, 0.0, p.y0, p.times, p.loss(LossKind::L1), o, m);
    CHECK(test::rel_err(g.grad_theta, fd) <= 1e-5);
  }
}

TEST_CASE("Adjoint and direct gradients converge to each other as tolerances shrink") {
  Problem p(6, false, 0, Activation::Tanh);
  p.mlp.params() *= 2.5;  // a livelier field, so loose tolerances show
  for (double& t : p.times) t *= 3.0;
  const BatchField f = p.field();
  std::vector<double> diffs;
  for (double tol : {1e-3, 1e-5, 1e-7, 1e-9}) {
    SolverOptions o;
    o.controller.rtol = o.controller.atol = tol;
    const GradientResult a = loss_and_gradient(f, 0.0, p.y0, p.times, p.loss(), o, GradientMethod::Adjoint);
    const GradientResult d = loss_and_gradient(f, 0.0, p.y0, p.times, p.loss(), o, GradientMethod::Direct);
    REQUIRE(a.status == Status::Success);
    REQUIRE(d.status == Status::Success);
    diffs.push_back(test::rel_err(a.grad_theta, d.grad_theta));
    UNSCOPED_INFO("tol " << tol << " diff " << diffs.back());
  }
  CHECK(diffs[3] < 1e-6);
  CHECK(diffs[3] < 1e-3 * diffs[0]);
  CHECK(diffs[2] < diffs[0]);
}

TEST_CASE("A failing forward solve makes the gradient report its status") {
  Problem p(7, false, 0, Activation::Tanh);
  p.mlp.params() *= 40.0;  // a wild field
  const BatchField f = p.field();
  SolverOptions o;
  o.max_steps = 5;
  for (GradientMethod m : {GradientMethod::Direct, GradientMethod::Adjoint, GradientMethod::Checkpointed}) {
    const GradientResult g = loss_and_gradient(f, 0.0, p.y0, p.times, p.loss(), o, m);
    CHECK(g.status == Status::MaxSteps);
    CHECK_FALSE(g.message.empty());
  }
}

TEST_CASE("The checkpointed gradient equals direct backprop for any number of checkpoints") {
  Problem p(11, true, 1, Activation::Tanh, 0.2, 0.1);
  p.mlp.params() *= 2.0;  // a livelier field: many adaptive steps
  for (double& t : p.times) t *= 6.0;
  const BatchField f = p.field();
  struct Case { const char* name; SolverOptions o; };
  std::vector<Case> cases(3);
  cases[0].name = "dopri5 default tolerances";
  cases[0].o.controller.rtol = 1e-4;
  cases[0].o.controller.atol = 1e-5;
  cases[1].name = "rk4 fixed steps";
  cases[1].o.method = rk4();
  cases[1].o.step = 0.013;
  cases[2].name = "dopri5 tight";
  cases[2].o = tight_dopri();
  for (const Case& c : cases) {
    const GradientResult d = loss_and_gradient(f, 0.0, p.y0, p.times, p.loss(), c.o, GradientMethod::Direct);
    REQUIRE(d.status == Status::Success);
    REQUIRE(d.forward.accepted > 20);
    for (int m : {2, 3, 7, 32, 100000}) {
      GradientOptions g;
      g.method = GradientMethod::Checkpointed;
      g.checkpoints = m;
      const GradientResult k = loss_and_gradient(f, 0.0, p.y0, p.times, p.loss(), c.o, g);
      REQUIRE(k.status == Status::Success);
      INFO(c.name << ", " << m << " checkpoints, " << d.forward.accepted << " steps, rel err "
                  << test::rel_err(k.grad_theta, d.grad_theta) << ", states " << k.stored_states);
      CHECK(test::rel_err(k.grad_theta, d.grad_theta) <= 1e-10);
      CHECK(test::rel_err(k.grad_y0, d.grad_y0) <= 1e-10);
      CHECK(k.loss == d.loss);
      // At most m checkpoints plus one state per level of bisection.
      const double levels = std::ceil(std::log2(2.0 * static_cast<double>(d.forward.accepted) / m + 1.0));
      CHECK(static_cast<double>(k.stored_states) <= std::min<double>(m, d.forward.accepted) + levels + 1);
      CHECK(k.backward.nfe >= d.backward.nfe);
    }
  }
}

TEST_CASE("The checkpointed gradient runs backwards in time too (solve from t1 down to t0)") {
  const Problem p(12, true, 0, Activation::Softplus);
  const BatchField f = p.field();
  std::vector<double> back;
  for (double t : p.times) back.push_back(-t);
  SolverOptions o;
  o.controller.rtol = 1e-5;
  GradientOptions g;
  g.checkpoints = 2;
  const GradientResult d = loss_and_gradient(f, 0.0, p.y0, back, p.loss(), o, GradientMethod::Direct);
  const GradientResult k = loss_and_gradient(f, 0.0, p.y0, back, p.loss(), o, g);
  REQUIRE(k.status == Status::Success);
  CHECK(test::rel_err(k.grad_theta, d.grad_theta) <= 1e-10);
}

TEST_CASE("Backsolve with its own tolerances and the seminorm agrees with central differences") {
  const Problem p(13, true, 0, Activation::Tanh, 0.3, 0.0);
  const BatchField f = p.field();
  SolverOptions o;
  o.controller.rtol = o.controller.atol = 1e-11;
  const Vec fd = p.fd_theta(o);
  for (bool semi : {false, true}) {
    GradientOptions g;
    g.method = GradientMethod::Adjoint;
    g.adjoint_rtol = 1e-12;
    g.adjoint_atol = 1e-12;
    g.seminorm = semi;
    const GradientResult a = loss_and_gradient(f, 0.0, p.y0, p.times, p.loss(), o, g);
    REQUIRE(a.status == Status::Success);
    INFO("seminorm " << semi << " rel err " << test::rel_err(a.grad_theta, fd) << " backward nfe " << a.backward.nfe);
    CHECK(test::rel_err(a.grad_theta, fd) <= 1e-6);
  }
  // The backward tolerances are the backward solve's: loosening them changes the backward work only.
  GradientOptions loose;
  loose.method = GradientMethod::Adjoint;
  loose.adjoint_rtol = loose.adjoint_atol = 1e-4;
  GradientOptions tight = loose;
  tight.adjoint_rtol = tight.adjoint_atol = 1e-10;
  const GradientResult l = loss_and_gradient(f, 0.0, p.y0, p.times, p.loss(), o, loose);
  const GradientResult t = loss_and_gradient(f, 0.0, p.y0, p.times, p.loss(), o, tight);
  CHECK(l.forward.nfe == t.forward.nfe);
  CHECK(l.backward.nfe < t.backward.nfe);
  CHECK(test::rel_err(l.grad_theta, fd) > test::rel_err(t.grad_theta, fd));
}

TEST_CASE("The seminorm saves backward steps by not controlling the parameter quadrature") {
  Problem p(14, false, 0, Activation::Tanh);
  p.mlp.params() *= 2.0;
  for (double& t : p.times) t *= 4.0;
  const BatchField f = p.field();
  SolverOptions o;
  o.controller.rtol = 1e-6;
  o.controller.atol = 1e-6;
  GradientOptions g;
  g.method = GradientMethod::Adjoint;
  const GradientResult full = loss_and_gradient(f, 0.0, p.y0, p.times, p.loss(), o, g);
  g.seminorm = true;
  const GradientResult semi = loss_and_gradient(f, 0.0, p.y0, p.times, p.loss(), o, g);
  const GradientResult d = loss_and_gradient(f, 0.0, p.y0, p.times, p.loss(), tight_dopri(), GradientMethod::Direct);
  INFO("backward nfe " << full.backward.nfe << " -> " << semi.backward.nfe << "; error vs reference "
                       << test::rel_err(full.grad_theta, d.grad_theta) << " -> " << test::rel_err(semi.grad_theta, d.grad_theta));
  CHECK(semi.backward.nfe <= full.backward.nfe);
  CHECK(test::rel_err(semi.grad_theta, d.grad_theta) <= 1e-3);
}

namespace {
/// Wraps a field and lets the solve's deadline pass on the first vector–Jacobian product, that is as soon as
/// the backward sweep has begun (the forward solve never calls vjp).
struct DeadlineAtBackward : DifferentiableField {
  const DifferentiableField& f;
  SolverOptions& opt;
  mutable long vjps = 0;
  DeadlineAtBackward(const DifferentiableField& field, SolverOptions& o) : f(field), opt(o) {}
  Index size() const override { return f.size(); }
  Index quadrature() const override { return f.quadrature(); }
  Index num_params() const override { return f.num_params(); }
  void eval(double t, const Vec& y, Vec& dy) const override { f.eval(t, y, dy); }
  void vjp(double t, const Vec& y, const Vec& a, Vec& a_y, Vec& g) const override {
    if (vjps++ == 0) opt.deadline = Deadline::in_millis(0);
    f.vjp(t, y, a, a_y, g);
  }
};
}  // namespace

TEST_CASE("The backward sweep (checkpointed recompute, direct) stops once the deadline passes") {
  Problem p(11, true, 1, Activation::Tanh);
  for (double& t : p.times) t *= 6.0;
  const BatchField f = p.field();
  SolverOptions base;
  base.method = rk4();
  base.step = 0.013;  // ~200 steps: the checkpointed sweep recomputes long segments from 2 states
  for (GradientMethod m : {GradientMethod::Checkpointed, GradientMethod::Direct}) {
    GradientOptions g;
    g.method = m;
    g.checkpoints = 2;
    const GradientResult whole = loss_and_gradient(f, 0.0, p.y0, p.times, p.loss(), base, g);
    REQUIRE(whole.status == Status::Success);
    SolverOptions o = base;
    const DeadlineAtBackward late(f, o);
    const GradientResult cut = loss_and_gradient(late, 0.0, p.y0, p.times, p.loss(), o, g);
    INFO(to_string(m));
    CHECK(cut.status == Status::TimeLimit);
    CHECK(cut.message.find("backward sweep") != std::string::npos);
    CHECK(cut.forward.accepted == whole.forward.accepted);  // the forward solve ran to the end
    CHECK(late.vjps == 4);  // and the sweep stopped after reversing one step (rk4: one VJP per stage)
    CHECK(cut.grad_theta.size() == 0);                       // no partial gradient is handed out
  }
}

namespace {
/// y' = −θ y in many dimensions: cheap to evaluate, but every direct-tape entry is large.
struct WideDecay : DifferentiableField {
  Index n;
  explicit WideDecay(Index size) : n(size) {}
  Index size() const override { return n; }
  Index num_params() const override { return 1; }
  void eval(double, const Vec& y, Vec& dy) const override { dy = -0.5 * y; }
  void vjp(double, const Vec& y, const Vec& a, Vec& a_y, Vec& g) const override {
    a_y = -0.5 * a;
    g(0) -= a.dot(y);
  }
};
}  // namespace

TEST_CASE("A direct gradient stopped at its tape's memory limit hands out no gradient from an earlier call") {
  // 200,000 states × (4 RK4 stages + 2) doubles a tape entry: the 256 MiB a call may use hold 27 steps.
  const WideDecay f(200000);
  const Vec y0 = Vec::Ones(f.size());
  const LossTerm loss = [](std::size_t, const Vec& y, Vec* grad) {
    if (grad) *grad = y;
    return 0.5 * y.squaredNorm();
  };
  SolverOptions o;
  o.method = rk4();
  o.step = 0.01;
  GradientOptions g;
  g.method = GradientMethod::Direct;
  GradientWorkspace work;
  GradientResult r;
  loss_and_gradient(f, 0.0, y0, {0.1}, loss, o, g, work, r);  // 10 steps: fits
  REQUIRE(r.ok());
  REQUIRE(r.grad_theta.size() == 1);
  REQUIRE(r.grad_y0.size() == f.size());
  loss_and_gradient(f, 0.0, y0, {1.0}, loss, o, g, work, r);  // 100 steps: the tape would not fit
  CHECK(r.status == Status::MaxSteps);
  CHECK(r.message.find("memory limit") != std::string::npos);
  CHECK(r.grad_theta.size() == 0);  // nothing that looks like a gradient survives a failure
  CHECK(r.grad_y0.size() == 0);
}
