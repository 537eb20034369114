#pragma once
/// The time budget of a call: a wall-clock instant (or a number of checks) after which long work stops.
#include <chrono>
#include <cmath>
#include <cstdint>
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

}  // namespace nde
