#pragma once
/// 2-D toy densities for density mode (FFJORD's usual suspects) and their samplers.
#include <string>
#include <vector>

#include "nde/field.hpp"
#include "nde/types.hpp"

namespace nde {

/// Names: two-moons | rings | eight-gaussians | checkerboard | pinwheel | two-gaussians.
const std::vector<std::string>& density_presets();
/// n samples (2 × n) of a preset; empty matrix when the name is unknown.
Mat sample_density(const std::string& name, Eigen::Index n, std::uint64_t seed);
/// The exact log-density of the two-gaussians preset (for tests: its own NLL).
double two_gaussians_log_density(double x, double y);

}  // namespace nde
