// The float64 points-in-lanes training kernels: their tanh against the row path's (two lanes) and libm's (four), and
// Mlp::forward / backward through them (two lanes, and four with AVX2) against the former row path on random thin nets
// with one and two hidden layers, odd point counts and every output combination, also on reverse-only tapes.
#include "nde/lanes64.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "nde/mlp.hpp"
#include "nde/rng.hpp"

using namespace nde;

namespace {
/// Inputs of the tanh tests: a dense sweep of [-21.9, 21.9], then tiny, saturated, infinite and NaN values (even count).
std::vector<double> tanh_inputs() {
  std::vector<double> x;
  for (int i = -30000; i <= 30000; ++i) x.push_back(i * 7.3e-4);
  for (double v : {1e-300, -1e-17, 3e-9, 19.9, 20.0, -20.5, 700.0, -1e300, std::numeric_limits<double>::infinity(),
                   -std::numeric_limits<double>::infinity(), std::numeric_limits<double>::quiet_NaN()})
    x.push_back(v);
  if (x.size() % 4) x.resize(x.size() + 4 - x.size() % 4, 0.25);
  return x;
}

/// A time-dependent net with the given hidden layers, weights large enough that the hidden units leave tanh's linear
/// range (init std 0.7), initialised from `seed`.
Mlp time_net(const std::vector<int>& hidden, std::uint64_t seed) {
  MlpConfig c;
  c.hidden = hidden;
  c.time_dependent = true;
  c.init_std = 0.7;
  Mlp m(c);
  m.init(seed);
  return m;
}

#if defined(NDE_AVX2_PRAGMA) || defined(__AVX2__)
/// The four-lane tanh of every x, four at a time; compiled for AVX2 + FMA.
#if defined(NDE_AVX2_PRAGMA)
__attribute__((target("avx2,fma")))
#endif
std::vector<double> tanh_four_lanes(const std::vector<double>& x) {
  std::vector<double> y(x.size());
  for (std::size_t i = 0; i < x.size(); i += 4) {
    const kernels::lanes4::V a = kernels::lanes4::tanhv(kernels::lanes4::V{x[i], x[i + 1], x[i + 2], x[i + 3]}, nullptr);
    for (int l = 0; l < 4; ++l) y[i + l] = a[l];
  }
  return y;
}
#endif
}  // namespace

TEST_CASE("The four-lane double tanh (its own shorter FMA chain) is within a few ulps of libm's and keeps NaN") {
#if defined(NDE_AVX2_PRAGMA) || defined(__AVX2__)
  if (kernels::lanes_training_width() != 4) {  // no AVX2 + FMA on this CPU: the kernels are not used (said in the log)
    WARN("no AVX2 + FMA on this CPU: the four-lane tanh is not used here and not checked");
    return;
  }
  const std::vector<double> x = tanh_inputs();
  const std::vector<double> y = tanh_four_lanes(x);
  double worst = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (std::isnan(x[i])) {
      CHECK(std::isnan(y[i]));
      continue;
    }
    const double ref = std::tanh(x[i]);
    worst = std::max(worst, std::abs(y[i] - ref) / std::max(std::abs(ref), 1e-300));
  }
  INFO("worst relative error " << worst);
  CHECK(worst <= 4 * std::numeric_limits<double>::epsilon());
#endif
}

TEST_CASE("The two-lane double tanh equals the row path's tanh bit for bit, and keeps NaN") {
  const std::vector<double> x = tanh_inputs();
  std::vector<double> rows = x;
  kernels::tanh_inplace(rows.data(), static_cast<Index>(rows.size()));
  alignas(16) double K[2 * kernels::kTanh2Count];
  kernels::put_tanh2_constants(K, 2);
  int differ = 0;
  double worst = 0;
  for (std::size_t i = 0; i < x.size(); i += 2) {
    const kernels::lanes2::V y = kernels::lanes2::tanhv(kernels::lanes2::V{x[i], x[i + 1]}, K);
    for (int l = 0; l < 2; ++l) {
      const double a = y[l], b = rows[i + static_cast<std::size_t>(l)];
      if (std::isnan(b)) CHECK(std::isnan(a));
      else if (std::memcmp(&a, &b, sizeof a) != 0) ++differ;
      if (std::isfinite(x[i + l])) worst = std::max(worst, std::abs(a - std::tanh(x[i + l])));
    }
  }
  CHECK(differ == 0);
  CHECK(worst <= 4 * std::numeric_limits<double>::epsilon());
}

TEST_CASE("Training passes through the float64 points-in-lanes kernels equal the row path to rounding") {
  struct Case { int dim; std::vector<int> hidden; InputMap input; bool time; int augment; };
  // 1–4 inputs (state, time, augmented dimensions) and 1–4 outputs; one hidden layer (the replica's) or two (the
  // page's 2-32-32-2); widths that fill no vector, unit block (4) or tile evenly.
  for (const Case& k : {Case{2, {50}, InputMap::Cube, false, 0}, Case{2, {5}, InputMap::Identity, true, 0},
                        Case{2, {37}, InputMap::Identity, true, 1}, Case{1, {9}, InputMap::Cube, false, 0},
                        Case{3, {16}, InputMap::Identity, false, 1}, Case{1, {1}, InputMap::Identity, true, 0},
                        Case{2, {32, 32}, InputMap::Identity, false, 0}, Case{2, {32, 32}, InputMap::Cube, true, 0},
                        Case{2, {7, 13}, InputMap::Identity, true, 1}, Case{1, {33, 9}, InputMap::Cube, false, 0},
                        Case{3, {5, 3}, InputMap::Identity, false, 1}, Case{1, {1, 1}, InputMap::Identity, true, 0},
                        Case{2, {16, 41}, InputMap::Identity, false, 0}}) {
    MlpConfig c;
    c.dim = k.dim;
    c.hidden = k.hidden;
    c.input = k.input;
    c.time_dependent = k.time;
    c.augment = k.augment;
    c.init_std = 0.7;  // weights large enough that the hidden units leave tanh's linear range
    Mlp m(c);
    m.init(11);
    Rng r(5);
    for (Index cols : {1, 2, 7, 20, 33}) {
      const Index sd = m.state_dim();
      Mat Z(sd, cols), A(sd, cols);
      RowVec t(cols);
      for (Index i = 0; i < Z.size(); ++i) Z(i) = r.uniform(-2, 2), A(i) = r.uniform(-1, 1);
      for (Index i = 0; i < cols; ++i) t(i) = r.uniform(0, 3);
      // 0: the row path; 1: two lanes; 2: four lanes (AVX2) when the CPU has them, else two again.
      Mat F[3], dZ[3], dZ_only[3];
      Vec dth[3], dth_only[3];
      RowVec dt[3];
      int blocks_differ = 0;
      for (int lanes = 0; lanes < 3; ++lanes) {
        kernels::set_lanes_training(lanes > 0);
        kernels::set_lanes_training_avx2(lanes == 2);
        Mlp::Tape<double> tape;
        m.forward<double>(Z, t, F[lanes], &tape);
        dth[lanes] = Vec::Constant(m.num_params(), 0.5);  // accumulated into
        m.backward<double>(tape, A, &dZ[lanes], &dth[lanes], &dt[lanes]);
        m.backward<double>(tape, A, &dZ_only[lanes], nullptr, nullptr);
        m.backward<double>(tape, A, nullptr, &dth_only[lanes], nullptr);
        // A reverse-only tape (BatchField's): the activations stay in the kernels' layout — the same numbers bit
        // for bit, except two hidden layers' dW2 and db2 with two lanes (lane sums instead of the row path's product:
        // equal to rounding); reversed twice (it stays intact), and once after the kernels were switched off (its
        // activations scattered back for the row path).
        Mlp::Tape<double> blocks;
        blocks.reverse_only = true;
        Mat Fb, dZb, dZb2;
        Vec dthb = Vec::Constant(m.num_params(), 0.5), dthb2 = dthb;
        RowVec dtb, dtb2;
        m.forward<double>(Z, t, Fb, &blocks);
        if (lanes > 0 && cols >= kLanes64MinColumns) CHECK(blocks.in_lanes > 0);
        m.backward<double>(blocks, A, &dZb, &dthb, &dtb);
        m.backward<double>(blocks, A, &dZb2, &dthb2, &dtb2);
        // Two lanes, two hidden layers: layer 2's parameters (after layer 1's, before layer 3's) to rounding.
        const bool dth_rounded = blocks.in_lanes == 2 && k.hidden.size() == 2;
        const Index P = m.num_params(), seg3 = dth_rounded ? m.state_dim() * (k.hidden[1] + 1) : 0,
                    seg2 = dth_rounded ? k.hidden[1] * (k.hidden[0] + 1) : 0, seg1 = P - seg2 - seg3;
        const bool dth_same = dthb.head(seg1) == dth[lanes].head(seg1) && dthb.tail(seg3) == dth[lanes].tail(seg3);
        if (!(Fb == F[lanes] && dZb == dZ[lanes] && dth_same && dtb == dt[lanes] && dZb2 == dZb && dthb2 == dthb))
          ++blocks_differ;
        if (dth_rounded)
          CHECK((dthb - dth[lanes]).segment(seg1, seg2).cwiseAbs().maxCoeff() <=
                1e-13 * std::max(dth[lanes].cwiseAbs().maxCoeff(), 1e-300));
        if (blocks.in_lanes > 0) {
          kernels::set_lanes_training(false);
          Mat dZr;
          Vec dthr = Vec::Constant(m.num_params(), 0.5);
          RowVec dtr;
          m.backward<double>(blocks, A, &dZr, &dthr, &dtr);
          CHECK(blocks.in_lanes == 0);
          const double scale = std::max(dZ[lanes].cwiseAbs().maxCoeff(), 1e-300);
          CHECK((dZr - dZ[lanes]).cwiseAbs().maxCoeff() <= 1e-13 * scale);
          CHECK((dthr - dth[lanes]).cwiseAbs().maxCoeff() <= 1e-13 * std::max(dth[lanes].cwiseAbs().maxCoeff(), 1e-300));
        }
      }
      CHECK(blocks_differ == 0);
      kernels::set_lanes_training(true);
      kernels::set_lanes_training_avx2(true);
      auto close = [](const auto& a, const auto& b) {
        const double scale = std::max(a.cwiseAbs().maxCoeff(), 1e-300);
        return (a - b).cwiseAbs().maxCoeff() <= 1e-13 * scale;
      };
      for (int w = 1; w < 3; ++w) {
        INFO("state " << sd << ", hidden " << k.hidden.front() << (k.hidden.size() > 1 ? "-" + std::to_string(k.hidden.back()) : "") << ", time " << k.time << ", " << cols << " points, "
                      << (w == 1 ? "two lanes" : "four lanes if AVX2"));
        if (w == 1) CHECK(F[w] == F[0]);  // two lanes: the row path's arithmetic in its order
        else CHECK(close(F[w], F[0]));    // four lanes: with FMA (contracted multiply-adds), equal to rounding
        CHECK(close(dZ[w], dZ[0]));
        CHECK(close(dth[w], dth[0]));
        CHECK(close(dt[w], dt[0]));
        CHECK(close(dZ_only[w], dZ[w]));
        CHECK(close(dth_only[w], dth[w] - Vec::Constant(m.num_params(), 0.5)));
        if (!k.time) CHECK(dt[w].isZero());
      }
    }
  }
}

TEST_CASE("A reverse-only tape of a two-hidden-layer net reused across batch sizes and kernel widths gives the column-major tape's numbers") {
  for (const std::vector<int>& hidden : {std::vector<int>{32, 32}, std::vector<int>{7, 13}}) {
    Mlp m = time_net(hidden, 3);
    Rng r(9);
    Mlp::Tape<double> kept;  // reused: sizes up and down, so its buffers are larger than the pass at times
    kept.reverse_only = true;
    const bool four = kernels::lanes_training_width() == 4;
    for (Index cols : {7, 33, 5, 4, 9, 2, 17, 16}) {
      Mat Z(2, cols), A(2, cols);
      RowVec t(cols);
      for (Index i = 0; i < Z.size(); ++i) Z(i) = r.uniform(-2, 2), A(i) = r.uniform(-1, 1);
      for (Index i = 0; i < cols; ++i) t(i) = r.uniform(0, 3);
      // The reference: a column-major tape, the row path's reverse pass.
      Mlp::Tape<double> plain;
      Mat F0, dZ0;
      Vec dth0 = Vec::Zero(m.num_params());
      RowVec dt0;
      kernels::set_lanes_training(false);
      m.forward<double>(Z, t, F0, &plain);
      m.backward<double>(plain, A, &dZ0, &dth0, &dt0);
      kernels::set_lanes_training(true);
      // Forward with four lanes (when the CPU has them), reverse with two: the kernels' layout is scattered back.
      for (bool switch_width : {false, true}) {
        INFO("hidden " << hidden[0] << "-" << hidden[1] << ", " << cols << " points, width switched " << switch_width);
        kernels::set_lanes_training_avx2(true);
        Mat F, dZ;
        Vec dth = Vec::Zero(m.num_params());
        RowVec dt;
        m.forward<double>(Z, t, F, &kept);
        if (cols >= kLanes64MinColumns) CHECK(kept.in_lanes == kernels::lanes_training_width());
        if (switch_width) kernels::set_lanes_training_avx2(false);
        m.backward<double>(kept, A, &dZ, &dth, &dt);
        if (switch_width && four && cols >= kLanes64MinColumns) CHECK(kept.in_lanes == 0);  // scattered back
        kernels::set_lanes_training_avx2(true);
        auto close = [](const auto& a, const auto& b) {
          return (a - b).cwiseAbs().maxCoeff() <= 1e-13 * std::max(b.cwiseAbs().maxCoeff(), 1e-300);
        };
        CHECK(close(F, F0));
        CHECK(close(dZ, dZ0));
        CHECK(close(dth, dth0));
        CHECK(close(dt, dt0));
      }
    }
  }
}

TEST_CASE("The readers other than backward read a reverse-only tape as they read a column-major one (second order, tangents)") {
  // second_order, tangent_forward and backward_tangent read the layers' inputs; a reverse-only tape keeps its hidden
  // activations in the kernels' layout, which they scatter back first (without it they would read empty layers).
  // Both widths: the one-hidden-layer layout (blocks of points) differs between them.
  struct Restore {
    ~Restore() { kernels::set_lanes_training_avx2(true); }
  } restore;
  for (bool four : {true, false})
  for (const std::vector<int>& hidden : {std::vector<int>{50}, std::vector<int>{32, 32}, std::vector<int>{7, 13}}) {
    kernels::set_lanes_training_avx2(four);
    Mlp m = time_net(hidden, 5);
    Rng r(2);
    const Index cols = 19;
    Mat Z(2, cols), A(2, cols), C(2, 2 * cols);
    RowVec t(cols), w(cols);
    for (Index i = 0; i < Z.size(); ++i) Z(i) = r.uniform(-2, 2), A(i) = r.uniform(-1, 1);
    for (Index i = 0; i < C.size(); ++i) C(i) = r.uniform(-1, 1);
    for (Index i = 0; i < cols; ++i) t(i) = r.uniform(0, 3), w(i) = r.uniform(-1, 1);
    INFO("hidden layers " << hidden.size() << ", first " << hidden[0] << ", " << kernels::lanes_training_width() << " lanes");
    Mlp::Tape<double> plain, kept;
    kept.reverse_only = true;
    Mat F0, F;
    m.forward<double>(Z, t, F0, &plain);
    m.forward<double>(Z, t, F, &kept);
    REQUIRE(plain.in_lanes == 0);
    REQUIRE(kept.in_lanes > 0);  // the kernels' layout: inputs[1] empty
    auto close = [](const auto& a, const auto& b) {
      return a.size() == b.size() && (a - b).cwiseAbs().maxCoeff() <= 1e-12 * std::max(b.cwiseAbs().maxCoeff(), 1e-300);
    };
    // The divergence's gradient (second order through the unit directions).
    Mat dZ0, dZ;
    Vec dth0, dth;
    m.divergence_grad(plain, w, &dZ0, &dth0);
    m.divergence_grad(kept, w, &dZ, &dth);
    CHECK(kept.in_lanes == 0);  // scattered back, the pass unchanged
    CHECK(close(dZ, dZ0));
    CHECK(close(dth, dth0));
    // Tangents and the merged reverse pass, from a fresh reverse-only tape.
    m.forward<double>(Z, t, F, &kept);
    REQUIRE(kept.in_lanes > 0);
    Mlp::Tangents tt0, tt;
    tt0.U = Mat::Zero(2, 2 * cols);  // direction i in columns [i·B, (i + 1)·B): the unit directions
    tt0.U.leftCols(cols).row(0).setOnes();
    tt0.U.rightCols(cols).row(1).setOnes();
    tt.U = tt0.U;
    m.tangent_forward(plain, tt0);
    m.tangent_forward(kept, tt);
    CHECK(close(tt.dP.back(), tt0.dP.back()));
    Mat gZ0, gZ;
    Vec gth0, gth;
    m.backward_tangent(plain, tt0, A, C, &gZ0, &gth0);
    m.backward_tangent(kept, tt, A, C, &gZ, &gth);
    CHECK(close(gZ, gZ0));
    CHECK(close(gth, gth0));
    // The tape still reverses with backward.
    Mat bZ0, bZ;
    Vec bth0 = Vec::Zero(m.num_params()), bth = Vec::Zero(m.num_params());
    RowVec bt0, bt;
    m.backward<double>(plain, A, &bZ0, &bth0, &bt0);
    m.backward<double>(kept, A, &bZ, &bth, &bt);
    CHECK(close(bZ, bZ0));
    CHECK(close(bth, bth0));
  }
}
