// The tiny-net kernels: the vectorised tanh against libm, the float32 field against the float64 one.
#include "nde/kernels.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <limits>

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
