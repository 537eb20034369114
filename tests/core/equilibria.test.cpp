// Equilibria: exact eigenvalues and types on linear fields, zeros of the true systems, the learned Jacobian.
#include <catch2/catch.hpp>

#include <cmath>

#include "approx.hpp"
#include "nde/equilibria.hpp"

using namespace nde;

namespace {

/// f(z) = A z + b with its exact Jacobian.
PhaseField linear(const Mat& A, const Vec& b) {
  PhaseField f;
  f.dim = static_cast<int>(A.rows());
  f.origin = Vec::Zero(f.dim);
  f.eval = [A, b](const Mat& Z) { return Mat((A * Z).colwise() + b); };
  f.jacobian = [A](const Vec&) { return A; };
  f.divergence = [A](const Mat& Z) { return RowVec(RowVec::Constant(Z.cols(), A.trace())); };
  return f;
}

GridSpec view(double lo, double hi) {
  GridSpec g;
  g.xmin = g.ymin = lo;
  g.xmax = g.ymax = hi;
  return g;
}

}  // namespace

TEST_CASE("A linear field has one equilibrium at -A^-1 b with the exact eigenvalues and type") {
  struct Case { double a, b, c, d; EquilibriumType type; };
  const Case cases[] = {{-1, 2, -3, -0.5, EquilibriumType::StableFocus},
                        {-2, 1, 0.5, -1, EquilibriumType::StableNode},
                        {1, 2, 3, -1, EquilibriumType::Saddle},
                        {0.3, -2, 2, 0.3, EquilibriumType::UnstableFocus},
                        {2, 0.5, 0, 1, EquilibriumType::UnstableNode},
                        {0, 1, -4, 0, EquilibriumType::Centre}};
  for (const Case& k : cases) {
    const Mat A = (Mat(2, 2) << k.a, k.b, k.c, k.d).finished();
    const Vec b = (Vec(2) << 0.7, -0.4).finished();
    const auto eq = find_equilibria(linear(A, b), view(-3, 3));
    INFO("A = [" << k.a << " " << k.b << "; " << k.c << " " << k.d << "]");
    REQUIRE(eq.size() == 1);
    CHECK(test::rel_err(eq[0].z, -A.lu().solve(b)) < 1e-12);
    // Closed form: (tr ± sqrt(tr² − 4 det)) / 2, the larger real part first.
    const double tr = A.trace(), det = A.determinant(), disc = tr * tr - 4 * det;
    const std::complex<double> root = std::sqrt(std::complex<double>(disc, 0.0));
    const std::complex<double> l1 = (tr + root) / 2.0, l2 = (tr - root) / 2.0;
    const bool swap = l2.real() > l1.real() || (l2.real() == l1.real() && l2.imag() > l1.imag());
    CHECK(std::abs(eq[0].eigenvalues[0] - (swap ? l2 : l1)) < 1e-12);
    CHECK(std::abs(eq[0].eigenvalues[1] - (swap ? l1 : l2)) < 1e-12);
    CHECK(eq[0].type == k.type);
  }
}

TEST_CASE("Classification by eigenvalues covers every type - and zero eigenvalues are degenerate") {
  using C = std::complex<double>;
  auto ev = [](C a, C b) { return (Eigen::VectorXcd(2) << a, b).finished(); };
  CHECK(classify(ev(C(-1, 0), C(-2, 0))) == EquilibriumType::StableNode);
  CHECK(classify(ev(C(-1, 2), C(-1, -2))) == EquilibriumType::StableFocus);
  CHECK(classify(ev(C(1, 0), C(3, 0))) == EquilibriumType::UnstableNode);
  CHECK(classify(ev(C(0.5, 1), C(0.5, -1))) == EquilibriumType::UnstableFocus);
  CHECK(classify(ev(C(1, 0), C(-1, 0))) == EquilibriumType::Saddle);
  CHECK(classify(ev(C(-0.01, 1), C(-0.01, -1))) == EquilibriumType::Centre);
  CHECK(classify(ev(C(-0.2, 1), C(-0.2, -1))) == EquilibriumType::StableFocus);
  // A pair that turns too slowly to spiral visibly (|Im| ≤ |Re| / 10) is a node; just beyond, a focus.
  CHECK(classify(ev(C(-0.92, 0.07), C(-0.92, -0.07))) == EquilibriumType::StableNode);
  CHECK(classify(ev(C(0.9, 0.089), C(0.9, -0.089))) == EquilibriumType::UnstableNode);
  CHECK(classify(ev(C(-0.9, 0.091), C(-0.9, -0.091))) == EquilibriumType::StableFocus);
  CHECK(classify(ev(C(0, 0), C(-1, 0))) == EquilibriumType::Degenerate);
  CHECK(classify(ev(C(1e-13, 0), C(-1e-13, 0)), 0.05, 1.0) == EquilibriumType::Degenerate);
}

TEST_CASE("The true systems' equilibria: toggle switch, pendulum (incl. just outside the view), Lotka-Volterra") {
  const System& toggle = *find_system("toggle");
  const auto eq = find_equilibria(system_phase_field(toggle), view(-0.25, 4.75));
  REQUIRE(eq.size() == 3);
  // The saddle lies on the diagonal where u⁴ + u − 4 = 0; the nodes are mirror images.
  CHECK(eq[1].type == EquilibriumType::Saddle);
  CHECK(std::abs(std::pow(eq[1].z[0], 4) + eq[1].z[0] - 4) < 1e-9);
  CHECK(std::abs(eq[1].z[0] - eq[1].z[1]) < 1e-9);
  CHECK(eq[0].type == EquilibriumType::StableNode);
  CHECK(eq[2].type == EquilibriumType::StableNode);
  CHECK(std::abs(eq[0].z[0] - eq[2].z[1]) < 1e-9);
  for (const Equilibrium& e : eq) CHECK(e.residual < 1e-9);

  GridSpec pv = view(-4, 4);
  pv.ymin = -3;
  pv.ymax = 3;
  EquilibriumOptions fine;  // the portrait also seeds from sign changes; here a finer lattice does
  fine.seeds = 12;
  const auto peq = find_equilibria(system_phase_field(*find_system("pendulum")), pv, fine);
  REQUIRE(peq.size() == 5);  // θ = −2π … 2π
  for (std::size_t i = 0; i < 5; ++i) {
    CHECK(std::abs(peq[i].z[0] - (static_cast<double>(i) - 2.0) * M_PI) < 1e-9);
    CHECK(peq[i].type == (i % 2 == 0 ? EquilibriumType::StableFocus : EquilibriumType::Saddle));
  }

  GridSpec lv = view(0, 8);
  lv.ymax = 6;
  const auto leq = find_equilibria(system_phase_field(*find_system("lotka-volterra")), lv);
  REQUIRE(leq.size() == 2);
  CHECK(leq[0].type == EquilibriumType::Saddle);
  CHECK(leq[1].type == EquilibriumType::Centre);
  CHECK((leq[1].z - (Vec(2) << 3, 1.5).finished()).norm() < 1e-9);
}

TEST_CASE("The learned field's Jacobian (normalised coordinates undone) matches finite differences") {
  TrainerConfig c;
  c.mlp.hidden = {16, 16};
  Trainer t(c);
  SampleOptions so;
  so.trajectories = 3;
  so.points = 10;
  for (auto& tr : sample_system(*find_system("toggle"), so)) REQUIRE(t.add_trajectory(tr).ok());
  const PhaseField f = learned_phase_field(t);
  const Vec z = (Vec(2) << 1.3, 2.1).finished();
  Mat fd(2, 2);
  for (int j = 0; j < 2; ++j) {
    Vec zp = z, zm = z;
    zp[j] += 1e-6;
    zm[j] -= 1e-6;
    fd.col(j) = (f.at(zp) - f.at(zm)) / 2e-6;
  }
  const Mat J = f.jacobian(z);
  CHECK((J - fd).norm() <= 1e-7 * std::max(1.0, fd.norm()));
  CHECK(std::abs(f.divergence(Mat(z))[0] - J.trace()) <= 1e-10 * std::max(1.0, std::abs(J.trace())));
}
