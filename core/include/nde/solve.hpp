#pragma once
/// The one integration loop: states at requested times (forward or backward), a status and stats.
#include <functional>
#include <string>
#include <vector>

#include "nde/controller.hpp"
#include "nde/deadline.hpp"
#include "nde/field.hpp"
#include "nde/result.hpp"
#include "nde/step.hpp"
#include "nde/tableau.hpp"

namespace nde {

/// Counters of a solve.
struct SolveStats {
  long nfe = 0;       ///< function evaluations
  long accepted = 0;  ///< accepted steps
  long rejected = 0;  ///< rejected steps
};

/// Everything that picks how to integrate.
struct SolverOptions {
  Tableau method = dopri5();
  Controller controller{};
  double step = 0.0;      ///< > 0: fixed steps of at most this size (any method); 0: adaptive for embedded
                          ///< methods, one step per output interval for the others
  double h0 = 0.0;        ///< adaptive: first step magnitude (0: automatic)
  double h_min = 0.0;     ///< adaptive: smallest step magnitude (0: a few ulps of t)
  double h_max = 0.0;     ///< adaptive: largest step magnitude (0: unbounded)
  long max_steps = 100000;  ///< budget of accepted + rejected steps
  bool seminorm = false;    ///< adaptive: error control leaves out the field's trailing quadrature components
  Deadline deadline;        ///< the solve stops with Status::TimeLimit once this passes
  /// Read the outputs before the last from the method's continuous extension (dense.hpp) instead of clipping
  /// steps to them; the method must have one (see with_dense_output). Outputs cannot jump then.
  bool dense = false;
  long dense_steps = 0;     ///< dense, fixed-step with step = 0: this many equal steps to the last output (≥ 1)
};

/// Optional callbacks of a solve.
struct SolveHooks {
  /// Called on reaching output i; may change y (a jump, e.g. adding ∂L/∂z in the adjoint).
  std::function<void(std::size_t i, double t, Vec& y)> at_output;
  /// Called after each accepted step with its start time, step, start state and stages.
  std::function<void(double t, double h, const Vec& y, const Mat& K)> on_step;
  /// Dense solves: called just before at_output for an output read inside the last accepted step, at θ ∈ (0, 1).
  std::function<void(std::size_t i, double theta)> at_dense_output;
  /// When given (and active), the stages are evaluated by its field's eval_keep into its slots and every accepted
  /// step is handed to it, so that a reverse sweep reuses the last steps' passes (the field must be the solved one).
  class StageTapes* keep = nullptr;
};

/// The result: how the solve ended (anything but Success means the outputs past the failure are missing) and
/// the states at the requested times, one column each (NaN for those not reached).
struct [[nodiscard]] Solution : Result<> {
  Mat states;
  SolveStats stats;
  double t_reached = 0.0;  ///< where integration stopped
  bool suspended = false;  ///< stopped at its WorkBudget: call solve again with the same work to continue
};

/// Buffers of a solve (state, stages, scratch), reused across calls: a solve of the same size allocates nothing.
struct SolveWork {
  StepWork step;
  Vec y;   ///< the current state
  Vec yi;  ///< the copy of an output handed to at_output
  Vec f1;  ///< the first-step guess's second evaluation
  /// A resumable solve's loop state between calls (see the budgeted solve).
  bool started = false;    ///< a solve is under way in these buffers
  std::size_t output = 0;  ///< the output being integrated to
  std::size_t next = 0;    ///< dense: the first output not yet given
  double t = 0.0, h = 0.0, prev_error = 1.0;
  bool k1_known = false;
  long fixed_step = 0, fixed_steps = 0;  ///< fixed steps: the next one and how many to this output (0: not planned)
  double fixed_h = 0.0, fixed_start = 0.0;
  Solution sol;  ///< the result so far
};

/// Integrates from (t0, y0) to each of `times` (monotone in one direction; the first may equal t0).
/// Steps are clipped so every requested time is hit exactly (unless options.dense). If keep_states is false,
/// states stays empty.
Solution solve(const VectorField& f, double t0, const Vec& y0, const std::vector<double>& times,
               const SolverOptions& options, const SolveHooks& hooks = {}, bool keep_states = true);
/// The same in the buffers of `work` (with keep_states false and hooks without heap captures, a warmed-up solve
/// of the same size allocates nothing).
Solution solve(const VectorField& f, double t0, const Vec& y0, const std::vector<double>& times,
               const SolverOptions& options, const SolveHooks& hooks, bool keep_states, SolveWork& work);
/// The same, resumable: each step tried is counted in `budget` (if given); once that is used up the solve suspends
/// before the next step and returns with suspended set, and called again with the same work (and arguments) it
/// continues where it stopped, so the result equals the uninterrupted solve's bit for bit. A call while no solve is
/// under way in `work` (work.started false: none yet, or the last one ended) starts one.
Solution solve_resumable(const VectorField& f, double t0, const Vec& y0, const std::vector<double>& times,
                         const SolverOptions& options, const SolveHooks& hooks, bool keep_states, SolveWork& work,
                         WorkBudget* budget);

}  // namespace nde
