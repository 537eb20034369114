#include "nde/optim.hpp"

#include <cmath>

namespace nde {

const char* to_string(OptimizerConfig::Kind k) { return k == OptimizerConfig::Kind::Adam ? "adam" : "rmsprop"; }

std::optional<OptimizerConfig::Kind> optimizer_from_string(const std::string& name) {
  if (name == "adam") return OptimizerConfig::Kind::Adam;
  if (name == "rmsprop") return OptimizerConfig::Kind::RmsProp;
  return std::nullopt;
}

double Optimizer::step(Vec& theta, const Vec& grad_in) {
  const double norm = grad_in.norm();
  Vec g = grad_in;
  if (config_.clip > 0 && norm > config_.clip) g *= config_.clip / norm;
  if (config_.weight_decay > 0) g += config_.weight_decay * theta;
  if (m_.size() != theta.size()) {
    m_ = Vec::Zero(theta.size());
    v_ = Vec::Zero(theta.size());
    t_ = 0;
  }
  ++t_;
  if (config_.kind == OptimizerConfig::Kind::Adam) {
    m_ = config_.beta1 * m_ + (1 - config_.beta1) * g;
    v_ = config_.beta2 * v_ + (1 - config_.beta2) * g.cwiseAbs2();
    const double c1 = 1 - std::pow(config_.beta1, static_cast<double>(t_));
    const double c2 = 1 - std::pow(config_.beta2, static_cast<double>(t_));
    theta.array() -= config_.lr * (m_.array() / c1) / ((v_.array() / c2).sqrt() + config_.eps);
  } else {
    v_ = config_.alpha * v_ + (1 - config_.alpha) * g.cwiseAbs2();
    theta.array() -= config_.lr * g.array() / (v_.array().sqrt() + config_.eps);
  }
  return norm;
}

bool Optimizer::safe_step(Vec& theta, const Vec& grad, double& grad_norm) {
  const Vec before = theta;
  const Optimizer saved = *this;
  grad_norm = step(theta, grad);
  if (theta.allFinite()) return true;
  theta = before;
  *this = saved;
  return false;
}

}  // namespace nde
