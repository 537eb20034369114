#pragma once
/// Reference systems from science and their sample generators (tests, benchmarks and the page's presets).
#include <functional>
#include <string>
#include <vector>

#include "nde/deadline.hpp"
#include "nde/rng.hpp"
#include "nde/trajectory.hpp"

namespace nde {

/// A known autonomous ODE of dimension d with a region to show it in and its default sampling.
struct System {
  std::string name;    ///< id: spiral | toggle | lotka-volterra | van-der-pol | pendulum | fitzhugh-nagumo | repressilator
  std::string title;   ///< human-readable name
  std::string description;
  int dim;                                   ///< state dimension d
  std::function<Vec(const Vec&)> f;          ///< dz/dt
  std::function<Vec(Rng&, int)> initial;     ///< draws the k-th trajectory's initial state (k: a design may spread starts)
  double xmin, xmax, ymin, ymax;             ///< region to display (the first two coordinates)
  double t_end;                              ///< default trajectory length
  int points;                                ///< default observations per trajectory (dense enough to look smooth)
};

/// All reference systems; the 2-D ones are the page's presets (see is_preset).
const std::vector<System>& systems();
/// Whether the page offers the system as a preset: the page is 2-D, so every 2-D system and no other.
[[nodiscard]] inline bool is_preset(const System& s) { return s.dim == 2; }
/// One by id; nullptr when unknown.
const System* find_system(const std::string& name);

/// How to sample trajectories of a system.
struct SampleOptions {
  int trajectories = 8;
  int points = 0;           ///< observations per trajectory (the first at t = 0); 0: the system's default
  double noise = 0.0;       ///< standard deviation of Gaussian noise on the states
  double t_end = 0.0;       ///< 0: the system's default
  bool regular = false;     ///< evenly spaced times instead of irregular ones
  Vec initial;              ///< if set, every trajectory starts here instead of a random state
  std::uint64_t seed = 0;
  Deadline deadline;        ///< sampling stops once it passes, inside a trajectory's solve too (fewer are returned)
};

/// Trajectories of a system at sorted random (irregular) times, integrated with tight tolerances.
std::vector<Trajectory> sample_system(const System& s, const SampleOptions& o);
/// torchdiffeq's ode_demo data: the spiral from (2, 0) at 1000 evenly spaced times on [0, 25].
Trajectory torchdiffeq_spiral(int points = 1000);
/// The system's exact solution from z0 at times (t = 0 at z0), dopri5 with rtol 1e-10.
Mat system_solution(const System& s, const Vec& z0, const std::vector<double>& times);

}  // namespace nde
