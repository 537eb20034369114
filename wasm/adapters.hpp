#pragma once
/// Conversions between JS values and the core: typed arrays in, copied typed arrays and plain objects out.
/// Nothing here throws and nothing here reads a JS object's properties: api.js validates every value and
/// passes numbers, strings and Float64Arrays only. Failures come back as {error: "..."} objects for the JS
/// layer to raise (calls with nothing to return answer {} on success). Counts arrive as doubles and are range-checked here (no int wrap-around).
#include <emscripten/val.h>

#include <memory>
#include <optional>
#include <string>

#include "nde/density.hpp"
#include "nde/ensemble.hpp"
#include "nde/trainer.hpp"

namespace nde::wasm {

using emscripten::val;

/// What JS sees of either trainer (T = Trainer or DensityTrainer): the calls both tasks share.
template <class T>
class Handle {
 public:
  /// Creates the trainer from a config document: {} or {error}.
  val init(const std::string& config_json);
  /// Replaces the trainer by a document's: {} or {error}. notice() then says e.g. that the optimiser restarts
  /// (older documents).
  val load(const std::string& doc);
  /// A remark about the last load, or "".
  std::string notice() const { return notice_; }
  /// The document (model or density flow).
  std::string to_json() const;
  /// The same document packed (model_io.hpp: a small JSON header and the long arrays as float64 values) as a new
  /// Uint8Array: no number is turned into text (256 × 6: ~10.5 MB, against ~28 MB of JSON text).
  val to_packed() const;
  /// Replaces the trainer by a packed document's (a Uint8Array): {} or {error} (the trainer unchanged then).
  val load_packed(const val& bytes);
  /// The normalised config as JSON.
  std::string config() const;
  /// Up to n training steps within max_millis: {iteration, iterations, loss, gradNorm, nfeForward, nfeBackward,
  /// status, message, millis, suspended}. solver_steps < 0: an iteration cut off by the budget is discarded (status
  /// "time-limit"); ≥ 0 (resumable): it stops between two solver steps at the budget (and after solver_steps of
  /// them, if > 0), is kept (suspended) and the next step call continues it exactly.
  val step(double n, double max_millis, double solver_steps);
  /// θ as a new Float64Array.
  val parameters() const;
  /// Replaces θ: {} or {error}.
  val set_parameters(const val& p);
  /// Fresh weights from a seed; data kept: {} or {error}.
  val reset(double seed);
  /// Completed iterations.
  double iteration() const;
  /// Keeps a copy of the training state (weights, optimiser, sampler, iteration) in the module, replacing the one kept
  /// before: a point to go back to that costs a copy (a document is text: ~28 MB for a 256 × 6 network).
  void checkpoint();
  /// The iteration of the state kept, or -1 when none (init and load forget it).
  double checkpoint_iteration() const;
  /// The trainer itself (for jobs that copy it).
  [[nodiscard]] const std::shared_ptr<T>& shared() const { return t_; }
  /// Goes back to the state kept (an iteration under way is dropped; the data stay): {} or {error}.
  val restore_checkpoint();
  /// Takes another trainer's training state (weights, optimiser, sampler, iteration; same network shape), keeping this
  /// one's config and data: a settings change without a document. {} or {error} (nothing changed then).
  val adopt_state(const Handle& other);

 protected:
  std::shared_ptr<T> t_;
  std::string notice_;
  std::optional<TrainingState> kept_;
};

/// A Trainer as JS sees it.
class TrainerHandle : public Handle<Trainer> {
 public:
  /// {index} or {error}; times (n) and states (row-major n × dim) are Float64Arrays.
  val add_trajectory(const val& times, const val& states);
  void clear_trajectories();
  double trajectory_count() const;
  /// {loss, status, message} of the full data (trajectory < 0) or of one trajectory, or {error}.
  val loss(double max_millis, double trajectory) const;
  /// A piece of the same loss (Trainer::loss_resumable): {done, loss (NaN until done), nfeForward, status, message}
  /// after at most max_millis (and solver_steps > 0 solver steps), continuing the piece before; or {error}.
  val loss_piece(double max_millis, double trajectory, double solver_steps) const;
  /// {gradient: Float64Array, loss, status, message} of the full-data loss, or {error}.
  val gradient(const std::string& method, double max_millis) const;
  /// {states: Float64Array (row-major N × dim), status, message, nfe} from z0 at t0, or {error}.
  val integrate(const val& z0, const val& times, double t0, double max_millis) const;
  /// {velocities: Float64Array (row-major m × dim)} at points (row-major m × dim), or {error}.
  val field(const val& points, double t, double max_millis) const;
  /// {values: Float32Array of nx·ny (vx, vy) pairs, row by row} or {error}.
  val sample_grid(double xmin, double xmax, double ymin, double ymax, double nx, double ny, double t,
                  double max_millis, bool single) const;
  /// The learned field's phase portrait over a view (nx, ny in [8, 256]) — {summary, equilibria, nullclines,
  /// cycles, attractors, basins, separatrices, timeUnit, complete, millis} — and with a system name `truth`
  /// also {truth: its portrait, comparison}; or {error}.
  val analyze(double xmin, double xmax, double ymin, double ymax, double nx, double ny, double t,
              const std::string& truth, double max_millis) const;
  /// Every gradient method against central differences on `coordinates` parameters, or {error}.
  val gradient_truth(double coordinates, double max_millis) const;
  /// [{steps, method, accepted, storedStates, nfeForward, nfeBackward, millis, status}] at fixed RK4 step counts
  /// (a Float64Array of whole numbers in [1, 1e6]), or {error}.
  val memory_sweep(const val& steps, double max_millis) const;
};

/// A long computation on a trainer's model in resumable pieces (a phase portrait, a gradient check, a memory sweep):
/// each run(max_millis) works about that long (it pauses between bounded units of work: a grid row, a Newton seed, a few
/// flow steps, a solver step) and the next continues where it stopped; the result is that of the one-call version
/// (analyze, gradientTruth, memorySweep: they are one run to the end). The job works on its own copy of the model and
/// data, so the trainer may train, change or be deleted meanwhile. Set up by one of the init calls ({} or {error}).
class JobHandle {
 public:
  /// The portrait job of TrainerHandle::analyze (max_millis: the work budget of the whole job, past which stages are
  /// skipped as there).
  val portrait(const TrainerHandle& trainer, double xmin, double xmax, double ymin, double ymax, double nx, double ny,
               double t, const std::string& truth, double max_millis);
  /// The job of TrainerHandle::gradient_truth (max_millis: the budget of its solves, from now).
  val gradient_truth(const TrainerHandle& trainer, double coordinates, double max_millis);
  /// The job of TrainerHandle::memory_sweep.
  val memory_sweep(const TrainerHandle& trainer, const val& steps, double max_millis);
  /// Works for about max_millis (at least one unit); true once finished.
  bool run(double max_millis);
  /// The result object of the one-call version (call once run() answered true), or {error}.
  val result() const;

  struct Job;

 private:
  std::shared_ptr<Job> job_;
};

/// A DensityTrainer as JS sees it (same conventions).
class DensityHandle : public Handle<DensityTrainer> {
 public:
  /// {count} or {error}; points row-major m × 2.
  val add_samples(const val& points);
  void clear_samples();
  double sample_count() const;
  /// {nll, status, message, nfe}: mean negative log-likelihood of all samples, or {error}.
  val nll(double max_millis) const;
  /// {points: Float64Array (row-major n × 2), status, message} base samples pushed to time t, or {error}.
  val sample(double n, double t, double seed, double max_millis) const;
  /// {values: Float64Array, status, message} log p at points (row-major m × 2), or {error}.
  val log_density(const val& points, double max_millis) const;
  /// {values: Float32Array of nx·ny log-densities, row by row from ymin, status, message} or {error}.
  val log_density_grid(double xmin, double xmax, double ymin, double ymax, double nx, double ny, double max_millis) const;
};

/// An Ensemble (trainers with seeds seed, seed + 1, … on the same data) as JS sees it.
class EnsembleHandle {
 public:
  /// Creates `members` ∈ [2, 16] trainers from a config document: {} or {error}.
  val init(const std::string& config_json, double members);
  /// {index} or {error}; the trajectory goes to every member.
  val add_trajectory(const val& times, const val& states);
  void clear_trajectories();
  double size() const;
  /// Up to n steps of every member within max_millis: {iteration, iterations, loss (mean), nfeForward,
  /// nfeBackward (summed), status, message, millis, suspended, pendingNfeForward}; solver_steps as Handle::step.
  val step(double n, double max_millis, double solver_steps);
  double iteration() const;
  /// {values: Float32Array of nx·ny spreads of the members' velocities, row by row from ymin} or {error}.
  val disagreement_grid(double xmin, double xmax, double ymin, double ymax, double nx, double ny, double t,
                        double max_millis) const;

 private:
  std::shared_ptr<Ensemble> e_;
};

/// The true system's phase portrait over a view (nx, ny in [8, 256]), or {error}.
val analyze_system(const std::string& name, double xmin, double xmax, double ymin, double ymax, double nx, double ny,
                   double max_millis);

/// Names of the density presets.
val density_presets();
/// {points: Float64Array (row-major n × 2)} samples of a density preset, or {error}.
val sample_density(const std::string& name, double n, double seed);

/// The reference systems: [{name, title, description, bounds: {xmin, xmax, ymin, ymax}, tEnd}].
val systems();
/// {trajectories: [{times, states}], bounds} or {error}; points 0: the system's default; initial (a Float64Array of
/// dim numbers, or null) replaces the random initial states.
val sample_system(const std::string& name, double trajectories, double points, double noise, double seed, double t_end,
                  bool regular, const val& initial, double max_millis);
/// {velocities: Float64Array (row-major m × dim)} of the true field at points, or {error}.
val system_field(const std::string& name, const val& points);
/// The limits every call is checked against (nde/limits.hpp), for the JS layer to check first.
val limits();
/// The core's version string.
std::string version();
/// Current size of the wasm linear memory in bytes.
double heap_bytes();
/// Selects the tiled kernel for wide layers (1) or Eigen's products (0); -1 leaves it; returns the selection.
bool tiled_kernels(int on);
/// Selects the points-in-lanes kernels for float32 field sampling (1) or the former path (0); -1 leaves it; returns the selection.
bool lane_kernels(int on);
/// Selects the float64 points-in-lanes training kernels of thin one-hidden-layer nets (1) or the former row path (0);
/// -1 leaves it; returns the selection.
bool lane_training(int on);
/// Keeps the checkpointed forward solve's stage passes for the reverse sweep (1) or recomputes them (0, the former path);
/// -1 leaves it; returns the selection.
bool stage_tapes(int on);
/// Size of the largest block malloc could hand out now, in bytes (a heap-fragmentation probe for tests).
double largest_free_block();

}  // namespace nde::wasm
