#pragma once
// Shared helpers of the tests: relative errors and central finite differences.
#include <Eigen/Dense>
#include <algorithm>
#include <functional>

namespace test {

/// ‖a − b‖ / max(‖a‖, ‖b‖, floor).
inline double rel_err(const Eigen::VectorXd& a, const Eigen::VectorXd& b, double floor = 1e-12) {
  return (a - b).norm() / std::max({a.norm(), b.norm(), floor});
}

/// Central differences of a scalar function of a vector: ∂f/∂x_i ≈ (f(x+h e_i) − f(x−h e_i)) / 2h.
inline Eigen::VectorXd central_gradient(const std::function<double(const Eigen::VectorXd&)>& f,
                                        const Eigen::VectorXd& x, double h = 1e-6) {
  Eigen::VectorXd g(x.size());
  for (Eigen::Index i = 0; i < x.size(); ++i) {
    Eigen::VectorXd xp = x, xm = x;
    xp[i] += h;
    xm[i] -= h;
    g[i] = (f(xp) - f(xm)) / (2 * h);
  }
  return g;
}

}  // namespace test
