#include "nde/grid.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

namespace nde {

Result<> validate(const GridSpec& g) {
  for (double v : {g.xmin, g.xmax, g.ymin, g.ymax, g.t})
    if (!std::isfinite(v)) return Result<>::failure("grid bounds and time must be finite");
  if (!(g.xmax > g.xmin) || !(g.ymax > g.ymin)) return Result<>::failure("grid needs xmax > xmin and ymax > ymin");
  if (g.nx < 2 || g.ny < 2 || g.nx > 2048 || g.ny > 2048) return Result<>::failure("grid nx and ny must be integers in [2, 2048]");
  return {};
}

Mat sample_grid(const Trainer& t, const GridSpec& g, const Deadline& deadline) {
  const int d = t.config().mlp.dim;
  const Index m = static_cast<Index>(g.nx) * g.ny;
  const int rows_per_block = std::max(1, static_cast<int>(4096 / g.nx));
  const bool one_block = d == 2 && rows_per_block >= g.ny;  // a planar field in one block (a 64×64 grid)
  Mat out(2, one_block ? 0 : m);  // every entry written below (row 1 zero for a 1-D field)
  if (d < 2) out.setZero();
  std::vector<double> xs(static_cast<std::size_t>(g.nx));
  for (int c = 0; c < g.nx; ++c) xs[static_cast<std::size_t>(c)] = g.xmin + (g.xmax - g.xmin) * c / (g.nx - 1);
  for (int r0 = 0; r0 < g.ny; r0 += rows_per_block) {
    if (deadline.passed()) return Mat();
    const int r1 = std::min(g.ny, r0 + rows_per_block);
    const Index first = static_cast<Index>(r0) * g.nx, count = static_cast<Index>(r1 - r0) * g.nx;
    Mat pts(d, count);
    for (int j = 2; j < d; ++j) pts.row(j).setConstant(t.normalization().offset[j]);
    for (int r = r0; r < r1; ++r) {
      const double y = g.ymin + (g.ymax - g.ymin) * r / (g.ny - 1);
      for (int c = 0; c < g.nx; ++c) {
        const Index k = static_cast<Index>(r) * g.nx + c - first;
        pts(0, k) = xs[static_cast<std::size_t>(c)];
        if (d > 1) pts(1, k) = y;
      }
    }
    Mat v = t.field(pts, g.t, g.single);
    if (one_block) return v;  // the result as it is: no copy, and `out` was never allocated
    out.block(0, first, std::min<Index>(2, d), count) = v.topRows(std::min<Index>(2, d));
  }
  return out;
}

}  // namespace nde
