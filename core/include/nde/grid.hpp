#pragma once
/// The learned field sampled on a regular 2-D grid (what the page draws as particles and arrows).
#include "nde/trainer.hpp"

namespace nde {

/// A rectangle split into nx × ny sample points (cell corners, inclusive of the edges).
struct GridSpec {
  double xmin = -3, xmax = 3, ymin = -3, ymax = 3;
  int nx = 32, ny = 32;
  double t = 0.0;
  bool single = true;  ///< evaluate the network in float32 (what drawing needs), else in double
};

/// Succeeds when the grid is usable; otherwise says why not.
[[nodiscard]] Result<> validate(const GridSpec& g);
/// Velocities (first two components) at the grid points, row by row from ymin: a 2 × (nx·ny) matrix.
/// Other state components (dim > 2) are held at the normalisation offset. Evaluated in blocks of rows; if the
/// deadline passes between blocks the result is empty (0 columns).
Mat sample_grid(const Trainer& t, const GridSpec& g, const Deadline& deadline = {});

}  // namespace nde
