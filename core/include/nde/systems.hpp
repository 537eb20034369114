#pragma once
/// Reference systems from science and their sample generators (tests, benchmarks and the page's presets).
#include <functional>
#include <string>
#include <vector>

#include "nde/deadline.hpp"
#include "nde/rng.hpp"
#include "nde/trajectory.hpp"

namespace nde {

/// A known 2-D autonomous ODE with a region to show it in.
struct System {
  std::string name;    ///< id: spiral | toggle | lotka-volterra | van-der-pol | pendulum
  std::string title;   ///< human-readable name
  std::string description;
  std::function<Vec(const Vec&)> f;          ///< dz/dt
  std::function<Vec(Rng&)> initial;          ///< draws an initial state
  double xmin, xmax, ymin, ymax;             ///< region to display
  double t_end;                              ///< default trajectory length
};

/// All reference systems.
const std::vector<System>& systems();
/// One by id; nullptr when unknown.
const System* find_system(const std::string& name);

/// How to sample trajectories of a system.
struct SampleOptions {
  int trajectories = 8;
  int points = 50;          ///< observations per trajectory (the first at t = 0)
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
