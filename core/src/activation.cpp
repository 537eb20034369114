#include "nde/activation.hpp"

namespace nde {

std::string to_string(Activation a) {
  switch (a) {
    case Activation::Tanh: return "tanh";
    case Activation::Softplus: return "softplus";
    case Activation::Silu: return "silu";
  }
  return "tanh";
}

std::optional<Activation> activation_from_string(const std::string& name) {
  if (name == "tanh") return Activation::Tanh;
  if (name == "softplus") return Activation::Softplus;
  if (name == "silu") return Activation::Silu;
  return std::nullopt;
}

}  // namespace nde
