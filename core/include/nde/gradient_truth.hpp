#pragma once
/// Gradient truth: the full-data gradient of the current model by every method, checked against central
/// differences of a tight-tolerance solve, with each method's work.
#include <memory>
#include <vector>

#include "nde/trainer.hpp"

namespace nde {

/// Relative difference from the central differences within which a method counts as agreeing (what the
/// page prints): the adjoint's backsolve error on contracting flows at default tolerances is ~1e-3 to 1e-2.
inline constexpr double kGradientTolerance = 1e-2;

/// How one method's gradient of the full-data loss at the trainer's settings ended, and what it gave.
struct MethodGradient : Result<> {
  GradientMethod method = GradientMethod::Direct;
  Vec gradient;                 ///< ∂L/∂θ
  double rel_to_direct = 0.0;   ///< ‖g − g_direct‖ / ‖g_direct‖ (direct: the exact gradient of the discrete solve)
  double rel_to_fd = 0.0;       ///< on the checked coordinates, against the central differences
  bool agrees = false;          ///< rel_to_fd ≤ kGradientTolerance
  SolveStats forward, backward;
  std::size_t stored_states = 0;  ///< most solver states held at once for the backward pass (per solve)
  double millis = 0.0;
};

/// Every method against finite differences on a few parameters; a failure is the first method's that failed.
struct [[nodiscard]] GradientTruth : Result<> {
  double loss = 0.0;                      ///< full-data loss at the trainer's settings
  std::vector<Index> coordinates;         ///< checked parameters: the largest |∂L/∂θ| by direct
  Vec finite_differences;                 ///< central differences of the loss solved at rtol = atol = 1e-10
  double fd_step = 0.0;                   ///< relative step of the differences
  std::vector<MethodGradient> methods;    ///< adjoint, checkpointed, direct
};

/// Gradients by each method and central differences on `coordinates` parameters (the model is not changed).
/// Needs data; costs 3 gradients and 2·coordinates tight-tolerance losses, within the trainer's deadline.
[[nodiscard]] GradientTruth gradient_truth(const Trainer& trainer, int coordinates = 5);

/// gradient_truth in resumable parts: run(pause) works until `pause` passes, checked between two solver steps of a
/// method's gradient and between the differences' losses (one loss each), and the next run() continues where it
/// stopped; the result is gradient_truth's however the runs split it (it is one run to the end). The job works on its own
/// copy of the trainer (model and data as of its last completed iteration; solves past `budget` end with TimeLimit),
/// so the trainer may change or train meanwhile. A method's millis is its own work time, summed over the pieces.
class GradientTruthJob {
 public:
  explicit GradientTruthJob(const Trainer& trainer, int coordinates = 5, const Deadline& budget = {});
  ~GradientTruthJob();
  GradientTruthJob(const GradientTruthJob&) = delete;
  GradientTruthJob& operator=(const GradientTruthJob&) = delete;
  /// At least one solver step (or one loss), then more until `pause` passes or the check is finished; true once finished.
  bool run(const Deadline& pause = {});
  [[nodiscard]] bool done() const;
  /// The result (complete once done).
  [[nodiscard]] const GradientTruth& result() const;

 private:
  struct State;
  std::unique_ptr<State> s_;
};

/// How one method's full-data gradient at a number of fixed RK4 steps ended, and its work.
struct MemoryPoint : Result<> {
  long steps = 0;                 ///< requested steps over the longest trajectory
  GradientMethod method = GradientMethod::Direct;
  long accepted = 0;              ///< forward steps the solver took (all trajectories)
  std::size_t stored_states = 0;  ///< most solver states held at once for the backward pass
  long nfe_forward = 0, nfe_backward = 0;
  double millis = 0.0;
};

/// Memory against solver steps on the current model and data, from the solver's own counters: for each
/// step count, the full-data gradient by each method with fixed RK4 steps (backsolve flat, direct growing,
/// checkpointed bounded). Stops at the first failure (e.g. the trainer's deadline).
[[nodiscard]] std::vector<MemoryPoint> memory_sweep(const Trainer& trainer, const std::vector<long>& steps);

/// memory_sweep in resumable parts, like GradientTruthJob (its own copies of the trainer; pauses between two solver
/// steps; the same points however the runs split it, but for millis, each gradient's own work time).
class MemorySweepJob {
 public:
  MemorySweepJob(const Trainer& trainer, std::vector<long> steps, const Deadline& budget = {});
  ~MemorySweepJob();
  MemorySweepJob(const MemorySweepJob&) = delete;
  MemorySweepJob& operator=(const MemorySweepJob&) = delete;
  /// At least one solver step, then more until `pause` passes or the sweep is finished; true once finished.
  bool run(const Deadline& pause = {});
  [[nodiscard]] bool done() const;
  /// The points so far (all of them once done).
  [[nodiscard]] const std::vector<MemoryPoint>& result() const;

 private:
  struct State;
  std::unique_ptr<State> s_;
};

}  // namespace nde
