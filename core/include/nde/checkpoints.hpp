#pragma once
/// Bounded-memory record of a forward solve: every step's (t, h) and the state at a bounded number of steps,
/// from which the reverse sweep recomputes the steps in between (recursive checkpointing).
#include <cstddef>
#include <functional>
#include <utility>
#include <vector>

#include "nde/deadline.hpp"
#include "nde/field.hpp"
#include "nde/step.hpp"
#include "nde/tableau.hpp"

namespace nde {

/// Forward record for the checkpointed gradient. States are kept at every `stride`-th step; when `capacity`
/// are held, every other one is dropped and the stride doubles, so at most `capacity` are ever kept.
class CheckpointTape {
 public:
  /// capacity ≥ 2: the most forward states kept.
  explicit CheckpointTape(int capacity);
  /// Forgets every record and sets a new capacity, keeping the storage (a tape reused for solves of the same
  /// size allocates nothing).
  void reset(int capacity);
  /// Records accepted step k = steps() from (t, y) by h (call in step order).
  void record(double t, double h, const Vec& y);
  /// Number of recorded steps.
  [[nodiscard]] long steps() const { return static_cast<long>(t_.size()); }
  /// Largest number of states held at once during the reverse sweep so far (checkpoints + recursion).
  [[nodiscard]] std::size_t peak_states() const { return peak_; }

  /// Reverse sweep from the last step to the first. Before reversing step k, `enter(k, y_bar)` adds the
  /// cotangents of observations made after step k. Each step is recomputed from the nearest checkpoint
  /// (segments are bisected recursively, so a segment of L steps holds log2 L extra states) and reversed by
  /// rk_step_reverse. Returns evaluations + VJPs.
  /// `stage_bar(k, h)`, if given, returns extra cotangents of step k's stages (dense output) or null.
  /// Once `deadline` passes the sweep stops between two recomputed or reversed steps and stopped() says so
  /// (y_bar and g_theta are then partial and must be discarded).
  /// With a `budget`, the sweep suspends (suspended()) between two steps once it is used up, counting each recomputed
  /// or reversed step in it; calling reverse again with the same arguments continues it exactly where it stopped.
  /// With `until` ≥ 0 only steps [0, until) are reversed (the later ones were, from their kept stages).
  long reverse(const Tableau& tab, const DifferentiableField& f, Vec& y_bar, Vec& g_theta,
               const std::function<void(long k, Vec& y_bar)>& enter,
               const std::function<const Mat*(long k, double h)>& stage_bar = {}, const Deadline& deadline = {},
               WorkBudget* budget = nullptr, long until = -1);
  /// Whether the last reverse sweep stopped at its deadline before reaching step 0.
  [[nodiscard]] bool stopped() const { return stopped_; }
  /// Whether the last reverse call suspended at its budget (call reverse again to continue).
  [[nodiscard]] bool suspended() const { return active_; }

 private:
  /// Reverse steps [a, b) from the state *y at step a: the recursion of the sweep, kept as a stack so that it can
  /// stop between any two steps. y is a checkpoint (depth 0) or the parent's middle state mids_[depth − 1].
  struct Segment {
    long a, b;
    const Vec* y;
    std::size_t depth;
  };
  std::size_t capacity_;
  bool active_ = false;          ///< a sweep is under way (suspended between calls)
  std::size_t checkpoint_ = 0;   ///< checkpoints not yet started (the next is checkpoint_ − 1)
  long end_ = 0;                 ///< the step the next checkpoint's segment ends at
  std::vector<Segment> stack_;   ///< reserved for the deepest recursion before a sweep starts
  bool advancing_ = false;       ///< recomputing the top segment's middle state into mids_[depth]
  long k_ = 0, mid_ = 0;
  long stride_ = 1;
  std::vector<double> t_, h_;
  std::vector<std::pair<long, Vec>> states_;  ///< (step, state at its start), increasing steps; the first held_
  std::size_t held_ = 0;
  std::vector<Vec> mids_;                     ///< the recursion's states, one per depth (sized before it starts)
  StepWork work_;
  std::size_t peak_ = 0;
  bool stopped_ = false;
};

}  // namespace nde
