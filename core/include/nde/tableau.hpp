#pragma once
/// Butcher tableaus: the integration methods are data fed to one explicit RK step.
#include <optional>
#include <string>
#include <vector>

namespace nde {

/// An explicit Runge–Kutta method; `err` (b − b̂) is empty for fixed-step methods.
struct Tableau {
  std::string name;
  std::vector<double> c;                 ///< nodes
  std::vector<std::vector<double>> a;    ///< strictly lower-triangular coefficients, a[i] has i entries
  std::vector<double> b;                 ///< weights of the propagated solution
  std::vector<double> err;               ///< b − b̂: weights of the embedded error estimate
  int order = 1;                         ///< order of the propagated solution
  bool fsal = false;                     ///< last stage equals f at the new point
  /// Continuous extension (dense output), empty if none: y(t + θh) = y + h Σ_j β_j(θ) K_j with
  /// β_j(θ) = Σ_p dense[j][p] θ^(p+1). See dense.hpp.
  std::vector<std::vector<double>> dense;
  /// Number of stages.
  int stages() const { return static_cast<int>(b.size()); }
  /// Whether the method has an embedded error estimate.
  bool adaptive() const { return !err.empty(); }
};

/// Forward Euler (order 1).
const Tableau& euler();
/// Explicit midpoint (order 2).
const Tableau& midpoint();
/// Classic Runge–Kutta (order 4).
const Tableau& rk4();
/// Kutta's 3/8 rule (order 4).
const Tableau& rk4_38();
/// Dormand–Prince 5(4), FSAL (order 5).
const Tableau& dopri5();
/// Looks up "euler" | "midpoint" | "rk4" | "rk4-38" | "dopri5".
std::optional<Tableau> tableau_by_name(const std::string& name);

}  // namespace nde
