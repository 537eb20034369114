#include "nde/gradient_truth.hpp"

#include <algorithm>
#include <chrono>
#include <numeric>

namespace nde {

GradientTruth gradient_truth(const Trainer& trainer, int coordinates) {
  GradientTruth out;
  if (trainer.trajectories().empty()) {
    out.fail("no trajectories to differentiate");
    return out;
  }
  for (const GradientMethod m : {GradientMethod::Adjoint, GradientMethod::Checkpointed, GradientMethod::Direct}) {
    const auto start = std::chrono::steady_clock::now();
    const GradientResult r = trainer.full_gradient(m);
    MethodGradient g;
    g.method = m;
    g.gradient = r.grad_theta;
    g.forward = r.forward;
    g.backward = r.backward;
    g.stored_states = r.stored_states;
    g.fail(r);
    g.millis = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    if (!r.ok()) out.fail(std::string(to_string(m)) + ": " + r.message, r.status);
    out.loss = r.loss;
    out.methods.push_back(std::move(g));
  }
  if (!out.ok()) return out;
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
  TrainerConfig tight = trainer.config();
  tight.solver.method = "dopri5";
  tight.solver.step = 0.0;
  tight.solver.rtol = tight.solver.atol = 1e-10;
  tight.solver.max_steps = std::max<long>(tight.solver.max_steps, 1000000);
  Trainer fd(tight);
  for (const Trajectory& t : trainer.trajectories()) (void)fd.add_trajectory(t);
  const Vec theta = trainer.mlp().params();
  (void)fd.restore(trainer.state());
  fd.set_deadline(trainer.deadline());
  out.fd_step = 1e-4;
  out.finite_differences.resize(static_cast<Index>(k));
  for (std::size_t j = 0; j < k; ++j) {
    const Index i = out.coordinates[j];
    const double h = out.fd_step * std::max(1.0, std::abs(theta[i]));
    Vec tp = theta, tm = theta;
    tp[i] += h;
    tm[i] -= h;
    (void)fd.set_parameters(tp);
    const GradientResult lp = fd.full_loss();
    (void)fd.set_parameters(tm);
    const GradientResult lm = fd.full_loss();
    if (!lp.ok() || !lm.ok()) {
      const GradientResult& failed = lp.ok() ? lm : lp;
      out.fail("finite differences: " + failed.message, failed.status);
      return out;
    }
    out.finite_differences[static_cast<Index>(j)] = (lp.loss - lm.loss) / (2 * h);
  }
  const double fn = std::max(out.finite_differences.norm(), 1e-300);
  for (MethodGradient& g : out.methods) {
    Vec sub(static_cast<Index>(k));
    for (std::size_t j = 0; j < k; ++j) sub[static_cast<Index>(j)] = g.gradient[out.coordinates[j]];
    g.rel_to_fd = (sub - out.finite_differences).norm() / fn;
    g.agrees = g.rel_to_fd <= kGradientTolerance;
  }
  return out;
}

}  // namespace nde

namespace nde {

std::vector<MemoryPoint> memory_sweep(const Trainer& trainer, const std::vector<long>& steps) {
  std::vector<MemoryPoint> out;
  double span = 0.0;
  for (const Trajectory& t : trainer.trajectories()) span = std::max(span, t.times.back() - t.times.front());
  if (!(span > 0)) return out;
  for (const long s : steps) {
    TrainerConfig c = trainer.config();
    c.solver.method = "rk4";
    c.solver.step = span / static_cast<double>(std::max(1L, s));
    c.solver.max_steps = 2 * std::max(1L, s) + 100000;
    Trainer t(c);
    for (const Trajectory& tr : trainer.trajectories()) (void)t.add_trajectory(tr);
    (void)t.restore(trainer.state());
    t.set_deadline(trainer.deadline());
    for (const GradientMethod m : {GradientMethod::Adjoint, GradientMethod::Checkpointed, GradientMethod::Direct}) {
      const auto start = std::chrono::steady_clock::now();
      const GradientResult r = t.full_gradient(m);
      MemoryPoint p;
      p.steps = s;
      p.method = m;
      p.accepted = r.forward.accepted;
      p.stored_states = r.stored_states;
      p.nfe_forward = r.forward.nfe;
      p.nfe_backward = r.backward.nfe;
      p.millis = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
      p.fail(r);
      out.push_back(p);
      if (!r.ok()) return out;
    }
  }
  return out;
}

}  // namespace nde
