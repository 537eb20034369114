#include "nde/basins.hpp"

#include <algorithm>
#include <cmath>

namespace nde {

BasinFlow start_basins(const PhaseField& f, const GridSpec& grid) {
  BasinFlow b;
  b.states = grid_points(f, grid);
  b.labels.assign(static_cast<std::size_t>(b.states.cols()), kUndecided);
  return b;
}

void advance_basins(const PhaseField& flow, const GridSpec& g, const std::vector<Attractor>& att, const BasinOptions& o,
                    BasinFlow& b) {
  const Index N = b.states.cols(), dim = b.states.rows();
  const double dx = (g.xmax - g.xmin) / (g.nx - 1), dy = (g.ymax - g.ymin) / (g.ny - 1);
  // Equilibria are tested directly; cycles (many points) through a capture raster: the cycle whose capture
  // region holds each grid point, looked up at the point's nearest grid point.
  auto small = [&](std::size_t a) { return att[a].points.cols() <= 4; };
  std::vector<int> capture(static_cast<std::size_t>(N), kUndecided);
  const Mat P = grid_points(flow, g);
  for (std::size_t a = 0; a < att.size(); ++a) {
    if (small(a)) continue;
    for (Index k = 0; k < N; ++k)
      if ((att[a].points.colwise() - P.col(k)).colwise().norm().minCoeff() <= att[a].radius)
        capture[static_cast<std::size_t>(k)] = static_cast<int>(a);
  }
  auto cell = [&](const Vec& z) -> Index {
    const double u = std::round((z[0] - g.xmin) / dx), v = std::round((z[1] - g.ymin) / dy);
    if (!(u >= 0 && v >= 0 && u < g.nx && v < g.ny)) return -1;
    return static_cast<Index>(v) * g.nx + static_cast<Index>(u);
  };
  auto settled = [&](const Vec& z) -> int {
    if (!z.allFinite() || z[0] < o.escape.xmin || z[0] > o.escape.xmax || z[1] < o.escape.ymin || z[1] > o.escape.ymax)
      return kEscaped;
    for (std::size_t a = 0; a < att.size(); ++a)
      if (small(a) && (att[a].points.colwise() - z).colwise().norm().minCoeff() <= att[a].radius) return static_cast<int>(a);
    const Index c = cell(z);
    if (c < 0) {  // outside the grid: test the cycles directly
      for (std::size_t a = 0; a < att.size(); ++a)
        if ((att[a].points.colwise() - z).colwise().norm().minCoeff() <= att[a].radius) return static_cast<int>(a);
      return kUndecided;
    }
    if (capture[static_cast<std::size_t>(c)] >= 0) return capture[static_cast<std::size_t>(c)];
    const int l = b.labels[static_cast<std::size_t>(c)];
    if (l < 0 || !o.adopt) return kUndecided;
    const int cx = static_cast<int>(c % g.nx), cy = static_cast<int>(c / g.nx);
    const int nb[4][2] = {{1, 0}, {-1, 0}, {0, 1}, {0, -1}};
    for (const auto& d : nb) {
      const int x = cx + d[0], y = cy + d[1];
      if (x < 0 || y < 0 || x >= g.nx || y >= g.ny) continue;
      if (b.labels[static_cast<std::size_t>(y) * static_cast<std::size_t>(g.nx) + static_cast<std::size_t>(x)] != l)
        return kUndecided;
    }
    return l;
  };

  std::vector<Index> active;
  for (Index k = 0; k < N; ++k) {
    if (b.labels[static_cast<std::size_t>(k)] != kUndecided) continue;
    const int l = settled(b.states.col(k));
    if (l == kUndecided) active.push_back(k);
    else b.labels[static_cast<std::size_t>(k)] = l;
  }
  Mat Z(dim, static_cast<Index>(active.size()));
  for (std::size_t j = 0; j < active.size(); ++j) Z.col(static_cast<Index>(j)) = b.states.col(active[j]);
  for (long step = 0; step < o.max_steps && !active.empty(); ++step) {
    const Index m = Z.cols();
    const Mat k1 = flow.eval(Z);
    Vec h(m);
    for (Index j = 0; j < m; ++j) {
      const double sp = k1.col(j).norm();
      h[j] = sp > 0 && std::isfinite(sp) ? std::min(o.h_max, o.ds / sp) : o.h_max;
    }
    const auto hd = h.asDiagonal();
    const Mat k2 = flow.eval(Z + 0.5 * k1 * hd);
    const Mat k3 = flow.eval(Z + 0.5 * k2 * hd);
    const Mat k4 = flow.eval(Z + k3 * hd);
    Z += (k1 + 2 * k2 + 2 * k3 + k4) * hd / 6.0;
    b.steps += m;
    // Settle, then compact the active set.
    Index w = 0;
    for (Index j = 0; j < m; ++j) {
      const Index k = active[static_cast<std::size_t>(j)];
      const int l = settled(Z.col(j));
      if (l != kUndecided) {
        b.labels[static_cast<std::size_t>(k)] = l;
        b.states.col(k) = Z.col(j);
        continue;
      }
      if (w != j) Z.col(w) = Z.col(j);
      active[static_cast<std::size_t>(w)] = k;
      ++w;
    }
    active.resize(static_cast<std::size_t>(w));
    Z.conservativeResize(Eigen::NoChange, w);
  }
  for (std::size_t j = 0; j < active.size(); ++j) b.states.col(active[j]) = Z.col(static_cast<Index>(j));
}

}  // namespace nde
