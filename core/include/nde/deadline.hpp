#pragma once
/// The time budget of a call: a wall-clock instant after which long work stops.
#include <chrono>
#include <cmath>

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
  /// True once the instant has passed.
  [[nodiscard]] bool passed() const { return set_ && Clock::now() >= at_; }
  /// Whether a budget is set at all.
  [[nodiscard]] bool set() const { return set_; }
  /// Milliseconds left (negative once passed; +inf when unset).
  [[nodiscard]] double remaining_millis() const {
    if (!set_) return INFINITY;
    return std::chrono::duration<double, std::milli>(at_ - Clock::now()).count();
  }

 private:
  bool set_ = false;
  Clock::time_point at_{};
};

}  // namespace nde
