#include "nde/limit_cycles.hpp"

#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

namespace nde {

namespace {

Vec rk4(const PhaseField& g, const Vec& z, const Vec& k1, double h) {
  const Vec k2 = g.at(z + 0.5 * h * k1);
  const Vec k3 = g.at(z + 0.5 * h * k2);
  const Vec k4 = g.at(z + h * k3);
  return z + h / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4);
}

/// The point where the cubic Hermite interpolant between (za, fa) and (zb, fb) over a step h crosses
/// the plane (z − p)·n = 0 (sa < 0 ≤ sb); theta returns the fraction of the step.
Vec hermite_crossing(const Vec& za, const Vec& fa, const Vec& zb, const Vec& fb, double h, const Vec& p, const Vec& n,
                     double& theta) {
  auto at = [&](double s) {
    const double s2 = s * s, s3 = s2 * s;
    return Vec((2 * s3 - 3 * s2 + 1) * za + (s3 - 2 * s2 + s) * h * fa + (-2 * s3 + 3 * s2) * zb + (s3 - s2) * h * fb);
  };
  double lo = 0, hi = 1;
  for (int it = 0; it < 60; ++it) {
    const double mid = 0.5 * (lo + hi);
    if ((at(mid) - p).dot(n) < 0) lo = mid;
    else hi = mid;
  }
  theta = 0.5 * (lo + hi);
  return at(theta);
}

}  // namespace

double distance(const LimitCycle& c, const Vec& z) {
  return (c.points.colwise() - z).colwise().norm().minCoeff();
}

std::optional<LimitCycle> refine_cycle(const PhaseField& f, const Vec& z0, const CycleOptions& o, double direction) {
  const PhaseField g = direction < 0 ? reversed(f) : f;
  const Vec p = z0;
  const Vec fp = g.at(p);
  const double speed0 = fp.norm();
  if (!(speed0 > 0) || !std::isfinite(speed0)) return std::nullopt;
  const Vec n = fp / speed0;
  double h = o.time_unit / 200.0;
  Vec z = p;
  // In the plane the section is a line: returns u0, u1, u2 along it allow Aitken's Δ² extrapolation,
  // which turns the return map's linear convergence (rate = the multiplier) into a quadratic one.
  Vec tangent;
  if (f.dim == 2) tangent = (Vec(2) << -n[1], n[0]).finished();
  std::vector<double> us{0.0};
  double period = 0.0;
  bool closed = false;
  for (int ret = 0; ret < o.max_returns && !closed; ++ret) {
    const long max_steps = static_cast<long>(std::min(1e5, std::ceil(50.0 * o.time_unit / h)));
    Vec y = z, fy = g.at(y);
    double t = 0.0, s = 0.0;
    bool returned = false;
    for (long k = 0; k < max_steps; ++k) {
      const Vec y1 = rk4(g, y, fy, h);
      const Vec f1 = g.at(y1);
      if (!y1.allFinite() || !f1.allFinite() || (y1 - p).norm() > 3 * o.diag) return std::nullopt;
      if (f1.norm() < 1e-4 * speed0 && t > o.time_unit) return std::nullopt;  // stalling at an equilibrium
      const double s1 = (y1 - p).dot(n);
      if (s < 0 && s1 >= 0) {
        double theta = 0.0;
        const Vec zc = hermite_crossing(y, fy, y1, f1, h, p, n, theta);
        if ((zc - p).norm() < 0.2 * o.diag) {  // a return through the local section, not a far crossing
          const double T = t + theta * h;
          closed = (zc - z).norm() < 1e-6 * o.diag;
          z = zc;
          if (!closed && tangent.size() == 2) {
            us.push_back((zc - p).dot(tangent));
            if (us.size() == 3) {
              const double den = us[2] - 2 * us[1] + us[0];
              const double u = us[0] - (us[1] - us[0]) * (us[1] - us[0]) / den;
              if (std::isfinite(u) && std::abs(den) > 1e-14 * o.diag && std::abs(u - us[2]) < 0.05 * o.diag) {
                z = p + u * tangent;
                us = {u};
              } else {
                us.erase(us.begin());
              }
            }
          }
          period = T;
          h = T / 200.0;
          returned = true;
          break;
        }
      }
      y = y1;
      fy = f1;
      s = s1;
      t += h;
    }
    if (!returned) return std::nullopt;
  }
  if (!closed) return std::nullopt;
  // One period sampled evenly from the converged section point; the multiplier integrates div f on it.
  LimitCycle c;
  c.period = period;
  const int K = std::max(8, o.samples);
  const double hk = period / K;
  c.points.resize(f.dim, K);
  Vec y = z;
  for (int k = 0; k < K; ++k) {
    c.points.col(k) = y;
    y = rk4(g, y, g.at(y), hk);
  }
  if (!y.allFinite() || (y - z).norm() > 1e-3 * o.diag) return std::nullopt;
  const RowVec div = f.divergence(c.points);
  const double exponent = div.sum() * hk;  // the trapezoid rule on a closed orbit is this sum
  c.multiplier = std::exp(exponent);
  if (direction < 0) c.points = c.points.rowwise().reverse().eval();
  if (!std::isfinite(c.multiplier)) return std::nullopt;
  return c;
}

CycleSearch::CycleSearch(const PhaseField& f, const PhaseField& flow, std::vector<Vec> candidates, const CycleOptions& o,
                         double direction)
    : f_(f), flow_(flow), candidates_(std::move(candidates)), o_(o), direction_(direction) {}

bool CycleSearch::step() {
  if (next_ < candidates_.size()) {
    const Vec& z = candidates_[next_++];
    for (const LimitCycle& c : found_)
      if (distance(c, z) < 0.02 * o_.diag) return done();
    std::optional<LimitCycle> c = refine_cycle(flow_, z, o_, direction_);
    if (!c) return done();
    for (const LimitCycle& k : found_)
      if (distance(k, c->points.col(0)) < 0.02 * o_.diag) return done();
    found_.push_back(std::move(*c));
    return done();
  }
  if (polished_ < found_.size()) {
    LimitCycle& c = found_[polished_++];
    CycleOptions polish = o_;
    polish.max_returns = 8;
    std::optional<LimitCycle> exact = refine_cycle(f_, c.points.col(0), polish, direction_);
    LimitCycle& best = exact ? *exact : c;
    if (std::abs(std::log(best.multiplier)) >= o_.neutral) out_.push_back(std::move(best));
  }
  return done();
}

std::vector<LimitCycle> find_limit_cycles(const PhaseField& f, const PhaseField& flow, const std::vector<Vec>& candidates,
                                          const CycleOptions& o, double direction) {
  CycleSearch search(f, flow, candidates, o, direction);
  while (!search.step()) {
  }
  return search.take();
}

}  // namespace nde
