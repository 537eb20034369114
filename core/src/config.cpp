#include "nde/config.hpp"

#include <cmath>

#include "nde/limits.hpp"

namespace nde {

namespace {
bool in(double x, double lo, double hi) { return std::isfinite(x) && x >= lo && x <= hi; }
std::string range(const char* name, double lo, double hi) {
  return std::string(name) + " must be a number in [" + limits::format(lo) + ", " + limits::format(hi) + "]";
}
}  // namespace

Result<> validate(const TrainerConfig& c) {
  if (c.mlp.dim < 1 || c.mlp.dim > 64) return Result<>::failure("dim must be an integer in [1, 64]");
  if (c.mlp.hidden.size() > 8) return Result<>::failure("hidden may have at most 8 layers");
  for (int w : c.mlp.hidden)
    if (w < 1 || w > 1024) return Result<>::failure("each hidden width must be an integer in [1, 1024]");
  if (c.mlp.augment < 0 || c.mlp.augment > 16) return Result<>::failure("augment must be an integer in [0, 16]");
  if (!in(c.mlp.init_std, 0, 10)) return Result<>::failure(range("initStd", 0, 10));
  if (!in(c.mlp.init_output, 0, 10)) return Result<>::failure(range("initOutput", 0, 10));
  double params = 0;  // weights and biases, counted without building the network
  int fan_in = c.mlp.dim + c.mlp.augment + (c.mlp.time_dependent ? 1 : 0);
  for (int w : c.mlp.hidden) {
    params += (static_cast<double>(fan_in) + 1) * w;
    fan_in = w;
  }
  params += (static_cast<double>(fan_in) + 1) * (c.mlp.dim + c.mlp.augment);
  if (params > limits::kParameters)
    return Result<>::failure("the network would have " + limits::format(params) + " parameters; at most " + limits::format(limits::kParameters) +
           " are allowed (use narrower or fewer hidden layers)");
  if (!tableau_by_name(c.solver.method)) return Result<>::failure("unknown solver method " + limits::quote(c.solver.method) + " (use dopri5, rk4, rk4-38, midpoint or euler)");
  if (!in(c.solver.rtol, 1e-14, 1)) return Result<>::failure(range("solver.rtol", 1e-14, 1));
  if (!in(c.solver.atol, 1e-14, 1)) return Result<>::failure(range("solver.atol", 1e-14, 1));
  if (!in(c.solver.step, 0, 1e6)) return Result<>::failure(range("solver.stepSize", 0, 1e6));
  if (c.solver.checkpoints < 2 || c.solver.checkpoints > 100000) return Result<>::failure("solver.checkpoints must be an integer in [2, 100000]");
  if (c.solver.adjoint_rtol != 0 && !in(c.solver.adjoint_rtol, 1e-14, 1)) return Result<>::failure("solver.adjointRtol must be 0 (same as rtol) or a number in [1e-14, 1]");
  if (c.solver.adjoint_atol != 0 && !in(c.solver.adjoint_atol, 1e-14, 1)) return Result<>::failure("solver.adjointAtol must be 0 (same as atol) or a number in [1e-14, 1]");
  if (c.solver.max_steps < 1 || c.solver.max_steps > 10000000) return Result<>::failure("solver.maxSteps must be an integer in [1, 10000000]");
  if (!in(c.optimizer.lr, 0, 10) || c.optimizer.lr == 0) return Result<>::failure("optimizer.lr must be a number in (0, 10]");
  if (!in(c.optimizer.beta1, 0, 0.999999)) return Result<>::failure(range("optimizer.beta1", 0, 0.999999));
  if (!in(c.optimizer.beta2, 0, 0.999999)) return Result<>::failure(range("optimizer.beta2", 0, 0.999999));
  if (!in(c.optimizer.alpha, 0, 0.999999)) return Result<>::failure(range("optimizer.alpha", 0, 0.999999));
  if (!in(c.optimizer.eps, 1e-16, 1)) return Result<>::failure(range("optimizer.eps", 1e-16, 1));
  if (!in(c.optimizer.weight_decay, 0, 1)) return Result<>::failure(range("optimizer.weightDecay", 0, 1));
  if (!in(c.optimizer.average, 0, 0.9999)) return Result<>::failure(range("optimizer.average", 0, 0.9999));
  if (!in(c.optimizer.decay_after, 0, 1e9)) return Result<>::failure(range("optimizer.decayAfter", 0, 1e9));
  if (!in(c.optimizer.half_life, 0, 1e9)) return Result<>::failure(range("optimizer.halfLife", 0, 1e9));
  if (!in(c.optimizer.lr_floor, 0, 1)) return Result<>::failure(range("optimizer.lrFloor", 0, 1));
  if (!in(c.optimizer.clip, 0, 1e9)) return Result<>::failure(range("optimizer.clip", 0, 1e9));
  if (c.batch_size < 1 || c.batch_size > 4096) return Result<>::failure("batch.size must be an integer in [1, 4096]");
  if (c.window < 2 || c.window > 100000) return Result<>::failure("batch.window must be an integer in [2, 100000]");
  if (c.shooting != 0 && (c.shooting < 2 || c.shooting > 100000))
    return Result<>::failure("batch.shooting must be 0 or an integer in [2, 100000]");
  if (!(c.continuity > 0 && c.continuity <= 1e6)) return Result<>::failure("batch.continuity must be in (0, 1e6]");
  if (!in(c.kinetic, 0, 1e3)) return Result<>::failure(range("regularization.kinetic", 0, 1e3));
  if (!in(c.jacobian, 0, 1e3)) return Result<>::failure(range("regularization.jacobian", 0, 1e3));
  return {};
}

SolverOptions solver_options(const SolverConfig& c) {
  SolverOptions o;
  o.method = *tableau_by_name(c.method);
  o.controller.rtol = c.rtol;
  o.controller.atol = c.atol;
  o.step = c.step;
  o.max_steps = c.max_steps;
  return o;
}

GradientOptions gradient_options(const TrainerConfig& c) {
  GradientOptions g;
  g.method = c.gradient;
  g.checkpoints = c.solver.checkpoints;
  g.adjoint_rtol = c.solver.adjoint_rtol;
  g.adjoint_atol = c.solver.adjoint_atol;
  g.seminorm = c.solver.seminorm;
  return g;
}

}  // namespace nde
