#include "adapters.hpp"

#include <emscripten/bind.h>
#include <emscripten/heap.h>
#include <malloc.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <optional>
#include <vector>

#include "nde/config_json.hpp"
#include "nde/densities.hpp"
#include "nde/gradient_truth.hpp"
#include "nde/grid.hpp"
#include "nde/kernels.hpp"
#include "nde/lanes.hpp"
#include "nde/lanes64.hpp"
#include "nde/limits.hpp"
#include "nde/model_io.hpp"
#include "nde/phase_portrait.hpp"
#include "nde/systems.hpp"

namespace nde::wasm {

namespace {

using limits::format;

/// A whole number in [lo, hi] (NaN, ±Infinity and fractions fail): the one check every count passes.
bool whole(double v, double lo, double hi) { return std::floor(v) == v && v >= lo && v <= hi; }

std::string whole_range(const std::string& name, double lo, double hi) {
  return name + " must be a whole number in [" + format(lo) + ", " + format(hi) + "]";
}

/// The time budget of a call: (0, kMaxMillis] milliseconds, anything else means the maximum.
Deadline budget(double millis) {
  return Deadline::in_millis(millis > 0 && millis <= limits::kMaxMillis ? millis : limits::kMaxMillis);
}

/// Sets a trainer's deadline for the duration of one call.
template <class T>
struct DeadlineScope {
  T& trainer;
  DeadlineScope(T& t, double millis) : trainer(t) { trainer.set_deadline(budget(millis)); }
  ~DeadlineScope() { trainer.set_deadline({}); }
};

val error(const std::string& message) {
  val o = val::object();
  o.set("error", message);
  return o;
}

/// The error of a sampling call whose budget ran out between two blocks of points.
val ran_out(const char* call, double millis) {
  return error(std::string(call) + ": the time budget of " + format(millis) + " ms ran out");
}

/// {} on success, else {error}: the answer of a call with nothing to return.
val outcome(const Result<>& r) { return r.ok() ? val::object() : error(r.message); }

/// A Float64Array's numbers, at most limits::kCallBytes of them; anything else is an error (JS passes only these).
Result<std::vector<double>> numbers(const val& v, const std::string& name) {
  using R = Result<std::vector<double>>;
  if (!v.instanceof(val::global("Float64Array"))) return R::failure(name + " must be a Float64Array");
  const double n = v["length"].as<double>();
  if (const Result<> mem = limits::check_memory(8.0 * n, name); !mem.ok()) return R::failure(mem);
  return R::success(emscripten::convertJSArrayToNumberVector<double>(v));
}

/// Fails at the first entry outside the data range.
Result<> check_values(const std::vector<double>& v, const std::string& name) {
  for (std::size_t i = 0; i < v.size(); ++i)
    if (Result<> r = limits::check_data(v[i], name + "[" + std::to_string(i) + "]"); !r.ok()) return r;
  return {};
}

val f64(const double* p, std::size_t n) {
  // A copy: views into the wasm heap detach when memory grows.
  return val::global("Float64Array").new_(emscripten::typed_memory_view(n, p));
}

val f32(const float* p, std::size_t n) { return val::global("Float32Array").new_(emscripten::typed_memory_view(n, p)); }
/// n doubles rounded to float, as a Float32Array (vector conversions: emcc 3.1.6 scalarises the plain loop's).
val f32(const double* p, std::size_t n) {
  std::vector<float> out(n);
  nde::kernels::to_floats(p, static_cast<Index>(n), out.data());
  return f32(out.data(), n);
}

/// Row-major m × d numbers → d × m matrix.
Mat columns(const std::vector<double>& v, Index d) {
  const Index m = static_cast<Index>(v.size()) / d;
  return Eigen::Map<const Mat>(v.data(), d, m);
}

val rows(const Mat& m) {  // d × n → row-major n × d
  return f64(m.data(), static_cast<std::size_t>(m.size()));
}

/// {status, message}: how a report's computation ended (the rest of the report is set by the caller).
val status_object(const Result<>& r) {
  val o = val::object();
  o.set("status", std::string(to_string(r.status)));
  o.set("message", r.message);
  return o;
}

/// Document I/O of each trainer type: its config parser and writer, its document reader and writer.
template <class T>
struct Io;
template <>
struct Io<Trainer> {
  static constexpr auto parse_config = config_from_json;
  static constexpr auto config_json = config_to_json;
  static constexpr auto load = model_from_json;
  static constexpr auto save = model_to_json;
  static constexpr auto load_packed = model_from_packed;
  static constexpr auto save_packed = model_to_packed;
};
template <>
struct Io<DensityTrainer> {
  static constexpr auto parse_config = density_config_from_json;
  static constexpr auto config_json = density_config_to_json;
  static constexpr auto load = density_from_json;
  static constexpr auto save = density_to_json;
  static constexpr auto load_packed = density_from_packed;
  static constexpr auto save_packed = density_to_packed;
};

/// A trajectory from JS numbers: times (n) and states (row-major n × d), all in the data range.
Result<Trajectory> trajectory(const val& times, const val& states, Index d) {
  using R = Result<Trajectory>;
  const Result<std::vector<double>> ts = numbers(times, "times"), zs = numbers(states, "states");
  if (!ts.ok()) return R::failure(ts);
  if (!zs.ok()) return R::failure(zs);
  const std::size_t n = ts.value->size() * static_cast<std::size_t>(d);
  if (zs.value->size() != n)
    return R::failure("states must hold times.length × dim = " + std::to_string(n) + " numbers (row-major), got " +
                      std::to_string(zs.value->size()));
  for (const Result<>& err : {check_values(*ts.value, "times"), check_values(*zs.value, "states")})
    if (!err.ok()) return R::failure(err);
  return R::success(Trajectory{*ts.value, columns(*zs.value, d)});
}

/// Up to n steps of a trainer or an ensemble within max_millis, as the JS report {iteration, iterations, loss,
/// gradNorm, nfeForward, nfeBackward, status, message, millis, suspended, pendingNfeForward}. Another iteration starts only if the last
/// one's duration still fits; an iteration cut off by the budget is discarded by the trainer. With a `work` budget
/// (resumable) iterations run until the budget is used up instead: the one it cuts short is kept
/// (suspended) and continued by the next call; nfe and millis count whole iterations when they complete.
template <class T>
val run_steps(T& t, double n, double max_millis, double solver_steps) {
  if (!whole(n, 1, 1e6)) return error(whole_range("step(n): n", 1, 1e6));
  // solver_steps < 0: not resumable; 0: resumable within the time budget; > 0: and at most that many solver steps.
  const bool resumable = solver_steps >= 0;
  if (resumable && !whole(solver_steps, 0, 1e9)) return error(whole_range("step: maxSolverSteps", 1, 1e9));
  WorkBudget budget_steps;
  if (solver_steps > 0) budget_steps.steps = static_cast<long>(solver_steps);
  WorkBudget* const work = resumable ? &budget_steps : nullptr;
  const double budget_ms = max_millis > 0 && max_millis <= limits::kMaxMillis ? max_millis : limits::kMaxMillis;
  const Deadline deadline = budget(budget_ms);
  if (work) work->deadline = deadline;  // a resumable step stops there, losing nothing
  else t.set_deadline(deadline);
  StepReport last;
  long nfe_f = 0, nfe_b = 0;
  double millis = 0;
  int done = 0;
  bool suspended = false;
  long pending_nfe = 0;
  for (int i = 0; i < static_cast<int>(n); ++i) {
    if (work ? i > 0 && work->exhausted() : i > 0 && deadline.remaining_millis() < last.millis) break;
    const StepReport r = t.step(work);
    if (r.suspended) {
      suspended = true;
      pending_nfe = r.nfe_forward;
      break;
    }
    last = r;
    nfe_f += last.nfe_forward;
    nfe_b += last.nfe_backward;
    millis += last.millis;
    if (!last.ok()) break;
    ++done;
  }
  t.set_deadline({});
  if (last.status == Status::TimeLimit)
    last.message = "the time budget of " + format(budget_ms) + " ms ran out inside an iteration after " + std::to_string(done) +
              " completed; that iteration was discarded (parameters and optimiser as before it)" +
              (done == 0 ? ": one iteration costs more than the budget (lower batch.size, batch.window, the width or the "
                           "tolerances, or raise maxMillis)"
                         : "");
  val o = status_object(last);
  o.set("iteration", static_cast<double>(t.iteration()));
  o.set("iterations", done);
  o.set("loss", last.loss);
  o.set("gradNorm", last.grad_norm);
  o.set("nfeForward", static_cast<double>(nfe_f));
  o.set("nfeBackward", static_cast<double>(nfe_b));
  o.set("millis", millis);
  o.set("suspended", suspended);
  o.set("pendingNfeForward", static_cast<double>(pending_nfe));
  return o;
}

/// Grid points and their count check (both grids share them).
Result<> check_grid(const GridSpec& g, int dim) {
  for (double v : {g.xmin, g.xmax, g.ymin, g.ymax, g.t})
    if (Result<> r = limits::check_data(v, "grid bounds and time"); !r.ok()) return r;
  if (Result<> r = validate(g); !r.ok()) return r;
  return limits::check_memory(8.0 * g.nx * g.ny * (2.0 * dim + 3), "a grid of " + format(g.nx) + " × " + format(g.ny));
}

/// Sets g's counts from JS numbers, or says why not.
Result<> grid_counts(double nx, double ny, GridSpec& g) {
  if (!whole(nx, 2, 2048) || !whole(ny, 2, 2048)) return Result<>::failure("grid nx and ny must be whole numbers in [2, 2048]");
  g.nx = static_cast<int>(nx);
  g.ny = static_cast<int>(ny);
  return {};
}

}  // namespace

// ---- Both trainers ----

template <class T>
val Handle<T>::init(const std::string& config_json) {
  const auto c = Io<T>::parse_config(config_json);
  if (!c.ok()) return error(c.message);
  t_ = std::make_shared<T>(*c.value);
  kept_.reset();
  return val::object();
}

template <class T>
val Handle<T>::load(const std::string& doc) {
  std::string notice;
  Result<std::shared_ptr<T>> r = Io<T>::load(doc, &notice);
  if (!r.ok()) return error(r.message);
  t_ = *r.value;
  kept_.reset();
  notice_ = notice;
  return val::object();
}

template <class T>
std::string Handle<T>::to_json() const {
  return Io<T>::save(*t_);
}

template <class T>
val Handle<T>::to_packed() const {
  const std::vector<std::uint8_t> bytes = Io<T>::save_packed(*t_);
  // A copy: views into the wasm heap detach when memory grows.
  return val::global("Uint8Array").new_(emscripten::typed_memory_view(bytes.size(), bytes.data()));
}

template <class T>
val Handle<T>::load_packed(const val& bytes) {
  if (!bytes.instanceof(val::global("Uint8Array"))) return error("a packed document must be a Uint8Array");
  if (const Result<> mem = limits::check_memory(bytes["length"].as<double>(), "the packed document"); !mem.ok()) return error(mem.message);
  const std::vector<std::uint8_t> b = emscripten::convertJSArrayToNumberVector<std::uint8_t>(bytes);
  std::string notice;
  Result<std::shared_ptr<T>> r = Io<T>::load_packed(b.data(), b.size(), &notice);
  if (!r.ok()) return error(r.message);
  t_ = *r.value;
  kept_.reset();
  notice_ = notice;
  return val::object();
}

template <class T>
std::string Handle<T>::config() const {
  return Io<T>::config_json(t_->config());
}

template <class T>
val Handle<T>::step(double n, double max_millis, double solver_steps) {
  return run_steps(*t_, n, max_millis, solver_steps);
}

template <class T>
val Handle<T>::parameters() const {
  const Vec& p = t_->mlp().params();
  return f64(p.data(), static_cast<std::size_t>(p.size()));
}

template <class T>
val Handle<T>::set_parameters(const val& p) {
  const Result<std::vector<double>> v = numbers(p, "parameters");
  if (!v.ok()) return error(v.message);
  return outcome(t_->set_parameters(Eigen::Map<const Vec>(v.value->data(), static_cast<Index>(v.value->size()))));
}

template <class T>
val Handle<T>::reset(double seed) {
  if (!whole(seed, 0, limits::kMaxWhole)) return error(whole_range("reset(seed): seed", 0, limits::kMaxWhole));
  t_->reset(static_cast<std::uint64_t>(seed));
  return val::object();
}

template <class T>
double Handle<T>::iteration() const {
  return static_cast<double>(t_->iteration());
}

template <class T>
void Handle<T>::checkpoint() {
  kept_ = t_->state();
}

template <class T>
double Handle<T>::checkpoint_iteration() const {
  return kept_ ? static_cast<double>(kept_->iteration) : -1.0;
}

template <class T>
val Handle<T>::adopt_state(const Handle& other) {
  if (!other.t_) return error("adoptState: the other trainer is empty");
  return outcome(t_->restore(other.t_->state()));
}

template <class T>
val Handle<T>::restore_checkpoint() {
  if (!kept_) return error("restoreCheckpoint: no checkpoint (take one with checkpoint())");
  return outcome(t_->restore(*kept_));
}

template class Handle<Trainer>;
template class Handle<DensityTrainer>;

// ---- Trajectory trainer ----

val TrainerHandle::add_trajectory(const val& times, const val& states) {
  Result<Trajectory> tr = trajectory(times, states, t_->config().mlp.dim);
  if (!tr.ok()) return error(tr.message);
  const Result<std::size_t> index = t_->add_trajectory(std::move(*tr.value));
  if (!index.ok()) return error(index.message);
  val o = val::object();
  o.set("index", static_cast<double>(*index.value));
  return o;
}

void TrainerHandle::clear_trajectories() { t_->clear_trajectories(); }

double TrainerHandle::trajectory_count() const { return static_cast<double>(t_->trajectories().size()); }

val TrainerHandle::loss(double max_millis, double trajectory) const {
  if (t_->trajectories().empty()) return error("loss: no trajectories");
  // trajectory < 0: all of them; else that one alone.
  const double count = static_cast<double>(t_->trajectories().size());
  if (trajectory >= 0 && !whole(trajectory, 0, count - 1)) return error(whole_range("loss: trajectory", 0, count - 1));
  DeadlineScope<Trainer> scope(*t_, max_millis);
  const GradientResult r = trajectory < 0 ? t_->full_loss() : t_->trajectory_loss(static_cast<std::size_t>(trajectory));
  val o = status_object(r);
  o.set("loss", r.loss);
  return o;
}

val TrainerHandle::loss_piece(double max_millis, double trajectory, double solver_steps) const {
  if (t_->trajectories().empty()) return error("loss: no trajectories");
  const double count = static_cast<double>(t_->trajectories().size());
  if (trajectory >= 0 && !whole(trajectory, 0, count - 1)) return error(whole_range("loss: trajectory", 0, count - 1));
  if (!whole(solver_steps, 0, 1e9)) return error(whole_range("loss: maxSolverSteps", 1, 1e9));
  WorkBudget work;
  if (solver_steps > 0) work.steps = static_cast<long>(solver_steps);
  work.deadline = budget(max_millis);  // the piece stops there, losing nothing
  GradientResult r;
  const bool done = t_->loss_resumable(r, &work, trajectory < 0 ? -1L : static_cast<long>(trajectory));
  val o = status_object(r);
  o.set("done", done);
  o.set("loss", done ? r.loss : NAN);
  o.set("nfeForward", static_cast<double>(r.forward.nfe));
  return o;
}

val TrainerHandle::gradient(const std::string& method, double max_millis) const {
  const auto m = gradient_method_from_string(method);
  if (!m) return error("unknown gradient method " + limits::quote(method) + " (use adjoint, checkpointed or direct)");
  if (t_->trajectories().empty()) return error("gradient: no trajectories");
  DeadlineScope<Trainer> scope(*t_, max_millis);
  const GradientResult r = t_->full_gradient(*m);
  val o = status_object(r);
  o.set("loss", r.loss);
  o.set("gradient", f64(r.grad_theta.data(), static_cast<std::size_t>(r.grad_theta.size())));
  return o;
}

val TrainerHandle::integrate(const val& z0, const val& times, double t0, double max_millis) const {
  const Result<std::vector<double>> z = numbers(z0, "z0"), ts = numbers(times, "times");
  if (!z.ok()) return error(z.message);
  if (!ts.ok()) return error(ts.message);
  const Index d = t_->config().mlp.dim;
  if (static_cast<Index>(z.value->size()) != d) return error("z0 must hold dim = " + std::to_string(d) + " numbers");
  for (const Result<>& err :
       {check_values(*z.value, "z0"), check_values(*ts.value, "times"), limits::check_data(t0, "t0"),
        limits::check_memory(8.0 * static_cast<double>(ts.value->size()) * (3.0 * d + 4), "integrate")})
    if (!err.ok()) return error(err.message);
  DeadlineScope<Trainer> scope(*t_, max_millis);
  const Solution s = t_->integrate(Eigen::Map<const Vec>(z.value->data(), d), t0, *ts.value);
  if (s.status == Status::InvalidInput) return error(s.message);
  val o = status_object(s);
  o.set("states", rows(s.states));
  o.set("nfe", static_cast<double>(s.stats.nfe));
  return o;
}

val TrainerHandle::field(const val& points, double t, double max_millis) const {
  const Result<std::vector<double>> p = numbers(points, "points");
  if (!p.ok()) return error(p.message);
  const Index d = t_->config().mlp.dim;
  if (p.value->size() % static_cast<std::size_t>(d) != 0) return error("points must hold m × dim numbers (row-major)");
  for (const Result<>& err : {check_values(*p.value, "points"), limits::check_data(t, "t"),
                                 limits::check_memory(8.0 * 3 * static_cast<double>(p.value->size()), "field")})
    if (!err.ok()) return error(err.message);
  const Mat v = sample_field(*t_, columns(*p.value, d), t, budget(max_millis));
  if (v.cols() == 0 && p.value->size() > 0) return ran_out("field", max_millis);
  val o = val::object();
  o.set("velocities", rows(v));
  return o;
}

val TrainerHandle::sample_grid(double xmin, double xmax, double ymin, double ymax, double nx, double ny, double t,
                               double max_millis, bool single) const {
  GridSpec g{xmin, xmax, ymin, ymax, 0, 0, t, single};
  if (const Result<> err = grid_counts(nx, ny, g); !err.ok()) return error(err.message);
  if (const Result<> err = check_grid(g, t_->config().mlp.dim); !err.ok()) return error(err.message);
  const Mat v = nde::sample_grid(*t_, g, budget(max_millis));
  if (v.cols() == 0) return ran_out("sampleGrid", max_millis);
  val o = val::object();
  o.set("values", f32(v.data(), static_cast<std::size_t>(v.size())));
  return o;
}

// ---- Density trainer ----

val DensityHandle::add_samples(const val& points) {
  const Result<std::vector<double>> p = numbers(points, "points");
  if (!p.ok()) return error(p.message);
  if (p.value->size() % 2 != 0) return error("points must hold m × 2 numbers (row-major)");
  for (const Result<>& err :
       {check_values(*p.value, "points"),
        limits::check_memory(2.0 * 8 * (static_cast<double>(p.value->size()) + 2.0 * t_->sample_count()), "the samples")})
    if (!err.ok()) return error(err.message);
  if (const Result<> err = t_->add_samples(columns(*p.value, 2)); !err.ok())
    return error(err.message);
  val o = val::object();
  o.set("count", static_cast<double>(t_->sample_count()));
  return o;
}

void DensityHandle::clear_samples() { t_->clear_samples(); }

double DensityHandle::sample_count() const { return static_cast<double>(t_->sample_count()); }

val DensityHandle::nll(double max_millis) const {
  if (t_->sample_count() == 0) return error("nll: no samples");
  DeadlineScope<DensityTrainer> scope(*t_, max_millis);
  const DensityResult r = t_->nll();
  val o = status_object(r);
  o.set("nll", r.values.size() ? r.values[0] : NAN);
  o.set("nfe", static_cast<double>(r.nfe));
  return o;
}

val DensityHandle::sample(double n, double t, double seed, double max_millis) const {
  if (!whole(n, 1, 1e7)) return error(whole_range("sample: n", 1, 1e7));
  if (!whole(seed, 0, limits::kMaxWhole)) return error(whole_range("sample: seed", 0, limits::kMaxWhole));
  if (!std::isfinite(t) || t < 0 || t > t_->config().t_end) return error("sample: t must be in [0, tEnd]");
  if (const Result<> mem = limits::check_memory(8.0 * n * 2 * 4, "sample(" + format(n) + ")"); !mem.ok())
    return error(mem.message);
  DeadlineScope<DensityTrainer> scope(*t_, max_millis);
  const Solution s = t_->sample(static_cast<Index>(n), t, static_cast<std::uint64_t>(seed));
  val o = status_object(s);
  o.set("points", rows(s.states));
  return o;
}

val DensityHandle::log_density(const val& points, double max_millis) const {
  const Result<std::vector<double>> p = numbers(points, "points");
  if (!p.ok()) return error(p.message);
  if (p.value->size() % 2 != 0) return error("points must hold m × 2 numbers (row-major)");
  for (const Result<>& err : {check_values(*p.value, "points"),
                                 limits::check_memory(8.0 * 3 * static_cast<double>(p.value->size()), "logDensity")})
    if (!err.ok()) return error(err.message);
  DeadlineScope<DensityTrainer> scope(*t_, max_millis);
  const DensityResult r = t_->log_density(columns(*p.value, 2));
  if (r.status == Status::InvalidInput) return error(r.message);
  val o = status_object(r);
  o.set("values", f64(r.values.data(), static_cast<std::size_t>(r.values.size())));
  return o;
}

val DensityHandle::log_density_grid(double xmin, double xmax, double ymin, double ymax, double nx, double ny,
                                    double max_millis) const {
  GridSpec g{xmin, xmax, ymin, ymax, 0, 0, 0.0};
  if (const Result<> err = grid_counts(nx, ny, g); !err.ok()) return error(err.message);
  if (const Result<> err = check_grid(g, 2); !err.ok()) return error(err.message);
  Mat pts(2, static_cast<Index>(g.nx) * g.ny);
  for (int r = 0; r < g.ny; ++r)
    for (int c = 0; c < g.nx; ++c) {
      pts(0, static_cast<Index>(r) * g.nx + c) = xmin + (xmax - xmin) * c / (g.nx - 1);
      pts(1, static_cast<Index>(r) * g.nx + c) = ymin + (ymax - ymin) * r / (g.ny - 1);
    }
  DeadlineScope<DensityTrainer> scope(*t_, max_millis);
  const DensityResult d = t_->log_density(pts);
  val o = status_object(d);
  o.set("values", f32(d.values.data(), static_cast<std::size_t>(d.values.size())));
  return o;
}

// ---- Module functions ----

val density_presets() {
  val list = val::array();
  for (const std::string& n : nde::density_presets()) list.call<void>("push", n);
  return list;
}

val sample_density(const std::string& name, double n, double seed) {
  if (!whole(n, 1, 1e7)) return error(whole_range("sampleDensity: n", 1, 1e7));
  if (!whole(seed, 0, limits::kMaxWhole)) return error(whole_range("sampleDensity: seed", 0, limits::kMaxWhole));
  if (const Result<> mem = limits::check_memory(8.0 * n * 2 * 2, "sampleDensity(" + format(n) + ")"); !mem.ok())
    return error(mem.message);
  const Mat x = nde::sample_density(name, static_cast<Index>(n), static_cast<std::uint64_t>(seed));
  if (x.size() == 0) return error("unknown density " + limits::quote(name));
  val o = val::object();
  o.set("points", rows(x));
  return o;
}

namespace {
/// Why a system has no phase portrait here.
std::string portrait_2d(const System& s) {
  return "phase portraits are 2-D; " + limits::quote(s.name) + " is " + std::to_string(s.dim) + "-D";
}

val bounds(const System& s) {
  val b = val::object();
  b.set("xmin", s.xmin);
  b.set("xmax", s.xmax);
  b.set("ymin", s.ymin);
  b.set("ymax", s.ymax);
  return b;
}
}  // namespace

val systems() {
  val list = val::array();
  for (const System& s : nde::systems()) {
    val o = val::object();
    o.set("name", s.name);
    o.set("title", s.title);
    o.set("description", s.description);
    o.set("bounds", bounds(s));
    o.set("tEnd", s.t_end);
    o.set("dim", s.dim);
    o.set("points", s.points);
    o.set("preset", is_preset(s));
    list.call<void>("push", o);
  }
  return list;
}

val sample_system(const std::string& name, double trajectories, double points, double noise, double seed, double t_end,
                  bool regular, const val& initial, double max_millis) {
  const System* s = find_system(name);
  if (!s) return error("unknown system " + limits::quote(name));
  if (!whole(trajectories, 1, 1000)) return error(whole_range("trajectories", 1, 1000));
  if (points != 0 && !whole(points, 2, 100000)) return error(whole_range("points", 2, 100000));
  if (!whole(seed, 0, limits::kMaxWhole)) return error(whole_range("seed", 0, limits::kMaxWhole));
  if (!(noise >= 0 && noise <= 10)) return error("noise must be a number in [0, 10]");
  if (!(t_end >= 0 && t_end <= 1e4)) return error("tEnd must be a number in [0, 10000]");
  const double n = points > 0 ? points : s->points;
  if (const Result<> mem = limits::check_memory(8.0 * trajectories * n * (s->dim + 1) * 3,
                                                format(trajectories) + " trajectories of " + format(n) + " points");
      !mem.ok())
    return error(mem.message);
  SampleOptions o;
  o.trajectories = static_cast<int>(trajectories);
  o.points = static_cast<int>(points);  // 0: the system's default
  o.seed = static_cast<std::uint64_t>(seed);
  o.noise = noise;
  o.t_end = t_end;
  o.regular = regular;
  if (!initial.isNull() && !initial.isUndefined()) {
    const Result<std::vector<double>> z = numbers(initial, "initial");
    if (!z.ok()) return error(z.message);
    if (static_cast<int>(z.value->size()) != s->dim)
      return error("initial must be " + std::to_string(s->dim) + " finite numbers (" + s->name + " is " + std::to_string(s->dim) + "-D)");
    if (const Result<> err = check_values(*z.value, "initial"); !err.ok()) return error(err.message);
    o.initial = Eigen::Map<const Vec>(z.value->data(), s->dim);
  }
  o.deadline = budget(max_millis);
  const std::vector<Trajectory> sampled = nde::sample_system(*s, o);
  if (static_cast<int>(sampled.size()) < o.trajectories)
    return error("sampleSystem: the time budget ran out after " + std::to_string(sampled.size()) + " of " +
                 std::to_string(o.trajectories) + " trajectories");
  for (const Trajectory& tr : sampled)
    if (!tr.states.allFinite())  // the solve stopped (non-finite state, step budget): the rest of it is NaN
      return error("sampleSystem: " + s->name + " from this initial state does not stay finite up to t = " +
                   format(tr.times.back()) + " (its solution blows up or needs more solver steps than allowed)");
  val list = val::array();
  for (const Trajectory& tr : sampled) {
    val t = val::object();
    t.set("times", f64(tr.times.data(), tr.times.size()));
    t.set("states", rows(tr.states));
    list.call<void>("push", t);
  }
  val out = val::object();
  out.set("trajectories", list);
  out.set("bounds", bounds(*s));
  return out;
}

val system_field(const std::string& name, const val& points) {
  const System* s = find_system(name);
  if (!s) return error("unknown system " + limits::quote(name));
  const Result<std::vector<double>> p = numbers(points, "points");
  if (!p.ok()) return error(p.message);
  const std::size_t d = static_cast<std::size_t>(s->dim);
  if (p.value->size() % d != 0) return error("points must hold m × " + std::to_string(d) + " numbers (row-major)");
  for (const Result<>& err : {check_values(*p.value, "points"), limits::check_memory(8.0 * 3 * static_cast<double>(p.value->size()), "systemField")})
    if (!err.ok()) return error(err.message);
  std::vector<double> v(p.value->size());
  for (std::size_t k = 0; k + d <= p.value->size(); k += d) {
    const Vec f = s->f(Eigen::Map<const Vec>(p.value->data() + k, s->dim));
    for (std::size_t j = 0; j < d; ++j) v[k + j] = f[static_cast<Index>(j)];
  }
  val o = val::object();
  o.set("velocities", f64(v.data(), v.size()));
  return o;
}

val limits() {
  val o = val::object();
  o.set("data", limits::kData);
  o.set("parameter", limits::kParameter);
  o.set("callBytes", limits::kCallBytes);
  o.set("maxMillis", limits::kMaxMillis);
  o.set("defaultMillis", limits::kDefaultMillis);
  o.set("maxWhole", limits::kMaxWhole);
  o.set("jsonDepth", limits::kJsonDepth);
  o.set("jsonBytes", static_cast<double>(limits::kJsonBytes));
  return o;
}

std::string version() { return "0.2.0"; }

bool tiled_kernels(int on) {
  if (on >= 0) kernels::set_tiled(on == 1);
  return kernels::tiled();
}

bool stage_tapes(int on) {
  if (on >= 0) nde::set_stage_tapes(on == 1);
  return nde::stage_tapes();
}

bool lane_kernels(int on) {
  if (on >= 0) kernels::set_lanes(on == 1);
  return kernels::lanes();
}

bool lane_training(int on) {
  if (on >= 0) kernels::set_lanes_training(on == 1);
  return kernels::lanes_training();
}

double heap_bytes() { return static_cast<double>(__builtin_wasm_memory_size(0)) * 65536.0; }

namespace {
/// The heap's room for check_memory: its cap (2 GiB) less what malloc has handed out and not got back (free blocks
/// inside the grown heap count as room: malloc reuses them).
double memory_left() {
  // The heap not grown yet is room for certain (O(1)); when it alone covers any call within the call budget, that
  // answer will do, and mallinfo (which walks the heap) is asked only on a heap grown near its cap.
  const double top = static_cast<double>(emscripten_get_heap_max()) - static_cast<double>(emscripten_get_heap_size());
  if (top >= limits::kTransient * limits::kCallBytes + limits::kReserve) return top;
  return static_cast<double>(emscripten_get_heap_max()) - static_cast<double>(mallinfo().uordblks);
}
/// Registered when the module starts: every memory check then also asks what is left of the heap.
const bool kMemoryLeftSet = (limits::set_memory_left(&memory_left), true);
}  // namespace

double largest_free_block() {
  // Binary search on what malloc grants, in MiB (it may grow the heap, which never shrinks again).
  std::size_t lo = 0, hi = 4096;
  while (lo + 1 < hi) {
    const std::size_t mid = (lo + hi) / 2;
    void* p = std::malloc(mid << 20);
    if (p) {
      std::free(p);
      lo = mid;
    } else {
      hi = mid;
    }
  }
  return static_cast<double>(lo) * 1048576.0;
}

// ---- What it learned: phase portraits, gradient truth, ensembles ----

namespace {

/// Analysis views: a few hundred points a side keep one analysis well under a second.
constexpr double kMaxAnalysisGrid = 256;

Result<> analysis_view(double nx, double ny, GridSpec& g) {
  if (!whole(nx, 8, kMaxAnalysisGrid) || !whole(ny, 8, kMaxAnalysisGrid))
    return Result<>::failure("analysis grid nx and ny must be whole numbers in [8, " + format(kMaxAnalysisGrid) + "]");
  g.nx = static_cast<int>(nx);
  g.ny = static_cast<int>(ny);
  return check_grid(g, 2);
}

val complex_list(const Eigen::VectorXcd& v) {
  val a = val::array();
  for (Index i = 0; i < v.size(); ++i) {
    val c = val::object();
    c.set("re", v[i].real());
    c.set("im", v[i].imag());
    a.call<void>("push", c);
  }
  return a;
}

val portrait_object(const PhasePortrait& p) {
  val o = val::object();
  o.set("summary", summary(p));
  val eqs = val::array();
  for (const Equilibrium& e : p.equilibria) {
    val q = val::object();
    q.set("x", e.z[0]);
    q.set("y", e.z.size() > 1 ? e.z[1] : 0.0);
    q.set("type", std::string(to_string(e.type)));
    q.set("stable", e.stable());
    q.set("eigenvalues", complex_list(e.eigenvalues));
    const Mat Jt = e.jacobian.transpose();  // row-major out
    q.set("jacobian", f64(Jt.data(), static_cast<std::size_t>(Jt.size())));
    eqs.call<void>("push", q);
  }
  o.set("equilibria", eqs);
  val nc = val::object();
  nc.set("x", f64(p.nullclines.x.data(), static_cast<std::size_t>(p.nullclines.x.size())));
  nc.set("y", f64(p.nullclines.y.data(), static_cast<std::size_t>(p.nullclines.y.size())));
  o.set("nullclines", nc);
  val cycles = val::array();
  for (const LimitCycle& c : p.cycles) {
    val q = val::object();
    q.set("points", rows(c.points.topRows(2)));
    q.set("period", c.period);
    q.set("multiplier", c.multiplier);
    q.set("stable", c.stable());
    cycles.call<void>("push", q);
  }
  o.set("cycles", cycles);
  val att = val::array();
  for (const Attractor& a : p.attractors) {
    val q = val::object();
    q.set("kind", std::string(a.kind == AttractorKind::Equilibrium ? "equilibrium" : "cycle"));
    q.set("index", a.index);
    att.call<void>("push", q);
  }
  o.set("attractors", att);
  o.set("basins", val::global("Int32Array").new_(emscripten::typed_memory_view(p.basins.size(), p.basins.data())));
  val seps = val::array();
  for (const Separatrix& s : p.separatrices) {
    val q = val::object();
    q.set("saddle", s.saddle);
    q.set("stable", s.stable);
    q.set("points", rows(s.points.topRows(2)));
    seps.call<void>("push", q);
  }
  o.set("separatrices", seps);
  o.set("timeUnit", p.time_unit);
  o.set("complete", p.complete);
  return o;
}

double millis_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

val gradient_truth_object(const GradientTruth& g) {
  val o = status_object(g);
  o.set("loss", g.loss);
  o.set("tolerance", kGradientTolerance);
  o.set("fdStep", g.fd_step);
  val coords = val::array();
  for (Index i : g.coordinates) coords.call<void>("push", static_cast<double>(i));
  o.set("coordinates", coords);
  o.set("finiteDifferences", f64(g.finite_differences.data(), static_cast<std::size_t>(g.finite_differences.size())));
  val methods = val::array();
  for (const MethodGradient& m : g.methods) {
    val q = status_object(m);
    q.set("method", std::string(to_string(m.method)));
    std::vector<double> sub;
    for (Index i : g.coordinates) sub.push_back(i < m.gradient.size() ? m.gradient[i] : NAN);
    q.set("values", f64(sub.data(), sub.size()));
    q.set("relToFd", m.rel_to_fd);
    q.set("relToDirect", m.rel_to_direct);
    q.set("agrees", m.agrees);
    q.set("nfeForward", static_cast<double>(m.forward.nfe));
    q.set("nfeBackward", static_cast<double>(m.backward.nfe));
    q.set("storedStates", static_cast<double>(m.stored_states));
    q.set("millis", m.millis);
    methods.call<void>("push", q);
  }
  o.set("methods", methods);
  return o;
}

val memory_points_object(const std::vector<MemoryPoint>& points) {
  val out = val::array();
  for (const MemoryPoint& p : points) {
    val q = status_object(p);
    q.set("steps", static_cast<double>(p.steps));
    q.set("method", std::string(to_string(p.method)));
    q.set("accepted", static_cast<double>(p.accepted));
    q.set("storedStates", static_cast<double>(p.stored_states));
    q.set("nfeForward", static_cast<double>(p.nfe_forward));
    q.set("nfeBackward", static_cast<double>(p.nfe_backward));
    q.set("millis", p.millis);
    out.call<void>("push", q);
  }
  return out;
}

}  // namespace

/// What a JobHandle runs.
struct JobHandle::Job {
  virtual ~Job() = default;
  virtual bool run(const Deadline& pause) = 0;
  [[nodiscard]] virtual val result() const = 0;
};

namespace {

/// The learned portrait, then (with a system) the true one and the comparison.
struct PortraitRun final : JobHandle::Job {
  std::shared_ptr<const Trainer> trainer;  // what the learned field reads (a copy, or the caller's for one call)
  GridSpec view;
  const System* system = nullptr;
  double budget = INFINITY;
  std::optional<PortraitJob> learned, truth;
  PortraitRun(std::shared_ptr<const Trainer> t, const GridSpec& g, const System* s, double max_millis)
      : trainer(std::move(t)), view(g), system(s), budget(max_millis) {
    PortraitOptions po;
    po.max_work_millis = budget;
    learned.emplace(learned_phase_field(*trainer, g.t), g, po);
  }
  bool run(const Deadline& pause) override {
    if (!learned->done()) {
      if (!learned->run(pause) || !system) return !system && learned->done();
      if (pause.passed()) return false;
    }
    if (!truth) {
      // The true field is analytic (its grids cost next to nothing): what the learned portrait left, but at least a
      // quarter of the budget, so that a learned portrait that used it all is still compared with the true equilibria.
      PortraitOptions po;
      po.max_work_millis = std::max(budget - learned->millis(), budget / 4);
      truth.emplace(system_phase_field(*system), view, po);
    }
    return truth->run(pause);
  }
  val result() const override {
    val o = portrait_object(learned->portrait());
    double ms = learned->millis();
    if (truth) {
      const PhasePortrait& tp = truth->portrait();
      const PortraitComparison c = compare(learned->portrait(), tp);
      o.set("truth", portrait_object(tp));
      val q = val::object();
      q.set("sameStructure", c.same_structure);
      q.set("positionError", c.position_error);
      q.set("periodError", c.period_error);
      q.set("basinAgreement", c.basin_agreement);
      q.set("verdict", c.verdict);
      val m = val::array();
      for (int k : c.attractor_match) m.call<void>("push", k);
      q.set("attractorMatch", m);
      o.set("comparison", q);
      if (!tp.complete) o.set("complete", false);
      ms += truth->millis();
    }
    o.set("millis", ms);
    return o;
  }
};

struct GradientTruthRun final : JobHandle::Job {
  GradientTruthJob job;
  GradientTruthRun(const Trainer& t, int coordinates, double max_millis) : job(t, coordinates, budget(max_millis)) {}
  bool run(const Deadline& pause) override { return job.run(pause); }
  val result() const override { return gradient_truth_object(job.result()); }
};

struct MemorySweepRun final : JobHandle::Job {
  MemorySweepJob job;
  MemorySweepRun(const Trainer& t, std::vector<long> steps, double max_millis) : job(t, std::move(steps), budget(max_millis)) {}
  bool run(const Deadline& pause) override { return job.run(pause); }
  val result() const override { return memory_points_object(job.result()); }
};

/// The checks of analyze: a view, a system, a 2-D model; the error message or "".
std::string portrait_checks(const Trainer& tr, double nx, double ny, const std::string& truth, GridSpec& g,
                            const System*& s) {
  if (const Result<> err = analysis_view(nx, ny, g); !err.ok()) return err.message;
  s = truth.empty() ? nullptr : find_system(truth);
  if (!truth.empty() && !s) return "unknown system " + limits::quote(truth);
  if (s && s->dim != 2) return portrait_2d(*s);
  if (tr.config().mlp.dim < 2) return "analyze: the phase portrait needs a model of dimension ≥ 2";
  return "";
}

/// The step counts of memorySweep, or the error message.
Result<std::vector<long>> step_counts(const val& steps) {
  const Result<std::vector<double>> v = numbers(steps, "steps");
  if (!v.ok()) return Result<std::vector<long>>::failure(v.message);
  if (v.value->empty() || v.value->size() > 16) return Result<std::vector<long>>::failure("memorySweep: give 1 to 16 step counts");
  std::vector<long> counts;
  for (double s : *v.value) {
    if (!whole(s, 1, 1e6)) return Result<std::vector<long>>::failure(whole_range("memorySweep: each step count", 1, 1e6));
    counts.push_back(static_cast<long>(s));
  }
  return Result<std::vector<long>>::success(std::move(counts));
}

}  // namespace

val TrainerHandle::analyze(double xmin, double xmax, double ymin, double ymax, double nx, double ny, double t,
                           const std::string& truth, double max_millis) const {
  GridSpec g{xmin, xmax, ymin, ymax, 0, 0, t};
  const System* s = nullptr;
  if (const std::string err = portrait_checks(*t_, nx, ny, truth, g, s); !err.empty()) return error(err);
  PortraitRun job(t_, g, s, max_millis > 0 && max_millis <= limits::kMaxMillis ? max_millis : limits::kMaxMillis);
  (void)job.run(Deadline{});
  return job.result();
}

val TrainerHandle::gradient_truth(double coordinates, double max_millis) const {
  if (!whole(coordinates, 1, 64)) return error(whole_range("gradientTruth: coordinates", 1, 64));
  if (t_->trajectories().empty()) return error("gradientTruth: no trajectories");
  DeadlineScope<Trainer> scope(*t_, max_millis);
  return gradient_truth_object(nde::gradient_truth(*t_, static_cast<int>(coordinates)));
}

val TrainerHandle::memory_sweep(const val& steps, double max_millis) const {
  const Result<std::vector<long>> counts = step_counts(steps);
  if (!counts.ok()) return error(counts.message);
  if (t_->trajectories().empty()) return error("memorySweep: no trajectories");
  DeadlineScope<Trainer> scope(*t_, max_millis);
  return memory_points_object(nde::memory_sweep(*t_, *counts.value));
}

val JobHandle::portrait(const TrainerHandle& trainer, double xmin, double xmax, double ymin, double ymax, double nx,
                        double ny, double t, const std::string& truth, double max_millis) {
  GridSpec g{xmin, xmax, ymin, ymax, 0, 0, t};
  const System* s = nullptr;
  const Trainer& tr = *trainer.shared();
  if (const std::string err = portrait_checks(tr, nx, ny, truth, g, s); !err.empty()) return error(err);
  job_ = std::make_shared<PortraitRun>(std::make_shared<const Trainer>(tr), g, s,
                                       max_millis > 0 && max_millis <= limits::kMaxMillis ? max_millis : limits::kMaxMillis);
  return val::object();
}

val JobHandle::gradient_truth(const TrainerHandle& trainer, double coordinates, double max_millis) {
  if (!whole(coordinates, 1, 64)) return error(whole_range("gradientTruth: coordinates", 1, 64));
  const Trainer& tr = *trainer.shared();
  if (tr.trajectories().empty()) return error("gradientTruth: no trajectories");
  job_ = std::make_shared<GradientTruthRun>(tr, static_cast<int>(coordinates), max_millis);
  return val::object();
}

val JobHandle::memory_sweep(const TrainerHandle& trainer, const val& steps, double max_millis) {
  const Result<std::vector<long>> counts = step_counts(steps);
  if (!counts.ok()) return error(counts.message);
  const Trainer& tr = *trainer.shared();
  if (tr.trajectories().empty()) return error("memorySweep: no trajectories");
  job_ = std::make_shared<MemorySweepRun>(tr, *counts.value, max_millis);
  return val::object();
}

bool JobHandle::run(double max_millis) {
  if (!job_) return true;
  return job_->run(Deadline::in_millis(max_millis));
}

val JobHandle::result() const {
  if (!job_) return error("this job was not set up");
  return job_->result();
}

val EnsembleHandle::init(const std::string& config_json, double members) {
  if (!whole(members, 2, 16)) return error(whole_range("members", 2, 16));
  Result<TrainerConfig> c = config_from_json(config_json);
  if (!c.ok()) return error(c.message);
  const double params = static_cast<double>(Mlp(c.value->mlp).num_params());
  if (const Result<> mem = limits::check_memory(members * params * 8.0 * 6, "an ensemble of " + format(members)); !mem.ok())
    return error(mem.message);
  e_ = std::make_shared<Ensemble>(*c.value, static_cast<int>(members));
  return val::object();
}

val EnsembleHandle::add_trajectory(const val& times, const val& states) {
  const Result<Trajectory> tr = trajectory(times, states, e_->member(0).config().mlp.dim);
  if (!tr.ok()) return error(tr.message);
  const Result<std::size_t> index = e_->add_trajectory(*tr.value);
  if (!index.ok()) return error(index.message);
  val o = val::object();
  o.set("index", static_cast<double>(*index.value));
  return o;
}

void EnsembleHandle::clear_trajectories() { e_->clear_trajectories(); }

double EnsembleHandle::size() const { return e_->size(); }

double EnsembleHandle::iteration() const { return static_cast<double>(e_->iteration()); }

val EnsembleHandle::step(double n, double max_millis, double solver_steps) {
  return run_steps(*e_, n, max_millis, solver_steps);
}

val EnsembleHandle::disagreement_grid(double xmin, double xmax, double ymin, double ymax, double nx, double ny,
                                      double t, double max_millis) const {
  GridSpec g{xmin, xmax, ymin, ymax, 0, 0, t};
  if (const Result<> err = grid_counts(nx, ny, g); !err.ok()) return error(err.message);
  if (const Result<> err = check_grid(g, e_->member(0).config().mlp.dim * (e_->size() + 1)); !err.ok()) return error(err.message);
  const RowVec d = nde::disagreement_grid(*e_, g, budget(max_millis));
  if (d.size() == 0) return ran_out("disagreementGrid", max_millis);
  val o = val::object();
  o.set("values", f32(d.data(), static_cast<std::size_t>(d.size())));
  return o;
}

val analyze_system(const std::string& name, double xmin, double xmax, double ymin, double ymax, double nx, double ny,
                   double max_millis) {
  const auto start = std::chrono::steady_clock::now();
  const System* s = find_system(name);
  if (!s) return error("unknown system " + limits::quote(name));
  if (s->dim != 2) return error(portrait_2d(*s));
  GridSpec g{xmin, xmax, ymin, ymax, 0, 0, 0.0};
  if (const Result<> err = analysis_view(nx, ny, g); !err.ok())
    return error(err.message);
  PortraitOptions po;
  po.deadline = budget(max_millis);
  val o = portrait_object(nde::analyze(system_phase_field(*s), g, po));
  o.set("millis", millis_since(start));
  return o;
}

}  // namespace nde::wasm
