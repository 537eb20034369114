#include "nde/grid.hpp"

#include <cmath>

namespace nde {

std::string validate(const GridSpec& g) {
  for (double v : {g.xmin, g.xmax, g.ymin, g.ymax, g.t})
    if (!std::isfinite(v)) return "grid bounds and time must be finite";
  if (!(g.xmax > g.xmin) || !(g.ymax > g.ymin)) return "grid needs xmax > xmin and ymax > ymin";
  if (g.nx < 2 || g.ny < 2 || g.nx > 2048 || g.ny > 2048) return "grid nx and ny must be integers in [2, 2048]";
  return {};
}

Mat sample_grid(const Trainer& t, const GridSpec& g) {
  const int d = t.config().mlp.dim;
  const Index m = static_cast<Index>(g.nx) * g.ny;
  Mat pts(d, m);
  for (int j = 0; j < d; ++j) pts.row(j).setConstant(t.normalization().offset[j]);
  for (int r = 0; r < g.ny; ++r) {
    const double y = g.ymin + (g.ymax - g.ymin) * r / (g.ny - 1);
    for (int c = 0; c < g.nx; ++c) {
      const Index k = static_cast<Index>(r) * g.nx + c;
      pts(0, k) = g.xmin + (g.xmax - g.xmin) * c / (g.nx - 1);
      if (d > 1) pts(1, k) = y;
    }
  }
  const Mat v = t.field(pts, g.t);
  Mat out = Mat::Zero(2, m);
  out.topRows(std::min<Index>(2, d)) = v.topRows(std::min<Index>(2, d));
  return out;
}

}  // namespace nde
