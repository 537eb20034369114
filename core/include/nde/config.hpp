#pragma once
/// Everything that configures a trainer, with defaults and validation.
#include <cstdint>
#include <string>

#include "nde/gradient.hpp"
#include "nde/loss.hpp"
#include "nde/mlp.hpp"
#include "nde/optim.hpp"
#include "nde/solve.hpp"

namespace nde {

/// Solver settings by name (what a user picks).
struct SolverConfig {
  std::string method = "dopri5";  ///< euler | midpoint | rk4 | rk4-38 | dopri5
  double rtol = 1e-5;
  double atol = 1e-6;
  double step = 0.0;       ///< > 0: fixed steps (any method); 0: adaptive (dopri5) or one step per output interval
  long max_steps = 20000;  ///< per solve
  // Settings of the gradient methods (defaults from GradientOptions).
  int checkpoints = GradientOptions{}.checkpoints;     ///< checkpointed: most forward states kept
  double adjoint_rtol = GradientOptions{}.adjoint_rtol; ///< adjoint: backward relative tolerance (0: rtol)
  double adjoint_atol = GradientOptions{}.adjoint_atol; ///< adjoint: backward absolute tolerance (0: atol)
  bool seminorm = GradientOptions{}.seminorm;          ///< adjoint: no error control on the parameter quadrature
};

/// The trainer's default network: 2 → 32 → 32 → 2 (tanh), last layer's initial weights × 0.1 so the learned
/// field starts near zero instead of throwing states across the plane.
[[nodiscard]] inline MlpConfig default_trainer_mlp() {
  MlpConfig m{2, {32, 32}};
  m.init_output = 0.1;
  return m;
}

/// A trainer's full configuration.
struct TrainerConfig {
  MlpConfig mlp = default_trainer_mlp();
  std::uint64_t seed = 0;
  SolverConfig solver;
  GradientMethod gradient = GradientOptions{}.method;
  OptimizerConfig optimizer;
  int batch_size = 16;  ///< windows per training step
  int window = 10;      ///< observations per window
  bool joint = true;    ///< windows on different time grids share one solve read by dense output (else one each)
  /// Multiple shooting: a training window longer than this many observations is cut into segments of it that share
  /// their boundary observations; every segment after a window's first starts at a free, trained state (one per
  /// observation of each trajectory, in model coordinates) tied to the previous segment's end by a continuity
  /// penalty (0: single shooting, every window one solve from its first observation).
  int shooting = 10;
  double continuity = 1.0;  ///< weight of the continuity penalty relative to an observation's
  LossKind loss = LossKind::Mse;
  double kinetic = 0.0;   ///< weight of ∫‖f‖² dt
  double jacobian = 0.0;  ///< weight of ∫‖∂f/∂z‖²_F dt
  bool normalize = true;  ///< fit offset and scale of the states, and a time scale, from the data (see Normalization)
};

/// Succeeds when c is valid; otherwise fails with the first problem found, naming the field.
[[nodiscard]] Result<> validate(const TrainerConfig& c);
/// The solver options a config selects (the config must be valid).
SolverOptions solver_options(const SolverConfig& c);
/// The gradient settings a config selects.
GradientOptions gradient_options(const TrainerConfig& c);

}  // namespace nde
