#pragma once
/// The time budget of a call: a wall-clock instant (or a number of checks) after which long work stops.
#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>

namespace nde {

/// When work must stop; a default-constructed deadline never passes.
class Deadline {
 public:
  using Clock = std::chrono::steady_clock;
  Deadline() = default;
  /// A deadline `millis` from now; non-finite or negative `millis` means never.
  [[nodiscard]] static Deadline in_millis(double millis) {
    Deadline d;
    if (!std::isfinite(millis) || millis < 0) return d;
    d.set_ = true;
    d.at_ = Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double, std::milli>(millis));
    return d;
  }
  /// A budget of `checks` calls to passed() that answer false, shared by every copy; then it has passed.
  /// Deterministic where a wall-clock budget is not: tests place the instant inside a loop with it.
  [[nodiscard]] static Deadline after_checks(std::int64_t checks) {
    Deadline d;
    d.checks_left_ = std::make_shared<std::int64_t>(checks < 0 ? 0 : checks);
    return d;
  }
  /// True once the instant has passed (or the checks are used up).
  [[nodiscard]] bool passed() const {
    if (checks_left_) return (*checks_left_)-- <= 0;
    return set_ && Clock::now() >= at_;
  }
  /// Whether a budget is set at all.
  [[nodiscard]] bool set() const { return set_ || checks_left_ != nullptr; }
  /// Milliseconds left (negative once passed; +inf when unset or counted in checks).
  [[nodiscard]] double remaining_millis() const {
    if (!set_) return INFINITY;
    return std::chrono::duration<double, std::milli>(at_ - Clock::now()).count();
  }

 private:
  bool set_ = false;
  Clock::time_point at_{};
  std::shared_ptr<std::int64_t> checks_left_;  ///< counted budget (null: wall clock)
};

/// Runs a resumable job's units until it has finished or `pause` has passed (checked after each unit, so every run
/// makes progress); `state` has `bool finished` and `void unit(const Deadline&)`. Returns whether it finished.
template <class State>
[[nodiscard]] bool run_units(State& state, const Deadline& pause) {
  while (!state.finished) {
    state.unit(pause);
    if (pause.passed()) break;
  }
  return state.finished;
}

/// How much a resumable computation (a suspendable training step) may do before it suspends: solver steps (forward
/// steps tried, steps recomputed or reversed by the backward pass) and a deadline. Unlike a Deadline, using it up
/// loses nothing: the computation stops between two steps and continues later exactly where it stopped.
struct WorkBudget {
  long steps = std::numeric_limits<long>::max();  ///< most solver steps
  Deadline deadline;                               ///< suspend once this passes (between steps)
  long used = 0;                                   ///< solver steps done so far
  long least = 0;   ///< steps taken before the deadline is looked at (a piece that starts past it still progresses)
  /// Whether the next step must wait for another call.
  [[nodiscard]] bool exhausted() const { return used >= steps || (used >= least && deadline.passed()); }
  /// Before one step: false when the budget is used up (wait for another call), else counts the step.
  [[nodiscard]] static bool take(WorkBudget* budget) {
    if (!budget) return true;
    if (budget->exhausted()) return false;
    ++budget->used;
    return true;
  }
};

}  // namespace nde
