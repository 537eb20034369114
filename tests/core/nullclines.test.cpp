// Nullclines: marching squares puts the zero contours where the function vanishes.
#include <catch2/catch.hpp>

#include <cmath>

#include "nde/nullclines.hpp"

using namespace nde;

TEST_CASE("Zero contours of a line, a diagonal and a circle lie on them — the nullclines of the toggle switch meet at its equilibria") {
  GridSpec g;
  g.xmin = -2;
  g.xmax = 2;
  g.ymin = -1.5;
  g.ymax = 2.5;
  g.nx = 41;
  g.ny = 37;
  RowVec line(g.nx * g.ny), diag(g.nx * g.ny), circle(g.nx * g.ny);
  for (int r = 0; r < g.ny; ++r)
    for (int c = 0; c < g.nx; ++c) {
      const double x = g.xmin + (g.xmax - g.xmin) * c / (g.nx - 1), y = g.ymin + (g.ymax - g.ymin) * r / (g.ny - 1);
      line[r * g.nx + c] = x - 0.33;
      diag[r * g.nx + c] = y - x;
      circle[r * g.nx + c] = x * x + y * y - 1;
    }
  const Mat L = zero_contour(line, g), D = zero_contour(diag, g), C = zero_contour(circle, g);
  CHECK(L.cols() == g.ny - 1);  // one segment per row of cells
  CHECK((L.row(0).array() - 0.33).abs().maxCoeff() < 1e-12);
  CHECK((L.row(2).array() - 0.33).abs().maxCoeff() < 1e-12);
  CHECK(D.cols() > 0);
  CHECK((D.row(1) - D.row(0)).cwiseAbs().maxCoeff() < 1e-12);
  CHECK((D.row(3) - D.row(2)).cwiseAbs().maxCoeff() < 1e-12);
  // Linear interpolation of x² + y² − 1 across a cell of size 0.1: within a few thousandths of the circle.
  REQUIRE(C.cols() > 40);
  for (Index k = 0; k < C.cols(); ++k) {
    CHECK(std::abs(std::hypot(C(0, k), C(1, k)) - 1) < 5e-3);
    CHECK(std::abs(std::hypot(C(2, k), C(3, k)) - 1) < 5e-3);
  }
  // The circle closes: every endpoint is shared by exactly two segments.
  for (Index k = 0; k < C.cols(); ++k) {
    int shared = 0;
    for (Index j = 0; j < C.cols(); ++j)
      for (int e = 0; e < 2; ++e)
        if (std::hypot(C(2 * e, j) - C(0, k), C(2 * e + 1, j) - C(1, k)) < 1e-12) ++shared;
    CHECK(shared == 2);
  }
}

TEST_CASE("Marching squares resolves the saddle cell by the cell mean") {
  GridSpec g;
  g.xmin = g.ymin = 0;
  g.xmax = g.ymax = 1;
  g.nx = g.ny = 2;
  RowVec v(4);
  v << 1, -1, -1, 1;  // corners (0,0), (1,0), (0,1), (1,1): mean 0 counts as the sign of corner (0,0)
  const Mat S = zero_contour(v, g);
  REQUIRE(S.cols() == 2);
  // Corners (1,0) and (0,1) are cut off: one segment joins the bottom and right edges, the other top and left.
  for (Index k = 0; k < 2; ++k) {
    const bool bottom_right = (S(1, k) == 0 && S(2, k) == 1) || (S(3, k) == 0 && S(0, k) == 1);
    const bool top_left = (S(1, k) == 1 && S(2, k) == 0) || (S(3, k) == 1 && S(0, k) == 0);
    CHECK((bottom_right || top_left));
  }
}
