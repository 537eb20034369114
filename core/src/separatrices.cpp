#include "nde/separatrices.hpp"

#include <cmath>

namespace nde {

namespace {

bool inside(const GridSpec& b, const Vec& z) {
  return z.allFinite() && z[0] >= b.xmin && z[0] <= b.xmax && (z.size() < 2 || (z[1] >= b.ymin && z[1] <= b.ymax));
}

double distance_to(const Attractor& a, const Vec& z) { return (a.points.colwise() - z).colwise().norm().minCoeff(); }

}  // namespace

Mat trace_orbit(const PhaseField& flow, const Vec& z0, const std::vector<Attractor>& stops, const SeparatrixOptions& o) {
  std::vector<Vec> pts{z0};
  Vec z = z0;
  std::vector<bool> armed(stops.size());
  for (std::size_t a = 0; a < stops.size(); ++a) armed[a] = distance_to(stops[a], z0) > stops[a].radius;
  int stalled = 0;
  while (static_cast<int>(pts.size()) < o.max_points) {
    const Vec k1 = flow.at(z);
    const double sp = k1.norm();
    if (!std::isfinite(sp)) break;
    const double h = sp > 0 ? std::min(o.h_max, o.ds / sp) : o.h_max;
    const Vec k2 = flow.at(z + 0.5 * h * k1);
    const Vec k3 = flow.at(z + 0.5 * h * k2);
    const Vec k4 = flow.at(z + h * k3);
    const Vec zn = z + h / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4);
    if (!inside(o.bounds, zn)) break;
    stalled = (zn - z).norm() < 1e-3 * o.ds ? stalled + 1 : 0;
    z = zn;
    pts.push_back(z);
    if (stalled > 50) break;
    bool stop = false;
    for (std::size_t a = 0; a < stops.size(); ++a) {
      const double d = distance_to(stops[a], z);
      if (!armed[a]) armed[a] = d > stops[a].radius;
      else if (d <= stops[a].radius) stop = true;
    }
    if (stop) break;
  }
  Mat out(z0.size(), static_cast<Index>(pts.size()));
  for (std::size_t k = 0; k < pts.size(); ++k) out.col(static_cast<Index>(k)) = pts[k];
  return out;
}

std::vector<Separatrix> saddle_separatrices(const PhaseField& flow, const std::vector<Equilibrium>& eq, std::size_t i,
                                            const std::vector<Attractor>& sinks, const std::vector<Attractor>& sources,
                                            const SeparatrixOptions& o) {
  std::vector<Separatrix> out;
  if (eq[i].type != EquilibriumType::Saddle || eq[i].jacobian.rows() != 2) return out;
  const PhaseField back = reversed(flow);
  const double diag = std::hypot(o.bounds.xmax - o.bounds.xmin, o.bounds.ymax - o.bounds.ymin);
  Eigen::EigenSolver<Mat> es(eq[i].jacobian, true);
  for (Index j = 0; j < 2; ++j) {
    if (std::abs(es.eigenvalues()[j].imag()) > 0) continue;
    const bool stable = es.eigenvalues()[j].real() < 0;
    const Vec v = es.eigenvectors().col(j).real().normalized();
    for (const double sign : {1.0, -1.0}) {
      const Vec z0 = eq[i].z + sign * o.offset * diag * v;
      Separatrix s;
      s.saddle = static_cast<int>(i);
      s.stable = stable;
      s.points = trace_orbit(stable ? back : flow, z0, stable ? sources : sinks, o);
      out.push_back(std::move(s));
    }
  }
  return out;
}

std::vector<Separatrix> separatrices(const PhaseField& flow, const std::vector<Equilibrium>& eq,
                                     const std::vector<Attractor>& sinks, const std::vector<Attractor>& sources,
                                     const SeparatrixOptions& o) {
  std::vector<Separatrix> out;
  for (std::size_t i = 0; i < eq.size(); ++i)
    for (Separatrix& s : saddle_separatrices(flow, eq, i, sinks, sources, o)) out.push_back(std::move(s));
  return out;
}

}  // namespace nde
