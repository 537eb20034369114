#include "nde/mlp.hpp"

#include <catch2/catch.hpp>

#include "approx.hpp"
#include "nde/rng.hpp"

using namespace nde;

namespace {

Mlp make(Activation a, bool time, int augment, InputMap input = InputMap::Identity) {
  MlpConfig c;
  c.dim = 2;
  c.hidden = {7, 5};
  c.activation = a;
  c.time_dependent = time;
  c.augment = augment;
  c.input = input;
  Mlp m(c);
  m.init(42);
  // Non-zero biases so every term of the derivatives is exercised.
  Rng r(7);
  for (Index i = 0; i < m.num_params(); ++i) m.params()[i] += 0.1 * r.normal();
  return m;
}

Mat random_mat(Index r, Index c, std::uint64_t seed) {
  Rng g(seed);
  Mat m(r, c);
  for (Index i = 0; i < m.size(); ++i) m(i) = g.normal();
  return m;
}

}  // namespace

TEST_CASE("MLP layout: parameter count and batch evaluation match single evaluation") {
  const Mlp m = make(Activation::Tanh, true, 1);
  // in = 2 + 1 augment + 1 time = 4; 4*7+7 + 7*5+5 + 5*3+3
  CHECK(m.num_params() == 4 * 7 + 7 + 7 * 5 + 5 + 5 * 3 + 3);
  CHECK(m.state_dim() == 3);
  const Mat Z = random_mat(3, 4, 1);
  const RowVec t = RowVec::LinSpaced(4, 0.0, 1.5);
  const Mat F = m.eval(Z, t);
  for (Index k = 0; k < 4; ++k) CHECK(test::rel_err(F.col(k), m.eval(Vec(Z.col(k)), t[k])) < 1e-15);
}

TEST_CASE("MLP seeded initialisation is reproducible and seed-dependent") {
  MlpConfig c;
  Mlp a(c), b(c), d(c);
  a.init(3);
  b.init(3);
  d.init(4);
  CHECK(a.params() == b.params());
  CHECK(a.params() != d.params());
  CHECK(a.params().allFinite());
}

TEST_CASE("MLP vector-Jacobian products agree with central differences") {
  for (Activation act : {Activation::Tanh, Activation::Softplus, Activation::Silu}) {
    for (InputMap input : {InputMap::Identity, InputMap::Cube}) {
      DYNAMIC_SECTION("activation " << to_string(act) << (input == InputMap::Cube ? " cube" : "")) {
        const Mlp m = make(act, true, 1, input);
        const Mat Z = random_mat(3, 3, 2);
        const RowVec t = RowVec::LinSpaced(3, 0.2, 0.9);
        const Mat A = random_mat(3, 3, 3);
        Mat dZ;
        Vec dtheta;
        RowVec dt;
        m.vjp(Z, t, A, &dZ, &dtheta, &dt);
        // aᵀ f as a scalar function of z, θ and t.
        auto scalar = [&](const Mlp& mm, const Mat& ZZ, const RowVec& tt) { return (A.array() * mm.eval(ZZ, tt).array()).sum(); };
        const Vec z_flat = Eigen::Map<const Vec>(Z.data(), Z.size());
        const Vec gz = test::central_gradient(
            [&](const Vec& z) { return scalar(m, Eigen::Map<const Mat>(z.data(), 3, 3), t); }, z_flat);
        CHECK(test::rel_err(Eigen::Map<const Vec>(dZ.data(), dZ.size()), gz) < 1e-8);
        const Vec gt = test::central_gradient([&](const Vec& tv) { return scalar(m, Z, tv.transpose()); }, t.transpose());
        CHECK(test::rel_err(dt.transpose(), gt) < 1e-8);
        Mlp mm = m;
        const Vec gth = test::central_gradient(
            [&](const Vec& th) { mm.params() = th; return scalar(mm, Z, t); }, m.params());
        CHECK(test::rel_err(dtheta, gth) < 1e-8);
      }
    }
  }
}

TEST_CASE("MLP without time input has zero time derivative") {
  const Mlp m = make(Activation::Tanh, false, 0);
  RowVec dt;
  m.vjp(random_mat(2, 2, 5), RowVec::Zero(2), random_mat(2, 2, 6), nullptr, nullptr, &dt);
  CHECK(dt.isZero(0.0));
}

TEST_CASE("MLP Jacobian - divergence and Frobenius norm agree with differences") {
  const Mlp m = make(Activation::Silu, true, 0);
  const Vec z = Vec::Random(2);
  const double t = 0.3;
  const Mat J = m.jacobian(z, t);
  Mat Jfd(2, 2);
  for (int j = 0; j < 2; ++j) {
    Vec zp = z, zm = z;
    zp[j] += 1e-6;
    zm[j] -= 1e-6;
    Jfd.col(j) = (m.eval(zp, t) - m.eval(zm, t)) / 2e-6;
  }
  CHECK((J - Jfd).norm() < 1e-8 * (1 + J.norm()));
  CHECK(m.divergence(Mat(z), RowVec::Constant(1, t))[0] == Approx(J.trace()).epsilon(1e-12));
  CHECK(m.jacobian_frobenius(Mat(z), RowVec::Constant(1, t))[0] == Approx(J.squaredNorm()).epsilon(1e-12));
}

TEST_CASE("Gradients of the divergence and of the Jacobian norm agree with central differences") {
  for (Activation act : {Activation::Tanh, Activation::Softplus, Activation::Silu}) {
    DYNAMIC_SECTION("activation " << to_string(act)) {
      const Mlp m = make(act, true, 1);
      const Mat Z = random_mat(3, 2, 11);
      const RowVec t = RowVec::LinSpaced(2, 0.1, 0.4);
      const RowVec w = (RowVec(2) << 0.7, -1.3).finished();
      const Vec z_flat = Eigen::Map<const Vec>(Z.data(), Z.size());
      Mlp mm = m;
      for (int which = 0; which < 2; ++which) {
        auto value = [&](const Mlp& net, const Mat& ZZ) {
          const RowVec v = which == 0 ? net.divergence(ZZ, t) : net.jacobian_frobenius(ZZ, t);
          return (v.array() * w.array()).sum();
        };
        Mat dZ;
        Vec dtheta;
        if (which == 0) m.divergence_grad(Z, t, w, &dZ, &dtheta);
        else m.jacobian_frobenius_grad(Z, t, w, &dZ, &dtheta);
        const Vec gz = test::central_gradient(
            [&](const Vec& z) { return value(m, Eigen::Map<const Mat>(z.data(), 3, 2)); }, z_flat, 1e-5);
        CHECK(test::rel_err(Eigen::Map<const Vec>(dZ.data(), dZ.size()), gz) < 1e-7);
        const Vec gth = test::central_gradient([&](const Vec& th) { mm.params() = th; return value(mm, Z); }, m.params(), 1e-5);
        CHECK(test::rel_err(dtheta, gth) < 1e-7);
      }
    }
  }
}

TEST_CASE("Second-order passes: split value/tangent products equal the Dual-scalar reference") {
  for (Activation act : {Activation::Tanh, Activation::Softplus, Activation::Silu}) {
    for (InputMap input : {InputMap::Identity, InputMap::Cube}) {
      DYNAMIC_SECTION("activation " << to_string(act) << (input == InputMap::Cube ? ", cube input" : "")) {
        const Mlp m = make(act, true, 1, input);
        // 300 columns: more than one block of the split pass.
        const Mat Z = random_mat(3, 300, 5);
        const RowVec t = RowVec::LinSpaced(300, -0.5, 0.8);
        const RowVec w = random_mat(1, 300, 6);
        const std::vector<Mat> A{random_mat(3, 300, 8), random_mat(3, 300, 9)};
        const std::vector<Mat> U{random_mat(3, 300, 10), random_mat(3, 300, 11)};
        Mat dZ, dZ_ref;
        Vec dth = Vec::Constant(m.num_params(), 0.25), dth_ref = dth;  // both accumulate into θ's gradient
        m.second_order(Z, t, A, U, w, &dZ, &dth);
        m.second_order_dual(Z, t, A, U, w, &dZ_ref, &dth_ref);
        CHECK(test::rel_err(Eigen::Map<const Vec>(dZ.data(), dZ.size()), Eigen::Map<const Vec>(dZ_ref.data(), dZ_ref.size())) < 1e-12);
        CHECK(test::rel_err(dth, dth_ref) < 1e-12);
        Vec only_theta = Vec::Zero(m.num_params()), only_theta_ref = only_theta;
        m.second_order(Z, t, A, U, w, nullptr, &only_theta);
        m.second_order_dual(Z, t, A, U, w, nullptr, &only_theta_ref);
        CHECK(test::rel_err(only_theta, only_theta_ref) < 1e-12);
      }
    }
  }
}
