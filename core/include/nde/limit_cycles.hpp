#pragma once
/// Limit cycles: closed orbits found by returns to a Poincaré section, with period and Floquet multiplier.
#include <optional>
#include <vector>

#include "nde/phase_field.hpp"

namespace nde {

/// A closed orbit of f.
struct LimitCycle {
  Mat points;              ///< one period, equally spaced in time along f (dim × samples)
  double period = 0.0;
  double multiplier = 1.0; ///< nontrivial Floquet multiplier exp(∮ div f dt) (planar; their product in n-D)
  /// Neighbouring orbits approach it (multiplier < 1).
  [[nodiscard]] bool stable() const { return multiplier < 1.0; }
};

/// Scales and budgets of a cycle search.
struct CycleOptions {
  double time_unit = 1.0;   ///< time over which the field moves a point about across the view
  double diag = 1.0;        ///< size of the view; distances are relative to it
  int max_returns = 40;     ///< returns to the section before giving up
  int samples = 256;        ///< points stored per cycle
  double neutral = 0.01;    ///< |ln multiplier| below this: one orbit of a continuous family (a centre), not isolated
};

/// Follows f (direction +1) or −f (−1, which finds unstable cycles) from z0 and returns to the section
/// through z0 normal to the flow until the return point repeats to 1e-6 of the view; nullopt if the
/// orbit leaves, stalls at an equilibrium or does not close within the budget.
[[nodiscard]] std::optional<LimitCycle> refine_cycle(const PhaseField& f, const Vec& z0, const CycleOptions& o,
                                                     double direction = 1.0);
/// Distance from z to the cycle's stored points.
[[nodiscard]] double distance(const LimitCycle& c, const Vec& z);
/// Cycles through candidate points: each refined on `flow` (a cheap approximation of f, or f itself),
/// duplicates merged, then polished on f; neutral orbits (centre families) are dropped.
[[nodiscard]] std::vector<LimitCycle> find_limit_cycles(const PhaseField& f, const PhaseField& flow,
                                                        const std::vector<Vec>& candidates, const CycleOptions& o,
                                                        double direction = 1.0);

/// find_limit_cycles in resumable parts: one candidate's refinement or one cycle's polish per step(); the result is the
/// same however the steps are split. f and flow must outlive it.
class CycleSearch {
 public:
  CycleSearch(const PhaseField& f, const PhaseField& flow, std::vector<Vec> candidates, const CycleOptions& o,
              double direction = 1.0);
  /// The next candidate or polish; true once finished.
  bool step();
  [[nodiscard]] bool done() const { return next_ >= candidates_.size() && polished_ >= found_.size(); }
  /// The cycles (call once done; moves them out).
  [[nodiscard]] std::vector<LimitCycle> take() { return std::move(out_); }

 private:
  const PhaseField& f_;
  const PhaseField& flow_;
  std::vector<Vec> candidates_;
  CycleOptions o_;
  double direction_;
  std::size_t next_ = 0, polished_ = 0;
  std::vector<LimitCycle> found_, out_;
};

}  // namespace nde
