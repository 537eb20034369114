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

Index field_block(const Trainer& t) {
  const double macs = std::max<double>(1.0, static_cast<double>(t.mlp().num_params()));
  return static_cast<Index>(std::clamp(std::floor(33554432.0 / macs), 1.0, 4096.0));
}

void grid_block(const GridSpec& g, const Vec& offset, Index first, Index count, Mat& pts) {
  const Index d = offset.size();
  pts.resize(d, count);
  for (Index j = 2; j < d; ++j) pts.row(j).setConstant(offset[j]);
  for (Index k = 0; k < count; ++k) {
    const Index r = (first + k) / g.nx, c = (first + k) % g.nx;
    pts(0, k) = g.xmin + (g.xmax - g.xmin) * static_cast<double>(c) / (g.nx - 1);
    if (d > 1) pts(1, k) = g.ymin + (g.ymax - g.ymin) * static_cast<double>(r) / (g.ny - 1);
  }
}

Mat sample_grid(const Trainer& t, const GridSpec& g, const Deadline& deadline) {
  const int d = t.config().mlp.dim;
  const Index m = static_cast<Index>(g.nx) * g.ny, block = field_block(t);
  const bool one_block = d == 2 && block >= m;  // a planar field in one block (a 64×64 grid of a small net)
  Mat out(2, one_block ? 0 : m);  // every entry written below (row 1 zero for a 1-D field)
  if (d < 2) out.setZero();
  Mat pts;
  for (Index first = 0; first < m; first += block) {
    if (deadline.passed()) return Mat();
    const Index count = std::min(block, m - first);
    grid_block(g, t.normalization().offset, first, count, pts);
    Mat v = t.field(pts, g.t, g.single);
    if (one_block) return v;  // the result as it is: no copy, and `out` was never allocated
    out.block(0, first, std::min<Index>(2, d), count) = v.topRows(std::min<Index>(2, d));
  }
  return out;
}

Mat sample_field(const Trainer& t, const Mat& points, double time, const Deadline& deadline) {
  const Index m = points.cols(), block = field_block(t);
  if (block >= m) return t.field(points, time);
  Mat out(points.rows(), m);
  for (Index first = 0; first < m; first += block) {
    if (deadline.passed()) return Mat();
    const Index count = std::min(block, m - first);
    out.middleCols(first, count) = t.field(points.middleCols(first, count), time);
  }
  return out;
}

}  // namespace nde
