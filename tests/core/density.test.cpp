#include "nde/density.hpp"

#include <catch2/catch.hpp>
#include <cmath>

#include "approx.hpp"
#include "nde/cnf_field.hpp"
#include "nde/densities.hpp"
#include "nde/solve.hpp"

using namespace nde;

TEST_CASE("On a linear field f = Az the log-density change is exactly -t tr(A)") {
  MlpConfig c;
  c.hidden = {};  // one affine layer: f(z) = W z + b
  Mlp m(c);
  m.init(3);
  m.params() << 0.3, -0.7, 1.1, -0.2, 0.5, 0.1;  // W column-major [[0.3, 1.1], [-0.7, -0.2]], b
  const double trace = 0.3 - 0.2;
  const Index B = 4;
  const CnfField f(m, B);
  Vec y0 = Vec::Zero(f.size());
  y0.head(2 * B) = Vec::LinSpaced(2 * B, -1, 1);
  SolverOptions o;
  o.controller.rtol = o.controller.atol = 1e-12;
  for (double t : {0.5, 2.0}) {
    const Solution s = solve(f, 0.0, y0, {t}, o);
    REQUIRE(s.status == Status::Success);
    for (Index k = 0; k < B; ++k) CHECK(s.states(2 * B + k, 0) == Approx(-t * trace).margin(1e-12));
  }
}

TEST_CASE("The Hutchinson estimate is unbiased and its gradient agrees with central differences") {
  MlpConfig c;
  c.hidden = {8};
  c.time_dependent = true;
  Mlp m(c);
  m.init(5);
  Rng r(9);
  const Index B = 3;
  Mat Z(2, B), E(2, B);
  for (Index k = 0; k < Z.size(); ++k) { Z(k) = r.normal(); E(k) = (r.next() >> 63) ? 1.0 : -1.0; }
  const RowVec t = RowVec::LinSpaced(B, 0, 1);
  // Averaging over all four Rademacher probes gives the trace exactly.
  RowVec mean = RowVec::Zero(B);
  for (double s0 : {-1.0, 1.0})
    for (double s1 : {-1.0, 1.0}) mean += 0.25 * m.trace_estimate(Z, t, (Mat(2, B) << RowVec::Constant(B, s0), RowVec::Constant(B, s1)).finished());
  CHECK((mean - m.divergence(Z, t)).norm() < 1e-12);
  const RowVec w = (RowVec(B) << 0.5, -1.0, 2.0).finished();
  Mat dZ;
  Vec dth;
  m.trace_estimate_grad(Z, t, E, w, &dZ, &dth);
  Mlp mm = m;
  const Vec fd = test::central_gradient([&](const Vec& th) { mm.params() = th; return (mm.trace_estimate(Z, t, E).array() * w.array()).sum(); }, m.params(), 1e-5);
  CHECK(test::rel_err(dth, fd) < 1e-7);
  const Vec z_flat = Eigen::Map<const Vec>(Z.data(), Z.size());
  const Vec fz = test::central_gradient([&](const Vec& z) { return (m.trace_estimate(Eigen::Map<const Mat>(z.data(), 2, B), t, E).array() * w.array()).sum(); }, z_flat, 1e-5);
  CHECK(test::rel_err(Eigen::Map<const Vec>(dZ.data(), dZ.size()), fz) < 1e-7);
}

TEST_CASE("The NLL gradient agrees with central differences for every method and trace mode") {
  for (TraceMode mode : {TraceMode::Exact, TraceMode::Hutchinson}) {
    for (GradientMethod g : {GradientMethod::Adjoint, GradientMethod::Direct, GradientMethod::Checkpointed}) {
      DensityConfig c;
      c.base.mlp.hidden = {6, 6};
      c.base.gradient = g;
      c.base.solver.rtol = c.base.solver.atol = 1e-11;
      c.base.kinetic = 0.05;
      c.base.jacobian = 0.05;
      c.trace = mode;
      DensityTrainer t(c);
      const Mat x = sample_density("two-moons", 5, 1);
      REQUIRE(t.add_samples(x).ok());
      const GradientResult r = t.nll_gradient(x);
      REQUIRE(r.status == Status::Success);
      DensityTrainer probe = t;
      const Vec fd = test::central_gradient([&](const Vec& th) {
        REQUIRE(probe.set_parameters(th).ok());
        return probe.nll_gradient(x).loss;
      }, t.mlp().params());
      INFO(to_string(g) << (mode == TraceMode::Exact ? " exact" : " hutchinson") << " rel err " << test::rel_err(r.grad_theta, fd));
      CHECK(test::rel_err(r.grad_theta, fd) <= 1e-5);
    }
  }
}

TEST_CASE("The CNF field's shared tape (one forward pass per evaluation, kept per stage) equals the former path bit for bit") {
  // The former path redoes the network's forward pass for the trace, the regulariser and the VJP: same arithmetic.
  for (TraceMode mode : {TraceMode::Exact, TraceMode::Hutchinson}) {
    for (GradientMethod g : {GradientMethod::Adjoint, GradientMethod::Direct, GradientMethod::Checkpointed}) {
      for (double reg : {0.0, 0.05}) {
        CAPTURE(static_cast<int>(mode), to_string(g), reg);
        DensityConfig c;
        c.base.mlp.hidden = {16, 16};
        c.base.gradient = g;
        c.base.kinetic = c.base.jacobian = reg;
        c.base.batch_size = 40;
        c.trace = mode;
        DensityTrainer shared(c), former(c);
        const Mat x = sample_density("two-moons", 300, 2);
        REQUIRE(shared.add_samples(x).ok());
        REQUIRE(former.add_samples(x).ok());
        for (int i = 0; i < 3; ++i) {
          CnfField::set_passes(CnfField::Passes::SharedTape);
          const StepReport a = shared.step();
          CnfField::set_passes(CnfField::Passes::Separate);
          const StepReport b = former.step();
          CnfField::set_passes(CnfField::Passes::Tangents);
          REQUIRE(a.status == Status::Success);
          CHECK(a.loss == b.loss);
          CHECK(a.nfe_backward == b.nfe_backward);
        }
        CHECK(shared.mlp().params() == former.mlp().params());
      }
    }
  }
}

TEST_CASE("The CNF field's tangent passes (trace and its gradient reverse-over-forward) equal the shared tape's to rounding") {
  for (TraceMode mode : {TraceMode::Exact, TraceMode::Hutchinson}) {
    for (GradientMethod g : {GradientMethod::Adjoint, GradientMethod::Direct, GradientMethod::Checkpointed}) {
      for (double reg : {0.0, 0.05}) {
        for (InputMap input : {InputMap::Identity, InputMap::Cube}) {
          CAPTURE(static_cast<int>(mode), to_string(g), reg, static_cast<int>(input));
          DensityConfig c;
          c.base.mlp.hidden = {16, 16};
          c.base.mlp.input = input;
          c.base.gradient = g;
          c.base.kinetic = c.base.jacobian = reg;
          c.trace = mode;
          DensityTrainer t(c);
          const Mat x = sample_density("two-moons", 40, 2);
          REQUIRE(t.add_samples(x).ok());
          CnfField::set_passes(CnfField::Passes::SharedTape);
          const GradientResult a = t.nll_gradient(x);
          CnfField::set_passes(CnfField::Passes::Tangents);
          const GradientResult b = t.nll_gradient(x);
          REQUIRE(a.status == Status::Success);
          REQUIRE(b.status == Status::Success);
          CHECK(b.loss == Approx(a.loss).epsilon(1e-12));
          CHECK(test::rel_err(b.grad_theta, a.grad_theta) <= 1e-10);
        }
      }
    }
  }
}

TEST_CASE("The regularisers add a positive penalty to the density loss, growing with their weight") {
  const Mat x = sample_density("two-moons", 16, 4);
  double previous = 0;
  for (double w : {0.0, 0.1, 1.0}) {
    DensityConfig c;
    c.base.mlp.hidden = {8, 8};
    c.base.kinetic = w;
    c.base.jacobian = w;
    DensityTrainer t(c);
    REQUIRE(t.add_samples(x).ok());
    const GradientResult r = t.nll_gradient(x);
    REQUIRE(r.status == Status::Success);
    if (w > 0) CHECK(r.loss > previous);
    previous = r.loss;
  }
}

TEST_CASE("Bad samples are refused and leave the data as it was") {
  DensityTrainer t(DensityConfig{});
  REQUIRE(t.add_samples(sample_density("rings", 10, 2)).ok());
  Mat bad = Mat::Zero(2, 3);
  bad(1, 2) = NAN;
  CHECK(t.add_samples(bad).message.find("sample 2 must be finite") != std::string::npos);
  CHECK(t.add_samples(Mat::Zero(3, 2)).message.find("dimension") != std::string::npos);
  CHECK(t.sample_count() == 10);
  DensityTrainer empty(DensityConfig{});
  CHECK(empty.step().status == Status::InvalidInput);
  DensityConfig aug;
  aug.base.mlp.augment = 1;
  CHECK_FALSE(validate(aug).ok());
  CHECK(sample_density("unknown", 3, 1).size() == 0);
  for (const auto& name : density_presets()) CHECK(sample_density(name, 50, 3).allFinite());
}

TEST_CASE("Learning a two-Gaussian mixture: held-out NLL within 0.1 nats of the mixture's own, mass integrates to 1") {
  DensityConfig c;
  c.base.mlp.hidden = {32, 32};
  c.base.seed = 2;
  c.base.batch_size = 256;
  c.base.optimizer.lr = 0.01;
  c.base.solver.rtol = 1e-4;
  c.base.solver.atol = 1e-4;
  DensityTrainer t(c);
  REQUIRE(t.add_samples(sample_density("two-gaussians", 4000, 1)).ok());
  for (int i = 0; i < 600; ++i) REQUIRE(t.step().status == Status::Success);
  const Mat held = sample_density("two-gaussians", 2000, 99);
  const DensityResult lp = t.log_density(held);
  REQUIRE(lp.status == Status::Success);
  double own = 0;
  for (Index k = 0; k < held.cols(); ++k) own -= two_gaussians_log_density(held(0, k), held(1, k));
  own /= static_cast<double>(held.cols());
  const double learned = -lp.values.mean();
  INFO("held-out NLL " << learned << " vs the mixture's own " << own);
  CHECK(learned - own <= 0.1);
  // The learned density integrates to 1 over a grid covering its mass.
  const int n = 80;
  const double lo = -4.5, hi = 4.5, h = (hi - lo) / n;
  Mat pts(2, n * n);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) {
      pts(0, i * n + j) = lo + (j + 0.5) * h;
      pts(1, i * n + j) = lo + (i + 0.5) * h;
    }
  const DensityResult g = t.log_density(pts);
  REQUIRE(g.status == Status::Success);
  const double mass = g.values.array().exp().sum() * h * h;
  INFO("mass " << mass);
  CHECK(std::abs(mass - 1.0) <= 0.02);
}

TEST_CASE("Rings, at the page's settings, leave the base's moments within 500 iterations (NLL below 3.1)") {
  // Normalised to standard deviation 1 (dataScale 1, the old default) the centred, isotropic rings start at the base's
  // own moments and stay there: 3.148 after 500 iterations, 3.129 after 1,500 (page: 3.157 -> 3.090 in 60 s).
  DensityConfig c;  // the page's: 2-32-32-2 tanh, Adam 0.01, clip 10, batch 128, exact trace, rtol = atol = 1e-4
  c.base.mlp.hidden = {32, 32};
  c.base.optimizer.lr = 0.01;
  c.base.optimizer.clip = 10;
  DensityTrainer t(c);
  REQUIRE(t.add_samples(sample_density("rings", 2000, 0)).ok());
  for (int i = 0; i < 500; ++i) REQUIRE(t.step().status == Status::Success);
  const DensityResult nll = t.nll();
  REQUIRE(nll.status == Status::Success);
  INFO("rings NLL after 500 iterations " << nll.values[0]);
  CHECK(nll.values[0] <= 3.1);  // 2.990 at dataScale 2 (2.12 at 1,000, 1.92 at 1,500)
}

TEST_CASE("A density step split into pieces of a few solver steps equals the uninterrupted one bit for bit") {
  for (const TraceMode trace : {TraceMode::Exact, TraceMode::Hutchinson}) {
    CAPTURE(static_cast<int>(trace));
    DensityConfig c;
    c.base.mlp.hidden = {16, 16};
    c.base.batch_size = 32;
    c.trace = trace;
    DensityTrainer whole(c), split(c);
    const Mat x = sample_density("two-moons", 200, 3);
    REQUIRE(whole.add_samples(x).ok());
    REQUIRE(split.add_samples(x).ok());
    long pieces = 0;
    for (int i = 0; i < 3; ++i) {
      REQUIRE(whole.step().status == Status::Success);
      do {
        WorkBudget b;
        b.steps = 2;
        REQUIRE(split.step(&b).status == Status::Success);
        CHECK(b.used <= 2);
        ++pieces;
      } while (split.pending());
    }
    CHECK(split.iteration() == 3);
    CHECK(pieces > 3);
    CHECK((split.mlp().params().array() == whole.mlp().params().array()).all());
    CHECK(split.state().rng == whole.state().rng);
  }
}
