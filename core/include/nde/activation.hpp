#pragma once
/// Activation functions of the MLP and their derivatives, generic over double and Dual.
#include <cmath>
#include <optional>
#include <string>

#include "nde/dual.hpp"

namespace nde {

/// The hidden-layer nonlinearity.
enum class Activation { Tanh, Softplus, Silu };

/// "tanh" | "softplus" | "silu".
std::string to_string(Activation a);
/// Parses a name; nullopt when unknown.
std::optional<Activation> activation_from_string(const std::string& name);

/// Logistic sigmoid 1/(1+e^-x), overflow-safe.
template <class S>
S sigmoid(const S& x) {
  using std::exp;
  if (value_of(x) >= 0) return S(1.0) / (S(1.0) + exp(-x));
  const S e = exp(x);
  return e / (S(1.0) + e);
}

/// σ(x) for the chosen activation.
template <class S>
S activate(Activation a, const S& x) {
  using std::exp;
  using std::log1p;
  using std::tanh;
  switch (a) {
    case Activation::Tanh: return tanh(x);
    case Activation::Softplus:
      return value_of(x) > 0 ? x + log1p(exp(-x)) : log1p(exp(x));
    case Activation::Silu: return x * sigmoid(x);
  }
  return x;
}

/// σ'(x) for the chosen activation.
template <class S>
S activate_deriv(Activation a, const S& x) {
  using std::tanh;
  switch (a) {
    case Activation::Tanh: { const S t = tanh(x); return S(1.0) - t * t; }
    case Activation::Softplus: return sigmoid(x);
    case Activation::Silu: { const S s = sigmoid(x); return s * (S(1.0) + x * (S(1.0) - s)); }
  }
  return S(1.0);
}

}  // namespace nde
