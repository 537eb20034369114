#pragma once
/// Observed trajectories: each with its own strictly increasing, irregular times.
#include <string>
#include <vector>

#include "nde/field.hpp"
#include "nde/types.hpp"
#include "nde/result.hpp"

namespace nde {

/// Observations z(t_i): states has one column per time (dim × n).
struct Trajectory {
  std::vector<double> times;
  Mat states;
};

/// Succeeds when t is usable for a model of dimension dim; otherwise says what is wrong with it.
[[nodiscard]] Result<> validate_trajectory(const Trajectory& t, int dim);

}  // namespace nde
