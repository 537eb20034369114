#include "nde/gradient.hpp"

#include <algorithm>

#include "nde/adjoint.hpp"
#include "nde/checkpoints.hpp"
#include "nde/dense.hpp"
#include "nde/limits.hpp"

namespace nde {

const char* to_string(GradientMethod m) {
  switch (m) {
    case GradientMethod::Direct: return "direct";
    case GradientMethod::Adjoint: return "adjoint";
    case GradientMethod::Checkpointed: return "checkpointed";
  }
  return "adjoint";
}

std::optional<GradientMethod> gradient_method_from_string(const std::string& name) {
  if (name == "direct") return GradientMethod::Direct;
  if (name == "adjoint") return GradientMethod::Adjoint;
  if (name == "checkpointed") return GradientMethod::Checkpointed;
  return std::nullopt;
}

namespace {

GradientResult failed(GradientResult r, const Solution& s) {
  r.status = s.status;
  r.message = s.message;
  return r;
}

/// The backward sweep ran past the deadline: no gradient (what was summed so far is discarded).
GradientResult backward_stopped(GradientResult r, const char* method) {
  r.status = Status::TimeLimit;
  r.message = std::string("time budget used up in the ") + method + " gradient's backward sweep";
  r.grad_theta = Vec();
  r.grad_y0 = Vec();
  return r;
}

/// One accepted forward step with its stages, kept by direct backprop.
struct TapeEntry {
  double t, h;
  Vec y;
  Mat K;
};

/// Cotangents ∂ℓ_i/∂y of the outputs, entering the reverse sweep after the step that reached them. An output
/// read inside step k by dense output, y0 + h Σ β_j(θ) K_j, enters as h β_j(θ) ∂ℓ_i/∂y on step k's stages
/// and as ∂ℓ_i/∂y on its start state (that is, after step k − 1).
struct OutputCotangents {
  std::vector<std::size_t> steps_at_output;  ///< accepted steps done on reaching output i (dense: its step)
  std::vector<Vec> dl;
  std::vector<long> dense_step;  ///< the step a dense output was read in; −1 for outputs reached by a step
  std::vector<double> theta;     ///< where inside that step
  std::size_t pending;           ///< outputs not yet entered
  std::size_t dense_pending;     ///< outputs not yet scanned for stage cotangents
  Mat K_bar;
  explicit OutputCotangents(std::size_t n)
      : steps_at_output(n), dl(n), dense_step(n, -1), theta(n, 0.0), pending(n), dense_pending(n) {}
  /// Adds the cotangents of outputs reached right after step k (k = −1: at the start).
  void enter(long k, Vec& y_bar) {
    while (pending > 0 && static_cast<long>(steps_at_output[pending - 1]) == k + 1) y_bar += dl[--pending];
  }
  /// Stage cotangents of step k (size h) from the outputs read inside it; null when there are none.
  const Mat* stage_cotangents(const Tableau& tab, long k, double h) {
    bool any = false;
    while (dense_pending > 0) {
      const std::size_t i = dense_pending - 1;
      if (dense_step[i] >= 0 && dense_step[i] < k) break;
      if (dense_step[i] == k) {
        if (!any) K_bar.setZero(dl[i].size(), tab.stages());
        any = true;
        dense_eval_vjp(tab, h, theta[i], dl[i], K_bar);
      }
      --dense_pending;
    }
    return any ? &K_bar : nullptr;
  }
};

/// Forward solve that evaluates the loss at the outputs; `on_step` sees every accepted step.
Solution forward(const DifferentiableField& f, double t0, const Vec& y0, const std::vector<double>& times,
                 const LossTerm& loss, const SolverOptions& opt, OutputCotangents& out, double& L,
                 const std::function<long()>& steps, SolveHooks hooks) {
  hooks.at_dense_output = [&](std::size_t i, double theta) {
    out.dense_step[i] = steps() - 1;
    out.theta[i] = theta;
  };
  hooks.at_output = [&](std::size_t i, double, Vec& y) {
    out.steps_at_output[i] = static_cast<std::size_t>(out.dense_step[i] >= 0 ? out.dense_step[i] : steps());
    L += loss(i, y, &out.dl[i]);
  };
  return solve(f, t0, y0, times, opt, hooks, false);
}

GradientResult direct(const DifferentiableField& f, double t0, const Vec& y0, const std::vector<double>& times,
                      const LossTerm& loss, const SolverOptions& opt) {
  GradientResult r;
  std::vector<TapeEntry> tape;
  OutputCotangents out(times.size());
  SolveHooks hooks;
  hooks.on_step = [&](double t, double h, const Vec& y, const Mat& K) { tape.push_back({t, h, y, K}); };
  // The tape grows with the steps: cap them so it stays within the memory one call may use.
  SolverOptions capped = opt;
  const double entry_bytes = 8.0 * static_cast<double>(y0.size()) * (opt.method.stages() + 2) + 96;
  const long cap = static_cast<long>(std::min(1e15, limits::kCallBytes / entry_bytes));
  if (cap < capped.max_steps) capped.max_steps = std::max(1L, cap);
  const Solution fwd = forward(f, t0, y0, times, loss, capped, out, r.loss, [&] { return static_cast<long>(tape.size()); }, hooks);
  r.forward = fwd.stats;
  if (fwd.status == Status::MaxSteps && capped.max_steps < opt.max_steps) {
    r.status = Status::MaxSteps;
    r.message = "the direct gradient's tape would exceed the memory limit after " + std::to_string(capped.max_steps) +
                " steps (use checkpointed, whose memory is bounded)";
    return r;
  }
  if (fwd.status != Status::Success) return failed(std::move(r), fwd);
  r.stored_states = tape.size();
  Vec y_bar = Vec::Zero(y0.size());
  r.grad_theta = Vec::Zero(f.num_params());
  StepWork w;
  for (std::size_t k = tape.size(); k-- > 0;) {
    if (opt.deadline.passed()) return backward_stopped(std::move(r), "direct");
    out.enter(static_cast<long>(k), y_bar);
    const TapeEntry& e = tape[k];
    const Mat* K_bar = out.stage_cotangents(opt.method, static_cast<long>(k), e.h);
    r.backward.nfe += rk_step_reverse(opt.method, f, e.t, e.h, e.y, &e.K, w, y_bar, r.grad_theta, K_bar);
    ++r.backward.accepted;
  }
  out.enter(-1, y_bar);
  r.grad_y0 = y_bar;
  return r;
}

GradientResult checkpointed(const DifferentiableField& f, double t0, const Vec& y0, const std::vector<double>& times,
                            const LossTerm& loss, const SolverOptions& opt, int checkpoints) {
  GradientResult r;
  CheckpointTape tape(checkpoints);
  OutputCotangents out(times.size());
  SolveHooks hooks;
  hooks.on_step = [&](double t, double h, const Vec& y, const Mat&) { tape.record(t, h, y); };
  const Solution fwd = forward(f, t0, y0, times, loss, opt, out, r.loss, [&] { return tape.steps(); }, hooks);
  r.forward = fwd.stats;
  if (fwd.status != Status::Success) return failed(std::move(r), fwd);
  Vec y_bar = Vec::Zero(y0.size());
  r.grad_theta = Vec::Zero(f.num_params());
  r.backward.nfe = tape.reverse(opt.method, f, y_bar, r.grad_theta, [&](long k, Vec& yb) { out.enter(k, yb); },
                                [&](long k, double h) { return out.stage_cotangents(opt.method, k, h); }, opt.deadline);
  if (tape.stopped()) return backward_stopped(std::move(r), "checkpointed");
  r.backward.accepted = tape.steps();
  out.enter(-1, y_bar);
  r.grad_y0 = y_bar;
  r.stored_states = tape.peak_states();
  return r;
}

GradientResult backsolve(const DifferentiableField& f, double t0, const Vec& y0, const std::vector<double>& times,
                         const LossTerm& loss, const SolverOptions& opt, const GradientOptions& g) {
  GradientResult r;
  const Index n = y0.size(), p = f.num_params();
  const std::size_t N = times.size();
  std::vector<Vec> dl(N);
  Vec y_end = y0;
  SolveHooks fh;
  fh.at_output = [&](std::size_t i, double, Vec& y) {
    r.loss += loss(i, y, &dl[i]);
    if (i + 1 == N) y_end = y;
  };
  const Solution fwd = solve(f, t0, y0, times, opt, fh, false);
  r.forward = fwd.stats;
  if (fwd.status != Status::Success) return failed(std::move(r), fwd);
  r.stored_states = 1;
  if (N == 0) {
    r.grad_theta = Vec::Zero(p);
    r.grad_y0 = Vec::Zero(n);
    return r;
  }
  // Backwards from the last observation to each earlier one, then to t0.
  std::vector<double> back;
  for (std::size_t i = N - 1; i-- > 0;) back.push_back(times[i]);
  if (times.front() != t0) back.push_back(t0);
  Vec s(2 * n + p);
  s.head(n) = y_end;
  s.segment(n, n) = dl[N - 1];
  s.tail(p).setZero();
  AdjointField aug(f);
  Vec s_end = s;
  SolveHooks hooks;
  hooks.at_output = [&](std::size_t j, double, Vec& st) {
    if (j + 1 < N) st.segment(n, n) += dl[N - 2 - j];
    s_end = st;
  };
  SolverOptions bopt = opt;
  if (g.adjoint_rtol > 0) bopt.controller.rtol = g.adjoint_rtol;
  if (g.adjoint_atol > 0) bopt.controller.atol = g.adjoint_atol;
  bopt.seminorm = g.seminorm;
  bopt.dense = false;  // the backward solve jumps at every output
  const Solution bwd = solve(aug, times.back(), s, back, bopt, hooks, false);
  r.backward = bwd.stats;
  if (bwd.status != Status::Success) return failed(std::move(r), bwd);
  r.grad_y0 = s_end.segment(n, n);
  r.grad_theta = s_end.tail(p);
  return r;
}

}  // namespace

GradientResult loss_only(const VectorField& f, double t0, const Vec& y0, const std::vector<double>& times,
                         const LossTerm& loss, const SolverOptions& opt) {
  GradientResult r;
  SolveHooks hooks;
  hooks.at_output = [&](std::size_t i, double, Vec& y) { r.loss += loss(i, y, nullptr); };
  const Solution fwd = solve(f, t0, y0, times, opt, hooks, false);
  r.forward = fwd.stats;
  if (fwd.status != Status::Success) return failed(std::move(r), fwd);
  return r;
}

GradientResult loss_and_gradient(const DifferentiableField& f, double t0, const Vec& y0,
                                 const std::vector<double>& times, const LossTerm& loss,
                                 const SolverOptions& opt, const GradientOptions& g) {
  switch (g.method) {
    case GradientMethod::Direct: return direct(f, t0, y0, times, loss, opt);
    case GradientMethod::Adjoint: return backsolve(f, t0, y0, times, loss, opt, g);
    case GradientMethod::Checkpointed: return checkpointed(f, t0, y0, times, loss, opt, g.checkpoints);
  }
  return checkpointed(f, t0, y0, times, loss, opt, g.checkpoints);
}

GradientResult loss_and_gradient(const DifferentiableField& f, double t0, const Vec& y0,
                                 const std::vector<double>& times, const LossTerm& loss,
                                 const SolverOptions& opt, GradientMethod method) {
  GradientOptions g;
  g.method = method;
  return loss_and_gradient(f, t0, y0, times, loss, opt, g);
}

}  // namespace nde
