#include "nde/solve.hpp"

#include <catch2/catch.hpp>
#include <cmath>

#include "approx.hpp"
#include "nde/dense.hpp"

using namespace nde;

namespace {

/// y' = −y + t·... a non-autonomous scalar-pair problem with a known solution:
/// y1' = y2, y2' = −y1 (harmonic), y3' = −2 t y3 (Gaussian decay).
class Analytic : public VectorField {
 public:
  Index size() const override { return 3; }
  void eval(double t, const Vec& y, Vec& dy) const override {
    dy.resize(3);
    dy << y[1], -y[0], -2.0 * t * y[2];
  }
  static Vec exact(double t) {
    Vec y(3);
    y << std::cos(t), -std::sin(t), std::exp(-t * t);
    return y;
  }
};

/// dz/dt = z²: blows up at t = 1 from z0 = 1.
class BlowUp : public VectorField {
 public:
  Index size() const override { return 1; }
  void eval(double, const Vec& y, Vec& dy) const override { dy = y.cwiseAbs2(); }
};

double fixed_step_error(const Tableau& tab, int steps) {
  Analytic f;
  SolverOptions o;
  o.method = tab;
  o.step = 2.0 / steps;
  const Solution s = solve(f, 0.0, Analytic::exact(0.0), {2.0}, o);
  REQUIRE(s.status == Status::Success);
  REQUIRE(s.stats.accepted == steps);
  return (s.states.col(0) - Analytic::exact(2.0)).norm();
}

}  // namespace

TEST_CASE("Tableaus are consistent (row sums equal nodes - weights sum to one)") {
  for (const Tableau* t : {&euler(), &midpoint(), &rk4(), &rk4_38(), &dopri5()}) {
    double sb = 0;
    for (int i = 0; i < t->stages(); ++i) {
      double row = 0;
      for (double a : t->a[i]) row += a;
      CHECK(row == Approx(t->c[i]).margin(1e-14));
      sb += t->b[i];
    }
    CHECK(sb == Approx(1.0).epsilon(1e-14));
    CHECK(tableau_by_name(t->name).has_value());
  }
  CHECK_FALSE(tableau_by_name("rk45").has_value());
}

TEST_CASE("Empirical convergence orders: euler 1 - midpoint 2 - rk4 4 - rk4-38 4 - dopri5 5") {
  struct Case { const Tableau* t; double order; int n; };
  for (const Case& c : {Case{&euler(), 1, 400}, Case{&midpoint(), 2, 100}, Case{&rk4(), 4, 20}, Case{&rk4_38(), 4, 20},
                        Case{&dopri5(), 5, 25}}) {
    DYNAMIC_SECTION(c.t->name) {
      const double e1 = fixed_step_error(*c.t, c.n);
      const double e2 = fixed_step_error(*c.t, 2 * c.n);
      const double e4 = fixed_step_error(*c.t, 4 * c.n);
      const double p1 = std::log2(e1 / e2), p2 = std::log2(e2 / e4);
      INFO("orders " << p1 << ", " << p2);
      CHECK(std::abs(p2 - c.order) < 0.2);
      CHECK(std::abs(p1 - c.order) < 0.35);
    }
  }
}

TEST_CASE("Adaptive dopri5 meets its tolerance and the error shrinks with it") {
  Analytic f;
  double prev = 1;
  for (double tol : {1e-4, 1e-6, 1e-8, 1e-10}) {
    SolverOptions o;
    o.controller.rtol = tol;
    o.controller.atol = tol;
    const std::vector<double> times{0.5, 1.0, 2.0, 3.0};
    const Solution s = solve(f, 0.0, Analytic::exact(0.0), times, o);
    REQUIRE(s.status == Status::Success);
    double err = 0;
    for (std::size_t i = 0; i < times.size(); ++i)
      err = std::max(err, (s.states.col(static_cast<Index>(i)) - Analytic::exact(times[i])).lpNorm<Eigen::Infinity>());
    INFO("tol " << tol << " err " << err << " steps " << s.stats.accepted);
    CHECK(err < 20 * tol);
    CHECK(err < prev);
    prev = err;
    CHECK(s.stats.nfe > 0);
  }
}

TEST_CASE("Both controllers (PI and I) succeed and agree") {
  Analytic f;
  SolverOptions pi, i;
  i.controller.beta = 0.0;
  const Solution a = solve(f, 0.0, Analytic::exact(0.0), {10.0}, pi);
  const Solution b = solve(f, 0.0, Analytic::exact(0.0), {10.0}, i);
  REQUIRE(a.status == Status::Success);
  REQUIRE(b.status == Status::Success);
  CHECK((a.states - b.states).norm() < 1e-4);
}

TEST_CASE("Solves hit requested times exactly - forward and backward - and return to the start") {
  Analytic f;
  SolverOptions o;
  o.controller.rtol = o.controller.atol = 1e-11;
  std::vector<double> seen;
  SolveHooks hooks;
  hooks.at_output = [&](std::size_t, double t, Vec&) { seen.push_back(t); };
  const std::vector<double> fwd{0.0, 0.1, 0.77, 1.5};
  const Solution s = solve(f, 0.0, Analytic::exact(0.0), fwd, o, hooks);
  REQUIRE(s.status == Status::Success);
  CHECK(seen == fwd);
  CHECK(s.t_reached == 1.5);
  CHECK(s.states.col(0) == Analytic::exact(0.0));
  const Solution back = solve(f, 1.5, s.states.col(3), {0.77, 0.0}, o);
  REQUIRE(back.status == Status::Success);
  CHECK(test::rel_err(back.states.col(1), Analytic::exact(0.0)) < 1e-9);
  CHECK(test::rel_err(back.states.col(0), s.states.col(2)) < 1e-9);
  // Fixed-step methods run backwards too.
  SolverOptions r;
  r.method = rk4();
  r.step = 0.01;
  const Solution rb = solve(f, 2.0, Analytic::exact(2.0), {1.0, 0.0}, r);
  CHECK(test::rel_err(rb.states.col(1), Analytic::exact(0.0)) < 1e-7);
}

TEST_CASE("A blow-up (dz/dt = z² - z0 = 1 - past t = 1) ends with a clear status - not garbage") {
  BlowUp f;
  for (const Tableau* t : {&dopri5(), &rk4()}) {
    SolverOptions o;
    o.method = *t;
    if (!t->adaptive()) o.step = 0.01;
    const Solution s = solve(f, 0.0, Vec::Ones(1), {0.5, 2.0}, o);
    INFO(t->name << ": " << s.message);
    CHECK(s.status != Status::Success);
    CHECK_FALSE(s.message.empty());
    // The adaptive solve stops at the singularity; the fixed-step one overflows just past it.
    CHECK(s.t_reached < (t->adaptive() ? 1.0 + 1e-6 : 1.1));
    CHECK(s.states(0, 0) == Approx(2.0).epsilon(1e-3));  // the output before the blow-up is there
  }
}

TEST_CASE("Solve reports bad input and exhausted budgets as statuses") {
  Analytic f;
  SolverOptions o;
  CHECK(solve(f, 0.0, Analytic::exact(0.0), {1.0, 0.5}, o).status == Status::InvalidInput);
  CHECK(solve(f, 0.0, Analytic::exact(0.0), {1.0, 1.0}, o).status == Status::InvalidInput);
  CHECK(solve(f, 0.0, Analytic::exact(0.0), {NAN}, o).status == Status::InvalidInput);
  Vec bad = Analytic::exact(0.0);
  bad[0] = NAN;
  CHECK(solve(f, 0.0, bad, {1.0}, o).status == Status::InvalidInput);
  o.max_steps = 3;
  const Solution s = solve(f, 0.0, Analytic::exact(0.0), {100.0}, o);
  CHECK(s.status == Status::MaxSteps);
  CHECK(s.stats.accepted + s.stats.rejected == 3);
}

TEST_CASE("A fixed step too small for the step budget ends with max-steps at once - also past 2^31 steps") {
  Analytic f;
  SolverOptions o;
  o.method = rk4();
  o.max_steps = 20000;
  // 10 / 4e-9 = 2.5e9 steps: more than a 32-bit long holds (wasm), which once became one step reported as success.
  for (const double h : {1e-6, 4e-9, 1e-300}) {
    o.step = h;
    const Solution s = solve(f, 0.0, Analytic::exact(0.0), {1.0, 10.0}, o);
    INFO("step " << h << ": " << s.message);
    CHECK(s.status == Status::MaxSteps);
    CHECK(s.stats.accepted <= o.max_steps);
    if (h < 1e-6) CHECK(s.stats.nfe == 0);  // refused before stepping: the count alone is over the budget
  }
  o.step = 1e-3;  // 10,000 steps: within the budget
  const Solution ok = solve(f, 0.0, Analytic::exact(0.0), {10.0}, o);
  CHECK(ok.ok());
  CHECK(ok.stats.accepted == 10000);
}

TEST_CASE("A solve suspended at its work budget continues from its work to the uninterrupted result bit for bit") {
  const Analytic f;
  Vec y0(3);
  y0 << 1.0, 0.0, 1.0;
  const std::vector<double> times = {0.3, 0.7, 1.9, 2.5};
  for (const bool dense : {false, true}) {
    for (const double step : {0.0, 0.1}) {  // adaptive dopri5 and fixed steps
      CAPTURE(dense, step);
      SolverOptions o;
      o.method = with_dense_output(o.method);
      o.dense = dense;
      o.step = step;
      std::vector<double> seen_whole, seen_split;
      SolveHooks hw, hs;
      hw.at_output = [&](std::size_t, double t, Vec& y) { seen_whole.push_back(t + y.sum()); };
      hs.at_output = [&](std::size_t, double t, Vec& y) { seen_split.push_back(t + y.sum()); };
      const Solution whole = solve(f, 0.0, y0, times, o, hw);
      REQUIRE(whole.status == Status::Success);
      SolveWork work;
      WorkBudget b;
      Solution s;
      long calls = 0;
      do {
        b.steps = b.used + 2;  // two more steps per call
        s = solve_resumable(f, 0.0, y0, times, o, hs, true, work, &b);
        ++calls;
      } while (s.suspended);
      REQUIRE(s.status == Status::Success);
      // Every step of the solve was counted and the calls split them two by two.
      CHECK(b.used == whole.stats.accepted + whole.stats.rejected);
      CHECK(calls == (b.used + 1) / 2);
      CHECK((s.states.array() == whole.states.array()).all());
      CHECK(s.stats.nfe == whole.stats.nfe);
      CHECK(seen_split == seen_whole);
    }
  }
}
