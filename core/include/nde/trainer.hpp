#pragma once
/// A data set of trajectories, minibatches of windows and one training step of the neural ODE.
#include <algorithm>
#include <array>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "nde/batch_field.hpp"
#include "nde/config.hpp"
#include "nde/rng.hpp"
#include "nde/trajectory.hpp"

namespace nde {

/// Affine map to the model's coordinates: z_model = (z − offset) / scale and t_model = t / time, so the
/// network learns dz_model/dt_model = f(z_model, t_model) and the physical field is scale ⊙ f / time.
struct Normalization {
  Vec offset;
  Vec scale;
  double time = 1.0;  ///< physical time per model time unit (1: time is not rescaled, e.g. documents before it)
};

/// Range of Normalization::time.
inline constexpr double kMinTimeScale = 1e-6, kMaxTimeScale = 1e6;

/// The time scale that makes the data's normalised velocities O(1): 1 / their RMS speed from noise-corrected differences (1 if none move).
[[nodiscard]] double fit_time_scale(const std::vector<Trajectory>& data, const Vec& offset, const Vec& scale);

/// The free start states of multiple shooting (TrainerConfig::shooting) of one trajectory, with their own Adam
/// moments: one state per observation (those at segment boundaries are trained), in model coordinates.
struct ShootingState {
  std::uint64_t key = 0;  ///< the trajectory's content (trajectory_key): the states belong to the trajectory with it
  Index points = 0;       ///< its observations
  Vec states;             ///< dim × points, column by column
  Vec m, v;               ///< Adam moments (same size)
  std::int64_t steps = 0;  ///< Adam steps taken
};

/// A key of a trajectory's content (its times and states, bit for bit; FNV-1a): multiple shooting's free states
/// are kept per key, so a trajectory removed and added again unchanged (the page re-sends all strokes whenever one
/// changes) keeps its states, and a changed one starts afresh.
[[nodiscard]] std::uint64_t trajectory_key(const Trajectory& t);

/// Everything a saved model restores besides its config: θ, its average, normalisation, iteration count,
/// optimiser moments and the minibatch sampler's stream, so that training resumes exactly where it stopped.
struct TrainingState {
  Vec theta;                ///< the optimiser's iterate (what training updates)
  Vec average;              ///< the moving average of θ the model answers with (empty: θ itself)
  std::int64_t averaged = 0;  ///< steps in the average since θ was last set (0: the average is θ)
  Normalization norm;
  std::int64_t iteration = 0;
  OptimizerState optimizer;                            ///< step 0 and no moments: a fresh optimiser
  std::optional<std::array<std::uint64_t, 4>> rng;     ///< absent: the stream seeded from config.seed
  std::vector<ShootingState> shooting;  ///< multiple shooting's trained free states (Trainer only), by trajectory key
};

/// How one training step ended and what it did. On failure the parameters are those from before the step.
struct [[nodiscard]] StepReport : Result<> {
  std::int64_t iteration = 0;       ///< completed iterations after the step
  double loss = 0.0;        ///< minibatch loss before the update (incl. regularisers)
  double grad_norm = 0.0;   ///< before clipping
  long nfe_forward = 0;      ///< a suspended piece: the iteration's forward evaluations so far
  long nfe_backward = 0;
  double millis = 0.0;      ///< the whole iteration's time (all its pieces); a suspended piece: that piece's
  bool suspended = false;   ///< stopped at its WorkBudget before finishing: the next step continues this iteration
};

/// What both trainers share: the network, its normalisation, the optimiser, the minibatch sampler's stream,
/// the iteration count and the time budget, with the operations on them that do not depend on the data.
class Learner {
 public:
  /// The network, with the averaged parameters (OptimizerConfig::average): what every output of the model uses.
  [[nodiscard]] const Mlp& mlp() const { return mlp_; }
  /// The optimiser's own iterate θ (training's gradients are taken here; the model answers with the average).
  [[nodiscard]] const Vec& training_parameters() const { return theta_; }
  /// The map from physical to model coordinates (states and time).
  [[nodiscard]] const Normalization& normalization() const { return norm_; }
  /// Completed training iterations.
  [[nodiscard]] std::int64_t iteration() const { return iteration_; }
  /// Replaces θ and its average, or says why not (size, non-finite; nothing changed then).
  Result<> set_parameters(const Vec& theta);
  /// The state a document saves (no shooting states: see Trainer::state).
  [[nodiscard]] TrainingState state() const;
  /// Restores a saved state (used by model_io), or says why not (nothing changed then); its shooting states are
  /// ignored (see Trainer::restore).
  Result<> restore(const TrainingState& s);
  /// The time budget of every solve this trainer runs from now on (a solve past it ends with TimeLimit).
  void set_deadline(const Deadline& d) { deadline_ = d; }
  /// The time budget set last.
  [[nodiscard]] const Deadline& deadline() const { return deadline_; }
  /// Whether an iteration is under way: a step suspended at its WorkBudget (the next step continues it).
  [[nodiscard]] bool pending() const { return pending_; }
  /// A copy as of the last completed iteration (an iteration under way is not copied).
  Learner(const Learner& other);
  /// The same for assignment.
  Learner& operator=(const Learner& other);
  /// Moves (an iteration under way is dropped by the moved-from learner's copy semantics: see the copy).
  Learner(Learner&&) = default;
  /// The same for move assignment.
  Learner& operator=(Learner&&) = default;

 protected:
  /// Weights initialised from `seed`; identity normalisation of mlp.dim states.
  Learner(const MlpConfig& mlp, const OptimizerConfig& optimizer, std::uint64_t seed);
  /// Fresh weights from `seed`, optimiser, sampler stream and iteration count (the caller refits normalisation).
  void restart(std::uint64_t seed);
  /// One training step, or a piece of one: unless an iteration is under way, `start` draws the minibatch from rng_
  /// and sets up its loss-and-gradient computation; `advance` continues that within `budget` (null: to the end) and
  /// returns its result (suspended while it is not finished; mlp_ holds θ while a piece runs; the result is held by
  /// the caller's trainer, so that a step can reuse its storage). A finished one's update is applied to θ and folded
  /// into the average, or on any failure nothing changes (θ, average, optimiser, iteration, sampler stream) and the
  /// report says why; one that stops at the budget is kept (report.suspended) and the next call continues it.
  [[nodiscard]] StepReport train_step(const std::function<void()>& start,
                                      const std::function<const GradientResult&(WorkBudget*)>& advance,
                                      WorkBudget* budget);
  /// Drops an iteration under way and gives its minibatch draws back (everything that changes θ, data or state
  /// calls it).
  void discard_pending();
  /// Counts the changes of the model or data (every discard_pending and every finished step): a computation spread
  /// over several calls (the resumable whole-data loss) starts over when it changed.
  [[nodiscard]] std::uint64_t generation() const { return generation_; }

  Mlp mlp_;               ///< the model: its parameters are the average of the iterates
  Vec theta_;             ///< the optimiser's iterate
  std::int64_t averaged_ = 0;  ///< steps in the average since θ was last set
  Normalization norm_;
  Optimizer optimizer_;
  Rng rng_;
  std::int64_t iteration_ = 0;
  Deadline deadline_;
  bool pending_ = false;           ///< an iteration under way (suspended at its budget)
  std::optional<Rng> rng_before_;  ///< the sampler's stream before it (what state() saves meanwhile)
  double pending_millis_ = 0.0;    ///< its pieces' time so far
  std::uint64_t generation_ = 0;   ///< see generation()
};

/// Observations of windows integrated together: one joint solve over the union of their relative times.
struct BatchProblem {
  Vec y0;                      ///< [vec(Z0), r0]
  RowVec offsets;              ///< absolute start time of each window
  std::vector<double> times;   ///< relative output times (union over windows)
  std::vector<std::size_t> first;  ///< output i's targets are first[i] … first[i + 1] − 1
  std::vector<Index> column;       ///< each target's window (its column in the batch)
  Mat value;                       ///< each target's observation in model coordinates (dim × ≥ targets)
  std::vector<char> link;          ///< each target: a continuity target (value = the next segment's free start state)
  Mat value_grad;                  ///< ∂loss/∂value of the continuity targets (set by the gradient's forward solve)
  RowVec copies;                   ///< each window's multiplicity (its targets' weight factor)
  double weight = 1.0;         ///< 1 / number of observed entries (mean)
  /// Number of targets at output i.
  [[nodiscard]] std::size_t targets(std::size_t i) const { return first[i + 1] - first[i]; }
};

/// A consecutive run of observations of one trajectory.
struct Window {
  std::size_t trajectory;
  std::size_t start;
  std::size_t length;
  bool shoot = false;   ///< starts at the free shooting state of its first observation (not at the observation)
  bool linked = false;  ///< the next segment starts at its last observation's free state (continuity target)
  std::size_t copies = 1;  ///< times it was drawn (its loss counts this often; drawn windows are solved once)
};

/// Owns the model (MLP, normalisation), the data and the optimiser.
class Trainer : public Learner {
 public:
  /// The config must be valid (see validate()); weights are initialised from config.seed.
  explicit Trainer(TrainerConfig config);

  const TrainerConfig& config() const { return config_; }

  /// Adds a trajectory (physical coordinates); its index, or why not (nothing is added then).
  Result<std::size_t> add_trajectory(Trajectory t);
  /// Removes all trajectories.
  void clear_trajectories();
  const std::vector<Trajectory>& trajectories() const { return data_; }

  /// The state a document saves, with multiple shooting's free states: those of the current trajectories and those
  /// kept for trajectories that may come back (see trajectory_key).
  [[nodiscard]] TrainingState state() const;
  /// Restores a saved state, its shooting states kept by key for the trajectories that have them (now or when added),
  /// or says why not (nothing changed then).
  Result<> restore(const TrainingState& s);
  /// Multiple shooting's free states of trajectory i in model coordinates (dim × points), or null while it has none
  /// (not trained with shooting yet: its segments then start at the observations).
  [[nodiscard]] const ShootingState* shooting_state(std::size_t i) const;
  /// The gradient of one training step's loss at the current parameters on the given windows (cut into shooting
  /// segments) with respect to θ (grad_theta) and the free states (`free`, one per trajectory, dim × points column
  /// by column; empty for trajectories without segments); exposed for tests.
  GradientResult shooting_gradient(const std::vector<Window>& windows, std::vector<Vec>& free);
  /// Sets trajectory i's free states (model coordinates, dim × points column by column), for tests.
  Result<> set_shooting_states(std::size_t i, const Vec& states);

  /// One optimisation step on a random minibatch of windows. With a `budget` the step stops between two solver steps
  /// once it is used up (report.suspended) and the next step() continues it: the result is the same bit for bit.
  StepReport step(WorkBudget* budget = nullptr);
  /// Loss over all observations (each trajectory integrated from its first point), without regularisers.
  GradientResult full_loss() const;
  /// The same over trajectory i alone (i < trajectories().size()): the mean over its observations, so the whole-data
  /// loss is Σ lossᵢ·(nᵢ − 1) / Σ (nᵢ − 1) over trajectories of nᵢ points; bounded work for one piece of it.
  GradientResult trajectory_loss(std::size_t i) const;
  /// The same losses in pieces (trajectory < 0: full_loss, else trajectory_loss(trajectory)): continues the evaluation
  /// under way for the same trajectory, else starts one, within `budget`. True once finished, with `out` equal to the
  /// one-call result bit for bit; false when it stopped between two solver steps (out.suspended, out.forward.nfe so
  /// far). An evaluation whose model or data changed since it began (a step finished, new weights, data or state)
  /// starts over. It reads the model only: an iteration under way is not disturbed, nor is it by the evaluation.
  bool loss_resumable(GradientResult& out, WorkBudget* budget, long trajectory = -1) const;
  /// Full-data loss and its gradient by the given method.
  GradientResult full_gradient(GradientMethod method) const;
  /// full_gradient in pieces, the same result bit for bit: begin_full_gradient sets it up (dropping one under way), each
  /// advance_full_gradient continues it within `budget` (between two solver steps) and returns true once finished, with
  /// the result in `out`. It shares its buffers with full_loss, trajectory_loss and full_gradient: none may run between
  /// the pieces (they would drop it).
  void begin_full_gradient(GradientMethod method) const;
  [[nodiscard]] bool advance_full_gradient(WorkBudget* budget, GradientResult& out) const;

  /// Re-initialises weights from `seed`, forgets optimiser state and iterations, refits normalisation.
  void reset(std::uint64_t seed);

  /// Integrates the learned ODE from z0 (physical) at time t0 to each of `times` (either side of t0, any
  /// order, no repeats); states are dim × N in the order given.
  Solution integrate(const Vec& z0, double t0, const std::vector<double>& times) const;
  /// Learned velocities (physical units) at points (dim × m) at time t; evaluated in column blocks so the
  /// network's work memory stays bounded whatever m is. `single` evaluates the network in float32 (for
  /// drawing), otherwise in double.
  Mat field(const Mat& points, double t, bool single = false) const;

  /// The windows a training step would use, drawn from rng (exposed for tests).
  [[nodiscard]] std::vector<Window> sample_windows(Rng& rng) const;
  /// The joint problem for a set of windows; weight 0 means 1 / (the windows' observed entries).
  [[nodiscard]] BatchProblem make_problem(const std::vector<Window>& windows, bool regularize, double weight = 0.0) const;
  /// Windows grouped by equal relative observation times (each group is one batched solve).
  [[nodiscard]] std::vector<std::vector<Window>> group_windows(const std::vector<Window>& windows) const;
  /// Bytes one training step on these windows needs (an upper estimate, checked against limits first).
  [[nodiscard]] double step_bytes(const std::vector<Window>& windows) const;

 private:
  /// The solves of one evaluation, the state of the one under way and its sum; sized by the first steps, so later
  /// steps of the same shape allocate nothing.
  struct Evaluation {
    /// What one batched solve of a given number of windows uses (every size in it follows from that number).
    struct Solve {
      BatchProblem problem;
      BatchField::Work field;      ///< the batched field's evaluation buffers
      GradientWorkspace gradient;  ///< tapes, cotangents and solver buffers of the gradient
      GradientResult part;         ///< the solve's result
    };
    /// Buffers kept for this many kinds of solve at most: groups whose sizes vary from step to step (windows on a
    /// few time grids, one solve each) would otherwise keep buffers for every size met, far beyond one step's memory.
    static constexpr std::size_t kKeptSizes = 4;
    /// (kind of solve: 2 × its windows + 1 if dense, its buffers), the most recently used last.
    std::vector<std::pair<std::size_t, std::unique_ptr<Solve>>> solves;
    /// The buffers of a solve of `windows` windows, `dense` or not (a joint solve's dense-output method has other
    /// stages than the plain one: sharing buffers would reallocate them whenever steps alternate between the two);
    /// the least recently used kind's are dropped beyond kKeptSizes (never the group under way's: a group takes its
    /// buffers when it starts and the next group only after it finished).
    Solve& solve(std::size_t windows, bool dense) {
      const std::size_t key = 2 * windows + (dense ? 1 : 0);
      auto it = std::find_if(solves.begin(), solves.end(), [key](const auto& s) { return s.first == key; });
      if (it == solves.end()) {
        if (solves.size() >= kKeptSizes) solves.erase(solves.begin());
        solves.emplace_back(key, std::make_unique<Solve>());
      } else {
        std::rotate(it, it + 1, solves.end());  // most recently used last
      }
      return *solves.back().second;
    }
    std::vector<std::vector<Window>> groups;  ///< the first `count` are this evaluation's (one solve each)
    std::size_t count = 0;
    std::size_t group = 0;     ///< the group under way
    bool running = false;      ///< its solve has started (resumable: continue it)
    SolverOptions plain, dense;  ///< copies of the trainer's options (assigned: same sizes, no allocation)
    bool joint = false;
    GradientOptions gradient_options;
    bool regularize = false, gradient = false;
    double weight = 0.0, per_window = 1.0;
    GradientResult total;      ///< the sum over the groups
    GradientResult waiting;    ///< what a suspended piece returns (suspended, the forward NFE so far)
    bool shooting = false;     ///< some window starts at a free state: shoot_grad collects their gradients
    std::vector<Vec> shoot_grad;  ///< ∂loss/∂(free states) per trajectory (model coordinates, dim × points)
    /// The options of its solves.
    SolverOptions& options() { return joint ? dense : plain; }
  };
  /// Loss (and gradient) over the windows in the buffers of `e` (e.total), run to the end.
  void evaluate(const std::vector<Window>& windows, bool regularize, bool gradient, GradientMethod method,
                Evaluation& e) const;
  /// Sets up an evaluation over the windows in `e` (nothing computed yet).
  void begin(const std::vector<Window>& windows, bool regularize, bool gradient, GradientMethod method,
             Evaluation& e) const;
  /// Continues `e` within `budget` (null: to the end); true once finished (e.total is then complete).
  [[nodiscard]] bool advance(Evaluation& e, WorkBudget* budget) const;
  std::vector<Window> all_windows() const;
  void fit_normalization();
  /// sample_windows into `out`, reusing its storage.
  void sample_windows_into(Rng& rng, std::vector<Window>& out) const;
  /// make_problem into `p`, reusing its storage (a steady-state step allocates nothing here).
  void make_problem_into(const std::vector<Window>& windows, bool regularize, double weight, BatchProblem& p) const;
  /// Whether two windows have the same relative observation times (to rounding): one batched solve can take both.
  [[nodiscard]] bool same_grid(const Window& a, const Window& b) const;
  /// group_windows into `groups`; the first `count` entries are the groups (later ones keep their storage).
  void group_windows_into(const std::vector<Window>& windows, std::vector<std::vector<Window>>& groups,
                          std::size_t& count) const;

  /// Buffers a training step reuses, sized by the first steps: later steps of the same shape allocate nothing.
  struct StepBuffers {
    StepBuffers() = default;
    /// A copied trainer starts with empty buffers (they are scratch, not state).
    StepBuffers(const StepBuffers&) {}
    /// Assignment keeps this trainer's buffers (scratch, not state).
    StepBuffers& operator=(const StepBuffers&) { return *this; }
    struct Entry { Index column; std::size_t traj, obs; bool link; };
    struct Key { double t; std::size_t entry; };  ///< a target's relative time and its entry
    std::vector<Window> segments;  ///< the windows cut into shooting segments
    std::vector<Window> distinct;  ///< the drawn windows, each once (cut_segments)
    std::vector<Window> windows;
    std::vector<std::size_t> starts;
    std::vector<Entry> entries;
    std::vector<Key> keys, merged;    ///< make_problem_into's targets put in time order (merged: the merge's output)
    std::vector<std::size_t> runs;    ///< where each window's keys start (each window's are in time order)
    Evaluation step;   ///< a training step's evaluation (kept while the step is suspended)
    Evaluation other;  ///< whole-data loss and gradient (never disturbs a suspended step)
    Evaluation loss;   ///< the resumable whole-data loss (kept while it is suspended)
    bool loss_running = false;        ///< `loss` is under way
    long loss_trajectory = -1;        ///< … over this trajectory (-1: all)
    std::uint64_t loss_generation = 0;  ///< … of the model and data of this generation()
  };
  /// Cuts windows longer than config.shooting into segments (see TrainerConfig::shooting).
  void cut_segments(const std::vector<Window>& windows, std::vector<Window>& out) const;
  /// Initialises trajectory i's free states at its observations unless they are set.
  void ensure_shooting(std::size_t i);
  /// Adds the free states' own data misfit to e (loss and shoot_grad).
  void shooting_misfit(const std::vector<Window>& segments, Evaluation& e) const;
  /// One Adam step of the free states from e.shoot_grad.
  void update_shooting(const Evaluation& e);
  /// Adds trajectory i's shooting states from the kept ones when they have its key.
  void claim_shooting(std::size_t i);
  std::vector<ShootingState> shoot_;  ///< per trajectory (no states: not used yet, i.e. at the observations)
  std::vector<ShootingState> kept_;   ///< of trajectories removed (the last clear) or from a document, by key
  TrainerConfig config_;
  mutable SolverOptions solver_;        ///< solver_options(config_.solver), built once (its deadline set per call)
  mutable SolverOptions dense_solver_;  ///< the same with dense output (the joint solve of irregular windows)
  mutable StepBuffers buffers_;
  std::vector<Trajectory> data_;
};

}  // namespace nde
