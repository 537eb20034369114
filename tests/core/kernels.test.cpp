// The tiny-net kernels: the vectorised tanh against libm, the float32 field against the float64 one.
#include "nde/kernels.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <tuple>
#include <type_traits>

#include "nde/grid.hpp"
#include "nde/mlp.hpp"
#include "nde/rng.hpp"

using namespace nde;

TEST_CASE("The vectorised double tanh is within a few ulps of libm's, also near 0 and at the extremes") {
  std::vector<double> x;
  for (int i = -4000; i <= 4000; ++i) x.push_back(i * 0.00731);
  for (double v : {1e-300, -1e-12, 1e-8, 3e-5, 19.9, 20.1, 710.0, -1e308, std::numeric_limits<double>::infinity()}) x.push_back(v);
  std::vector<double> y = x;
  kernels::tanh_inplace(y.data(), static_cast<Index>(y.size()));
  double worst = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double ref = std::tanh(x[i]);
    worst = std::max(worst, std::abs(y[i] - ref) / std::max(std::abs(ref), 1e-300));
  }
  INFO("worst relative error " << worst);
  CHECK(worst <= 4 * std::numeric_limits<double>::epsilon());
  double nan = std::numeric_limits<double>::quiet_NaN();
  kernels::tanh_inplace(&nan, 1);
  CHECK(std::isnan(nan));
}

TEST_CASE("The float32 field agrees with the float64 one to ~1e-5 relative (page net, ode_demo replica, softplus, time input)") {
  struct Case { std::vector<int> hidden; InputMap input; Activation act; bool time; };
  for (const Case& k : {Case{{32, 32}, InputMap::Identity, Activation::Tanh, false},
                        Case{{50}, InputMap::Cube, Activation::Tanh, false},
                        Case{{16, 16}, InputMap::Identity, Activation::Softplus, true}}) {
    MlpConfig c;
    c.hidden = k.hidden;
    c.input = k.input;
    c.activation = k.act;
    c.time_dependent = k.time;
    Mlp m(c);
    m.init(3);
    Rng r(5);
    Mat Z(2, 1000);  // more than one column block
    for (Index i = 0; i < Z.size(); ++i) Z(i) = r.uniform(-2, 2);
    const Mat f64 = m.eval(Z, RowVec::Constant(Z.cols(), 0.7));
    const Mat f32 = m.eval_single(Z, 0.7);
    REQUIRE(f32.rows() == f64.rows());
    REQUIRE(f32.cols() == f64.cols());
    const double rel = (f32 - f64).norm() / f64.norm();
    const double worst = (f32 - f64).cwiseAbs().maxCoeff() / f64.cwiseAbs().maxCoeff();
    INFO("hidden " << k.hidden.size() << " relative error " << rel << ", worst entry " << worst);
    CHECK(rel <= 1e-5);
    CHECK(worst <= 1e-5);
  }
}

TEST_CASE("The tiled products of wide layers (W X + b, Wᵀ G, dW += G Xᵀ) equal Eigen's, remainders included") {
  Rng r(11);
  auto fill = [&](auto& m) { for (Index i = 0; i < m.size(); ++i) m(i) = static_cast<typename std::decay_t<decltype(m)>::Scalar>(r.uniform(-1, 1)); };
  for (const auto& [out, in, B] : {std::tuple<Index, Index, Index>{32, 32, 16}, {37, 33, 7}, {9, 21, 1}, {64, 32, 129}}) {
    Mat W(out, in), X(in, B), G(out, B), dW(out, in), P(out, B), R(in, B);
    Vec b(out);
    fill(W), fill(X), fill(G), fill(dW), fill(b);
    std::vector<double> scratch(static_cast<std::size_t>(out * in));
    kernels::affine_tiled(W.data(), b.data(), out, in, X.data(), B, P.data());
    kernels::affine_transpose_tiled(W.data(), out, in, G.data(), B, R.data(), scratch.data());
    Mat acc = dW;
    kernels::accumulate_outer_tiled(G.data(), out, X.data(), in, B, acc.data());
    INFO(out << " x " << in << ", " << B << " columns");
    CHECK(((P - ((W * X).colwise() + b)).cwiseAbs().maxCoeff()) <= 1e-13);
    CHECK(((R - W.transpose() * G).cwiseAbs().maxCoeff()) <= 1e-13);
    CHECK(((acc - (dW + G * X.transpose())).cwiseAbs().maxCoeff()) <= 1e-13);
    // float: the page's field sampling
    const Eigen::MatrixXf Wf = W.cast<float>(), Xf = X.cast<float>();
    const Eigen::VectorXf bf = b.cast<float>();
    Eigen::MatrixXf Pf(out, B);
    kernels::affine_tiled(Wf.data(), bf.data(), out, in, Xf.data(), B, Pf.data());
    CHECK(((Pf - ((Wf * Xf).colwise() + bf)).cwiseAbs().maxCoeff()) <= 1e-5f);
  }
}

TEST_CASE("A network's forward, backward and divergence gradient agree with the tiled kernel on and off (Eigen's products)") {
  MlpConfig c;
  c.hidden = {32, 37, 24};
  c.time_dependent = true;
  Mlp m(c);
  m.init(7);
  Rng r(2);
  Mat Z(2, 23), A(2, 23);
  for (Index i = 0; i < Z.size(); ++i) Z(i) = r.uniform(-2, 2), A(i) = r.uniform(-1, 1);
  const RowVec t = RowVec::Constant(23, 0.3);
  Mat F[2], dZ[2];
  Vec dth[2];
  RowVec dt[2];
  for (int tiled = 0; tiled < 2; ++tiled) {
    kernels::set_tiled(tiled == 1);
    F[tiled] = m.eval(Z, t);
    m.vjp(Z, t, A, &dZ[tiled], &dth[tiled], &dt[tiled]);
  }
  // The exact trace's gradient (forward-over-reverse, the density step) too.
  Mat gZ[2];
  Vec gth[2];
  for (int tiled = 0; tiled < 2; ++tiled) {
    kernels::set_tiled(tiled == 1);
    m.divergence_grad(Z, t, RowVec::Constant(23, 0.5), &gZ[tiled], &gth[tiled]);
  }
  kernels::set_tiled(true);
  CHECK((gZ[1] - gZ[0]).cwiseAbs().maxCoeff() <= 1e-12);
  CHECK((gth[1] - gth[0]).cwiseAbs().maxCoeff() <= 1e-12);
  CHECK((F[1] - F[0]).cwiseAbs().maxCoeff() <= 1e-13);
  CHECK((dZ[1] - dZ[0]).cwiseAbs().maxCoeff() <= 1e-13);
  CHECK((dth[1] - dth[0]).cwiseAbs().maxCoeff() <= 1e-13);
  CHECK((dt[1] - dt[0]).cwiseAbs().maxCoeff() <= 1e-13);
}
