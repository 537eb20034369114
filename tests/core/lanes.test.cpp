// The points-in-lanes float32 kernels of field sampling: their tanh, and eval_single through them against the
// former row-by-row path and against float64, on odd point counts and odd widths.
#include "nde/lanes.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <vector>

#include "nde/mlp.hpp"
#include "nde/rng.hpp"

using namespace nde;

TEST_CASE("The four-lane float tanh is within 5 float ulps of libm's, near 0 and at the extremes, and keeps NaN") {
  std::vector<float> x;
  for (int i = -12000; i <= 12000; ++i) x.push_back(static_cast<float>(i * 0.00083));
  for (float v : {1e-30f, -1e-8f, 3e-5f, 7.9f, 8.0f, -9.5f, 88.0f, -1e30f, std::numeric_limits<float>::infinity()}) x.push_back(v);
  while (x.size() % kernels::kLanes) x.push_back(0.5f);
  double worst_rel = 0, worst_abs = 0;
  for (std::size_t i = 0; i < x.size(); i += kernels::kLanes) {
    float y[kernels::kLanes];
    kernels::store(y, kernels::tanh4(kernels::load(x.data() + i)));
    for (int l = 0; l < kernels::kLanes; ++l) {
      const double ref = std::tanh(static_cast<double>(x[i + l]));
      worst_abs = std::max(worst_abs, std::abs(y[l] - ref));
      worst_rel = std::max(worst_rel, std::abs(y[l] - ref) / std::max(std::abs(ref), 1e-300));
    }
  }
  INFO("worst relative error " << worst_rel << ", absolute " << worst_abs);
  CHECK(worst_rel <= 5 * std::numeric_limits<float>::epsilon());
  CHECK(worst_abs <= 5 * std::numeric_limits<float>::epsilon());
  const float nan = std::numeric_limits<float>::quiet_NaN();
  float y[kernels::kLanes];
  kernels::store(y, kernels::tanh4(kernels::F4{nan, 1.0f, nan, -1.0f}));
  CHECK(std::isnan(y[0]));
  CHECK(std::isnan(y[2]));
  CHECK(y[1] == Approx(std::tanh(1.0)).epsilon(1e-6));
}

TEST_CASE("Field sampling through the points-in-lanes kernels equals the row-by-row path and float64, odd counts and widths") {
  struct Case { std::vector<int> hidden; InputMap input; bool time; int augment; };
  // One hidden layer (fused kernel), two and three (thin input, wide middle, thin output); 1–4 inputs and 2–3
  // outputs through time and augmented dimensions; widths that fill no tile or vector evenly.
  for (const Case& k : {Case{{50}, InputMap::Cube, false, 0}, Case{{5}, InputMap::Identity, true, 0},
                        Case{{37}, InputMap::Identity, true, 1}, Case{{32, 32}, InputMap::Identity, false, 0},
                        Case{{3, 19}, InputMap::Identity, false, 1}, Case{{33, 7, 9}, InputMap::Cube, true, 0},
                        Case{{17, 18}, InputMap::Identity, true, 2}}) {
    MlpConfig c;
    c.hidden = k.hidden;
    c.input = k.input;
    c.time_dependent = k.time;
    c.augment = k.augment;
    Mlp m(c);
    m.init(9);
    Rng r(4);
    for (Index cols : {1, 7, 13, 16, 129, 300}) {
      Mat Z(m.state_dim(), cols);
      for (Index i = 0; i < Z.size(); ++i) Z(i) = r.uniform(-2, 2);
      kernels::set_lanes(false);
      const Mat rows = m.eval_single(Z, 0.4);
      kernels::set_lanes(true);
      const Mat lanes = m.eval_single(Z, 0.4);
      const Mat f64 = m.eval(Z, RowVec::Constant(cols, 0.4));
      REQUIRE(lanes.rows() == f64.rows());
      REQUIRE(lanes.cols() == cols);
      const double scale = f64.cwiseAbs().maxCoeff();
      INFO("hidden layers " << k.hidden.size() << ", first " << k.hidden[0] << ", state " << m.state_dim() << ", "
                            << cols << " points");
      CHECK((lanes - rows).cwiseAbs().maxCoeff() <= 1e-5 * scale);
      CHECK((lanes - f64).cwiseAbs().maxCoeff() <= 1e-5 * scale);
      CHECK((lanes - f64).norm() <= 1e-5 * f64.norm());
    }
  }
}

namespace {
/// n floats, 16-byte aligned.
struct Floats {
  explicit Floats(Index n) : v(static_cast<std::size_t>((n + 3) / 4)) {}
  float* data() { return reinterpret_cast<float*>(v.data()); }
  std::vector<kernels::F4> v;
};
}  // namespace

TEST_CASE("The thin kernels behind the run-time tables (every width 1-4) match a double reference, groups of 2 or 4 vectors alike") {
  Rng r(11);
  Floats K(kernels::kTanhFloats);
  kernels::put_tanh_constants(K.data());
  for (Index in = 1; in <= 4; ++in)
    for (Index out = 1; out <= 4; ++out)
      for (Index H : {1, 7})
        for (Index NB : {16, 48}) {
          std::vector<float> W1(static_cast<std::size_t>(H * in)), b1(static_cast<std::size_t>(H)),
              W2(static_cast<std::size_t>(out * H)), b2(static_cast<std::size_t>(out));
          for (auto* w : {&W1, &b1, &W2, &b2})
            for (float& x : *w) x = static_cast<float>(r.uniform(-1, 1));
          Floats X(in * NB), Y(out * NB), A(H * NB), Y2(out * NB), Sf(4 * (H * (in + 1 + out) + out)),
              Sr(4 * H * (in + 1)), Sc(4 * (H * out + out));
          for (Index k = 0; k < in * NB; ++k) X.data()[k] = static_cast<float>(r.uniform(-2, 2));
          kernels::splat_fused(W1.data(), b1.data(), H, in, W2.data(), b2.data(), out, Sf.data());
          kernels::splat_rows(W1.data(), b1.data(), H, in, Sr.data());
          kernels::splat_columns(W2.data(), b2.data(), out, H, Sc.data());
          kernels::fused_kernel(in, out)(K.data(), Sf.data(), H, X.data(), NB, Y.data());
          kernels::thin_in_kernel(in)(K.data(), Sr.data(), H, X.data(), NB, A.data());
          kernels::thin_out_kernel(out)(K.data(), Sc.data(), H, A.data(), NB, Y2.data());
          double worst = 0, worst_hidden = 0, worst_split = 0;
          for (Index p = 0; p < NB; ++p)
            for (Index o = 0; o < out; ++o) {
              double y = b2[static_cast<std::size_t>(o)];
              for (Index j = 0; j < H; ++j) {
                double a = b1[static_cast<std::size_t>(j)];
                for (Index i = 0; i < in; ++i) a += double(W1[static_cast<std::size_t>(j + i * H)]) * X.data()[i * NB + p];
                worst_hidden = std::max(worst_hidden, std::abs(A.data()[j * NB + p] - std::tanh(a)));
                y += double(W2[static_cast<std::size_t>(o + j * out)]) * std::tanh(a);
              }
              worst = std::max(worst, std::abs(Y.data()[o * NB + p] - y) / (1 + std::abs(y)));
              worst_split = std::max(worst_split, std::abs(Y2.data()[o * NB + p] - y) / (1 + std::abs(y)));
            }
          INFO(in << " inputs, " << out << " outputs, " << H << " hidden, " << NB << " points");
          CHECK(worst <= 1e-5);
          CHECK(worst_hidden <= 1e-5);
          CHECK(worst_split <= 1e-5);
          if (in == 2 && out == 2) {  // the replica's widths: a group of 2 vectors (native) and of 4 (wasm), bit for bit
            Floats Y4(out * NB);
            kernels::thin_fused<2, 2, 2>(K.data(), Sf.data(), H, X.data(), NB, Y.data());
            kernels::thin_fused<2, 2, 4>(K.data(), Sf.data(), H, X.data(), NB, Y4.data());
            for (Index k = 0; k < out * NB; ++k) CHECK(Y.data()[k] == Y4.data()[k]);
          }
        }
}
