#include "nde/controller.hpp"

#include <algorithm>
#include <cmath>

namespace nde {

double Controller::error_norm(const Eigen::Ref<const Vec>& err, const Eigen::Ref<const Vec>& y0,
                              const Eigen::Ref<const Vec>& y1) const {
  const Index n = err.size();
  if (n == 0) return 0.0;
  double sum = 0.0;
  for (Index i = 0; i < n; ++i) {
    const double q = err[i] / (atol + rtol * std::max(std::abs(y0[i]), std::abs(y1[i])));
    sum += q * q;
  }
  return std::sqrt(sum / static_cast<double>(n));
}

double Controller::factor(double e, int order, double& prev_error, bool& accept) const {
  if (!std::isfinite(e)) {
    accept = false;
    return min_factor;
  }
  const double k = order;  // error estimate of an order-(k-1) embedded pair behaves like h^k
  const double alpha = 1.0 / k - 0.75 * beta;
  if (e <= 1.0) {
    accept = true;
    double f = e == 0.0 ? max_factor : safety * std::pow(e, -alpha) * std::pow(prev_error, beta);
    prev_error = std::max(e, 1e-4);
    return std::clamp(f, min_factor, max_factor);
  }
  accept = false;
  return std::clamp(safety * std::pow(e, -1.0 / k), min_factor, 1.0);
}

double Controller::initial_step(const VectorField& f, double t0, const Vec& y0, const Eigen::Ref<const Vec>& f0,
                                int order, long& nfe, Vec& y1, Vec& f1) const {
  const auto scale = atol + rtol * y0.cwiseAbs().array();  // an expression: no temporary
  const double n = static_cast<double>(std::max<Index>(1, y0.size()));
  const double d0 = std::sqrt((y0.array() / scale).square().sum() / n);
  const double d1 = std::sqrt((f0.array() / scale).square().sum() / n);
  double h0 = (d0 < 1e-5 || d1 < 1e-5) ? 1e-6 : 0.01 * d0 / d1;
  y1 = y0 + h0 * f0;
  f1.resize(y0.size());
  f.eval(t0 + h0, y1, f1);
  ++nfe;
  const double d2 = std::sqrt(((f1 - f0).array() / scale).square().sum() / n) / h0;
  const double h1 = std::max(d1, d2) <= 1e-15 ? std::max(1e-6, h0 * 1e-3)
                                              : std::pow(0.01 / std::max(d1, d2), 1.0 / (order + 1));
  return std::min(100 * h0, h1);
}

}  // namespace nde
