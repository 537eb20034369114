#include "nde/equilibria.hpp"

#include <algorithm>
#include <cmath>
#include <utility>

namespace nde {

const char* to_string(EquilibriumType t) {
  switch (t) {
    case EquilibriumType::StableNode: return "stable node";
    case EquilibriumType::StableFocus: return "stable focus";
    case EquilibriumType::UnstableNode: return "unstable node";
    case EquilibriumType::UnstableFocus: return "unstable focus";
    case EquilibriumType::Saddle: return "saddle";
    case EquilibriumType::Centre: return "centre-like";
    case EquilibriumType::Degenerate: return "degenerate";
  }
  return "degenerate";
}

bool Equilibrium::stable() const { return type == EquilibriumType::StableNode || type == EquilibriumType::StableFocus; }

bool Equilibrium::unstable() const {
  return type == EquilibriumType::UnstableNode || type == EquilibriumType::UnstableFocus;
}

EquilibriumType classify(const Eigen::VectorXcd& ev, double centre_ratio, double rate) {
  const double big = ev.size() > 0 ? ev.cwiseAbs().maxCoeff() : 0.0;
  const double eps = std::max(1e-9 * big, 1e-6 * rate) + 1e-300;
  int pos = 0, neg = 0, centre = 0, zero = 0;
  bool complex = false;
  for (Index i = 0; i < ev.size(); ++i) {
    const double re = ev[i].real(), im = std::abs(ev[i].imag());
    if (im > eps && im > kNodeRatio * std::abs(re)) complex = true;
    if (im > eps && std::abs(re) <= centre_ratio * im) ++centre;
    else if (re > eps) ++pos;
    else if (re < -eps) ++neg;
    else ++zero;
  }
  if (zero > 0 || big <= eps) return EquilibriumType::Degenerate;
  if (pos > 0 && neg > 0) return EquilibriumType::Saddle;
  if (centre > 0) return EquilibriumType::Centre;
  if (neg > 0) return complex ? EquilibriumType::StableFocus : EquilibriumType::StableNode;
  return complex ? EquilibriumType::UnstableFocus : EquilibriumType::UnstableNode;
}

Equilibrium linearize(const PhaseField& f, const Vec& z, double centre_ratio, double rate) {
  Equilibrium e;
  e.z = z;
  e.residual = f.at(z).norm();
  e.jacobian = f.jacobian(z);
  if (!e.jacobian.allFinite()) return e;
  Eigen::EigenSolver<Mat> es(e.jacobian, false);
  e.eigenvalues = es.eigenvalues();
  std::vector<std::complex<double>> v(e.eigenvalues.data(), e.eigenvalues.data() + e.eigenvalues.size());
  std::sort(v.begin(), v.end(), [](auto a, auto b) { return a.real() != b.real() ? a.real() > b.real() : a.imag() > b.imag(); });
  for (std::size_t i = 0; i < v.size(); ++i) e.eigenvalues[static_cast<Index>(i)] = v[i];
  e.type = classify(e.eigenvalues, centre_ratio, rate);
  return e;
}

std::vector<Vec> sign_change_seeds(const PhaseField& f, const GridSpec& g, const Mat& V) {
  std::vector<Vec> seeds;
  auto at = [&](int c, int r) { return static_cast<Index>(r) * g.nx + c; };
  auto changes = [&](int row, int c, int r) {
    const double a = V(row, at(c, r)), b = V(row, at(c + 1, r)), d = V(row, at(c, r + 1)), e = V(row, at(c + 1, r + 1));
    const double lo = std::min({a, b, d, e}), hi = std::max({a, b, d, e});
    return lo <= 0 && hi >= 0;
  };
  for (int r = 0; r + 1 < g.ny; ++r)
    for (int c = 0; c + 1 < g.nx; ++c)
      if (changes(0, c, r) && changes(1, c, r))
        seeds.push_back(f.slice_point(g.xmin + (g.xmax - g.xmin) * (c + 0.5) / (g.nx - 1),
                                      g.ymin + (g.ymax - g.ymin) * (r + 0.5) / (g.ny - 1)));
  return seeds;
}

EquilibriumSearch::EquilibriumSearch(const PhaseField& f, const GridSpec& view, const EquilibriumOptions& o,
                                     std::vector<Vec> extra_seeds)
    : f_(f), view_(view), o_(o), seeds_(std::move(extra_seeds)) {
  const int n = std::max(1, o.seeds);
  const double wx = view.xmax - view.xmin, wy = view.ymax - view.ymin;
  diag_ = std::hypot(wx, wy);
  for (int r = 0; r < n; ++r)
    for (int c = 0; c < n; ++c)
      seeds_.push_back(f.slice_point(view.xmin - o.margin * wx + (1 + 2 * o.margin) * wx * (c + 0.5) / n,
                                     view.ymin - o.margin * wy + (1 + 2 * o.margin) * wy * (r + 0.5) / n));
  Mat S(f.dim, static_cast<Index>(seeds_.size()));
  for (std::size_t k = 0; k < seeds_.size(); ++k) S.col(static_cast<Index>(k)) = seeds_[k];
  FS_ = f.eval(S);
  // Tolerances relative to the field's typical speed and the view's size.
  std::vector<double> speeds;
  for (Index k = 0; k < FS_.cols(); ++k)
    if (FS_.col(k).allFinite()) speeds.push_back(FS_.col(k).norm());
  if (speeds.empty()) {
    next_ = seeds_.size();  // nothing to search
    return;
  }
  std::nth_element(speeds.begin(), speeds.begin() + static_cast<long>(speeds.size() / 2), speeds.end());
  typical_ = std::max(speeds[speeds.size() / 2], 1e-300);
}

bool EquilibriumSearch::step() {
  if (done()) return true;
  const std::size_t k = next_++;
  const PhaseField& f = f_;
  const GridSpec& view = view_;
  const EquilibriumOptions& o = o_;
  const double typical = typical_, diag = diag_, ftol = 1e-10 * typical;
  const double wx = view.xmax - view.xmin, wy = view.ymax - view.ymin;
  Vec z = seeds_[k];
  Vec fz = FS_.col(static_cast<Index>(k));
  double fn = fz.norm();
  bool converged = false;
  for (int it = 0; it < o.max_iterations && std::isfinite(fn); ++it) {
    if (fn <= ftol) { converged = true; break; }
    const Mat J = f.jacobian(z);
    if (!J.allFinite()) break;
    const Eigen::FullPivLU<Mat> lu(J);
    if (!lu.isInvertible()) break;
    const Vec dz = lu.solve(fz);
    if (!dz.allFinite()) break;
    double lambda = 1.0;
    Vec zn;
    Vec fzn;
    double fnn = INFINITY;
    for (int half = 0; half < 20; ++half, lambda *= 0.5) {
      zn = z - lambda * dz;
      fzn = f.at(zn);
      fnn = fzn.norm();
      if (std::isfinite(fnn) && fnn < fn) break;
    }
    if (!(fnn < fn)) {
      converged = fn <= 1e-6 * typical;  // stuck at rounding level
      break;
    }
    const double step = (zn - z).norm();
    z = zn;
    fz = fzn;
    fn = fnn;
    if (step <= 1e-13 * diag && fn <= 1e-6 * typical) { converged = true; break; }
  }
  if (!converged) return done();
  if (z[0] < view.xmin - o.margin * wx || z[0] > view.xmax + o.margin * wx) return done();
  if (f.dim > 1 && (z[1] < view.ymin - o.margin * wy || z[1] > view.ymax + o.margin * wy)) return done();
  const bool known = std::any_of(out_.begin(), out_.end(), [&](const Equilibrium& e) { return (e.z - z).norm() < 1e-3 * diag; });
  if (!known) out_.push_back(linearize(f, z, o.centre_ratio, typical / diag));
  return done();
}

std::vector<Equilibrium> EquilibriumSearch::result() const {
  std::vector<Equilibrium> out = out_;
  std::sort(out.begin(), out.end(), [](const Equilibrium& a, const Equilibrium& b) {
    return a.z[0] != b.z[0] ? a.z[0] < b.z[0] : (a.z.size() > 1 && a.z[1] < b.z[1]);
  });
  return out;
}

std::vector<Equilibrium> find_equilibria(const PhaseField& f, const GridSpec& view, const EquilibriumOptions& o,
                                         const std::vector<Vec>& extra_seeds) {
  EquilibriumSearch search(f, view, o, extra_seeds);
  while (!search.step()) {
  }
  return search.result();
}

}  // namespace nde
