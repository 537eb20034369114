#include "nde/checkpoints.hpp"

#include <algorithm>

namespace nde {

CheckpointTape::CheckpointTape(int capacity) { reset(capacity); }

void CheckpointTape::reset(int capacity) {
  capacity_ = static_cast<std::size_t>(std::max(2, capacity));
  stride_ = 1;
  t_.clear();
  h_.clear();
  held_ = 0;
  peak_ = 0;
  stopped_ = false;
  active_ = false;
}

void CheckpointTape::record(double t, double h, const Vec& y) {
  const long k = steps();
  t_.push_back(t);
  h_.push_back(h);
  if (k % stride_ != 0) return;
  if (held_ == capacity_) {
    // Keep the states at multiples of twice the stride (step 0 always stays); the dropped ones keep their storage.
    std::size_t kept = 0;
    for (std::size_t j = 0; j < held_; ++j)
      if (states_[j].first % (2 * stride_) == 0) std::swap(states_[kept++], states_[j]);
    held_ = kept;
    stride_ *= 2;
    if (k % stride_ != 0) return;
  }
  if (held_ == states_.size()) states_.emplace_back();
  states_[held_].first = k;
  states_[held_].second = y;
  ++held_;
  peak_ = std::max(peak_, held_);
}

long CheckpointTape::reverse(const Tableau& tab, const DifferentiableField& f, Vec& y_bar, Vec& g_theta,
                             const std::function<void(long, Vec&)>& enter,
                             const std::function<const Mat*(long, double)>& stage_bar, const Deadline& deadline,
                             WorkBudget* budget, long until) {
  // Recursive bisection as an explicit stack: a segment [a, b) longer than one step advances a copy of its state
  // to the middle (mids_ holds one per depth), pushes the upper half [mid, b) (reversed first) and keeps the lower
  // half [a, mid); a one-step segment is reversed and popped.
  if (!active_) {
    const long last = until >= 0 ? std::min(until, steps()) : steps();
    long end = last;
    std::size_t held = held_;  // the checkpoints before `last`
    while (held > 0 && states_[held - 1].first >= last) --held;
    // One middle state per halving of the longest segment (sized now: segments point into it).
    long longest = 1;
    for (std::size_t j = held; j-- > 0;) {
      longest = std::max(longest, end - states_[j].first);
      end = states_[j].first;
    }
    std::size_t depth = 1;
    while ((1L << (depth - 1)) < longest) ++depth;
    if (mids_.size() < depth) mids_.resize(depth);
    stack_.reserve(depth + 1);
    stack_.clear();
    checkpoint_ = held;
    end_ = last;
    advancing_ = false;
    active_ = true;
  }
  stopped_ = false;
  long n = 0;
  // Before each recomputed or reversed step: stop for good at the deadline, or suspend at the budget.
  auto wait = [&] {
    if (deadline.passed()) {
      stopped_ = true;
      active_ = false;
      return true;
    }
    return !WorkBudget::take(budget);
  };
  for (;;) {
    if (stack_.empty()) {
      if (checkpoint_ == 0) break;
      const auto& [step, state] = states_[--checkpoint_];
      stack_.push_back({step, end_, &state, 0});
      end_ = step;
      peak_ = std::max(peak_, held_);
    }
    Segment& top = stack_.back();
    if (top.b - top.a > 1) {
      Vec& ym = mids_[top.depth];
      if (!advancing_) {
        mid_ = top.a + (top.b - top.a) / 2;
        ym = *top.y;
        k_ = top.a;
        advancing_ = true;
      }
      for (; k_ < mid_; ++k_) {
        if (wait()) return n;
        n += rk_step(tab, f, t_[static_cast<std::size_t>(k_)], ym, h_[static_cast<std::size_t>(k_)], work_, false);
        ym.swap(work_.y1);
      }
      advancing_ = false;
      const long b = top.b;
      const std::size_t depth = top.depth + 1;
      top.b = mid_;
      stack_.push_back({mid_, b, &ym, depth});  // invalidates top
      peak_ = std::max(peak_, held_ + depth);
      continue;
    }
    if (top.b - top.a == 1) {
      if (wait()) return n;
      enter(top.a, y_bar);
      const auto k = static_cast<std::size_t>(top.a);
      n += rk_step_reverse(tab, f, t_[k], h_[k], *top.y, nullptr, work_, y_bar, g_theta,
                           stage_bar ? stage_bar(top.a, h_[k]) : nullptr);
    }
    stack_.pop_back();
  }
  active_ = false;
  return n;
}

}  // namespace nde
