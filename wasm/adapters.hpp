#pragma once
/// Conversions between JS values and the core: typed arrays in, copied typed arrays and plain objects out.
/// Nothing here throws: failures come back as {error: "..."} objects or error strings for the JS layer to raise.
#include <emscripten/val.h>

#include <memory>
#include <string>

#include "nde/density.hpp"
#include "nde/trainer.hpp"

namespace nde::wasm {

using emscripten::val;

/// A Trainer as JS sees it.
class TrainerHandle {
 public:
  /// Creates the trainer from a config document; returns an error message or "".
  std::string init(const std::string& config_json);
  /// Replaces the trainer by a model document's; returns an error message or "".
  std::string load(const std::string& model_json);
  /// The normalised config as JSON.
  std::string config() const;
  /// {index} or {error}; times (n) and states (row-major n × dim) are array-likes of numbers.
  val add_trajectory(const val& times, const val& states);
  void clear_trajectories();
  int trajectory_count() const;
  /// n training steps: {iteration, loss, gradNorm, nfeForward, nfeBackward, status, message, millis}.
  val step(int n);
  /// {loss, status, message}: the full-data loss.
  val loss() const;
  /// θ as a new Float64Array.
  val parameters() const;
  /// Replaces θ; returns an error message or "".
  std::string set_parameters(const val& p);
  /// {gradient: Float64Array, status, message} of the full-data loss, or {error}.
  val gradient(const std::string& method) const;
  /// {states: Float64Array (row-major N × dim), status, message} from z0 at t0, or {error}.
  val integrate(const val& z0, const val& times, double t0) const;
  /// {velocities: Float64Array (row-major m × dim)} at points (row-major m × dim), or {error}.
  val field(const val& points, double t) const;
  /// {values: Float32Array of nx·ny (vx, vy) pairs, row by row} or {error}.
  val sample_grid(double xmin, double xmax, double ymin, double ymax, int nx, int ny, double t) const;
  /// The model document.
  std::string to_json() const;
  /// Fresh weights from a seed; data kept.
  void reset(double seed);
  /// Completed iterations.
  double iteration() const;

 private:
  std::shared_ptr<Trainer> t_;
};

/// A DensityTrainer as JS sees it (same conventions as TrainerHandle).
class DensityHandle {
 public:
  /// Creates the trainer from a density config document; returns an error message or "".
  std::string init(const std::string& config_json);
  /// Replaces the trainer by a density document's flow; returns an error message or "".
  std::string load(const std::string& doc);
  /// The flow document.
  std::string to_json() const;
  /// The normalised config as JSON.
  std::string config() const;
  /// {count} or {error}; points row-major m × 2.
  val add_samples(const val& points);
  void clear_samples();
  int sample_count() const;
  /// n training steps: {iteration, loss, gradNorm, nfeForward, nfeBackward, status, message, millis}.
  val step(int n);
  /// {nll, status, message, nfe}: mean negative log-likelihood of all samples.
  val nll() const;
  /// {points: Float64Array (row-major n × 2), status, message} base samples pushed to time t, or {error}.
  val sample(int n, double t, double seed) const;
  /// {values: Float64Array} log p at points (row-major m × 2), or {error}.
  val log_density(const val& points) const;
  /// {values: Float32Array of nx·ny log-densities, row by row from ymin, status} or {error}.
  val log_density_grid(double xmin, double xmax, double ymin, double ymax, int nx, int ny) const;
  /// θ as a new Float64Array; setParameters returns an error message or "".
  val parameters() const;
  std::string set_parameters(const val& p);
  void reset(double seed);
  double iteration() const;

 private:
  std::shared_ptr<DensityTrainer> t_;
};

/// Names of the density presets.
val density_presets();
/// {points: Float64Array (row-major n × 2)} samples of a density preset, or {error}.
val sample_density(const std::string& name, int n, double seed);

/// The reference systems: [{name, title, description, bounds: {xmin, xmax, ymin, ymax}, tEnd}].
val systems();
/// {trajectories: [{times, states}], bounds} or {error}; options {trajectories, points, noise, seed, tEnd, regular, initial}.
val sample_system(const std::string& name, const val& options);
/// {velocities: Float64Array (row-major m × 2)} of the true field at points, or {error}.
val system_field(const std::string& name, const val& points);
/// The core's version string.
std::string version();
/// Current size of the wasm linear memory in bytes.
double heap_bytes();

}  // namespace nde::wasm
