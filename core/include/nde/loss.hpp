#pragma once
/// Observation losses: mean squared error or mean absolute error per observed entry.
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
      sum += d < 0 ? -d : d;
      // sign(d) as 1 − 0, 0 − 1 or 0 − 0 without branches (the signs of a batch's residuals come in no order)
      if (grad) (*grad)[j] += weight * (static_cast<double>(d > 0) - static_cast<double>(d < 0));
    }
  }
  return weight * sum;
}

}  // namespace nde
