#include "nde/trainer.hpp"

#include "nde/dense.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>

#include "nde/limits.hpp"
#include "nde/stage_tapes.hpp"

namespace nde {

namespace {
/// Turns a loss-and-gradient result into a parameter update: a failed solve, a non-finite loss or gradient, or an
/// update that would make θ non-finite leaves θ and the optimiser as they were and says so in rep.
void apply_update(const GradientResult& g, Optimizer& optimizer, Vec& theta, std::int64_t& iteration, StepReport& rep) {
  rep.loss = g.loss;
  rep.nfe_forward = g.forward.nfe;
  rep.nfe_backward = g.backward.nfe;
  rep.fail(g);
  if (g.ok() && (!std::isfinite(g.loss) || !g.grad_theta.allFinite())) {
    rep.fail("loss or gradient is not finite", Status::NonFinite);
  } else if (g.ok()) {
    const Result<double> norm = optimizer.safe_step(theta, g.grad_theta);
    if (norm.ok()) {
      rep.grad_norm = *norm.value;
    } else {
      rep.fail(norm.message, Status::NonFinite);
    }
  }
  if (rep.ok()) rep.iteration = ++iteration;
  else rep.message += "; parameters kept";
}
}  // namespace

Learner::Learner(const MlpConfig& mlp, const OptimizerConfig& optimizer, std::uint64_t seed)
    : mlp_(mlp), norm_{Vec::Zero(mlp.dim), Vec::Ones(mlp.dim)}, optimizer_(optimizer), rng_(seed) {
  mlp_.init(seed);
  theta_ = mlp_.params();
}

void Learner::restart(std::uint64_t seed) {
  discard_pending();
  mlp_.init(seed);
  theta_ = mlp_.params();
  averaged_ = 0;
  optimizer_.reset();
  rng_ = Rng(seed);
  iteration_ = 0;
}

Learner::Learner(const Learner& o)
    : mlp_(o.mlp_), theta_(o.theta_), averaged_(o.averaged_), norm_(o.norm_), optimizer_(o.optimizer_),
      rng_(o.rng_before_ ? *o.rng_before_ : o.rng_), iteration_(o.iteration_), deadline_(o.deadline_) {}

Learner& Learner::operator=(const Learner& o) {
  if (this == &o) return *this;
  discard_pending();
  mlp_ = o.mlp_;
  theta_ = o.theta_;
  averaged_ = o.averaged_;
  norm_ = o.norm_;
  optimizer_ = o.optimizer_;
  rng_ = o.rng_before_ ? *o.rng_before_ : o.rng_;
  iteration_ = o.iteration_;
  deadline_ = o.deadline_;
  return *this;
}

StepReport Learner::train_step(const std::function<void()>& start,
                               const std::function<const GradientResult&(WorkBudget*)>& advance, WorkBudget* budget) {
  const auto t0 = std::chrono::steady_clock::now();
  StepReport rep;
  rep.iteration = iteration_;
  bool suspended = false;
  {
    // The step works on θ: swap it into the network for the minibatch's gradient and the update (O(1): the
    // vectors swap their storage), and the average back out however the piece ends (between the pieces of a
    // suspended step the network holds the average, which everything else reads).
    struct Swap {
      Vec& a;
      Vec& b;
      Swap(Vec& x, Vec& y) : a(x), b(y) { a.swap(b); }
      ~Swap() { a.swap(b); }
    } swap(mlp_.params(), theta_);
    if (!pending_) {
      rng_before_ = rng_;
      pending_millis_ = 0.0;
      pending_ = true;
      start();
    }
    const GradientResult& g = advance(budget);
    suspended = g.suspended;
    if (!suspended) apply_update(g, optimizer_, mlp_.params(), iteration_, rep);
    else rep.nfe_forward = g.forward.nfe;
  }
  const double piece = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  if (suspended) {
    pending_millis_ += piece;
    rep.suspended = true;
    rep.millis = piece;
    return rep;
  }
  pending_ = false;
  ++generation_;
  const Rng before = *rng_before_;
  rng_before_.reset();
  if (rep.ok()) {
    ++averaged_;
    // Bias-corrected: after n steps the iterates weigh (1 − β)β^(n−k) / (1 − β^n), so after one step the
    // average is that step's θ; β = 0 keeps θ itself.
    const double beta = optimizer_.config().average;
    const double weight = (1.0 - beta) / (1.0 - std::pow(beta, static_cast<double>(averaged_)));
    mlp_.params() += weight * (theta_ - mlp_.params());
  } else {
    rng_ = before;  // a failed step changes nothing
  }
  rep.millis = pending_millis_ + piece;
  return rep;
}

void Learner::discard_pending() {
  ++generation_;
  pending_ = false;
  if (rng_before_) rng_ = *rng_before_;
  rng_before_.reset();
}

Result<> Learner::set_parameters(const Vec& theta) {
  if (Result<> r = mlp_.set_params(theta); !r.ok()) return r;
  discard_pending();
  theta_ = theta;
  averaged_ = 0;
  return {};
}

TrainingState Learner::state() const {
  // An iteration under way is not part of the state: a document taken meanwhile resumes from before it.
  return {theta_, mlp_.params(), averaged_, norm_, iteration_, optimizer_.state(),
          (rng_before_ ? *rng_before_ : rng_).state(), {}};
}

Result<> Learner::restore(const TrainingState& s) {
  using R = Result<>;
  const Index num_params = mlp_.num_params(), dim = mlp_.config().dim;
  if (s.theta.size() != num_params) return R::failure("expected " + std::to_string(num_params) + " parameters");
  if (s.norm.offset.size() != dim || s.norm.scale.size() != dim) return R::failure("normalization must have dim entries");
  if (!(s.norm.time >= kMinTimeScale && s.norm.time <= kMaxTimeScale)) return R::failure("normalization time scale out of range");
  if (s.iteration < 0) return R::failure("iteration must be ≥ 0");
  if (s.averaged < 0) return R::failure("averaged steps must be ≥ 0");
  if (s.average.size() != 0 && s.average.size() != num_params)
    return R::failure("expected " + std::to_string(num_params) + " averaged parameters");
  Mlp check = mlp_;
  if (R r = check.set_params(s.theta); !r.ok()) return r;
  Optimizer opt = optimizer_;
  if (R r = opt.set_state(s.optimizer, num_params); !r.ok()) return r;
  Rng rng = rng_;
  if (s.rng)
    if (R r = rng.set_state(*s.rng); !r.ok()) return r;
  Mlp m = std::move(check);
  if (s.average.size() != 0)
    if (R r = m.set_params(s.average); !r.ok()) return R::failure("average: " + r.message);
  discard_pending();
  mlp_ = std::move(m);
  theta_ = s.theta;
  averaged_ = s.average.size() != 0 ? s.averaged : 0;
  norm_ = s.norm;
  optimizer_ = std::move(opt);
  rng_ = rng;
  iteration_ = s.iteration;
  return {};
}

Trainer::Trainer(TrainerConfig config)
    : Learner(config.mlp, config.optimizer, config.seed),
      config_(std::move(config)),
      solver_(solver_options(config_.solver)),
      dense_solver_(solver_) {
  dense_solver_.method = with_dense_output(solver_.method);
  dense_solver_.dense = true;
  fit_normalization();
}

Result<std::size_t> Trainer::add_trajectory(Trajectory t) {
  using R = Result<std::size_t>;
  if (Result<> r = validate_trajectory(t, config_.mlp.dim); !r.ok()) return R::failure(r);
  double stored = static_cast<double>(t.times.size());
  for (const Trajectory& u : data_) stored += static_cast<double>(u.times.size());
  if (Result<> r = limits::check_memory(8.0 * (config_.mlp.dim + 1) * stored, "the trajectories"); !r.ok())
    return R::failure(r);
  discard_pending();
  data_.push_back(std::move(t));
  if (iteration_ == 0) fit_normalization();
  claim_shooting(data_.size() - 1);
  return R::success(data_.size() - 1);
}

void Trainer::clear_trajectories() {
  discard_pending();
  data_.clear();
  // The trajectories' shooting states stay until the next clear, for the trajectories added back unchanged.
  kept_.clear();
  for (ShootingState& x : shoot_)
    if (x.states.size() != 0) kept_.push_back(std::move(x));
  shoot_.clear();
  if (iteration_ == 0) fit_normalization();
}

void Trainer::fit_normalization() {
  const int d = config_.mlp.dim;
  norm_.offset = Vec::Zero(d);
  norm_.scale = Vec::Ones(d);
  shoot_.clear();  // in model coordinates
  kept_.clear();
  if (!config_.normalize || data_.empty()) return;
  Vec sum = Vec::Zero(d), sq = Vec::Zero(d);
  double n = 0;
  for (const Trajectory& t : data_) {
    sum += t.states.rowwise().sum();
    sq += t.states.cwiseAbs2().rowwise().sum();
    n += static_cast<double>(t.states.cols());
  }
  norm_.offset = sum / n;
  for (int j = 0; j < d; ++j) {
    const double var = sq[j] / n - norm_.offset[j] * norm_.offset[j];
    const double sd = var > 0 ? std::sqrt(var) : 0.0;
    norm_.scale[j] = sd > 1e-8 ? sd : 1.0;
  }
  norm_.time = fit_time_scale(data_, norm_.offset, norm_.scale);
}

double fit_time_scale(const std::vector<Trajectory>& data, const Vec& offset, const Vec& scale) {
  // Σ(‖Δz‖² − 2σ²) / ΣΔt² over differences k observations apart (σ²: the observation noise's variance), k the
  // smallest (growing 1.5×) at which they exceed the noise 1.5×: differences of close noisy observations measure
  // the noise, and longer chords of curved paths are shorter than the path, so k stays as small as the noise allows.
  (void)offset;  // differences do not depend on the offset
  const Index d = scale.size();
  // σ² per normalised dimension from the residuals of linear interpolation between neighbours (second differences):
  // r = z_i − (b z_{i−1} + a z_{i+1}) has variance σ²(1 + a² + b²); the median over that, over χ²₁'s median.
  double noise = 0.0;
  std::vector<double> r;
  for (Index j = 0; j < d; ++j) {
    r.clear();
    for (const Trajectory& t : data)
      for (std::size_t i = 1; i + 1 < t.times.size(); ++i) {
        const double h1 = t.times[i] - t.times[i - 1], h2 = t.times[i + 1] - t.times[i];
        if (!(h1 > 0) || !(h2 > 0)) continue;
        const double a = h1 / (h1 + h2), b = 1 - a;
        const Index c = static_cast<Index>(i);
        const double res = (t.states(j, c) - b * t.states(j, c - 1) - a * t.states(j, c + 1)) / scale[j];
        r.push_back(res * res / (1 + a * a + b * b));
      }
    if (r.empty()) continue;
    const auto mid = r.begin() + static_cast<std::ptrdiff_t>(r.size() / 2);
    std::nth_element(r.begin(), mid, r.end());
    noise += *mid / 0.4549364 / static_cast<double>(d);  // 0.4549: the median of χ²₁
  }
  std::size_t longest = 0;
  for (const Trajectory& t : data) longest = std::max(longest, t.times.size());
  for (std::size_t k = 1; k < longest; k = std::max(k + 1, k * 3 / 2)) {
    double moved = 0.0, squared = 0.0, pairs = 0.0;
    for (const Trajectory& t : data)
      for (std::size_t i = k; i < t.times.size(); ++i) {
        const double dt = t.times[i] - t.times[i - k];
        if (!(dt > 0)) continue;
        const Index c = static_cast<Index>(i), p = static_cast<Index>(i - k);
        moved += (t.states.col(c) - t.states.col(p)).cwiseQuotient(scale).squaredNorm() / static_cast<double>(d);
        squared += dt * dt;
        pairs += 1;
      }
    if (!(moved > 0) || moved < 1.5 * 2 * noise * pairs) continue;
    const double time = std::sqrt(squared / (moved - 2 * noise * pairs));
    return std::isfinite(time) ? std::clamp(time, kMinTimeScale, kMaxTimeScale) : 1.0;
  }
  return 1.0;  // no motion above the noise at any baseline: time is not rescaled
}

std::vector<Window> Trainer::sample_windows(Rng& rng) const {
  std::vector<Window> out;
  sample_windows_into(rng, out);
  return out;
}

void Trainer::sample_windows_into(Rng& rng, std::vector<Window>& out) const {
  out.clear();
  if (data_.empty()) return;
  const std::size_t W = static_cast<std::size_t>(config_.window);
  std::vector<std::size_t>& starts = buffers_.starts;  // number of start positions per trajectory, cumulative
  starts.clear();
  std::size_t total = 0;
  // A trajectory longer than a window has n + W − 3 start positions k = −(W − 2) … n − 2, the window being
  // observations k … k + W − 1 clipped to the trajectory (at least two): every observation interval lies in
  // exactly W − 1 of them. Windows starting only inside left a trajectory's first and last intervals to one
  // window in n − W + 1, and trajectories that start in a fast transient carried most of the field error there.
  for (const Trajectory& t : data_) {
    const std::size_t n = t.times.size();
    total += n > W ? n + W - 3 : 1;
    starts.push_back(total);
  }
  for (int b = 0; b < config_.batch_size; ++b) {
    const std::size_t k = rng.below(total);
    const std::size_t i = static_cast<std::size_t>(std::upper_bound(starts.begin(), starts.end(), k) - starts.begin());
    const std::size_t n = data_[i].times.size();
    if (n <= W) {
      out.push_back({i, 0, n});
      continue;
    }
    const std::size_t pos = k - (i == 0 ? 0 : starts[i - 1]);  // the start k, shifted by W − 2
    const std::size_t first = pos >= W - 2 ? pos - (W - 2) : 0;
    const std::size_t end = std::min(n, pos + 2);                // one past k + W − 1
    out.push_back({i, first, end - first});
  }
}

std::vector<Window> Trainer::all_windows() const {
  std::vector<Window> out;
  for (std::size_t i = 0; i < data_.size(); ++i) out.push_back({i, 0, data_[i].times.size()});
  return out;
}

std::vector<std::vector<Window>> Trainer::group_windows(const std::vector<Window>& windows) const {
  std::vector<std::vector<Window>> groups;
  std::size_t count = 0;
  group_windows_into(windows, groups, count);
  groups.resize(count);
  return groups;
}

bool Trainer::same_grid(const Window& a, const Window& b) const {
  if (a.length != b.length) return false;
  const auto& ta = data_[a.trajectory].times;
  const auto& tb = data_[b.trajectory].times;
  for (std::size_t i = 1; i < a.length; ++i) {
    const double x = ta[a.start + i] - ta[a.start], y = tb[b.start + i] - tb[b.start];
    if (std::abs(x - y) > 1e-9 * std::max(1.0, std::abs(x))) return false;
  }
  return true;
}

void Trainer::group_windows_into(const std::vector<Window>& windows, std::vector<std::vector<Window>>& groups,
                                 std::size_t& count) const {
  // Windows whose relative observation times agree (to rounding) share one batched solve; others
  // are solved on their own, so irregular times never force a batch to stop at everyone's times.
  auto same = [this](const Window& a, const Window& b) { return same_grid(a, b); };
  count = 0;
  if (groups.size() < windows.size()) {
    // At most one group per window, each with room for every window: the groups never grow in later steps.
    groups.resize(windows.size());
    for (std::vector<Window>& g : groups) g.reserve(windows.size());
  }
  for (const Window& w : windows) {
    std::size_t g = 0;
    while (g < count && !same(groups[g].front(), w)) ++g;
    if (g == count) {
      groups[count++].clear();
    }
    groups[g].push_back(w);
  }
}

BatchProblem Trainer::make_problem(const std::vector<Window>& windows, bool regularize, double weight) const {
  BatchProblem p;
  make_problem_into(windows, regularize, weight, p);
  return p;
}

namespace {
/// Sorts keys by time, stably, given runs: the keys from runs[r] to runs[r + 1] (or the end) are in time order.
/// Neighbouring runs are merged pairwise (std::merge: stable, equal times from the first run first) through `merged`
/// until one is left — no allocation once the buffers are grown (std::stable_sort allocates its buffer every call).
/// Branch-free merges were tried and were slower on the replica (make_problem_into 4.6-5.1 % of a step against 2.8 %).
template <class Key>
void sort_runs(std::vector<Key>& keys, std::vector<Key>& merged, std::vector<std::size_t>& runs) {
  const std::size_t n = keys.size();
  merged.resize(n);
  while (runs.size() > 1) {
    std::size_t kept = 0;
    for (std::size_t r = 0; r < runs.size(); r += 2) {
      const std::size_t a = runs[r], m = r + 1 < runs.size() ? runs[r + 1] : n, b = r + 2 < runs.size() ? runs[r + 2] : n;
      std::merge(keys.begin() + a, keys.begin() + m, keys.begin() + m, keys.begin() + b, merged.begin() + a,
                 [](const Key& x, const Key& y) { return x.t < y.t; });
      runs[kept++] = a;
    }
    runs.resize(kept);
    keys.swap(merged);
  }
}
}  // namespace

void Trainer::make_problem_into(const std::vector<Window>& windows, bool regularize, double weight,
                                BatchProblem& p) const {
  const Index S = mlp_.state_dim(), d = config_.mlp.dim, B = static_cast<Index>(windows.size());
  p.y0.resize(S * B + (regularize ? 1 : 0));
  p.y0.setZero();
  p.offsets.resize(B);
  p.copies.resize(B);
  std::vector<StepBuffers::Entry>& entries = buffers_.entries;
  std::vector<StepBuffers::Key>& keys = buffers_.keys;
  std::vector<std::size_t>& runs = buffers_.runs;
  std::size_t targets = 0;
  for (const Window& w : windows) targets += (w.length > 1 ? w.length - 1 : 0) + (w.linked ? 1 : 0);
  // Sized first and filled field by field: a push_back of a braced struct went through the stack, and its wide
  // reload stalled on store forwarding (a third of this function's samples).
  entries.resize(targets);
  keys.resize(targets);
  runs.resize(windows.size());
  std::size_t q = 0;  // targets so far
  auto add = [&](double t, Index k, std::size_t traj, std::size_t obs, bool link) {
    keys[q].t = t;
    keys[q].entry = q;
    StepBuffers::Entry& e = entries[q++];
    e.column = k;
    e.traj = traj;
    e.obs = obs;
    e.link = link;
  };
  for (Index k = 0; k < B; ++k) {
    const Window& w = windows[static_cast<std::size_t>(k)];
    const Trajectory& tr = data_[w.trajectory];
    const double t0 = tr.times[w.start];
    p.offsets[k] = t0 / norm_.time;
    p.copies[k] = static_cast<double>(w.copies);
    if (w.shoot)
      p.y0.segment(k * S, d) = shoot_[w.trajectory].states.segment(static_cast<Index>(w.start) * d, d);
    else
      p.y0.segment(k * S, d) = (tr.states.col(static_cast<Index>(w.start)) - norm_.offset).cwiseQuotient(norm_.scale);
    // The window's targets in time order (its observations, then its continuity target at its last time).
    runs[static_cast<std::size_t>(k)] = q;
    for (std::size_t j = w.start + 1; j < w.start + w.length; ++j) add((tr.times[j] - t0) / norm_.time, k, w.trajectory, j, false);
    if (w.linked) {
      const std::size_t j = w.start + w.length - 1;
      add((tr.times[j] - t0) / norm_.time, k, w.trajectory, j, true);
    }
  }
  // All targets in time order; equal times in window order (a fixed order, whatever the standard library's sort).
  sort_runs(keys, buffers_.merged, runs);
  const Index n = static_cast<Index>(keys.size());
  if (p.value.rows() != d || p.value.cols() < n) p.value.resize(d, std::max(n, 2 * p.value.cols()));
  p.times.clear();
  p.first.clear();
  p.column.clear();
  p.link.clear();
  if (p.value_grad.rows() != d || p.value_grad.cols() < p.value.cols()) p.value_grad.resize(d, p.value.cols());
  const double* offset = norm_.offset.data();
  const double* scale = norm_.scale.data();
  for (Index k = 0; k < n; ++k) {
    const double t = keys[static_cast<std::size_t>(k)].t;
    const StepBuffers::Entry& e = entries[keys[static_cast<std::size_t>(k)].entry];
    // Relative times that differ only by rounding share one output.
    if (p.times.empty() || t - p.times.back() > 1e-9 * std::max(1.0, std::abs(t))) {
      p.times.push_back(t);
      p.first.push_back(static_cast<std::size_t>(k));
    }
    p.column.push_back(e.column);
    p.link.push_back(e.link ? 1 : 0);
    double* v = p.value.col(k).data();
    if (e.link) {
      const double* s = shoot_[e.traj].states.data() + static_cast<Index>(e.obs) * d;
      for (Index r = 0; r < d; ++r) v[r] = s[r];
      p.value_grad.col(k).setZero();
    } else {
      const double* s = data_[e.traj].states.col(static_cast<Index>(e.obs)).data();
      for (Index r = 0; r < d; ++r) v[r] = (s[r] - offset[r]) / scale[r];
    }
  }
  p.first.push_back(static_cast<std::size_t>(n));
  p.weight = weight > 0 ? weight : (n == 0 ? 0.0 : 1.0 / static_cast<double>(n * d));
}

namespace {
/// What a trainer's loss term reads, behind one pointer (so the LossTerm holds it inline, without allocating).
struct WindowLoss {
  const BatchProblem& p;
  Mat* value_grad;   ///< the continuity targets' ∂loss/∂value (set when the gradient is asked for)
  double continuity;  ///< the continuity targets' weight relative to an observation's
  LossKind kind;
  bool regularize;
  std::size_t last;  ///< the last output (where the regulariser's integral is read)
  Index S, d, n;     ///< state size per window, observed dimension, field size
  double operator()(std::size_t i, const Vec& y, Vec* grad) const {
    if (grad) grad->setZero(n);
    double l = 0.0;
    for (std::size_t k = p.first[i]; k < p.first[i + 1]; ++k) {
      const Index c = p.column[k];
      const auto value = p.value.col(static_cast<Index>(k));
      if (p.link[k]) {
        auto vg = value_grad->col(static_cast<Index>(k));
        if (grad) {
          vg.setZero();
          l += observation_loss(kind, y.segment(c * S, d), value, p.weight * p.copies[c] * continuity, &vg);
          grad->segment(c * S, d) += vg;
          vg = -vg;  // the loss depends on the difference: ∂/∂value = −∂/∂y
        } else {
          l += observation_loss(kind, y.segment(c * S, d), value, p.weight * p.copies[c] * continuity, static_cast<Vec*>(nullptr));
        }
        continue;
      }
      if (grad) {
        auto gs = grad->segment(c * S, d);
        l += observation_loss(kind, y.segment(c * S, d), value, p.weight * p.copies[c], &gs);
      } else {
        l += observation_loss(kind, y.segment(c * S, d), value, p.weight * p.copies[c], static_cast<Vec*>(nullptr));
      }
    }
    if (regularize && i == last) {
      l += y[n - 1];
      if (grad) (*grad)[n - 1] = 1.0;
    }
    return l;
  }
};
}  // namespace

void Trainer::begin(const std::vector<Window>& windows, bool regularize, bool gradient, GradientMethod method,
                    Evaluation& e) const {
  e.gradient_options = gradient_options(config_);
  e.gradient_options.method = method;
  e.gradient = gradient;
  e.regularize = regularize && (config_.kinetic > 0 || config_.jacobian > 0);
  std::size_t entries = 0;
  e.shooting = false;
  for (const Window& w : windows) {
    entries += (w.length - 1) * w.copies;
    e.shooting = e.shooting || w.shoot;
  }
  if (e.shooting) {
    e.shoot_grad.resize(data_.size());
    for (std::size_t i = 0; i < data_.size(); ++i)
      e.shoot_grad[i].setZero(config_.mlp.dim * static_cast<Index>(data_[i].times.size()));
  }
  e.weight = entries == 0 ? 0.0 : 1.0 / static_cast<double>(entries * static_cast<std::size_t>(config_.mlp.dim));
  e.per_window = 1.0 / static_cast<double>(std::max<std::size_t>(1, windows.size()));
  GradientResult& total = e.total;
  total.clear();
  total.grad_theta.setZero(mlp_.num_params());
  total.grad_y0.resize(0);
  // Windows on different time grids: one joint solve that reads each window's states from the steps' dense
  // output (batch.joint), or one solve per grid. The backsolve adjoint keeps one solve per grid: its
  // backward pass must stop at every observation anyway.
  if (config_.joint && !(gradient && method == GradientMethod::Adjoint)) {
    // Only whether every window shares one grid matters here (the joint solve takes them all): no grouping, whose
    // storage grows with the square of the batch.
    bool one = true;
    for (const Window& w : windows)
      if (!same_grid(windows.front(), w)) {
        one = false;
        break;
      }
    if (e.groups.empty()) e.groups.resize(1);
    e.groups[0] = windows;
    e.count = windows.empty() ? 0 : 1;
    e.joint = !one;
  } else {
    group_windows_into(windows, e.groups, e.count);
    e.joint = false;
  }
  // The evaluation's own copy of the options (a suspended step keeps them while other evaluations run).
  SolverOptions& opt = e.options();
  opt = e.joint ? dense_solver_ : solver_;
  opt.step = config_.solver.step / norm_.time;  // the fixed step is set in physical time
  if (e.joint) {
    e.count = 1;
    e.groups[0] = windows;
    std::size_t longest = 2;
    for (const Window& w : windows) longest = std::max(longest, w.length);
    opt.dense_steps = static_cast<long>(longest - 1);  // fixed-step methods: a window's worth of steps
  }
  e.group = 0;
  e.running = false;
}

bool Trainer::advance(Evaluation& e, WorkBudget* budget) const {
  SolverOptions& opt = e.options();
  opt.deadline = deadline_;
  GradientResult& total = e.total;
  for (; e.group < e.count; ++e.group) {
    // Buffers per batch size: one solve per time grid has groups of any size, each solved in buffers of its
    // own size (Eigen reallocates on any size change), so a warmed-up step allocates nothing either way.
    Evaluation::Solve& sb = e.solve(e.groups[e.group].size(), e.joint);
    BatchProblem& p = sb.problem;
    GradientResult& r = sb.part;
    if (!e.running) {
      make_problem_into(e.groups[e.group], e.regularize, e.weight, p);
      if (p.times.empty()) continue;
      sb.gradient.cancel();
      e.running = true;
    }
    const BatchField field(mlp_, p.offsets, e.regularize ? config_.kinetic * e.per_window : 0.0,
                           e.regularize ? config_.jacobian * e.per_window : 0.0, sb.field);
    const WindowLoss terms{p, &p.value_grad, config_.continuity, config_.loss, e.regularize, p.times.size() - 1, mlp_.state_dim(), config_.mlp.dim, field.size()};
    const WindowLoss* tp = &terms;
    const LossTerm loss = [tp](std::size_t i, const Vec& y, Vec* grad) { return (*tp)(i, y, grad); };
    if (!e.gradient && !budget) {
      loss_only(field, 0.0, p.y0, p.times, loss, opt, sb.gradient, r);
    } else if (!e.gradient) {
      if (!loss_only_resumable(field, 0.0, p.y0, p.times, loss, opt, sb.gradient, r, budget)) {
        total.suspended = true;
        e.waiting.suspended = true;
        e.waiting.forward.nfe = total.forward.nfe + sb.gradient.forward_nfe();
        return false;
      }
    } else if (!loss_and_gradient_resumable(field, 0.0, p.y0, p.times, loss, opt, e.gradient_options, sb.gradient, r,
                                            budget)) {
      total.suspended = true;
      // What a suspended piece reports: the iteration's forward NFE so far.
      e.waiting.suspended = true;
      e.waiting.forward.nfe = total.forward.nfe + r.forward.nfe + sb.gradient.forward_nfe();
      return false;
    }
    e.running = false;
    total.suspended = false;
    total.loss += r.loss;
    total.forward.nfe += r.forward.nfe;
    total.forward.accepted += r.forward.accepted;
    total.forward.rejected += r.forward.rejected;
    total.backward.nfe += r.backward.nfe;
    total.backward.accepted += r.backward.accepted;
    total.backward.rejected += r.backward.rejected;
    total.stored_states = std::max(total.stored_states, r.stored_states);
    if (!r.ok()) {
      total.fail(r);
      e.group = e.count;
      return true;
    }
    if (e.gradient) total.grad_theta += r.grad_theta;
    if (e.gradient && e.shooting) {
      const std::vector<Window>& ws = e.groups[e.group];
      const Index S = mlp_.state_dim(), d = config_.mlp.dim;
      for (std::size_t k = 0; k < ws.size(); ++k)
        if (ws[k].shoot)
          e.shoot_grad[ws[k].trajectory].segment(static_cast<Index>(ws[k].start) * d, d) += r.grad_y0.segment(static_cast<Index>(k) * S, d);
      for (std::size_t k = 0; k < p.column.size(); ++k)
        if (p.link[k]) {
          const Window& w = ws[static_cast<std::size_t>(p.column[k])];
          e.shoot_grad[w.trajectory].segment(static_cast<Index>(w.start + w.length - 1) * d, d) += p.value_grad.col(static_cast<Index>(k));
        }
    }
  }
  total.suspended = false;
  return true;
}

void Trainer::evaluate(const std::vector<Window>& windows, bool regularize, bool gradient, GradientMethod method,
                       Evaluation& e) const {
  begin(windows, regularize, gradient, method, e);
  (void)advance(e, nullptr);
}

StepReport Trainer::step(WorkBudget* budget) {
  if (data_.empty()) {
    StepReport rep;
    rep.iteration = iteration_;
    rep.fail("no trajectories to train on");
    return rep;
  }
  // Both callbacks capture `this` alone (held inline by std::function: a step allocates nothing here).
  const StepReport rep = train_step(
      [this] {
        Evaluation& e = buffers_.step;
        std::vector<Window>& windows = buffers_.windows;
        sample_windows_into(rng_, windows);
        std::vector<Window>& segments = buffers_.segments;
        cut_segments(windows, segments);
        for (const Window& w : segments)
          if (w.shoot) ensure_shooting(w.trajectory);
        if (Result<> mem = limits::check_memory(step_bytes(segments), "one training step (batch.size × batch.window)"); !mem.ok()) {
          e.total = GradientResult{};
          e.total.fail(mem.message + ": lower batch.size or batch.window");
          e.count = e.group = 0;  // nothing to solve: advance returns this result
          e.shooting = false;
          return;
        }
        begin(segments, true, true, config_.gradient, e);
        if (e.shooting) shooting_misfit(segments, e);
      },
      [this](WorkBudget* b) -> const GradientResult& {
        Evaluation& e = buffers_.step;
        return advance(e, b) ? e.total : e.waiting;
      },
      budget);
  if (rep.ok() && !rep.suspended && buffers_.step.shooting) update_shooting(buffers_.step);
  return rep;
}

void Trainer::cut_segments(const std::vector<Window>& windows, std::vector<Window>& out) const {
  out.clear();
  const std::size_t L = static_cast<std::size_t>(config_.shooting);
  // A window to cut that was drawn again (whole-trajectory windows of a few trajectories often are) is solved once and
  // counted as often as drawn.
  std::vector<Window>& distinct = buffers_.distinct;
  distinct.clear();
  for (const Window& w : windows) {
    if (L < 2 || w.length <= L) {
      distinct.push_back(w);
      continue;
    }
    auto same = std::find_if(distinct.begin(), distinct.end(), [&](const Window& o) {
      return o.length > L && o.trajectory == w.trajectory && o.start == w.start && o.length == w.length;
    });
    if (same != distinct.end()) same->copies += w.copies;
    else distinct.push_back(w);
  }
  for (const Window& w : distinct) {
    if (L < 2 || w.length <= L) {
      out.push_back(w);
      continue;
    }
    const std::size_t end = w.start + w.length;
    for (std::size_t first = w.start; first + 1 < end; first += L - 1) {
      const std::size_t length = std::min(L, end - first);
      out.push_back({w.trajectory, first, length, first != w.start, first + length < end, w.copies});
    }
  }
}

void Trainer::ensure_shooting(std::size_t i) {
  if (shoot_.size() < data_.size()) shoot_.resize(data_.size());
  ShootingState& s = shoot_[i];
  const Trajectory& tr = data_[i];
  const Index n = static_cast<Index>(tr.times.size()), d = config_.mlp.dim;
  if (s.points == n && s.states.size() == d * n) return;
  s.key = trajectory_key(tr);
  s.points = n;
  s.states.resize(d * n);
  for (Index j = 0; j < n; ++j) s.states.segment(j * d, d) = (tr.states.col(j) - norm_.offset).cwiseQuotient(norm_.scale);
  s.m = Vec::Zero(d * n);
  s.v = Vec::Zero(d * n);
  s.steps = 0;
}

void Trainer::shooting_misfit(const std::vector<Window>& segments, Evaluation& e) const {
  const Index d = config_.mlp.dim;
  for (const Window& w : segments) {
    if (!w.shoot) continue;
    const Index j = static_cast<Index>(w.start);
    const Vec obs = (data_[w.trajectory].states.col(j) - norm_.offset).cwiseQuotient(norm_.scale);
    auto g = e.shoot_grad[w.trajectory].segment(j * d, d);
    e.total.loss += observation_loss(config_.loss, shoot_[w.trajectory].states.segment(j * d, d), obs,
                                     e.weight * static_cast<double>(w.copies), &g);
  }
}

void Trainer::update_shooting(const Evaluation& e) {
  const OptimizerConfig& c = optimizer_.config();
  const double lr = learning_rate(c, iteration_);
  for (std::size_t i = 0; i < shoot_.size() && i < e.shoot_grad.size(); ++i) {
    ShootingState& s = shoot_[i];
    const Vec& g = e.shoot_grad[i];
    if (s.states.size() == 0 || g.size() != s.states.size() || g.isZero(0.0)) continue;
    ++s.steps;
    s.m = c.beta1 * s.m + (1 - c.beta1) * g;
    s.v = c.beta2 * s.v + (1 - c.beta2) * g.cwiseAbs2();
    const double b1 = 1 - std::pow(c.beta1, static_cast<double>(s.steps)), b2 = 1 - std::pow(c.beta2, static_cast<double>(s.steps));
    s.states.array() -= lr * (s.m.array() / b1) / ((s.v.array() / b2).sqrt() + c.eps);
  }
}

std::uint64_t trajectory_key(const Trajectory& t) {
  std::uint64_t h = 14695981039346656037ull;
  auto mix = [&h](const void* p, std::size_t n) {
    const auto* b = static_cast<const unsigned char*>(p);
    for (std::size_t k = 0; k < n; ++k) h = (h ^ b[k]) * 1099511628211ull;
  };
  const std::uint64_t n = t.times.size(), rows = static_cast<std::uint64_t>(t.states.rows());
  mix(&n, sizeof n);
  mix(&rows, sizeof rows);
  mix(t.times.data(), sizeof(double) * t.times.size());
  mix(t.states.data(), sizeof(double) * static_cast<std::size_t>(t.states.size()));
  return h;
}

void Trainer::claim_shooting(std::size_t i) {
  if (shoot_.size() < data_.size()) shoot_.resize(data_.size());
  if (kept_.empty()) return;
  const std::uint64_t key = trajectory_key(data_[i]);
  const Index n = static_cast<Index>(data_[i].times.size());
  for (auto it = kept_.begin(); it != kept_.end(); ++it)
    if (it->key == key && it->points == n && it->states.size() == config_.mlp.dim * n) {
      shoot_[i] = std::move(*it);
      kept_.erase(it);
      return;
    }
}

const ShootingState* Trainer::shooting_state(std::size_t i) const {
  return i < shoot_.size() && shoot_[i].states.size() != 0 ? &shoot_[i] : nullptr;
}

Result<> Trainer::set_shooting_states(std::size_t i, const Vec& states) {
  if (i >= data_.size()) return Result<>::failure("no trajectory " + std::to_string(i));
  if (states.size() != config_.mlp.dim * static_cast<Index>(data_[i].times.size()) || !states.allFinite())
    return Result<>::failure("expected dim × points finite states");
  discard_pending();
  ensure_shooting(i);
  shoot_[i].states = states;
  return {};
}

GradientResult Trainer::shooting_gradient(const std::vector<Window>& windows, std::vector<Vec>& free) {
  Evaluation& e = buffers_.other;
  std::vector<Window> segments;
  cut_segments(windows, segments);
  for (const Window& w : segments)
    if (w.shoot) ensure_shooting(w.trajectory);
  begin(segments, true, true, config_.gradient, e);
  if (e.shooting) shooting_misfit(segments, e);
  (void)advance(e, nullptr);
  free.assign(data_.size(), Vec());
  if (e.shooting)
    for (std::size_t i = 0; i < data_.size(); ++i)
      if (shooting_state(i)) free[i] = e.shoot_grad[i];
  e.solves.clear();
  return e.total;
}

TrainingState Trainer::state() const {
  TrainingState s = Learner::state();
  for (const ShootingState& x : shoot_)
    if (x.states.size() != 0) s.shooting.push_back(x);
  for (const ShootingState& x : kept_) s.shooting.push_back(x);
  return s;
}

Result<> Trainer::restore(const TrainingState& s) {
  using R = Result<>;
  const Index d = config_.mlp.dim;
  for (const ShootingState& x : s.shooting) {
    const Index size = d * x.points;
    if (x.points < 2 || x.states.size() != size || x.m.size() != size || x.v.size() != size)
      return R::failure("shooting states must have dim × points entries (points ≥ 2), as their moments");
    if (!x.states.allFinite() || !x.m.allFinite() || !x.v.allFinite() || (x.v.array() < 0).any())
      return R::failure("shooting states and moments must be finite (second moments ≥ 0)");
    if (x.steps < 0) return R::failure("shooting steps must be ≥ 0");
  }
  if (R r = Learner::restore(s); !r.ok()) return r;
  shoot_.clear();
  kept_ = s.shooting;
  for (std::size_t i = 0; i < data_.size(); ++i) claim_shooting(i);
  return {};
}

double Trainer::step_bytes(const std::vector<Window>& windows) const {
  // The batched state with its stored outputs (adjoint keeps one state per output time), the targets, and the
  // network's work per column, the checkpointed method's stored states (plus its recursion); the direct
  // method's tape is bounded separately inside the solve.
  const double S = mlp_.state_dim(), d = config_.mlp.dim;
  double columns = 0, entries = 0, longest = 0;
  for (const Window& w : windows) {
    columns += 1;
    entries += static_cast<double>(w.length);
    longest = std::max(longest, static_cast<double>(w.length));
  }
  const double checkpoints = config_.gradient == GradientMethod::Checkpointed ? config_.solver.checkpoints + 64.0 : 0.0;
  // Per method, the network's work per column and parameter-sized vectors beyond that: the checkpointed backward
  // keeps every stage's forward pass (eval_keep), the adjoint carries parameter-sized states, stages and error
  // estimates. Factors from measured peaks (widths 64/256, depths 2/3, batches 16/256, dopri5; memory test).
  const double p_bytes = 8.0 * static_cast<double>(mlp_.num_params());
  double per_column = 3.0, per_param = 8.0;  // direct: its tape is also bounded inside the solve
  if (config_.gradient == GradientMethod::Checkpointed) per_column = 8.0, per_param = 16.0;
  if (config_.gradient == GradientMethod::Adjoint) per_column = 8.0, per_param = 64.0;
  // The checkpointed and direct forward solves also keep their last steps' stage passes, up to their caps
  // (StageTapes::reset's ring for the larger of the two solvers' stage counts).
  double stage_tapes = 0.0;
  if (config_.gradient != GradientMethod::Adjoint && nde::stage_tapes()) {
    const GradientOptions g = gradient_options(config_);
    const int s = std::max(solver_.method.stages(), dense_solver_.method.stages());
    const double step = StageTapes::step_bytes(BatchField::kept_bytes(mlp_, static_cast<Index>(columns)), s,
                                                    static_cast<Index>(S * columns + 1));
    stage_tapes = static_cast<double>(StageTapes::ring_steps(step, g.stage_tape_bytes, g.stage_tape_steps)) * step;
  }
  // per_param + 1: the float64 points-in-lanes passes keep a copy of θ (lanes64.hpp).
  return 8.0 * (S * columns + 1) * (longest + 8 + checkpoints) + entries * (8.0 * d + 96) +
         per_column * columns * mlp_.column_bytes() + (per_param + 1.0) * p_bytes + stage_tapes;
}

GradientResult Trainer::full_loss() const {
  evaluate(all_windows(), false, false, config_.gradient, buffers_.other);
  return buffers_.other.total;
}

GradientResult Trainer::trajectory_loss(std::size_t i) const {
  evaluate({Window{i, 0, data_[i].times.size()}}, false, false, config_.gradient, buffers_.other);
  return buffers_.other.total;
}

bool Trainer::loss_resumable(GradientResult& out, WorkBudget* budget, long trajectory) const {
  StepBuffers& b = buffers_;
  Evaluation& e = b.loss;
  if (!b.loss_running || b.loss_trajectory != trajectory || b.loss_generation != generation()) {
    std::vector<Window> windows;
    if (trajectory < 0) windows = all_windows();
    else windows.push_back(Window{static_cast<std::size_t>(trajectory), 0, data_[static_cast<std::size_t>(trajectory)].times.size()});
    // Whatever a dropped evaluation left in its solves' buffers starts afresh with the first group.
    for (auto& kept : e.solves) kept.second->gradient.cancel();
    begin(windows, false, false, config_.gradient, e);
    b.loss_running = true;
    b.loss_trajectory = trajectory;
    b.loss_generation = generation();
  }
  if (!advance(e, budget)) {
    out = e.waiting;
    return false;
  }
  b.loss_running = false;
  out = e.total;
  return true;
}

GradientResult Trainer::full_gradient(GradientMethod method) const {
  begin_full_gradient(method);
  GradientResult r;
  (void)advance_full_gradient(nullptr, r);
  return r;
}

void Trainer::begin_full_gradient(GradientMethod method) const {
  Evaluation& e = buffers_.other;
  const std::vector<Window> windows = all_windows();
  if (Result<> mem = limits::check_memory(step_bytes(windows), "the full-data gradient"); !mem.ok()) {
    e.total = GradientResult{};
    e.total.fail(mem.message);
    e.count = e.group = 0;  // nothing to solve: advance returns this result
    e.running = false;
    return;
  }
  begin(windows, false, true, method, e);
}

bool Trainer::advance_full_gradient(WorkBudget* budget, GradientResult& out) const {
  Evaluation& e = buffers_.other;
  if (!advance(e, budget)) return false;
  out = e.total;
  e.solves.clear();  // a whole-data tape can be large: do not hold it
  return true;
}

void Trainer::reset(std::uint64_t seed) {
  restart(seed);
  shoot_.clear();
  kept_.clear();
  fit_normalization();
}

Solution Trainer::integrate(const Vec& z0, double t0, const std::vector<double>& times) const {
  const Index S = mlp_.state_dim(), d = config_.mlp.dim;
  Solution out;
  out.t_reached = t0;
  if (z0.size() != d || !z0.allFinite()) {
    out.fail("initial state must have " + std::to_string(d) + " finite entries");
    return out;
  }
  Vec y0 = Vec::Zero(S);
  y0.head(d) = (z0 - norm_.offset).cwiseQuotient(norm_.scale);
  const BatchField field(mlp_, RowVec::Constant(1, t0 / norm_.time));
  SolverOptions opt = solver_;
  opt.deadline = deadline_;
  opt.step = config_.solver.step / norm_.time;  // the fixed step is set in physical time
  out.states = Mat::Constant(d, static_cast<Index>(times.size()), std::numeric_limits<double>::quiet_NaN());
  // Times after t0 are solved forwards, times before it backwards; each side in order away from t0.
  for (const double dir : {1.0, -1.0}) {
    std::vector<std::size_t> idx;
    for (std::size_t i = 0; i < times.size(); ++i)
      if (!std::isfinite(times[i]) || (dir > 0 ? times[i] >= t0 : times[i] < t0)) idx.push_back(i);
    std::sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) { return dir * times[a] < dir * times[b]; });
    std::vector<double> rel;
    for (std::size_t i : idx) rel.push_back((times[i] - t0) / norm_.time);
    const Solution s = solve(field, 0.0, y0, rel, opt);
    out.stats.nfe += s.stats.nfe;
    out.stats.accepted += s.stats.accepted;
    out.stats.rejected += s.stats.rejected;
    // Outputs reached before a failure are kept; the rest stay NaN.
    for (Index k = 0; k < s.states.cols(); ++k)
      out.states.col(static_cast<Index>(idx[static_cast<std::size_t>(k)])) =
          s.states.col(k).head(d).cwiseProduct(norm_.scale) + norm_.offset;
    if (!s.ok() && out.ok()) {
      out.fail(s);
      out.t_reached = s.t_reached * norm_.time + t0;
    }
  }
  if (out.ok() && !times.empty())
    out.t_reached = *std::max_element(times.begin(), times.end());
  return out;
}

namespace {
/// Two doubles (SSE2 / SIMD128): a planar field's column.
typedef double D2 __attribute__((vector_size(16)));
D2 load2(const double* p) {
  D2 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
void store2(double* p, D2 v) { std::memcpy(p, &v, sizeof v); }
}  // namespace

Mat Trainer::field(const Mat& points, double t, bool single) const {
  const Index S = mlp_.state_dim(), d = config_.mlp.dim, m = points.cols();
  const Index block = limits::block_columns(mlp_.column_bytes());
  const double *offset = norm_.offset.data(), *scale = norm_.scale.data();
  Mat out(d, m);
  for (Index first = 0; first < m; first += block) {
    const Index k = std::min(block, m - first);
    // Plain loops over the columns (Eigen's colwise expressions on 2-row blocks cost ~30 instructions per entry); a
    // planar field (d = S = 2, the grids) one column per vector of two doubles, the same operations lane-wise: the
    // loops over r, of run-time length, were vectorised with overlap checks per column (in wasm ~15 % of a float32
    // replica grid) or left scalar.
    Mat Z(S, k);
    const double time = norm_.time;
    const bool planar = d == 2 && S == 2 && points.rows() == 2;
    if (planar) {
      const double* p = points.data() + 2 * first;
      const D2 o = {offset[0], offset[1]}, sc = {scale[0], scale[1]};
      for (Index c = 0; c < k; ++c) store2(Z.data() + 2 * c, (load2(p + 2 * c) - o) / sc);
    } else {
      for (Index c = 0; c < k; ++c) {
        for (Index r = 0; r < d; ++r) Z(r, c) = (points(r, first + c) - offset[r]) / scale[r];
        for (Index r = d; r < S; ++r) Z(r, c) = 0.0;
      }
    }
    const double tm = t / time;
    const Mat F = single ? mlp_.eval_single(Z, tm) : mlp_.eval(Z, RowVec::Constant(k, tm));
    if (planar) {
      const D2 sc = {scale[0], scale[1]}, tv = {time, time};
      for (Index c = 0; c < k; ++c) store2(out.data() + 2 * (first + c), load2(F.data() + 2 * c) * sc / tv);
    } else {
      for (Index c = 0; c < k; ++c)
        for (Index r = 0; r < d; ++r) out(r, first + c) = F(r, c) * scale[r] / time;
    }
  }
  return out;
}

}  // namespace nde
