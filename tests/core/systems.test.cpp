#include "nde/systems.hpp"

#include <catch2/catch.hpp>

#include "nde/trajectory.hpp"

using namespace nde;

TEST_CASE("Every reference system samples valid irregular trajectories - reproducibly") {
  REQUIRE(systems().size() == 7);
  for (const System& s : systems()) {
    DYNAMIC_SECTION(s.name) {
      SampleOptions o;
      o.trajectories = 4;
      o.points = 30;
      o.noise = 0.01;
      o.seed = 9;
      const auto a = sample_system(s, o);
      const auto b = sample_system(s, o);
      REQUIRE(a.size() == 4);
      for (std::size_t k = 0; k < a.size(); ++k) {
        CHECK(validate_trajectory(a[k], s.dim).ok());
        CHECK(a[k].times.front() == 0.0);
        CHECK(a[k].states == b[k].states);
        // Irregular: the gaps between observations are not all equal.
        double lo = 1e9, hi = 0;
        for (std::size_t i = 1; i < a[k].times.size(); ++i) {
          lo = std::min(lo, a[k].times[i] - a[k].times[i - 1]);
          hi = std::max(hi, a[k].times[i] - a[k].times[i - 1]);
        }
        CHECK(hi > 2 * lo);
      }
      CHECK(find_system(s.name) == &s);
      // Without a count, each system's own default (dense enough to look smooth); the page's presets are the 2-D ones.
      o.points = 0;
      for (const Trajectory& tr : sample_system(s, o)) CHECK(tr.times.size() >= static_cast<std::size_t>(s.points) - 2);
      CHECK(is_preset(s) == (s.dim == 2));
    }
  }
  CHECK(find_system("lorenz") == nullptr);
}

TEST_CASE("The toggle switch is bistable and the spiral matches torchdiffeq's data") {
  const System& tg = *find_system("toggle");
  const Mat hi = system_solution(tg, (Vec(2) << 3.0, 0.5).finished(), {30.0});
  const Mat lo = system_solution(tg, (Vec(2) << 0.5, 3.0).finished(), {30.0});
  CHECK(hi(0, 0) > 3.5);
  CHECK(hi(1, 0) < 0.2);
  CHECK(lo(1, 0) > 3.5);
  CHECK(lo(0, 0) < 0.2);
  CHECK(tg.f((Vec(2) << hi(0, 0), hi(1, 0)).finished()).norm() < 1e-6);
  const Trajectory sp = torchdiffeq_spiral();
  CHECK(sp.times.size() == 1000);
  CHECK(sp.states(0, 0) == 2.0);
  CHECK(sp.states.col(999).norm() < sp.states.col(0).norm());  // a sink
}

TEST_CASE("The toggle preset's data sees both nodes with any seed: half the starts on each side of the separatrix") {
  // Drawn independently, seeds 3 and 6 put at most 1 of 8 starts on one side and had no observation within 0.3 of
  // its node, so the learned portrait lost it (issue 12). Mirrored by parity, seeds 0-49 have ≥ 29 of 640 near each.
  const System& tg = *find_system("toggle");
  const Vec nodes[2] = {(Vec(2) << 0.0616, 3.9991).finished(), (Vec(2) << 3.9991, 0.0616).finished()};
  for (std::uint64_t seed = 0; seed < 20; ++seed) {
    SampleOptions o;
    o.seed = seed;
    const auto data = sample_system(tg, o);
    REQUIRE(data.size() == 8);
    int near[2] = {0, 0}, above = 0;
    for (const Trajectory& tr : data) {
      if (tr.states(1, 0) > tr.states(0, 0)) ++above;
      for (Index k = 0; k < tr.states.cols(); ++k)
        for (int e = 0; e < 2; ++e) near[e] += (tr.states.col(k) - nodes[e]).norm() < 0.3 ? 1 : 0;
    }
    INFO("seed " << seed);
    CHECK(above == 4);
    CHECK(near[0] >= 20);
    CHECK(near[1] >= 20);
  }
}

TEST_CASE("sample_system stops inside one long trajectory once its deadline passes") {
  SampleOptions o;
  o.trajectories = 1;
  o.points = 2000;
  o.regular = true;
  o.t_end = 200;
  // The budget passes after 20 checks: the check before the trajectory answers false, so the budget runs out
  // inside its solve (thousands of steps). Checked only between trajectories, it would be solved to the end.
  o.deadline = Deadline::after_checks(20);
  CHECK(sample_system(*find_system("van-der-pol"), o).empty());
  o.deadline = Deadline::after_checks(1000000);  // the same trajectory within budget: solved
  CHECK(sample_system(*find_system("van-der-pol"), o).size() == 1);
  o.deadline = {};
  o.points = 50;
  o.t_end = 0;
  CHECK(sample_system(*find_system("van-der-pol"), o).size() == 1);
}

TEST_CASE("FitzHugh-Nagumo is a fast-slow relaxation oscillator — the repressilator a 3-D limit cycle") {
  const System& fhn = *find_system("fitzhugh-nagumo");
  REQUIRE(fhn.dim == 2);
  // The recovery variable is much slower than the voltage: along an orbit, |dw/dt| stays under a fifth of max |dv/dt|.
  std::vector<double> times;
  for (int i = 0; i <= 800; ++i) times.push_back(80.0 + 0.1 * i);
  const Mat orbit = system_solution(fhn, (Vec(2) << -1.0, 1.0).finished(), times);
  double vmax = 0, wmax = 0, vlo = 1e9, vhi = -1e9;
  for (Index k = 0; k < orbit.cols(); ++k) {
    const Vec f = fhn.f(orbit.col(k));
    vmax = std::max(vmax, std::abs(f[0]));
    wmax = std::max(wmax, std::abs(f[1]));
    vlo = std::min(vlo, orbit(0, k));
    vhi = std::max(vhi, orbit(0, k));
  }
  CHECK(wmax < 0.2 * vmax);
  CHECK(vlo < -1.5);  // still oscillating between both branches after 80 time units
  CHECK(vhi > 1.5);
  const System& rep = *find_system("repressilator");
  REQUIRE(rep.dim == 3);
  CHECK_FALSE(is_preset(rep));
  const Mat r = system_solution(rep, (Vec(3) << 1.0, 2.0, 3.0).finished(), {100.0, 103.0, 106.0, 109.0});
  CHECK(r.rows() == 3);
  // Still oscillating: the three genes disagree and keep moving (the symmetric state is unstable).
  CHECK((r.col(0) - r.col(1)).norm() > 0.5);
  CHECK(r.col(0).maxCoeff() - r.col(0).minCoeff() > 1.0);
}

TEST_CASE("Initial states draw their coordinates in order (native and the wasm module sample the same presets)") {
  // v2(r.uniform(…), r.uniform(…)) left the order to the compiler: GCC drew y first, clang (wasm) x first.
  Rng r(5), q(5);
  const Vec fhn = find_system("fitzhugh-nagumo")->initial(r, 0);
  const double u1 = q.uniform(), u2 = q.uniform();
  CHECK(fhn[0] == Approx(-2.2 + 4.4 * u1).epsilon(1e-15));
  CHECK(fhn[1] == Approx(-0.6 + 2.6 * u2).epsilon(1e-15));
  Rng a(7), b(7);
  const Vec rep = find_system("repressilator")->initial(a, 0);
  for (int k = 0; k < 3; ++k) CHECK(rep[k] == Approx(6.0 * b.uniform()).epsilon(1e-15));
}
