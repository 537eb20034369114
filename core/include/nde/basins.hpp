#pragma once
/// Basins of attraction: which attractor the forward flow from each grid point reaches, as a label grid.
#include <vector>

#include "nde/phase_field.hpp"

namespace nde {

/// What kind of invariant set an attractor is.
enum class AttractorKind { Equilibrium, Cycle };

/// An attractor and its capture region: points within `radius` of one of `points` belong to it.
struct Attractor {
  AttractorKind kind = AttractorKind::Equilibrium;
  int index = 0;     ///< into the portrait's equilibria or cycles
  Mat points;        ///< one point (an equilibrium) or the samples of a cycle
  double radius = 0.0;
};

/// Label of a point whose flow reached no attractor within the budget.
inline constexpr int kUndecided = -1;
/// Label of a point whose flow left the escape box or became non-finite.
inline constexpr int kEscaped = -2;

/// Step and budget of the basin flow.
struct BasinOptions {
  double ds = 0.01;         ///< arc length per step (steps are ds/|f|, at most h_max)
  double h_max = 0.1;       ///< largest time step (keep h·|λ| ≲ 1 at the equilibria)
  long max_steps = 600;     ///< steps per point (each moves about ds)
  GridSpec escape;          ///< points leaving this box escape
  bool adopt = true;        ///< a point entering a grid cell labelled like its four neighbours takes that label
};

/// Labels and current states of the grid points' flows.
struct BasinFlow {
  std::vector<int> labels;  ///< per grid point: attractor index, kUndecided or kEscaped
  Mat states;               ///< where each point's flow is now (dim × nx·ny)
  long steps = 0;           ///< RK4 steps taken (summed over points)
};

/// advance_basins in resumable parts: each advance(n) takes at most n RK4 steps of the undecided points and the next
/// continues where it stopped, so the labels are the same however the steps are split. flow, grid, attractors and b
/// must outlive it (it keeps references).
class BasinRun {
 public:
  BasinRun(const PhaseField& flow, const GridSpec& grid, const std::vector<Attractor>& attractors, const BasinOptions& o,
           BasinFlow& b);
  /// Up to `steps` more RK4 steps; true once finished (every point settled or the step budget o.max_steps used).
  bool advance(long steps);
  [[nodiscard]] bool done() const { return done_; }

 private:
  [[nodiscard]] int settled(const Vec& z) const;
  [[nodiscard]] Index cell(const Vec& z) const;
  [[nodiscard]] bool small(std::size_t a) const { return att_[a].points.cols() <= 4; }
  const PhaseField& flow_;
  GridSpec g_;
  const std::vector<Attractor>& att_;
  BasinOptions o_;
  BasinFlow& b_;
  double dx_ = 1, dy_ = 1;
  std::vector<int> capture_;    ///< per grid point: the cycle whose capture region holds it, or kUndecided
  std::vector<Index> active_;   ///< the undecided points still flowing
  Mat Z_;                       ///< their states
  long step_ = 0;
  bool done_ = false;
};

/// Every grid point undecided, at its start.
[[nodiscard]] BasinFlow start_basins(const PhaseField& f, const GridSpec& grid);
/// Advances the undecided points with RK4 (arc-length steps) until each is captured by an attractor,
/// enters a grid cell whose label its four neighbours share (if o.adopt), escapes, or runs out of steps.
void advance_basins(const PhaseField& flow, const GridSpec& grid, const std::vector<Attractor>& attractors,
                    const BasinOptions& o, BasinFlow& b);

}  // namespace nde
