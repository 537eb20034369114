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
/// Points first … first + count − 1 of the grid (row by row from ymin) into `pts` (resized to dim × count); the
/// components past the first two at `offset` (the normalisation offset).
void grid_block(const GridSpec& g, const Vec& offset, Index first, Index count, Mat& pts);
/// Points per block of field evaluations between deadline checks: about 2^25 multiply-adds of the network (a whole
/// 64 × 64 grid for the page's nets, ten points of a 4 × 1024 one: as fast as one call, a few ms past a deadline), at least 1 and at most 4096.
[[nodiscard]] Index field_block(const Trainer& t);
/// Velocities (first two components) at the grid points, row by row from ymin: a 2 × (nx·ny) matrix.
/// Other state components (dim > 2) are held at the normalisation offset. Evaluated in blocks of field_block(t)
/// points; if the deadline passes between blocks the result is empty (0 columns).
[[nodiscard]] Mat sample_grid(const Trainer& t, const GridSpec& g, const Deadline& deadline = {});
/// The learned field at the points (dim × m, physical units) in blocks of field_block(t) points; empty (0 columns)
/// if the deadline passes between blocks.
[[nodiscard]] Mat sample_field(const Trainer& t, const Mat& points, double time, const Deadline& deadline = {});

}  // namespace nde
