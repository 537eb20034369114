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
                             const std::function<const Mat*(long, double)>& stage_bar, const Deadline& deadline) {
  long n = 0;
  long end = steps();
  stopped_ = false;
  // One recursion state per halving of the longest segment (sized now: the recursion holds references into it).
  long longest = 1;
  for (std::size_t j = held_; j-- > 0;) {
    longest = std::max(longest, end - states_[j].first);
    end = states_[j].first;
  }
  std::size_t depth = 1;
  while ((1L << (depth - 1)) < longest) ++depth;
  if (mids_.size() < depth) mids_.resize(depth);
  end = steps();
  for (std::size_t j = held_; j-- > 0 && !stopped_;) {
    n += reverse_range(tab, f, states_[j].second, states_[j].first, end, y_bar, g_theta, enter, stage_bar, 0,
                       deadline);
    end = states_[j].first;
  }
  return n;
}

long CheckpointTape::reverse_range(const Tableau& tab, const DifferentiableField& f, const Vec& y, long a, long b,
                                   Vec& y_bar, Vec& g_theta, const std::function<void(long, Vec&)>& enter,
                                   const std::function<const Mat*(long, double)>& stage_bar, std::size_t depth,
                                   const Deadline& deadline) {
  peak_ = std::max(peak_, held_ + depth);
  long n = 0;
  while (b - a > 1) {
    // Advance a copy to the middle, reverse the upper half from there, then continue with the lower half.
    const long mid = a + (b - a) / 2;
    Vec& ym = mids_[depth];
    ym = y;
    for (long k = a; k < mid; ++k) {
      if (deadline.passed()) {
        stopped_ = true;
        return n;
      }
      n += rk_step(tab, f, t_[static_cast<std::size_t>(k)], ym, h_[static_cast<std::size_t>(k)], work_, false);
      ym.swap(work_.y1);
    }
    n += reverse_range(tab, f, ym, mid, b, y_bar, g_theta, enter, stage_bar, depth + 1, deadline);
    if (stopped_) return n;
    b = mid;
  }
  if (b - a == 1) {
    if (deadline.passed()) {
      stopped_ = true;
      return n;
    }
    enter(a, y_bar);
    const auto k = static_cast<std::size_t>(a);
    n += rk_step_reverse(tab, f, t_[k], h_[k], y, nullptr, work_, y_bar, g_theta, stage_bar ? stage_bar(a, h_[k]) : nullptr);
  }
  return n;
}

}  // namespace nde
