#include "nde/grid.hpp"

#include <catch2/catch.hpp>

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
