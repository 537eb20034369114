#include "nde/loss.hpp"

namespace nde {

const char* to_string(LossKind k) { return k == LossKind::Mse ? "mse" : "l1"; }

std::optional<LossKind> loss_kind_from_string(const std::string& name) {
  if (name == "mse") return LossKind::Mse;
  if (name == "l1") return LossKind::L1;
  return std::nullopt;
}

}  // namespace nde
