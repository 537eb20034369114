#include "nde/basins.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace nde {

BasinFlow start_basins(const PhaseField& f, const GridSpec& grid) {
  BasinFlow b;
  b.states = grid_points(f, grid);
  b.labels.assign(static_cast<std::size_t>(b.states.cols()), kUndecided);
  return b;
}

BasinRun::BasinRun(const PhaseField& flow, const GridSpec& g, const std::vector<Attractor>& att, const BasinOptions& o,
                   BasinFlow& b)
    : flow_(flow), g_(g), att_(att), o_(o), b_(b) {
  const Index N = b.states.cols(), dim = b.states.rows();
  dx_ = (g.xmax - g.xmin) / (g.nx - 1);
  dy_ = (g.ymax - g.ymin) / (g.ny - 1);
  // Equilibria are tested directly; cycles (many points) through a capture raster: the cycle whose capture
  // region holds each grid point, looked up at the point's nearest grid point.
  capture_.assign(static_cast<std::size_t>(N), kUndecided);
  const Mat P = grid_points(flow, g);
  for (std::size_t a = 0; a < att.size(); ++a) {
    if (small(a)) continue;
    for (Index k = 0; k < N; ++k)
      if ((att[a].points.colwise() - P.col(k)).colwise().norm().minCoeff() <= att[a].radius)
        capture_[static_cast<std::size_t>(k)] = static_cast<int>(a);
  }
  for (Index k = 0; k < N; ++k) {
    if (b.labels[static_cast<std::size_t>(k)] != kUndecided) continue;
    const int l = settled(b.states.col(k));
    if (l == kUndecided) active_.push_back(k);
    else b.labels[static_cast<std::size_t>(k)] = l;
  }
  Z_.resize(dim, static_cast<Index>(active_.size()));
  for (std::size_t j = 0; j < active_.size(); ++j) Z_.col(static_cast<Index>(j)) = b.states.col(active_[j]);
}

Index BasinRun::cell(const Vec& z) const {
  const double u = std::round((z[0] - g_.xmin) / dx_), v = std::round((z[1] - g_.ymin) / dy_);
  if (!(u >= 0 && v >= 0 && u < g_.nx && v < g_.ny)) return -1;
  return static_cast<Index>(v) * g_.nx + static_cast<Index>(u);
}

int BasinRun::settled(const Vec& z) const {
  const GridSpec& e = o_.escape;
  if (!z.allFinite() || z[0] < e.xmin || z[0] > e.xmax || z[1] < e.ymin || z[1] > e.ymax) return kEscaped;
  for (std::size_t a = 0; a < att_.size(); ++a)
    if (small(a) && (att_[a].points.colwise() - z).colwise().norm().minCoeff() <= att_[a].radius) return static_cast<int>(a);
  const Index c = cell(z);
  if (c < 0) {  // outside the grid: test the cycles directly
    for (std::size_t a = 0; a < att_.size(); ++a)
      if ((att_[a].points.colwise() - z).colwise().norm().minCoeff() <= att_[a].radius) return static_cast<int>(a);
    return kUndecided;
  }
  if (capture_[static_cast<std::size_t>(c)] >= 0) return capture_[static_cast<std::size_t>(c)];
  const int l = b_.labels[static_cast<std::size_t>(c)];
  if (l < 0 || !o_.adopt) return kUndecided;
  const int cx = static_cast<int>(c % g_.nx), cy = static_cast<int>(c / g_.nx);
  const int nb[4][2] = {{1, 0}, {-1, 0}, {0, 1}, {0, -1}};
  for (const auto& d : nb) {
    const int x = cx + d[0], y = cy + d[1];
    if (x < 0 || y < 0 || x >= g_.nx || y >= g_.ny) continue;
    if (b_.labels[static_cast<std::size_t>(y) * static_cast<std::size_t>(g_.nx) + static_cast<std::size_t>(x)] != l)
      return kUndecided;
  }
  return l;
}

bool BasinRun::advance(long steps) {
  for (long n = 0; n < steps && !done_; ++n) {
    if (step_ >= o_.max_steps || active_.empty()) {
      for (std::size_t j = 0; j < active_.size(); ++j) b_.states.col(active_[j]) = Z_.col(static_cast<Index>(j));
      done_ = true;
      break;
    }
    ++step_;
    const Index m = Z_.cols();
    const Mat k1 = flow_.eval(Z_);
    Vec h(m);
    for (Index j = 0; j < m; ++j) {
      const double sp = k1.col(j).norm();
      h[j] = sp > 0 && std::isfinite(sp) ? std::min(o_.h_max, o_.ds / sp) : o_.h_max;
    }
    const auto hd = h.asDiagonal();
    const Mat k2 = flow_.eval(Z_ + 0.5 * k1 * hd);
    const Mat k3 = flow_.eval(Z_ + 0.5 * k2 * hd);
    const Mat k4 = flow_.eval(Z_ + k3 * hd);
    Z_ += (k1 + 2 * k2 + 2 * k3 + k4) * hd / 6.0;
    b_.steps += m;
    // Settle, then compact the active set.
    Index w = 0;
    for (Index j = 0; j < m; ++j) {
      const Index k = active_[static_cast<std::size_t>(j)];
      const int l = settled(Z_.col(j));
      if (l != kUndecided) {
        b_.labels[static_cast<std::size_t>(k)] = l;
        b_.states.col(k) = Z_.col(j);
        continue;
      }
      if (w != j) Z_.col(w) = Z_.col(j);
      active_[static_cast<std::size_t>(w)] = k;
      ++w;
    }
    active_.resize(static_cast<std::size_t>(w));
    Z_.conservativeResize(Eigen::NoChange, w);
  }
  // The budget used up exactly at the end: say so now (no call needed just to find out).
  if (!done_ && (step_ >= o_.max_steps || active_.empty())) return advance(1);
  return done_;
}

void advance_basins(const PhaseField& flow, const GridSpec& g, const std::vector<Attractor>& att, const BasinOptions& o,
                    BasinFlow& b) {
  BasinRun run(flow, g, att, o, b);
  while (!run.advance(std::numeric_limits<long>::max())) {
  }
}

}  // namespace nde
