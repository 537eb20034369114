#pragma once
/// Nullclines: the zero contours of each velocity component on a grid (marching squares).
#include "nde/grid.hpp"

namespace nde {

/// Zero contour of grid values (row by row from ymin, nx·ny of them) as segments: a 4 × k matrix whose
/// columns are (x0, y0, x1, y1). Edge crossings are interpolated linearly; the two ambiguous cases of
/// marching squares are resolved by the cell's mean.
[[nodiscard]] Mat zero_contour(const RowVec& values, const GridSpec& g);

/// The x-nullcline (f_x = 0) and y-nullcline (f_y = 0) of sampled velocities (2 × nx·ny).
struct Nullclines {
  Mat x;  ///< segments where the first component vanishes
  Mat y;  ///< segments where the second component vanishes
};

/// Both nullclines from velocities sampled on g.
[[nodiscard]] Nullclines nullclines(const Mat& velocities, const GridSpec& g);

}  // namespace nde
