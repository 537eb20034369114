#include "nde/grid.hpp"

#include <catch2/catch.hpp>

#include "nde/rng.hpp"
#include "nde/trainer.hpp"

using namespace nde;

TEST_CASE("The grid samples the learned field row by row from ymin") {
  TrainerConfig c;
  c.mlp.hidden = {8};
  Trainer t(c);
  GridSpec g;
  g.xmin = -1;
  g.xmax = 2;
  g.ymin = 0;
  g.ymax = 1;
  g.nx = 4;
  g.ny = 3;
  REQUIRE(validate(g).ok());
  const Mat v = sample_grid(t, g);
  REQUIRE(v.cols() == 12);
  // Row 1 (y = 0.5), column 2 (x = 1).
  const Vec p = (Vec(2) << 1.0, 0.5).finished();
  CHECK((v.col(1 * 4 + 2) - t.field(Mat(p), 0.0, true).col(0)).norm() < 1e-15);
  g.single = false;
  CHECK((sample_grid(t, g).col(1 * 4 + 2) - t.field(Mat(p), 0.0).col(0)).norm() < 1e-15);
  g.nx = 1;
  CHECK_FALSE(validate(g).ok());
  g.nx = 4;
  g.xmax = g.xmin;
  CHECK_FALSE(validate(g).ok());
}

TEST_CASE("A planar field (the grids' vector path) equals the normalised network's output scaled back, bit for bit") {
  TrainerConfig c;
  c.mlp.hidden = {8};
  Trainer t(c);
  Trajectory tr;
  tr.times = {0, 10, 20, 40};
  tr.states = Mat(2, 4);
  tr.states << 3, 5, 8, 9, -20, -12, -7, -5;
  REQUIRE(t.add_trajectory(tr).ok());
  const Normalization& n = t.normalization();
  INFO("offset " << n.offset.transpose() << ", scale " << n.scale.transpose() << ", time " << n.time);
  REQUIRE(n.offset.cwiseAbs().minCoeff() > 0);
  REQUIRE(n.scale(0) != n.scale(1));
  Rng r(3);
  for (Index cols : {1, 7, 300}) {
    Mat P(2, cols);
    for (Index k = 0; k < P.size(); ++k) P(k) = r.uniform(-10, 10);
    Mat Z(2, cols);
    for (Index k = 0; k < cols; ++k)
      for (Index i = 0; i < 2; ++i) Z(i, k) = (P(i, k) - n.offset[i]) / n.scale[i];
    for (bool single : {false, true}) {
      const double tm = 0.7 / n.time;
      const Mat F = single ? t.mlp().eval_single(Z, tm) : t.mlp().eval(Z, RowVec::Constant(cols, tm));
      Mat want(2, cols);
      for (Index k = 0; k < cols; ++k)
        for (Index i = 0; i < 2; ++i) want(i, k) = F(i, k) * n.scale[i] / n.time;
      INFO(cols << " points, " << (single ? "float32" : "float64"));
      CHECK(t.field(P, 0.7, single) == want);
    }
  }
}

TEST_CASE("Field sampling goes in blocks of field_block points and stops between blocks at its deadline") {
  TrainerConfig c;
  c.mlp.hidden = {1024, 1024};  // about 1.05 M parameters: blocks of 31 points
  const Trainer t(c);
  REQUIRE(field_block(t) == 31);
  Rng rng(3);
  Mat pts(2, 70);
  for (Index k = 0; k < pts.size(); ++k) pts.data()[k] = rng.normal();
  const Mat whole = t.field(pts, 0.5);
  CHECK(sample_field(t, pts, 0.5) == whole);  // 3 blocks, the same numbers
  const Mat in_time = sample_field(t, pts, 0.5, Deadline::after_checks(3));  // a check before each block
  REQUIRE(in_time.cols() == 70);
  CHECK(in_time == whole);
  CHECK(sample_field(t, pts, 0.5, Deadline::after_checks(2)).cols() == 0);
  GridSpec g;
  g.nx = 10;
  g.ny = 7;
  g.single = false;
  const Mat grid = sample_grid(t, g);
  REQUIRE(grid.cols() == 70);
  CHECK(sample_grid(t, g, Deadline::after_checks(2)).cols() == 0);  // a grid of 3 blocks needs 3 checks
  const Mat grid_in_time = sample_grid(t, g, Deadline::after_checks(3));
  REQUIRE(grid_in_time.cols() == 70);
  CHECK(grid_in_time == grid);
  // Point 43: row 4 (y = 1), column 3 (x = -1).
  const Vec p = (Vec(2) << -1.0, 1.0).finished();
  CHECK((grid.col(43) - t.field(Mat(p), 0.0).col(0)).norm() < 1e-15);
}
