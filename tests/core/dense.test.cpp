// Dense output: the continuous extensions' accuracy, gradients through them, and the trainer's joint solve of
// windows with different observation times.
#include "nde/dense.hpp"

#include <catch2/catch.hpp>
#include <cmath>

#include "approx.hpp"
#include "nde/batch_field.hpp"
#include "nde/gradient.hpp"
#include "nde/loss.hpp"
#include "nde/rng.hpp"
#include "nde/systems.hpp"
#include "nde/trainer.hpp"

using namespace nde;

namespace {

/// y' = −y.
struct Decay : VectorField {
  Index size() const override { return 1; }
  void eval(double, const Vec& y, Vec& dy) const override { dy = -y; }
};

/// Largest error of the dense outputs inside the steps (fixed steps of size h).
double dense_error(const Tableau& method, double h) {
  SolverOptions o;
  o.method = with_dense_output(method);
  o.step = h;
  o.dense = true;
  const std::vector<double> times{0.113, 0.37, 0.61, 0.9, 1.0};
  const Solution s = solve(Decay(), 0.0, Vec::Ones(1), times, o);
  REQUIRE(s.status == Status::Success);
  double e = 0;
  for (std::size_t i = 0; i < times.size(); ++i) e = std::max(e, std::abs(s.states(0, static_cast<Index>(i)) - std::exp(-times[i])));
  return e;
}

}  // namespace

TEST_CASE("Dense output: Dormand-Prince's order-4 extension and the Hermite interpolant converge at their orders") {
  for (const auto& [tab, order] : {std::pair{dopri5(), 4.0}, std::pair{rk4(), 4.0}, std::pair{midpoint(), 2.0}}) {
    const double e1 = dense_error(tab, 0.1), e2 = dense_error(tab, 0.05);
    INFO(tab.name << ": " << e1 << " -> " << e2);
    CHECK(std::log2(e1 / e2) >= order - 0.6);
  }
  // At θ = 1 every extension gives the step's own end state.
  const Tableau h = with_dense_output(rk4_38());
  std::vector<double> beta(static_cast<std::size_t>(h.stages()));
  dense_weights(h, 1.0, beta.data());
  for (int j = 0; j < h.stages(); ++j) CHECK(beta[static_cast<std::size_t>(j)] == Approx(h.b[static_cast<std::size_t>(j)]).margin(1e-15));
}

TEST_CASE("Gradients through dense output agree with central differences, direct equal to checkpointed") {
  MlpConfig mc;
  mc.hidden = {8, 8};
  Mlp mlp(mc);
  mlp.init(4);
  Rng r(9);
  const RowVec offsets = RowVec::LinSpaced(3, 0.0, 0.8);
  Vec y0(6);
  for (Index k = 0; k < 6; ++k) y0[k] = r.normal();
  std::vector<double> times;
  std::vector<Vec> targets;
  double t = 0;
  for (int i = 0; i < 6; ++i) {
    t += r.uniform(0.05, 0.3);
    times.push_back(t);
    Vec g(6);
    for (Index k = 0; k < 6; ++k) g[k] = r.normal();
    targets.push_back(g);
  }
  const LossTerm loss = [&](std::size_t i, const Vec& y, Vec* g) {
    if (g) *g = 0.2 * (y - targets[i]);
    return 0.1 * (y - targets[i]).squaredNorm();
  };
  SolverOptions fixed_dopri;
  fixed_dopri.step = 0.11;
  SolverOptions hermite;
  hermite.method = rk4();
  hermite.dense_steps = 4;
  for (SolverOptions o : {fixed_dopri, hermite}) {
    o.method = with_dense_output(o.method);
    o.dense = true;
    const BatchField field(mlp, offsets);
    const GradientResult d = loss_and_gradient(field, 0.0, y0, times, loss, o, GradientMethod::Direct);
    GradientOptions go;
    go.checkpoints = 2;
    const GradientResult c = loss_and_gradient(field, 0.0, y0, times, loss, o, go);
    REQUIRE(d.status == Status::Success);
    REQUIRE(c.status == Status::Success);
    Mlp m = mlp;
    const Vec fd = test::central_gradient(
        [&](const Vec& th) {
          m.params() = th;
          return loss_only(BatchField(m, offsets), 0.0, y0, times, loss, o).loss;
        },
        mlp.params(), 1e-6);
    INFO(o.method.name << " with " << d.forward.accepted << " steps for " << times.size() << " outputs");
    CHECK(d.forward.accepted < static_cast<long>(times.size()) + 5);
    CHECK((d.grad_theta - fd).norm() <= 1e-6 * fd.norm());
    CHECK((c.grad_theta - d.grad_theta).norm() <= 1e-12 * d.grad_theta.norm());
  }
}

TEST_CASE("The joint solve of windows with different times matches solving them apart, with fewer evaluations") {
  SampleOptions so;
  so.trajectories = 6;
  so.points = 12;
  const auto data = sample_system(*find_system("toggle"), so);
  TrainerConfig c;
  c.mlp.hidden = {16, 16};
  c.solver.rtol = 1e-9;
  c.solver.atol = 1e-9;
  double loss[2];
  long nfe[2];
  Vec grad[2];
  for (int joint = 0; joint < 2; ++joint) {
    c.joint = joint == 1;
    Trainer t(c);
    for (const auto& tr : data) REQUIRE(t.add_trajectory(tr).ok());
    const GradientResult g = t.full_gradient(GradientMethod::Checkpointed);
    REQUIRE(g.status == Status::Success);
    loss[joint] = g.loss;
    nfe[joint] = g.forward.nfe;
    grad[joint] = g.grad_theta;
  }
  INFO("separate " << loss[0] << " (" << nfe[0] << " evaluations), joint " << loss[1] << " (" << nfe[1] << ")");
  CHECK(loss[1] == Approx(loss[0]).epsilon(1e-6));
  CHECK((grad[1] - grad[0]).norm() <= 1e-5 * grad[0].norm());
  CHECK(nfe[1] < nfe[0]);
}
