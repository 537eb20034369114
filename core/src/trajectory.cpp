#include "nde/trajectory.hpp"

#include <cmath>

#include "nde/limits.hpp"

namespace nde {

Result<> validate_trajectory(const Trajectory& t, int dim) {
  const std::size_t n = t.times.size();
  if (n < 2) return Result<>::failure("a trajectory needs at least 2 observations (got " + std::to_string(n) + ")");
  if (t.states.rows() != dim)
    return Result<>::failure("states have dimension " + std::to_string(t.states.rows()) + ", the model has " + std::to_string(dim));
  if (static_cast<std::size_t>(t.states.cols()) != n)
    return Result<>::failure("there are " + std::to_string(n) + " times but " + std::to_string(t.states.cols()) + " states");
  for (std::size_t i = 0; i < n; ++i) {
    if (!std::isfinite(t.times[i])) return Result<>::failure("time " + std::to_string(i) + " is not finite");
    if (!t.states.col(static_cast<Index>(i)).allFinite()) return Result<>::failure("state " + std::to_string(i) + " is not finite");
    if (i > 0 && !(t.times[i] > t.times[i - 1]))
      return Result<>::failure("times must be strictly increasing: time " + std::to_string(i) + " (" + limits::format(t.times[i]) +
             ") is not after time " + std::to_string(i - 1) + " (" + limits::format(t.times[i - 1]) + ")");
  }
  return {};
}

}  // namespace nde
