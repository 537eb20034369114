#include "nde/optim.hpp"

#include <algorithm>
#include <cmath>

#include "nde/limits.hpp"

namespace nde {

const char* to_string(OptimizerConfig::Kind k) { return k == OptimizerConfig::Kind::Adam ? "adam" : "rmsprop"; }

std::optional<OptimizerConfig::Kind> optimizer_from_string(const std::string& name) {
  if (name == "adam") return OptimizerConfig::Kind::Adam;
  if (name == "rmsprop") return OptimizerConfig::Kind::RmsProp;
  return std::nullopt;
}

double learning_rate(const OptimizerConfig& c, std::int64_t t) {
  if (!(c.half_life > 0)) return c.lr;
  const double decayed = std::max(0.0, static_cast<double>(t - 1) - c.decay_after);
  return c.lr * std::max(c.lr_floor, std::pow(0.5, decayed / c.half_life));
}

double Optimizer::step(Vec& theta, const Vec& grad) { return *update(theta, grad, false).value; }  // unguarded: never fails

Result<double> Optimizer::safe_step(Vec& theta, const Vec& grad) { return update(theta, grad, true); }

Result<double> Optimizer::update(Vec& theta, const Vec& grad_in, bool guard) {
  // The new moments and the step go to workspace first: nothing changes unless θ stays finite.
  const double norm = grad_in.norm();
  g_ = grad_in;
  if (config_.clip > 0 && norm > config_.clip) g_ *= config_.clip / norm;
  if (config_.weight_decay > 0) g_ += config_.weight_decay * theta;
  if (m_.size() != theta.size()) {
    m_ = Vec::Zero(theta.size());
    v_ = Vec::Zero(theta.size());
    t_ = 0;
  }
  const std::int64_t t = t_ + 1;
  const double lr = learning_rate(config_, t);
  if (config_.kind == OptimizerConfig::Kind::Adam) {
    m_next_ = config_.beta1 * m_ + (1 - config_.beta1) * g_;
    v_next_ = config_.beta2 * v_ + (1 - config_.beta2) * g_.cwiseAbs2();
    const double c1 = 1 - std::pow(config_.beta1, static_cast<double>(t));
    const double c2 = 1 - std::pow(config_.beta2, static_cast<double>(t));
    delta_ = lr * (m_next_.array() / c1) / ((v_next_.array() / c2).sqrt() + config_.eps);
  } else {  // no first moment: m_ stays as it is (zero, or what a document brought)
    v_next_ = config_.alpha * v_ + (1 - config_.alpha) * g_.cwiseAbs2();
    delta_ = lr * g_.array() / (v_next_.array().sqrt() + config_.eps);
  }
  if (guard && theta.size() > 0) {
    const auto next = (theta - delta_).array();  // an expression: checked without a temporary
    if (!next.isFinite().all() || next.abs().maxCoeff() > limits::kParameter)
      return Result<double>::failure("update produced parameters that are not finite or exceed the allowed magnitude");
  }
  theta -= delta_;
  if (config_.kind == OptimizerConfig::Kind::Adam) m_.swap(m_next_);
  v_.swap(v_next_);
  t_ = t;
  return Result<double>::success(norm);
}

Result<> Optimizer::set_state(const OptimizerState& s, Index num_params) {
  if (s.step < 0) return Result<>::failure("optimizer step must be ≥ 0");
  const Index want = s.step == 0 && s.m.size() == 0 ? 0 : num_params;
  if (s.m.size() != want || s.v.size() != want)
    return Result<>::failure("optimizer moments must have " + std::to_string(num_params) + " entries each");
  if (!s.m.allFinite() || !s.v.allFinite() || (s.v.array() < 0).any())
    return Result<>::failure("optimizer moments must be finite (second moments ≥ 0)");
  t_ = s.step;
  m_ = s.m;
  v_ = s.v;
  return {};
}

}  // namespace nde
