#include "nde/stage_tapes.hpp"

#include <algorithm>
#include <cmath>

namespace nde {

double StageTapes::step_bytes(const DifferentiableField& f, const Tableau& tab, Index n) {
  return step_bytes(f.kept_bytes(), tab.stages(), n);
}

double StageTapes::step_bytes(double slot_bytes, int s, Index n) {
  return s * slot_bytes + 8.0 * static_cast<double>(n) * (s + 1) + 64.0;
}

long StageTapes::ring_steps(double step_bytes, double bytes, long steps) {
  const double g = bytes > 0 ? std::min(std::floor(bytes / step_bytes), static_cast<double>(steps)) : 0.0;
  return g >= 2 ? static_cast<long>(g) : 0;
}

void StageTapes::reset(const DifferentiableField& f, const Tableau& tab, Index n, double bytes, long steps) {
  f_ = &f;
  s_ = tab.stages();
  steps_ = 0;
  pending_ = 0;
  groups_ = ring_steps(step_bytes(f, tab, n), bytes, steps);
  if (slots_.size() < static_cast<std::size_t>(s_)) slots_.resize(static_cast<std::size_t>(s_));
}

int StageTapes::fresh_first(long k) {
  pending_ = static_cast<int>(k % groups_) * s_;
  return pending_;
}

const int* StageTapes::slots(long k, bool first_known) {
  const int base = static_cast<int>(k % groups_) * s_;
  if (!first_known) pending_ = base;
  slots_[0] = pending_;
  for (int i = 1; i < s_; ++i) slots_[static_cast<std::size_t>(i)] = base + i;
  return slots_.data();
}

void StageTapes::accept(long k, double t, double h, const Vec& y, const Mat& K, bool fsal) {
  const auto g = static_cast<std::size_t>(k % groups_);
  if (t_.size() <= g) {
    // Grown one group at a time as steps are first met (a warmed-up solve of the same length allocates nothing).
    t_.resize(g + 1);
    h_.resize(g + 1);
    first_slot_.resize(g + 1);
    y_.resize(g + 1);
    K_.resize(g + 1);
  }
  t_[g] = t;
  h_[g] = h;
  first_slot_[g] = slots_[0];
  y_[g] = y;
  K_[g] = K;
  steps_ = k + 1;
  if (fsal) pending_ = static_cast<int>(g) * s_ + s_ - 1;
}

long StageTapes::first() const {
  if (!active() || steps_ == 0) return steps_;
  if (steps_ <= groups_) return 0;
  long k = steps_ - groups_;
  const auto g = static_cast<std::size_t>(k % groups_);
  // Its stage 0 was the previous step's last stage, whose group a later step has taken over.
  if (first_slot_[g] != static_cast<int>(g) * s_) ++k;
  return k;
}

int StageTapes::reverse(long k, const Tableau& tab, StepWork& w, Vec& y_bar, Vec& g_theta, const Mat* K_bar) {
  const auto g = static_cast<std::size_t>(k % groups_);
  slots_[0] = first_slot_[g];
  for (int i = 1; i < s_; ++i) slots_[static_cast<std::size_t>(i)] = static_cast<int>(g) * s_ + i;
  return rk_step_vjp_slots(tab, *f_, t_[g], y_[g], h_[g], K_[g], w, y_bar, g_theta, K_bar, slots_.data());
}

}  // namespace nde
