#include "nde/gradient_truth.hpp"

#include <algorithm>
#include <chrono>
#include <numeric>
#include <optional>

namespace nde {

namespace {

constexpr GradientMethod kMethods[] = {GradientMethod::Adjoint, GradientMethod::Checkpointed, GradientMethod::Direct};

double millis_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
}

/// One method's full-data gradient on `t` in pieces: advance() continues it within `pause`; true once finished.
struct GradientPieces {
  explicit GradientPieces(GradientMethod m = GradientMethod::Direct) : method(m) {}
  GradientMethod method;
  bool started = false;
  double millis = 0.0;
  GradientResult r;
  bool advance(const Trainer& t, const Deadline& pause) {
    const auto t0 = std::chrono::steady_clock::now();
    if (!started) {
      t.begin_full_gradient(method);
      started = true;
    }
    WorkBudget budget;
    budget.deadline = pause;
    budget.least = 1;
    const bool finished = t.advance_full_gradient(&budget, r);
    millis += millis_since(t0);
    return finished;
  }
};

}  // namespace

struct GradientTruthJob::State {
  Trainer t;  // the job's copy
  int coordinates;
  GradientTruth out;
  std::size_t method = 0;  // the method under way (3: the differences)
  GradientPieces piece;
  std::optional<Trainer> fd;
  Vec theta;
  std::size_t fd_next = 0;  // the next loss: coordinate fd_next / 2, + then −
  double plus = 0.0;
  bool finished = false;

  State(const Trainer& trainer, int k) : t(trainer), coordinates(k) {}

  void unit(const Deadline& pause);
  void differences();
};

void GradientTruthJob::State::unit(const Deadline& pause) {
  if (method < 3) {
    if (piece.method != kMethods[method] || !piece.started) piece = GradientPieces{kMethods[method]};
    if (!piece.advance(t, pause)) return;
    const GradientResult& r = piece.r;
    const GradientMethod m = kMethods[method];
    MethodGradient g;
    g.method = m;
    g.gradient = r.grad_theta;
    g.forward = r.forward;
    g.backward = r.backward;
    g.stored_states = r.stored_states;
    g.fail(r);
    g.millis = piece.millis;
    if (!r.ok()) out.fail(std::string(to_string(m)) + ": " + r.message, r.status);
    out.loss = r.loss;
    out.methods.push_back(std::move(g));
    piece = GradientPieces{};
    if (++method < 3) return;
    if (!out.ok()) {
      finished = true;
      return;
    }
    differences();
    return;
  }
  // One loss of the central differences.
  const std::size_t j = fd_next / 2;
  const Index i = out.coordinates[j];
  const double h = out.fd_step * std::max(1.0, std::abs(theta[i]));
  Vec tp = theta;
  tp[i] += fd_next % 2 == 0 ? h : -h;
  (void)fd->set_parameters(tp);
  const GradientResult l = fd->full_loss();
  if (!l.ok()) {
    out.fail("finite differences: " + l.message, l.status);
    finished = true;
    return;
  }
  if (fd_next % 2 == 0) plus = l.loss;
  else out.finite_differences[static_cast<Index>(j)] = (plus - l.loss) / (2 * h);
  if (++fd_next < 2 * out.coordinates.size()) return;
  const std::size_t k = out.coordinates.size();
  const double fn = std::max(out.finite_differences.norm(), 1e-300);
  for (MethodGradient& g : out.methods) {
    Vec sub(static_cast<Index>(k));
    for (std::size_t q = 0; q < k; ++q) sub[static_cast<Index>(q)] = g.gradient[out.coordinates[q]];
    g.rel_to_fd = (sub - out.finite_differences).norm() / fn;
    g.agrees = g.rel_to_fd <= kGradientTolerance;
  }
  finished = true;
}

void GradientTruthJob::State::differences() {
  const Vec& direct = out.methods.back().gradient;
  const double dn = std::max(direct.norm(), 1e-300);
  for (MethodGradient& g : out.methods) g.rel_to_direct = (g.gradient - direct).norm() / dn;

  // The coordinates where the gradient is largest, differenced on a tight-tolerance copy of the model.
  const Index P = direct.size();
  std::vector<Index> order(static_cast<std::size_t>(P));
  std::iota(order.begin(), order.end(), Index{0});
  const std::size_t k = static_cast<std::size_t>(std::clamp<Index>(coordinates, 1, P));
  std::partial_sort(order.begin(), order.begin() + static_cast<long>(k), order.end(),
                    [&](Index a, Index b) { return std::abs(direct[a]) > std::abs(direct[b]); });
  out.coordinates.assign(order.begin(), order.begin() + static_cast<long>(k));
  TrainerConfig tight = t.config();
  tight.solver.method = "dopri5";
  tight.solver.step = 0.0;
  tight.solver.rtol = tight.solver.atol = 1e-10;
  tight.solver.max_steps = std::max<long>(tight.solver.max_steps, 1000000);
  fd.emplace(tight);
  for (const Trajectory& tr : t.trajectories()) (void)fd->add_trajectory(tr);
  theta = t.mlp().params();
  (void)fd->restore(t.state());
  fd->set_deadline(t.deadline());
  out.fd_step = 1e-4;
  out.finite_differences.resize(static_cast<Index>(k));
}

GradientTruthJob::GradientTruthJob(const Trainer& trainer, int coordinates, const Deadline& budget)
    : s_(std::make_unique<State>(trainer, coordinates)) {
  s_->t.set_deadline(budget);
  if (trainer.trajectories().empty()) {
    s_->out.fail("no trajectories to differentiate");
    s_->finished = true;
  }
}

GradientTruthJob::~GradientTruthJob() = default;

bool GradientTruthJob::run(const Deadline& pause) {
  return run_units(*s_, pause);
}

bool GradientTruthJob::done() const { return s_->finished; }

const GradientTruth& GradientTruthJob::result() const { return s_->out; }

GradientTruth gradient_truth(const Trainer& trainer, int coordinates) {
  GradientTruthJob job(trainer, coordinates, trainer.deadline());
  (void)job.run();
  return job.result();
}

struct MemorySweepJob::State {
  Trainer source;  // the job's copy of the model and data
  std::vector<long> steps;
  std::vector<MemoryPoint> out;
  double span = 0.0;
  std::size_t next = 0;     // the step count under way
  std::size_t method = 0;   // its method under way
  std::optional<Trainer> t;
  GradientPieces piece;
  bool finished = false;

  State(const Trainer& trainer, std::vector<long> s) : source(trainer), steps(std::move(s)) {}
  void unit(const Deadline& pause);
};

void MemorySweepJob::State::unit(const Deadline& pause) {
  const long s = steps[next];
  if (!t) {
    TrainerConfig c = source.config();
    c.solver.method = "rk4";
    c.solver.step = span / static_cast<double>(std::max(1L, s));
    c.solver.max_steps = 2 * std::max(1L, s) + 100000;
    t.emplace(c);
    for (const Trajectory& tr : source.trajectories()) (void)t->add_trajectory(tr);
    (void)t->restore(source.state());
    t->set_deadline(source.deadline());
    method = 0;
    piece = GradientPieces{kMethods[0]};
    return;
  }
  if (!piece.advance(*t, pause)) return;
  const GradientResult& r = piece.r;
  MemoryPoint p;
  p.steps = s;
  p.method = kMethods[method];
  p.accepted = r.forward.accepted;
  p.stored_states = r.stored_states;
  p.nfe_forward = r.forward.nfe;
  p.nfe_backward = r.backward.nfe;
  p.millis = piece.millis;
  p.fail(r);
  out.push_back(p);
  if (!r.ok()) {
    finished = true;
    return;
  }
  if (++method < 3) {
    piece = GradientPieces{kMethods[method]};
    return;
  }
  t.reset();
  if (++next >= steps.size()) finished = true;
}

MemorySweepJob::MemorySweepJob(const Trainer& trainer, std::vector<long> steps, const Deadline& budget)
    : s_(std::make_unique<State>(trainer, std::move(steps))) {
  State& s = *s_;
  s.source.set_deadline(budget);
  for (const Trajectory& t : trainer.trajectories()) s.span = std::max(s.span, t.times.back() - t.times.front());
  s.finished = !(s.span > 0) || s.steps.empty();
}

MemorySweepJob::~MemorySweepJob() = default;

bool MemorySweepJob::run(const Deadline& pause) {
  return run_units(*s_, pause);
}

bool MemorySweepJob::done() const { return s_->finished; }

const std::vector<MemoryPoint>& MemorySweepJob::result() const { return s_->out; }

std::vector<MemoryPoint> memory_sweep(const Trainer& trainer, const std::vector<long>& steps) {
  MemorySweepJob job(trainer, steps, trainer.deadline());
  (void)job.run();
  return job.result();
}

}  // namespace nde
