#pragma once
/// Observation losses: mean squared error or mean absolute error per observed entry.
#include <cmath>
#include <optional>
#include <string>

#include "nde/field.hpp"

namespace nde {

/// Which distance between prediction and observation.
enum class LossKind { Mse, L1 };

/// "mse" | "l1".
const char* to_string(LossKind k);
/// Parses a loss name; nullopt when unknown.
std::optional<LossKind> loss_kind_from_string(const std::string& name);

/// weight · Σ_j d(pred_j, target_j); adds weight · ∂/∂pred into grad (if given).
template <class P, class T, class G>
double observation_loss(LossKind kind, const P& pred, const T& target, double weight, G* grad) {
  double sum = 0.0;
  for (Index j = 0; j < target.size(); ++j) {
    const double d = pred[j] - target[j];
    if (kind == LossKind::Mse) {
      sum += d * d;
      if (grad) (*grad)[j] += weight * 2.0 * d;
    } else {
      // |d| and weight · sign(d) without branches (a batch's residuals come in no order of sign): ±weight, times 0
      // when d is ±0 or NaN. The same sums as |d| and weight · (1, −1 or 0), but for the sign of a zero, which
      // adds nothing here (the sum and the gradient entries start at +0).
      sum += std::abs(d);
      if (grad) (*grad)[j] += std::copysign(weight, d) * static_cast<double>(std::abs(d) > 0);
    }
  }
  return weight * sum;
}

}  // namespace nde
