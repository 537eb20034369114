#pragma once
/// Separatrices: the stable manifolds of saddles (backward integration) and their unstable manifolds.
#include <vector>

#include "nde/basins.hpp"
#include "nde/equilibria.hpp"

namespace nde {

/// One branch of a saddle's invariant manifold as a polyline.
struct Separatrix {
  int saddle = 0;      ///< index of the saddle among the equilibria
  bool stable = true;  ///< stable manifold (the basin boundary), else unstable
  Mat points;          ///< dim × k, starting next to the saddle
};

/// How branches are traced.
struct SeparatrixOptions {
  double ds = 0.01;        ///< arc length per step
  double h_max = 0.1;      ///< largest time step
  double offset = 1e-3;    ///< start this far from the saddle along the eigenvector
  int max_points = 3000;
  GridSpec bounds;         ///< stop on leaving this box
};

/// Point by point RK4 with arc-length steps from z0 along `flow` until it leaves the box, enters the capture
/// region of one of `stops` (after leaving its start's), stalls, or uses up max_points.
[[nodiscard]] Mat trace_orbit(const PhaseField& flow, const Vec& z0, const std::vector<Attractor>& stops,
                              const SeparatrixOptions& o);
/// For each saddle with one unstable and one stable direction: two stable branches traced backwards (ending
/// at repellers in `sources`) and two unstable branches traced forwards (ending at attractors in `sinks`).
[[nodiscard]] std::vector<Separatrix> separatrices(const PhaseField& flow, const std::vector<Equilibrium>& equilibria,
                                                   const std::vector<Attractor>& sinks,
                                                   const std::vector<Attractor>& sources, const SeparatrixOptions& o);

/// The branches of equilibrium i alone (none unless it is such a saddle), as separatrices() traces them: what it does
/// for each equilibrium in turn.
[[nodiscard]] std::vector<Separatrix> saddle_separatrices(const PhaseField& flow, const std::vector<Equilibrium>& equilibria,
                                                          std::size_t i, const std::vector<Attractor>& sinks,
                                                          const std::vector<Attractor>& sources, const SeparatrixOptions& o);
}  // namespace nde
