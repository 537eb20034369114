#pragma once
/// An autonomous field to analyse (time frozen): batch velocities and the Jacobian, in any dimension.
#include <functional>
#include <utility>
#include <vector>

#include "nde/grid.hpp"
#include "nde/systems.hpp"

namespace nde {

/// f(z) with its Jacobian at a frozen time: what every analysis (equilibria, cycles, basins) works on.
struct PhaseField {
  int dim = 2;
  std::function<Mat(const Mat&)> eval;        ///< velocities at points (dim × m → dim × m)
  std::function<Mat(const Vec&)> jacobian;    ///< ∂f/∂z at one point (dim × dim)
  std::function<RowVec(const Mat&)> divergence;  ///< tr ∂f/∂z at points (dim × m → 1 × m)
  Vec origin;  ///< where 2-D slices hold the components beyond the first two (size dim)
  Index block = 4096;  ///< points per eval call in long samplings, between time checks (a learned field's: ~2^22 multiply-adds)

  /// f at one point.
  [[nodiscard]] Vec at(const Vec& z) const { return eval(Mat(z)).col(0); }
  /// The point of the 2-D slice at (x, y).
  [[nodiscard]] Vec slice_point(double x, double y) const;
};

/// The trainer's learned field at time t, in physical units (augmented dimensions held at zero).
/// The trainer must outlive the field.
[[nodiscard]] PhaseField learned_phase_field(const Trainer& trainer, double t = 0.0);
/// A plain function; its Jacobian by central differences.
[[nodiscard]] PhaseField function_phase_field(int dim, std::function<Vec(const Vec&)> f);
/// A reference system's true field.
[[nodiscard]] PhaseField system_phase_field(const System& s);
/// The field −f (time reversed): what backward integration follows.
[[nodiscard]] PhaseField reversed(const PhaseField& f);
/// A 2-D field sampled once on `grid` and interpolated bilinearly inside it; outside the grid it is f itself.
/// Cheap to evaluate many times (basins, cycle searches, separatrices); the Jacobian stays f's.
[[nodiscard]] PhaseField sampled(const PhaseField& f, const GridSpec& grid);
/// The same from velocities already sampled on the grid (dim × nx·ny, row by row from ymin), with optional
/// further (usually coarser and wider) grids and their samples, consulted in order before f itself.
[[nodiscard]] PhaseField sampled(const PhaseField& f, const GridSpec& grid, const Mat& values,
                                 const std::vector<std::pair<GridSpec, Mat>>& more = {});

/// Points of the grid's 2-D slice (dim × nx·ny), row by row from ymin.
[[nodiscard]] Mat grid_points(const PhaseField& f, const GridSpec& g);
/// One classical RK4 step for each column of Z with its own step h (size Z.cols()).
void rk4_step(const PhaseField& f, Mat& Z, const Vec& h);

}  // namespace nde
