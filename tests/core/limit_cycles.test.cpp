// Limit cycles: returns to a section find the cycle, its period and its Floquet multiplier.
#include <catch2/catch.hpp>

#include <cmath>

#include "nde/limit_cycles.hpp"
#include "nde/phase_portrait.hpp"

using namespace nde;

namespace {

/// The Hopf normal form r' = r(1 − r²)·s, θ' = ω: a circle of radius 1, period 2π/ω, multiplier e^(−4πs/ω)
/// (s > 0 stable, s < 0 unstable).
PhaseField hopf(double s, double w) {
  return function_phase_field(2, [s, w](const Vec& z) {
    const double r2 = z.squaredNorm();
    return Vec((Vec(2) << s * z[0] * (1 - r2) - w * z[1], s * z[1] * (1 - r2) + w * z[0]).finished());
  });
}

GridSpec square(double h) {
  GridSpec g;
  g.xmin = g.ymin = -h;
  g.xmax = g.ymax = h;
  g.nx = g.ny = 64;
  return g;
}

}  // namespace

TEST_CASE("A Hopf normal form's cycle: radius 1, period 2 pi / omega, multiplier exp(-4 pi s / omega)") {
  for (const double s : {0.5, -0.3}) {
    CycleOptions o;
    o.time_unit = 2.0;
    o.diag = 4.0;
    const auto c = refine_cycle(hopf(s, 1.5), (Vec(2) << 0.8, 0.1).finished(), o, s > 0 ? 1.0 : -1.0);
    INFO("s = " << s);
    REQUIRE(c.has_value());
    CHECK(std::abs(c->period - 2 * M_PI / 1.5) < 1e-5);
    CHECK(std::abs(std::log(c->multiplier) - (-4 * M_PI * s / 1.5)) < 1e-4);
    CHECK(c->stable() == (s > 0));
    CHECK((c->points.colwise().norm().array() - 1).abs().maxCoeff() < 1e-5);
    // Stored along the flow: consecutive points turn counter-clockwise (ω > 0).
    const Vec a = c->points.col(0), b = c->points.col(1);
    CHECK(a[0] * b[1] - a[1] * b[0] > 0);
  }
}

TEST_CASE("The portrait finds the true Van der Pol cycle (period 6.6633) and a Hopf field's unstable cycle around a stable focus") {
  const System& vdp = *find_system("van-der-pol");
  GridSpec g = square(4);
  const PhasePortrait p = analyze(system_phase_field(vdp), g);
  CHECK(summary(p) == "1 unstable focus + 1 stable limit cycle");
  REQUIRE(p.cycles.size() == 1);
  CHECK(std::abs(p.cycles[0].period - 6.6633) < 1e-3);  // the known period for μ = 1
  CHECK(p.cycles[0].multiplier < 0.01);
  // Every grid point but the focus itself drains onto the cycle.
  const auto on_cycle = std::count(p.basins.begin(), p.basins.end(), 0);
  CHECK(on_cycle >= static_cast<long>(p.basins.size()) - 1);

  // Subcritical picture: r' = −r(1 − r²) is a stable focus inside an unstable cycle of radius 1.
  const PhasePortrait q = analyze(hopf(-0.5, 1.0), square(2));
  CHECK(summary(q) == "1 stable focus + 1 unstable limit cycle");
  REQUIRE(q.cycles.size() == 1);
  CHECK(std::abs(q.cycles[0].period - 2 * M_PI) < 1e-5);
  // Inside the unit circle: the focus's basin; outside: escape.
  for (std::size_t k = 0; k < q.basins.size(); ++k) {
    const int c = static_cast<int>(k % 64), r = static_cast<int>(k / 64);
    const double x = -2 + 4.0 * c / 63, y = -2 + 4.0 * r / 63, rad = std::hypot(x, y);
    if (rad < 0.9) CHECK(q.basins[k] == 0);
    if (rad > 1.1) CHECK(q.basins[k] != 0);
  }
}
