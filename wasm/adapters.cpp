#include "adapters.hpp"

#include <emscripten/bind.h>

#include <cmath>
#include <vector>

#include "nde/config_json.hpp"
#include "nde/densities.hpp"
#include "nde/grid.hpp"
#include "nde/model_io.hpp"
#include "nde/systems.hpp"

namespace nde::wasm {

namespace {

std::vector<double> numbers(const val& v) { return emscripten::convertJSArrayToNumberVector<double>(v); }

val f64(const double* p, std::size_t n) {
  // A copy: views into the wasm heap detach when memory grows.
  return val::global("Float64Array").new_(emscripten::typed_memory_view(n, p));
}

val f32(const float* p, std::size_t n) { return val::global("Float32Array").new_(emscripten::typed_memory_view(n, p)); }

val error(const std::string& message) {
  val o = val::object();
  o.set("error", message);
  return o;
}

/// Row-major m × d numbers → d × m matrix.
Mat columns(const std::vector<double>& v, Index d) {
  const Index m = static_cast<Index>(v.size()) / d;
  return Eigen::Map<const Mat>(v.data(), d, m);
}

val rows(const Mat& m) {  // d × n → row-major n × d
  return f64(m.data(), static_cast<std::size_t>(m.size()));
}

val status_object(Status s, const std::string& message) {
  val o = val::object();
  o.set("status", std::string(to_string(s)));
  o.set("message", message);
  return o;
}

/// n steps of any trainer, stopping at the first failure: the report JS sees.
template <class T>
val run_steps(T& trainer, int n) {
  StepReport last;
  long nfe_f = 0, nfe_b = 0;
  double millis = 0;
  for (int i = 0; i < n; ++i) {
    last = trainer.step();
    nfe_f += last.nfe_forward;
    nfe_b += last.nfe_backward;
    millis += last.millis;
    if (last.status != Status::Success) break;
  }
  val o = status_object(last.status, last.message);
  o.set("iteration", static_cast<double>(last.iteration));
  o.set("loss", last.loss);
  o.set("gradNorm", last.grad_norm);
  o.set("nfeForward", static_cast<double>(nfe_f));
  o.set("nfeBackward", static_cast<double>(nfe_b));
  o.set("millis", millis);
  return o;
}

}  // namespace

std::string TrainerHandle::init(const std::string& config_json) {
  Result<TrainerConfig> c = config_from_json(config_json);
  if (!c.ok()) return c.error;
  t_ = std::make_shared<Trainer>(*c.value);
  return {};
}

std::string TrainerHandle::load(const std::string& model_json) {
  Result<std::shared_ptr<Trainer>> r = model_from_json(model_json);
  if (!r.ok()) return r.error;
  t_ = *r.value;
  return {};
}

std::string TrainerHandle::config() const { return config_to_json(t_->config()); }

val TrainerHandle::add_trajectory(const val& times, const val& states) {
  const std::vector<double> ts = numbers(times), zs = numbers(states);
  const std::size_t d = static_cast<std::size_t>(t_->config().mlp.dim);
  if (zs.size() != ts.size() * d)
    return error("states must hold times.length × dim = " + std::to_string(ts.size() * d) + " numbers (row-major), got " +
                 std::to_string(zs.size()));
  Trajectory tr{ts, columns(zs, static_cast<Index>(d))};
  std::size_t index = 0;
  const std::string err = t_->add_trajectory(std::move(tr), &index);
  if (!err.empty()) return error(err);
  val o = val::object();
  o.set("index", static_cast<double>(index));
  return o;
}

void TrainerHandle::clear_trajectories() { t_->clear_trajectories(); }

int TrainerHandle::trajectory_count() const { return static_cast<int>(t_->trajectories().size()); }

val TrainerHandle::step(int n) { return run_steps(*t_, n); }

val TrainerHandle::loss() const {
  const GradientResult r = t_->full_loss();
  val o = status_object(r.status, r.message);
  o.set("loss", r.loss);
  return o;
}

val TrainerHandle::parameters() const {
  const Vec& p = t_->mlp().params();
  return f64(p.data(), static_cast<std::size_t>(p.size()));
}

std::string TrainerHandle::set_parameters(const val& p) {
  const std::vector<double> v = numbers(p);
  return t_->set_parameters(Eigen::Map<const Vec>(v.data(), static_cast<Index>(v.size())));
}

val TrainerHandle::gradient(const std::string& method) const {
  const auto m = gradient_method_from_string(method);
  if (!m) return error("unknown gradient method '" + method + "' (use adjoint, checkpointed or direct)");
  const GradientResult r = t_->full_gradient(*m);
  val o = status_object(r.status, r.message);
  o.set("loss", r.loss);
  o.set("gradient", f64(r.grad_theta.data(), static_cast<std::size_t>(r.grad_theta.size())));
  return o;
}

val TrainerHandle::integrate(const val& z0, const val& times, double t0) const {
  const std::vector<double> z = numbers(z0), ts = numbers(times);
  const Index d = t_->config().mlp.dim;
  if (static_cast<Index>(z.size()) != d) return error("z0 must hold dim = " + std::to_string(d) + " numbers");
  if (!std::isfinite(t0)) return error("t0 must be finite");
  const Solution s = t_->integrate(Eigen::Map<const Vec>(z.data(), d), t0, ts);
  if (s.status == Status::InvalidInput) return error(s.message);
  val o = status_object(s.status, s.message);
  o.set("states", rows(s.states));
  o.set("nfe", static_cast<double>(s.stats.nfe));
  return o;
}

val TrainerHandle::field(const val& points, double t) const {
  const std::vector<double> p = numbers(points);
  const Index d = t_->config().mlp.dim;
  if (p.size() % static_cast<std::size_t>(d) != 0) return error("points must hold m × dim numbers (row-major)");
  for (double x : p)
    if (!std::isfinite(x)) return error("points must be finite");
  if (!std::isfinite(t)) return error("t must be finite");
  val o = val::object();
  o.set("velocities", rows(t_->field(columns(p, d), t)));
  return o;
}

val TrainerHandle::sample_grid(double xmin, double xmax, double ymin, double ymax, int nx, int ny, double t) const {
  const GridSpec g{xmin, xmax, ymin, ymax, nx, ny, t};
  const std::string err = validate(g);
  if (!err.empty()) return error(err);
  const Mat v = nde::sample_grid(*t_, g);
  std::vector<float> out(static_cast<std::size_t>(v.size()));
  for (Index k = 0; k < v.size(); ++k) out[static_cast<std::size_t>(k)] = static_cast<float>(v(k));
  val o = val::object();
  o.set("values", f32(out.data(), out.size()));
  return o;
}

std::string TrainerHandle::to_json() const { return model_to_json(*t_); }

void TrainerHandle::reset(double seed) { t_->reset(static_cast<std::uint64_t>(seed)); }

double TrainerHandle::iteration() const { return static_cast<double>(t_->iteration()); }

std::string DensityHandle::init(const std::string& config_json) {
  Result<DensityConfig> c = density_config_from_json(config_json);
  if (!c.ok()) return c.error;
  t_ = std::make_shared<DensityTrainer>(*c.value);
  return {};
}

std::string DensityHandle::load(const std::string& doc) {
  Result<std::shared_ptr<DensityTrainer>> r = density_from_json(doc);
  if (!r.ok()) return r.error;
  t_ = *r.value;
  return {};
}

std::string DensityHandle::to_json() const { return density_to_json(*t_); }

std::string DensityHandle::config() const { return density_config_to_json(t_->config()); }

val DensityHandle::add_samples(const val& points) {
  const std::vector<double> p = numbers(points);
  if (p.size() % 2 != 0) return error("points must hold m × 2 numbers (row-major)");
  const std::string err = t_->add_samples(columns(p, 2));
  if (!err.empty()) return error(err);
  val o = val::object();
  o.set("count", static_cast<double>(t_->sample_count()));
  return o;
}

void DensityHandle::clear_samples() { t_->clear_samples(); }

int DensityHandle::sample_count() const { return static_cast<int>(t_->sample_count()); }

val DensityHandle::step(int n) { return run_steps(*t_, n); }

val DensityHandle::nll() const {
  const DensityResult r = t_->nll();
  val o = status_object(r.status, r.message);
  o.set("nll", r.values.size() ? r.values[0] : NAN);
  o.set("nfe", static_cast<double>(r.nfe));
  return o;
}

val DensityHandle::sample(int n, double t, double seed) const {
  if (n < 1 || n > 1000000) return error("n must be a whole number in [1, 1000000]");
  if (!std::isfinite(t) || t < 0 || t > t_->config().t_end) return error("t must be in [0, tEnd]");
  const Solution s = t_->sample(n, t, static_cast<std::uint64_t>(seed));
  val o = status_object(s.status, s.message);
  o.set("points", rows(s.states));
  return o;
}

val DensityHandle::log_density(const val& points) const {
  const std::vector<double> p = numbers(points);
  if (p.size() % 2 != 0) return error("points must hold m × 2 numbers (row-major)");
  const DensityResult r = t_->log_density(columns(p, 2));
  if (r.status == Status::InvalidInput) return error(r.message);
  val o = status_object(r.status, r.message);
  o.set("values", f64(r.values.data(), static_cast<std::size_t>(r.values.size())));
  return o;
}

val DensityHandle::log_density_grid(double xmin, double xmax, double ymin, double ymax, int nx, int ny) const {
  const GridSpec g{xmin, xmax, ymin, ymax, nx, ny, 0.0};
  const std::string err = validate(g);
  if (!err.empty()) return error(err);
  Mat pts(2, static_cast<Index>(nx) * ny);
  for (int r = 0; r < ny; ++r)
    for (int c = 0; c < nx; ++c) {
      pts(0, static_cast<Index>(r) * nx + c) = xmin + (xmax - xmin) * c / (nx - 1);
      pts(1, static_cast<Index>(r) * nx + c) = ymin + (ymax - ymin) * r / (ny - 1);
    }
  const DensityResult d = t_->log_density(pts);
  val o = status_object(d.status, d.message);
  std::vector<float> out(static_cast<std::size_t>(d.values.size()));
  for (Index k = 0; k < d.values.size(); ++k) out[static_cast<std::size_t>(k)] = static_cast<float>(d.values[k]);
  o.set("values", f32(out.data(), out.size()));
  return o;
}

val DensityHandle::parameters() const {
  const Vec& p = t_->mlp().params();
  return f64(p.data(), static_cast<std::size_t>(p.size()));
}

std::string DensityHandle::set_parameters(const val& p) {
  const std::vector<double> v = numbers(p);
  return t_->set_parameters(Eigen::Map<const Vec>(v.data(), static_cast<Index>(v.size())));
}

void DensityHandle::reset(double seed) { t_->reset(static_cast<std::uint64_t>(seed)); }

double DensityHandle::iteration() const { return static_cast<double>(t_->iteration()); }

val density_presets() {
  val list = val::array();
  for (const std::string& n : nde::density_presets()) list.call<void>("push", n);
  return list;
}

val sample_density(const std::string& name, int n, double seed) {
  if (n < 1 || n > 1000000) return error("n must be a whole number in [1, 1000000]");
  const Mat x = nde::sample_density(name, n, static_cast<std::uint64_t>(seed));
  if (x.size() == 0) return error("unknown density '" + name + "'");
  val o = val::object();
  o.set("points", rows(x));
  return o;
}

val systems() {
  val list = val::array();
  for (const System& s : nde::systems()) {
    val o = val::object();
    o.set("name", s.name);
    o.set("title", s.title);
    o.set("description", s.description);
    val b = val::object();
    b.set("xmin", s.xmin);
    b.set("xmax", s.xmax);
    b.set("ymin", s.ymin);
    b.set("ymax", s.ymax);
    o.set("bounds", b);
    o.set("tEnd", s.t_end);
    list.call<void>("push", o);
  }
  return list;
}

val sample_system(const std::string& name, const val& options) {
  const System* s = find_system(name);
  if (!s) return error("unknown system '" + name + "'");
  SampleOptions o;
  auto num = [&](const char* key, double lo, double hi, double& out) -> std::string {
    const val v = options[key];
    if (v.isUndefined()) return {};
    if (!v.isNumber() || !std::isfinite(v.as<double>()) || v.as<double>() < lo || v.as<double>() > hi)
      return std::string(key) + " must be a number in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]";
    out = v.as<double>();
    return {};
  };
  double trajectories = o.trajectories, points = o.points, seed = 0, t_end = 0;
  for (const std::string& err : {num("trajectories", 1, 1000, trajectories), num("points", 2, 100000, points),
                                 num("noise", 0, 10, o.noise), num("seed", 0, 9007199254740991.0, seed),
                                 num("tEnd", 0, 1e4, t_end)})
    if (!err.empty()) return error(err);
  o.trajectories = static_cast<int>(trajectories);
  o.points = static_cast<int>(points);
  o.seed = static_cast<std::uint64_t>(seed);
  o.t_end = t_end;
  o.regular = options["regular"].isTrue();
  if (!options["initial"].isUndefined()) {
    const std::vector<double> z = numbers(options["initial"]);
    if (z.size() != 2 || !std::isfinite(z[0]) || !std::isfinite(z[1])) return error("initial must be two finite numbers");
    o.initial = Eigen::Map<const Vec>(z.data(), 2);
  }
  val list = val::array();
  for (const Trajectory& tr : nde::sample_system(*s, o)) {
    val t = val::object();
    t.set("times", f64(tr.times.data(), tr.times.size()));
    t.set("states", rows(tr.states));
    list.call<void>("push", t);
  }
  val out = val::object();
  out.set("trajectories", list);
  val b = val::object();
  b.set("xmin", s->xmin);
  b.set("xmax", s->xmax);
  b.set("ymin", s->ymin);
  b.set("ymax", s->ymax);
  out.set("bounds", b);
  return out;
}

val system_field(const std::string& name, const val& points) {
  const System* s = find_system(name);
  if (!s) return error("unknown system '" + name + "'");
  const std::vector<double> p = numbers(points);
  if (p.size() % 2 != 0) return error("points must hold m × 2 numbers (row-major)");
  std::vector<double> v(p.size());
  for (std::size_t k = 0; k + 1 < p.size(); k += 2) {
    Vec z(2);
    z << p[k], p[k + 1];
    const Vec f = s->f(z);
    v[k] = f[0];
    v[k + 1] = f[1];
  }
  val o = val::object();
  o.set("velocities", f64(v.data(), v.size()));
  return o;
}

std::string version() { return "0.1.0"; }

double heap_bytes() { return static_cast<double>(__builtin_wasm_memory_size(0)) * 65536.0; }

}  // namespace nde::wasm
