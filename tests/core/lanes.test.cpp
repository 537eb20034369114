// The points-in-lanes float32 kernels of field sampling: their tanh, and eval_single through them against the
// former row-by-row path and against float64, on odd point counts and odd widths.
#include "nde/lanes.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include "nde/mlp.hpp"
#include "nde/out_of_line.hpp"
#include "nde/rng.hpp"

using namespace nde;

namespace {
/// tanh of x by a width's `tanhv` (Kn: f32x4::Kernels or f32x8::Kernels), the constants splatted for it.
template <class Kn>
void tanh_lanes(const std::vector<float>& x, std::vector<float>& y) {
  alignas(32) float K[kernels::kTanhCount * 8];
  kernels::put_tanh_constants(K, Kn::lanes);
  struct alignas(32) Eight { float f[8]; };
  std::vector<Eight> in(x.size() / 8), out(x.size() / 8);
  std::memcpy(in.data(), x.data(), x.size() * sizeof(float));
  Kn::tanh(K, in.front().f, static_cast<Index>(x.size()), out.front().f);
  y.assign(out.front().f, out.front().f + x.size());
}
}  // namespace

TEST_CASE("The float tanh of the lanes (four, and eight with AVX2 and FMA) is within 11 float ulps of libm's over a dense sweep of [-10, 10], odd, and keeps NaN") {
  // Every 61st float in [0, 10] (~18 M, down to the subnormals) and its negative, and the extremes; the exhaustive sweep
  // of all floats in [0, 10] (a one-off run, four lanes) gave at most 11.0 ulps, 6.56e-7 absolute, 6.60e-7 relative.
  std::vector<float> x;
  const float ten = 10.0f;
  std::uint32_t top;
  std::memcpy(&top, &ten, sizeof top);
  for (std::uint32_t u = 0; u <= top; u += 61) {
    float v;
    std::memcpy(&v, &u, sizeof v);
    x.push_back(v);
    x.push_back(-v);
  }
  for (float v : {1e-30f, -1e-8f, 3e-5f, 2.86182f, 4.15492f, 7.9f, 8.0f, -9.5f, 88.0f, -1e30f, std::numeric_limits<float>::infinity()})
    x.push_back(v);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  for (float v : {nan, 1.0f, nan, -1.0f}) x.push_back(v);  // the NaN lanes: at a multiple of 4 from the end
  while (x.size() % 8) x.insert(x.end() - 4, 0.5f);
  std::vector<float> neg(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) neg[i] = -x[i];
  auto check = [&](const std::vector<float>& y, const std::vector<float>& yn) {
    double worst_rel = 0, worst_abs = 0, worst_ulps = 0;
    bool odd = true;
    for (std::size_t i = 0; i + 4 < x.size(); ++i) {
      const double ref = std::tanh(static_cast<double>(x[i]));
      const float r = std::abs(static_cast<float>(ref));
      const double err = std::abs(y[i] - ref), ulp = std::nextafter(r, 2.0f) - r;
      worst_abs = std::max(worst_abs, err);
      worst_rel = std::max(worst_rel, err / std::max(std::abs(ref), 1e-300));
      worst_ulps = std::max(worst_ulps, err / ulp);
      odd = odd && yn[i] == -y[i];
    }
    INFO("worst " << worst_ulps << " ulps, relative error " << worst_rel << ", absolute " << worst_abs);
    CHECK(worst_ulps <= 11.5);
    CHECK(worst_rel <= 6 * std::numeric_limits<float>::epsilon());
    CHECK(worst_abs <= 6 * std::numeric_limits<float>::epsilon());
    CHECK(odd);
    const std::size_t e = x.size() - 4;
    CHECK(std::isnan(y[e]));
    CHECK(std::isnan(y[e + 2]));
    CHECK(y[e + 1] == Approx(std::tanh(1.0)).epsilon(1e-6));
  };
  std::vector<float> y, yn;
  {
    INFO("four lanes");
    tanh_lanes<kernels::f32x4::Kernels>(x, y);
    tanh_lanes<kernels::f32x4::Kernels>(neg, yn);
    check(y, yn);
    float one[4];
    kernels::store(one, kernels::tanh4(kernels::F4{nan, 1.0f, -0.5f, 0.0f}));  // the one-off form: the same
    CHECK(std::isnan(one[0]));
    CHECK(one[1] == y[x.size() - 3]);
  }
#if defined(NDE_LANES32_EIGHT)
  if (kernels::lanes_eight_available()) {
    INFO("eight lanes (AVX2 + FMA)");
    tanh_lanes<kernels::f32x8::Kernels>(x, y);
    tanh_lanes<kernels::f32x8::Kernels>(neg, yn);
    check(y, yn);
  } else {
    WARN("this CPU has no AVX2 + FMA: the eight-lane tanh is not tested here");
  }
#else
  WARN("built without the eight-lane kernels (not GCC on x86-64): only four lanes tested");
#endif
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
      const Mat f64 = m.eval(Z, RowVec::Constant(cols, 0.4));
      // Four lanes, and eight where the CPU has AVX2 and FMA (the default there).
      for (int width : {4, 8}) {
        if (width == 8 && !kernels::lanes_eight_available()) continue;
        kernels::set_lanes_avx2(width == 8);
        const int used = kernels::lanes_width();
        const Mat lanes = m.eval_single(Z, 0.4);
        kernels::set_lanes_avx2(true);  // before any REQUIRE: later tests run at the default width
        REQUIRE(used == width);
        REQUIRE(lanes.rows() == f64.rows());
        REQUIRE(lanes.cols() == cols);
        const double scale = f64.cwiseAbs().maxCoeff();
        INFO("hidden layers " << k.hidden.size() << ", first " << k.hidden[0] << ", state " << m.state_dim() << ", "
                              << cols << " points, " << width << " lanes");
        CHECK((lanes - rows).cwiseAbs().maxCoeff() <= 1e-5 * scale);
        CHECK((lanes - f64).cwiseAbs().maxCoeff() <= 1e-5 * scale);
        CHECK((lanes - f64).norm() <= 1e-5 * f64.norm());
      }
    }
  }
  if (!kernels::lanes_eight_available()) WARN("no eight-lane kernels on this build or CPU: four lanes only");
}

namespace {
/// n floats, 32-byte aligned (a vector of either width).
struct Floats {
  struct alignas(32) Eight { float f[8]; };
  explicit Floats(Index n) : v(static_cast<std::size_t>((n + 7) / 8)) {}
  float* data() { return v.front().f; }
  std::vector<Eight> v;
};

/// One width's thin kernels (Kn: f32x4::Kernels or f32x8::Kernels), chosen by width at run time through out_of_line
/// as eval_single calls them, and its wide layer, against a double reference.
template <class Kn>
void check_kernels() {
  constexpr int L = Kn::lanes;
  Rng r(11);
  Floats K(kernels::kTanhCount * L);
  kernels::put_tanh_constants(K.data(), L);
  for (Index in = 1; in <= 4; ++in)
    for (Index out = 1; out <= 4; ++out)
      for (Index H : {1, 7})
        for (Index NB : {16, 48}) {
          std::vector<float> W1(static_cast<std::size_t>(H * in)), b1(static_cast<std::size_t>(H)),
              W2(static_cast<std::size_t>(out * H)), b2(static_cast<std::size_t>(out));
          for (auto* w : {&W1, &b1, &W2, &b2})
            for (float& x : *w) x = static_cast<float>(r.uniform(-1, 1));
          Floats X(in * NB), Y(out * NB), A(H * NB), Y2(out * NB), Sf(L * (H * (in + 1 + out) + out)),
              Sr(L * H * (in + 1)), Sc(L * (H * out + out));
          for (Index k = 0; k < in * NB; ++k) X.data()[k] = static_cast<float>(r.uniform(-2, 2));
          kernels::splat_fused(W1.data(), b1.data(), H, in, W2.data(), b2.data(), out, Sf.data(), L);
          kernels::splat_rows(W1.data(), b1.data(), H, in, Sr.data(), L);
          kernels::splat_columns(W2.data(), b2.data(), out, H, Sc.data(), L);
          kernels::with_width(in, [&](auto i) {
            kernels::with_width(out, [&](auto o) {
              kernels::out_of_line(Kn::template fused<decltype(i)::value, decltype(o)::value>, K.data(), Sf.data(), H,
                                   X.data(), NB, Y.data());
            });
            kernels::out_of_line(Kn::template in_tanh<decltype(i)::value>, K.data(), Sr.data(), H, X.data(), NB, A.data());
          });
          kernels::with_width(out, [&](auto o) {
            kernels::out_of_line(Kn::template out<decltype(o)::value>, Sc.data(), H, A.data(), NB, Y2.data());
          });
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
          INFO(L << " lanes, " << in << " inputs, " << out << " outputs, " << H << " hidden, " << NB << " points");
          CHECK(worst <= 1e-5);
          CHECK(worst_hidden <= 1e-5);
          CHECK(worst_split <= 1e-5);
        }
  // The wide layer: widths that fill no tile (the eight-lane tiles take six outputs, then 4, 2, 1).
  for (Index wout : {1, 5, 9, 32})
    for (Index win : {3, 32})
      for (Index NB : {16, 48}) {
        std::vector<float> W(static_cast<std::size_t>(wout * win)), b(static_cast<std::size_t>(wout));
        for (auto* w : {&W, &b})
          for (float& x : *w) x = static_cast<float>(r.uniform(-0.5, 0.5));
        Floats X(win * NB), Y(wout * NB);
        for (Index k = 0; k < win * NB; ++k) X.data()[k] = static_cast<float>(r.uniform(-1, 1));
        Kn::wide(K.data(), W.data(), b.data(), wout, win, X.data(), NB, Y.data());
        double worst = 0;
        for (Index p = 0; p < NB; ++p)
          for (Index j = 0; j < wout; ++j) {
            double a = b[static_cast<std::size_t>(j)];
            for (Index k = 0; k < win; ++k) a += double(W[static_cast<std::size_t>(j + k * wout)]) * X.data()[k * NB + p];
            worst = std::max(worst, std::abs(Y.data()[j * NB + p] - std::tanh(a)));
          }
        INFO(L << " lanes, wide layer " << win << " -> " << wout << ", " << NB << " points");
        CHECK(worst <= 2e-6);
      }
}
}  // namespace

TEST_CASE("The thin kernels chosen by width at run time (every width 1-4) and the wide layer match a double reference at four and eight lanes, groups of 2 or 4 vectors alike") {
  check_kernels<kernels::f32x4::Kernels>();
#if defined(NDE_LANES32_EIGHT)
  if (kernels::lanes_eight_available()) check_kernels<kernels::f32x8::Kernels>();
  else WARN("this CPU has no AVX2 + FMA: the eight-lane kernels are not tested here");
#else
  WARN("built without the eight-lane kernels (not GCC on x86-64): only four lanes tested");
#endif
  // The replica's widths: a group of 2 vectors (native) and of 4 (wasm), bit for bit.
  Rng r(3);
  const Index H = 7, NB = 48;
  Floats K(kernels::kTanhFloats), X(2 * NB), Sf(4 * (H * 5 + 2)), Y(2 * NB), Y4(2 * NB);
  kernels::put_tanh_constants(K.data());
  for (Index k = 0; k < 2 * NB; ++k) X.data()[k] = static_cast<float>(r.uniform(-2, 2));
  for (Index k = 0; k < 4 * (H * 5 + 2); ++k) Sf.data()[k] = static_cast<float>(r.uniform(-1, 1));
  kernels::thin_fused<2, 2, 2>(K.data(), Sf.data(), H, X.data(), NB, Y.data());
  kernels::thin_fused<2, 2, 4>(K.data(), Sf.data(), H, X.data(), NB, Y4.data());
  for (Index k = 0; k < 2 * NB; ++k) CHECK(Y.data()[k] == Y4.data()[k]);
}

TEST_CASE("The lanes' vector conversions (planar points in, planar field out, doubles to floats) equal the scalar casts bit for bit") {
  Rng r(5);
  for (Index n : {0, 1, 3, 4, 7, 16, 129}) {
    std::vector<double> z(static_cast<std::size_t>(2 * n)), back(static_cast<std::size_t>(2 * n));
    for (double& v : z) v = r.uniform(-3, 3) * std::pow(10.0, r.uniform(-8, 8));
    Floats x0(n + 4), x1(n + 4), c0(n + 4), c1(n + 4), f(2 * n + 4);
    kernels::planar_to_lanes<true>(z.data(), n, x0.data(), x1.data());
    kernels::planar_to_lanes<false>(z.data(), n, c0.data(), c1.data());
    kernels::to_floats(z.data(), 2 * n, f.data());
    kernels::lanes_to_planar(x0.data(), x1.data(), n, back.data());
    INFO(n << " points");
    for (Index c = 0; c < n; ++c) {
      const double u = z[static_cast<std::size_t>(2 * c)], v = z[static_cast<std::size_t>(2 * c + 1)];
      CHECK(x0.data()[c] == static_cast<float>(u * u * u));
      CHECK(x1.data()[c] == static_cast<float>(v * v * v));
      CHECK(c0.data()[c] == static_cast<float>(u));
      CHECK(c1.data()[c] == static_cast<float>(v));
      CHECK(f.data()[2 * c] == static_cast<float>(u));
      CHECK(f.data()[2 * c + 1] == static_cast<float>(v));
      CHECK(back[static_cast<std::size_t>(2 * c)] == static_cast<double>(x0.data()[c]));
      CHECK(back[static_cast<std::size_t>(2 * c + 1)] == static_cast<double>(x1.data()[c]));
    }
  }
}
