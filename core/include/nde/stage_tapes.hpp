#pragma once
/// The forward solve's stage evaluations kept for the reverse sweep (eval_keep slots in a ring of steps), so that the
/// reverse of the last steps runs the stages' backward passes only instead of evaluating them again.
#include <vector>

#include "nde/field.hpp"
#include "nde/step.hpp"
#include "nde/tableau.hpp"

namespace nde {

/// The last `groups()` accepted steps of a forward solve with their stages' kept passes. Step k owns slot group
/// k mod groups(): slots g·s … g·s + s − 1 (s stages) of the field's eval_keep, with its start, step and stages.
/// Stage 0 of a step is its own slot g·s when evaluated afresh, or (FSAL) the previous step's last stage. A rejected
/// step's slots are overwritten by the next try; a step's group is reused (its passes dropped) once the ring wraps.
/// Group 0 shares slots 0 … s − 1 with the checkpointed recomputation (rk_step_reverse), which runs after the
/// kept steps are reversed.
class StageTapes {
 public:
  /// Ready for a solve of f by tab on states of size n that keeps at most `bytes` (passes, starts and stages) and at
  /// most `steps` steps; fewer than two steps keeps nothing (active() false). The storage is kept (grow-only).
  void reset(const DifferentiableField& f, const Tableau& tab, Index n, double bytes, long steps);
  /// Bytes one kept step of f by tab on states of size n holds at most.
  [[nodiscard]] static double step_bytes(const DifferentiableField& f, const Tableau& tab, Index n);
  /// Bytes one kept step of s stages on states of size n holds at most, each stage's pass `slot_bytes`.
  [[nodiscard]] static double step_bytes(double slot_bytes, int s, Index n);
  /// Steps a ring keeps within `bytes` and `steps` for steps of `step_bytes` each (0 when fewer than two fit).
  [[nodiscard]] static long ring_steps(double step_bytes, double bytes, long steps);
  /// Whether this solve keeps stages.
  [[nodiscard]] bool active() const { return groups_ >= 2; }
  /// Steps kept at most.
  [[nodiscard]] long groups() const { return groups_; }
  /// The field the stages are kept by.
  [[nodiscard]] const DifferentiableField& field() const { return *f_; }

  /// Forward: the slot of step k's stage 0 evaluated afresh (it becomes the step's pending stage 0).
  [[nodiscard]] int fresh_first(long k);
  /// Forward: the slots of step k's stages; stage 0 is the pending one when `first_known` (else its own slot).
  [[nodiscard]] const int* slots(long k, bool first_known);
  /// Forward: step k (from t, y by h, stages K) was accepted with the slots last handed out; with `fsal` its last
  /// stage is the next step's stage 0.
  void accept(long k, double t, double h, const Vec& y, const Mat& K, bool fsal);

  /// Reverse: the number of steps accepted.
  [[nodiscard]] long steps() const { return steps_; }
  /// Reverse: the first step from which on every step's stages are still kept (steps() when none are).
  [[nodiscard]] long first() const;
  /// Reverse: the size of kept step k.
  [[nodiscard]] double h(long k) const { return h_[static_cast<std::size_t>(k % groups_)]; }
  /// Reverse of kept step k (first() ≤ k < steps()) by rk_step_vjp on its kept passes; returns the VJPs made.
  int reverse(long k, const Tableau& tab, StepWork& w, Vec& y_bar, Vec& g_theta, const Mat* K_bar);

 private:
  const DifferentiableField* f_ = nullptr;
  int s_ = 0;
  long groups_ = 0, steps_ = 0;
  int pending_ = 0;               ///< slot of the next step's stage 0 (when known)
  std::vector<int> slots_;        ///< the slots handed out last (s)
  std::vector<int> first_slot_;   ///< per group: its step's stage-0 slot
  std::vector<double> t_, h_;     ///< per group
  std::vector<Vec> y_;            ///< per group: the step's start
  std::vector<Mat> K_;            ///< per group: its stages
};

}  // namespace nde
