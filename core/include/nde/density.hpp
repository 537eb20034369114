#pragma once
#include <memory>
/// Density mode: a continuous normalising flow carrying N(0, I) at t = 0 onto the data's density at t = T,
/// trained by maximum likelihood through the same gradient machinery (adjoint of the CNF system).
#include <string>

#include "nde/cnf_field.hpp"
#include "nde/config.hpp"
#include "nde/rng.hpp"
#include "nde/trainer.hpp"

namespace nde {

/// Configuration of a density trainer: the trainer's settings (window, loss are unused) plus the flow's.
struct DensityConfig {
  TrainerConfig base = [] {
    TrainerConfig c;
    c.mlp.time_dependent = true;
    c.mlp.init_output = 1.0;
    c.batch_size = 128;  // half of 256: a lower NLL in the same time (bench) and a shorter iteration before Pause answers
    // 1e-4: on every density preset, 1,000 iterations at the page's settings reach the same NLL as at 1e-5 (within
    // 0.01 nats) in 1.35-1.48x less CPU time, and the NLL it reports is within 1e-3 nats of a 1e-9 solve (README).
    c.solver.rtol = 1e-4;
    c.solver.atol = 1e-4;
    c.optimizer.half_life = 0;  // constant lr: the trainer's schedule was measured on trajectories only
    return c;
  }();
  double t_end = 1.0;                 ///< the flow runs from the base (t = 0) to the data (t = t_end)
  TraceMode trace = TraceMode::Exact; ///< exact divergence, or Hutchinson's estimator (one probe per sample and step)
  /// The data's standard deviation per coordinate in the flow's coordinates (with base.normalize; the base is N(0, I)):
  /// the normalisation divides by (standard deviation / data_scale). At 1 a centred, isotropic density such as rings
  /// starts exactly at the base's own moments, a saddle of the likelihood that the flow leaves only after ~2,000
  /// iterations at the page's settings; at 2 the base starts narrower than the data and the flow spreads it out from
  /// the first step (README, density presets). Documents without it (older ones) keep 1.
  double data_scale = 2.0;
};

/// Succeeds when valid; otherwise fails with the first problem.
[[nodiscard]] Result<> validate(const DensityConfig& c);

/// How the solve ended and the values at points (log-densities, or one mean NLL).
struct [[nodiscard]] DensityResult : Result<> {
  RowVec values;
  long nfe = 0;
};

/// Owns the flow (MLP, normalisation), the samples and the optimiser.
class DensityTrainer : public Learner {
 public:
  explicit DensityTrainer(DensityConfig config);
  const DensityConfig& config() const { return config_; }

  /// Adds samples (dim × n, physical units), or says why not (nothing is added then).
  [[nodiscard]] Result<> add_samples(const Mat& x);
  void clear_samples();
  Index sample_count() const { return data_.cols(); }
  const Mat& samples() const { return data_; }

  /// One maximum-likelihood step on a random minibatch (loss = mean NLL + regularisers). With a `budget` it stops
  /// between two solver steps once that is used up (report.suspended) and the next step() continues it exactly.
  StepReport step(WorkBudget* budget = nullptr);
  /// log p(x) at t_end for points (dim × m), solved in blocks of columns (bounded memory; the deadline is
  /// checked inside each solve).
  DensityResult log_density(const Mat& x) const;
  /// Mean negative log-likelihood of all samples (values has one entry).
  DensityResult nll() const;
  /// Mean NLL of the given points and its gradient by the configured method (for tests).
  GradientResult nll_gradient(const Mat& x) const;
  /// n base samples pushed to time t ∈ [0, t_end] (dim × n); seeded; solved in blocks of columns.
  Solution sample(Index n, double t, std::uint64_t seed) const;

  /// Fresh weights, optimiser and iteration count; normalisation refitted.
  void reset(std::uint64_t seed);

 private:
  /// One batch's NLL (and gradient), resumable between solver steps (defined in density.cpp).
  class Evaluation;
  GradientResult evaluate(const Mat& x, bool gradient, RowVec* logp, std::uint64_t probe_seed) const;
  void fit_normalization();

  DensityConfig config_;
  Mat data_;
  std::shared_ptr<Evaluation> step_;  ///< the last training step's evaluation (continued while pending())
};

}  // namespace nde
