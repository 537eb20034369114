#include "nde/fidelity.hpp"

#include <cmath>
#include <limits>

namespace nde {

Mat observed_states(const std::vector<Trajectory>& data) {
  Index n = 0, d = 0;
  for (const Trajectory& t : data) {
    n += t.states.cols();
    d = t.states.rows();
  }
  Mat out(d, n);
  Index c = 0;
  for (const Trajectory& t : data) {
    out.middleCols(c, t.states.cols()) = t.states;
    c += t.states.cols();
  }
  return out;
}

namespace {
double extent(const Mat& z) {
  return z.cols() == 0 ? 0.0 : (z.rowwise().maxCoeff() - z.rowwise().minCoeff()).maxCoeff();
}
}  // namespace

Mat points_near_data(const std::vector<Trajectory>& data, double fraction) {
  const Mat z = observed_states(data);
  const Index d = z.rows(), n = z.cols();
  const double delta = fraction * extent(z);
  Mat out(d, 2 * d * n);
  for (Index k = 0; k < n; ++k)
    for (Index j = 0; j < d; ++j)
      for (int s = 0; s < 2; ++s) {
        Vec p = z.col(k);
        p[j] += s == 0 ? delta : -delta;
        out.col((k * d + j) * 2 + s) = p;
      }
  return out;
}

double field_error(const Trainer& t, const System& s, const Mat& points) {
  const Mat learned = t.field(points, 0.0);
  double num = 0, den = 0;
  for (Index k = 0; k < points.cols(); ++k) {
    const Vec truth = s.f(points.col(k));
    num += (learned.col(k) - truth).squaredNorm();
    den += truth.squaredNorm();
  }
  return den > 0 ? std::sqrt(num / den) : std::sqrt(num);
}

double rollout_error(const Trainer& t, const std::vector<Trajectory>& data) {
  double sq = 0, n = 0;
  for (const Trajectory& tr : data) {
    const Solution s = t.integrate(tr.states.col(0), tr.times.front(), tr.times);
    if (!s.ok()) return std::numeric_limits<double>::infinity();
    sq += (s.states - tr.states).colwise().squaredNorm().sum();
    n += static_cast<double>(tr.states.cols());
  }
  const double e = extent(observed_states(data));
  return n > 0 && e > 0 ? std::sqrt(sq / n) / e : 0.0;
}

}  // namespace nde
