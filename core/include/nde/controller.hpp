#pragma once
/// Step-size control for embedded RK methods: error norm, accept/reject, next step, first step.
#include "nde/field.hpp"

namespace nde {

/// PI (or, with beta = 0, I) controller after Hairer–Wanner.
struct Controller {
  double rtol = 1e-6;
  double atol = 1e-8;
  double safety = 0.9;
  double min_factor = 0.2;   ///< smallest shrink per step
  double max_factor = 10.0;  ///< largest growth per step
  double beta = 0.04;        ///< PI memory exponent; 0 gives the classic I controller
  /// RMS norm of err scaled by atol + rtol·max(|y0|, |y1|).
  double error_norm(const Eigen::Ref<const Vec>& err, const Eigen::Ref<const Vec>& y0,
                    const Eigen::Ref<const Vec>& y1) const;
  /// Decides on a step with scaled error `e` (≤ 1 accepts); returns the factor for the next step.
  /// `prev_error` carries the PI memory between accepted steps.
  double factor(double e, int order, double& prev_error, bool& accept) const;
  /// Hairer's starting step for y' = f(t, y) (positive magnitude); counts one evaluation into nfe. y1 and f1 are
  /// scratch (resized to y0's size).
  double initial_step(const VectorField& f, double t0, const Vec& y0, const Eigen::Ref<const Vec>& f0, int order,
                      long& nfe, Vec& y1, Vec& f1) const;
};

}  // namespace nde
