#pragma once
/// How well a trained model matches the true system it learned from: field and rollout errors.
#include <vector>

#include "nde/systems.hpp"
#include "nde/trainer.hpp"

namespace nde {

/// Every observed state of the trajectories side by side (d × total observations).
[[nodiscard]] Mat observed_states(const std::vector<Trajectory>& data);
/// Points near the data: each observation moved by ±`fraction` of the data's extent along each axis (2d per
/// observation), so the field is judged just off the observed states too.
[[nodiscard]] Mat points_near_data(const std::vector<Trajectory>& data, double fraction = 0.05);
/// Relative field error sqrt(Σ‖f̂ − f‖² / Σ‖f‖²) of the learned field against the system's at the points.
[[nodiscard]] double field_error(const Trainer& t, const System& s, const Mat& points);
/// Rollout error: each trajectory integrated by the learned field from its first observation, the RMS distance
/// to the observations over the data's extent (the largest range of a coordinate); +inf if a rollout fails.
[[nodiscard]] double rollout_error(const Trainer& t, const std::vector<Trajectory>& data);

}  // namespace nde
