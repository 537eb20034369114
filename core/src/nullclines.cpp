#include "nde/nullclines.hpp"

#include <array>
#include <cmath>
#include <vector>

namespace nde {

Mat zero_contour(const RowVec& v, const GridSpec& g) {
  std::vector<std::array<double, 4>> segs;
  const double dx = (g.xmax - g.xmin) / (g.nx - 1), dy = (g.ymax - g.ymin) / (g.ny - 1);
  for (int r = 0; r + 1 < g.ny; ++r) {
    for (int c = 0; c + 1 < g.nx; ++c) {
      const Index i0 = static_cast<Index>(r) * g.nx + c;
      // Corners counter-clockwise from the bottom left; edges: bottom, right, top, left.
      const double q[4] = {v[i0], v[i0 + 1], v[i0 + g.nx + 1], v[i0 + g.nx]};
      if (!(std::isfinite(q[0]) && std::isfinite(q[1]) && std::isfinite(q[2]) && std::isfinite(q[3]))) continue;
      const double cx[4] = {0, 1, 1, 0}, cy[4] = {0, 0, 1, 1};
      bool cut[4];
      double px[4], py[4];
      int count = 0;
      for (int e = 0; e < 4; ++e) {
        const int a = e, b = (e + 1) % 4;
        cut[e] = (q[a] >= 0) != (q[b] >= 0);
        if (!cut[e]) continue;
        ++count;
        const double s = q[a] / (q[a] - q[b]);
        px[e] = g.xmin + (c + cx[a] + s * (cx[b] - cx[a])) * dx;
        py[e] = g.ymin + (r + cy[a] + s * (cy[b] - cy[a])) * dy;
      }
      auto add = [&](int a, int b) { segs.push_back({px[a], py[a], px[b], py[b]}); };
      if (count == 2) {
        int a = -1, b = -1;
        for (int e = 0; e < 4; ++e)
          if (cut[e]) (a < 0 ? a : b) = e;
        add(a, b);
      } else if (count == 4) {
        const double mean = 0.25 * (q[0] + q[1] + q[2] + q[3]);
        if ((mean >= 0) == (q[0] >= 0)) { add(0, 1); add(2, 3); }  // corners 1 and 3 cut off
        else { add(0, 3); add(1, 2); }                            // corners 0 and 2 cut off
      }
    }
  }
  Mat out(4, static_cast<Index>(segs.size()));
  for (std::size_t k = 0; k < segs.size(); ++k)
    for (int j = 0; j < 4; ++j) out(j, static_cast<Index>(k)) = segs[k][static_cast<std::size_t>(j)];
  return out;
}

Nullclines nullclines(const Mat& velocities, const GridSpec& g) {
  return {zero_contour(velocities.row(0), g), zero_contour(velocities.row(1), g)};
}

}  // namespace nde
