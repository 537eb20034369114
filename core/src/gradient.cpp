#include "nde/gradient.hpp"

#include <algorithm>

#include "nde/adjoint.hpp"
#include "nde/checkpoints.hpp"
#include "nde/dense.hpp"
#include "nde/limits.hpp"
#include "nde/stage_tapes.hpp"

namespace nde {

const char* to_string(GradientMethod m) {
  switch (m) {
    case GradientMethod::Direct: return "direct";
    case GradientMethod::Adjoint: return "adjoint";
    case GradientMethod::Checkpointed: return "checkpointed";
  }
  return "adjoint";
}

namespace {
bool& stage_tapes_flag() {
  static bool on = true;
  return on;
}
}  // namespace

void set_stage_tapes(bool on) { stage_tapes_flag() = on; }
bool stage_tapes() { return stage_tapes_flag(); }

std::optional<GradientMethod> gradient_method_from_string(const std::string& name) {
  if (name == "direct") return GradientMethod::Direct;
  if (name == "adjoint") return GradientMethod::Adjoint;
  if (name == "checkpointed") return GradientMethod::Checkpointed;
  return std::nullopt;
}

namespace {

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
  std::vector<Vec> dl;           ///< the first n are this call's (grow-only: later ones keep their storage)
  std::vector<long> dense_step;  ///< the step a dense output was read in; −1 for outputs reached by a step
  std::vector<double> theta;     ///< where inside that step
  std::size_t pending = 0;       ///< outputs not yet entered
  std::size_t dense_pending = 0; ///< outputs not yet scanned for stage cotangents
  Mat K_bar;
  /// Ready for a call with n outputs, keeping the storage.
  void reset(std::size_t n) {
    steps_at_output.assign(n, 0);
    if (dl.size() < n) dl.resize(n);
    dense_step.assign(n, -1);
    theta.assign(n, 0.0);
    pending = dense_pending = n;
  }
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

}  // namespace

/// Everything a gradient call needs besides its inputs and result; every buffer only grows.
struct GradientWorkspace::Impl {
  SolveWork solve;       ///< the forward solve
  SolveWork back_solve;  ///< the adjoint's backward solve
  std::vector<TapeEntry> tape;  ///< direct: the first tape_used entries are this call's steps
  std::size_t tape_used = 0;
  CheckpointTape checkpoints{2};
  StageTapes stages;  ///< checkpointed and direct: the last steps' stage passes
  OutputCotangents out;
  StepWork step;
  SolverOptions options;  ///< a changed copy of the caller's options (assigned, so it keeps its storage)
  Vec y_bar;
  std::vector<double> back;  ///< adjoint: the backward solve's output times
  Vec s, s_end, y_end;
  AdjointField::Work adjoint;
  bool active = false;  ///< a resumable computation is under way
  int phase = 0;        ///< 0: forward solve, 1: backward pass
  std::size_t k = 0;    ///< direct: steps not yet reversed
};

GradientWorkspace::GradientWorkspace() : impl_(std::make_unique<Impl>()) {}
GradientWorkspace::~GradientWorkspace() = default;
GradientWorkspace::GradientWorkspace(GradientWorkspace&&) noexcept = default;
GradientWorkspace& GradientWorkspace::operator=(GradientWorkspace&&) noexcept = default;
bool GradientWorkspace::under_way() const { return impl_->active; }
void GradientWorkspace::cancel() {
  impl_->active = false;
  impl_->solve.started = false;
  impl_->back_solve.started = false;
}
long GradientWorkspace::forward_nfe() const {
  if (!impl_->active) return 0;
  return impl_->phase == 0 ? impl_->solve.sol.stats.nfe : 0;
}

namespace {

using Work = GradientWorkspace::Impl;

/// A finished computation that failed hands out no gradient (what was summed so far is discarded): the one place
/// every failure path goes through, so no partial gradient of an earlier call's size can look valid.
void drop_gradients_if_failed(GradientResult& r) {
  if (r.ok()) return;
  r.grad_theta.resize(0);
  r.grad_y0.resize(0);
}

/// The backward sweep ran past the deadline.
void backward_stopped(GradientResult& r, const char* method) {
  r.fail(std::string("time budget used up in the ") + method + " gradient's backward sweep", Status::TimeLimit);
}

/// What the forward solve's hooks reach, behind one pointer (so the hooks fit std::function's inline storage
/// and capturing them allocates nothing).
struct Forward {
  Work& ws;
  const LossTerm& loss;
  double& L;
  bool direct;  ///< steps go to ws.tape (else to ws.checkpoints)
  StageTapes* keep;  ///< the stages' passes kept (or null)
  [[nodiscard]] long steps() const { return direct ? static_cast<long>(ws.tape_used) : ws.checkpoints.steps(); }
  void record(double t, double h, const Vec& y, const Mat& K) {
    if (!direct) {
      ws.checkpoints.record(t, h, y);
      return;
    }
    if (ws.tape_used == ws.tape.size()) {
      // Grow by a quarter (at least 8 entries), sized now: later calls with a few more steps reuse them.
      const std::size_t from = ws.tape.size();
      ws.tape.resize(from + std::max<std::size_t>(8, from / 4));
      for (std::size_t j = from; j < ws.tape.size(); ++j) {
        ws.tape[j].y.resize(y.size());
        ws.tape[j].K.resize(K.rows(), K.cols());
      }
    }
    TapeEntry& e = ws.tape[ws.tape_used++];
    e.t = t;
    e.h = h;
    e.y = y;
    e.K = K;
  }
};

/// Forward solve that evaluates the loss at the outputs and records every accepted step (tape or checkpoints).
Solution forward(const DifferentiableField& f, double t0, const Vec& y0, const std::vector<double>& times,
                 const SolverOptions& opt, Forward& c, WorkBudget* budget) {
  SolveHooks hooks;
  Forward* p = &c;
  hooks.on_step = [p](double t, double h, const Vec& y, const Mat& K) { p->record(t, h, y, K); };
  hooks.keep = c.keep;
  hooks.at_dense_output = [p](std::size_t i, double theta) {
    p->ws.out.dense_step[i] = p->steps() - 1;
    p->ws.out.theta[i] = theta;
  };
  hooks.at_output = [p](std::size_t i, double, Vec& y) {
    OutputCotangents& out = p->ws.out;
    out.steps_at_output[i] = static_cast<std::size_t>(out.dense_step[i] >= 0 ? out.dense_step[i] : p->steps());
    p->L += p->loss(i, y, &out.dl[i]);
  };
  return solve_resumable(f, t0, y0, times, opt, hooks, false, c.ws.solve, budget);
}

/// Ready to keep the stage passes of a checkpointed or direct solve of f (or none: the option's cap 0, or switched off).
void reset_stages(const DifferentiableField& f, const SolverOptions& opt, const GradientOptions& g, Index n, Work& ws) {
  ws.stages.reset(f, opt.method, n, stage_tapes() ? g.stage_tape_bytes : 0.0, g.stage_tape_steps);
}

/// The steps before which the stage passes are not kept (all steps when none are).
long kept_from(const Work& ws, long steps) { return ws.stages.active() ? ws.stages.first() : steps; }

/// Reverses the steps whose stage passes are kept, last first (ws.k: steps not yet reversed, down to `until`). False
/// while suspended at the budget; true when done or stopped at the deadline (then r has failed).
bool reverse_kept(const Tableau& tab, long until, const Deadline& deadline, Work& ws, GradientResult& r,
                  WorkBudget* budget, const char* method) {
  while (static_cast<long>(ws.k) > until) {
    if (deadline.passed()) {
      backward_stopped(r, method);
      return true;
    }
    if (!WorkBudget::take(budget)) return false;
    const long k = static_cast<long>(--ws.k);
    ws.out.enter(k, ws.y_bar);
    const Mat* K_bar = ws.out.stage_cotangents(tab, k, ws.stages.h(k));
    r.backward.nfe += ws.stages.reverse(k, tab, ws.step, ws.y_bar, r.grad_theta, K_bar);
    ++r.backward.accepted;
  }
  return true;
}

/// Each method below returns false while suspended at the budget (ws.phase and the solves' work say where).
bool direct(const DifferentiableField& f, double t0, const Vec& y0, const std::vector<double>& times,
            const LossTerm& loss, const SolverOptions& opt, const GradientOptions& g, Work& ws, GradientResult& r,
            WorkBudget* budget) {
  SolverOptions& capped = ws.options;
  if (ws.phase == 0) {
    if (!ws.solve.started) {
      ws.tape_used = 0;
      ws.out.reset(times.size());
      // The tape grows with the steps: cap them so it stays within the memory one call may use.
      capped = opt;
      const double entry_bytes = 8.0 * static_cast<double>(y0.size()) * (opt.method.stages() + 2) + 96;
      const long cap = static_cast<long>(std::min(1e15, limits::kCallBytes / entry_bytes));
      if (cap < capped.max_steps) capped.max_steps = std::max(1L, cap);
      reset_stages(f, opt, g, y0.size(), ws);
    }
    capped.deadline = opt.deadline;
    // Its tape holds every step's stages; the last steps' stage passes are kept besides (a bounded ring).
    Forward c{ws, loss, r.loss, true, &ws.stages};
    const Solution fwd = forward(f, t0, y0, times, capped, c, budget);
    if (fwd.suspended) return false;
    r.forward = fwd.stats;
    if (fwd.status == Status::MaxSteps && capped.max_steps < opt.max_steps) {
      r.fail("the direct gradient's tape would exceed the memory limit after " + std::to_string(capped.max_steps) +
                 " steps (use checkpointed, whose memory is bounded)",
             Status::MaxSteps);
      return true;
    }
    if (!fwd.ok()) {
      r.fail(fwd);
      return true;
    }
    r.stored_states = ws.tape_used;
    ws.y_bar.setZero(y0.size());
    r.grad_theta.setZero(f.num_params());
    ws.k = ws.tape_used;
    ws.phase = 1;
  }
  // The last steps from their kept stage passes, then the others from the tape (their passes evaluated again).
  const long until = kept_from(ws, static_cast<long>(ws.tape_used));
  if (!reverse_kept(opt.method, until, opt.deadline, ws, r, budget, "direct")) return false;
  if (!r.ok()) return true;
  Vec& y_bar = ws.y_bar;
  while (ws.k > 0) {
    if (opt.deadline.passed()) {
      backward_stopped(r, "direct");
      return true;
    }
    if (!WorkBudget::take(budget)) return false;
    const std::size_t k = --ws.k;
    ws.out.enter(static_cast<long>(k), y_bar);
    const TapeEntry& e = ws.tape[k];
    const Mat* K_bar = ws.out.stage_cotangents(opt.method, static_cast<long>(k), e.h);
    r.backward.nfe += rk_step_reverse(opt.method, f, e.t, e.h, e.y, &e.K, ws.step, y_bar, r.grad_theta, K_bar);
    ++r.backward.accepted;
  }
  ws.out.enter(-1, y_bar);
  r.grad_y0 = y_bar;
  return true;
}

bool checkpointed(const DifferentiableField& f, double t0, const Vec& y0, const std::vector<double>& times,
                  const LossTerm& loss, const SolverOptions& opt, const GradientOptions& g, Work& ws,
                  GradientResult& r, WorkBudget* budget) {
  CheckpointTape& tape = ws.checkpoints;
  if (ws.phase == 0) {
    if (!ws.solve.started) {
      tape.reset(g.checkpoints);
      ws.out.reset(times.size());
      reset_stages(f, opt, g, y0.size(), ws);
    }
    Forward c{ws, loss, r.loss, false, &ws.stages};
    const Solution fwd = forward(f, t0, y0, times, opt, c, budget);
    if (fwd.suspended) return false;
    r.forward = fwd.stats;
    if (!fwd.ok()) {
      r.fail(fwd);
      return true;
    }
    ws.y_bar.setZero(y0.size());
    r.grad_theta.setZero(f.num_params());
    ws.k = static_cast<std::size_t>(tape.steps());
    ws.phase = 1;
  }
  // The last steps from their kept stage passes, then the others recomputed from the checkpoints.
  const long until = kept_from(ws, tape.steps());
  if (!reverse_kept(opt.method, until, opt.deadline, ws, r, budget, "checkpointed")) return false;
  if (!r.ok()) return true;
  Vec& y_bar = ws.y_bar;
  OutputCotangents* out = &ws.out;
  const Tableau* tab = &opt.method;
  r.backward.nfe += tape.reverse(opt.method, f, y_bar, r.grad_theta, [out](long k, Vec& yb) { out->enter(k, yb); },
                                 [out, tab](long k, double h) { return out->stage_cotangents(*tab, k, h); },
                                 opt.deadline, budget, until);
  if (tape.stopped()) {
    backward_stopped(r, "checkpointed");
    return true;
  }
  if (tape.suspended()) return false;
  r.backward.accepted = tape.steps();
  ws.out.enter(-1, y_bar);
  r.grad_y0 = y_bar;
  r.stored_states = tape.peak_states();
  return true;
}

/// What the adjoint's hooks reach, behind one pointer.
struct Backsolve {
  Work& ws;
  const LossTerm& loss;
  GradientResult& r;
  std::size_t N;
  Index n;
};

bool backsolve(const DifferentiableField& f, double t0, const Vec& y0, const std::vector<double>& times,
               const LossTerm& loss, const SolverOptions& opt, const GradientOptions& g, Work& ws, GradientResult& r,
               WorkBudget* budget) {
  const Index n = y0.size(), p = f.num_params();
  const std::size_t N = times.size();
  Backsolve c{ws, loss, r, N, n};
  Backsolve* cp = &c;
  SolverOptions& bopt = ws.options;
  if (ws.phase == 0) {
    if (!ws.solve.started) {
      ws.out.reset(N);
      ws.y_end = y0;
    }
    SolveHooks fh;
    fh.at_output = [cp](std::size_t i, double, Vec& y) {
      cp->r.loss += cp->loss(i, y, &cp->ws.out.dl[i]);
      if (i + 1 == cp->N) cp->ws.y_end = y;
    };
    const Solution fwd = solve_resumable(f, t0, y0, times, opt, fh, false, ws.solve, budget);
    if (fwd.suspended) return false;
    r.forward = fwd.stats;
    if (!fwd.ok()) {
      r.fail(fwd);
      return true;
    }
    r.stored_states = 1;
    if (N == 0) {
      r.grad_theta.setZero(p);
      r.grad_y0.setZero(n);
      return true;
    }
    // Backwards from the last observation to each earlier one, then to t0.
    std::vector<double>& back = ws.back;
    back.clear();
    for (std::size_t i = N - 1; i-- > 0;) back.push_back(times[i]);
    if (times.front() != t0) back.push_back(t0);
    Vec& s = ws.s;
    s.resize(2 * n + p);
    s.head(n) = ws.y_end;
    s.segment(n, n) = ws.out.dl[N - 1];
    s.tail(p).setZero();
    ws.s_end = s;
    bopt = opt;
    if (g.adjoint_rtol > 0) bopt.controller.rtol = g.adjoint_rtol;
    if (g.adjoint_atol > 0) bopt.controller.atol = g.adjoint_atol;
    bopt.seminorm = g.seminorm;
    bopt.dense = false;  // the backward solve jumps at every output
    ws.back_solve.started = false;
    ws.phase = 1;
  }
  bopt.deadline = opt.deadline;
  AdjointField aug(f, ws.adjoint);
  SolveHooks hooks;
  hooks.at_output = [cp](std::size_t j, double, Vec& st) {
    if (j + 1 < cp->N) st.segment(cp->n, cp->n) += cp->ws.out.dl[cp->N - 2 - j];
    cp->ws.s_end = st;
  };
  const Solution bwd = solve_resumable(aug, times.back(), ws.s, ws.back, bopt, hooks, false, ws.back_solve, budget);
  if (bwd.suspended) return false;
  r.backward = bwd.stats;
  if (!bwd.ok()) {
    r.fail(bwd);
    return true;
  }
  r.grad_y0 = ws.s_end.segment(n, n);
  r.grad_theta = ws.s_end.tail(p);
  return true;
}

}  // namespace

void loss_only(const VectorField& f, double t0, const Vec& y0, const std::vector<double>& times, const LossTerm& loss,
               const SolverOptions& opt, GradientWorkspace& work, GradientResult& r) {
  work.impl().active = false;  // a fresh loss (drops a loss left under way in this workspace), run to the end
  (void)loss_only_resumable(f, t0, y0, times, loss, opt, work, r, nullptr);
}

bool loss_only_resumable(const VectorField& f, double t0, const Vec& y0, const std::vector<double>& times,
                         const LossTerm& loss, const SolverOptions& opt, GradientWorkspace& work, GradientResult& r,
                         WorkBudget* budget) {
  Work& ws = work.impl();
  if (!ws.active) {
    r.clear();
    ws.active = true;
    ws.phase = 0;
    ws.solve.started = false;
  }
  // The hooks add to r.loss, which lives on between the pieces (the caller keeps r with the work).
  SolveHooks hooks;
  GradientResult* rp = &r;
  const LossTerm* lp = &loss;
  hooks.at_output = [rp, lp](std::size_t i, double, Vec& y) { rp->loss += (*lp)(i, y, nullptr); };
  const Solution fwd = solve_resumable(f, t0, y0, times, opt, hooks, false, ws.solve, budget);
  if (fwd.suspended) {
    r.suspended = true;
    return false;
  }
  ws.active = false;
  r.suspended = false;
  r.forward = fwd.stats;
  r.fail(fwd);
  drop_gradients_if_failed(r);
  return true;
}

GradientResult loss_only(const VectorField& f, double t0, const Vec& y0, const std::vector<double>& times,
                         const LossTerm& loss, const SolverOptions& opt) {
  GradientWorkspace work;
  GradientResult r;
  loss_only(f, t0, y0, times, loss, opt, work, r);
  return r;
}

bool loss_and_gradient_resumable(const DifferentiableField& f, double t0, const Vec& y0,
                                 const std::vector<double>& times, const LossTerm& loss, const SolverOptions& opt,
                                 const GradientOptions& g, GradientWorkspace& work, GradientResult& r,
                                 WorkBudget* budget) {
  Work& ws = work.impl();
  if (!ws.active) {
    r.clear();
    ws.active = true;
    ws.phase = 0;
    ws.solve.started = false;
    ws.back_solve.started = false;
  }
  bool done = false;
  switch (g.method) {
    case GradientMethod::Direct: done = direct(f, t0, y0, times, loss, opt, g, ws, r, budget); break;
    case GradientMethod::Adjoint: done = backsolve(f, t0, y0, times, loss, opt, g, ws, r, budget); break;
    case GradientMethod::Checkpointed: done = checkpointed(f, t0, y0, times, loss, opt, g, ws, r, budget); break;
  }
  r.suspended = !done;
  if (done) {
    drop_gradients_if_failed(r);
    work.cancel();
  }
  return done;
}

void loss_and_gradient(const DifferentiableField& f, double t0, const Vec& y0, const std::vector<double>& times,
                       const LossTerm& loss, const SolverOptions& opt, const GradientOptions& g,
                       GradientWorkspace& work, GradientResult& r) {
  work.cancel();
  (void)loss_and_gradient_resumable(f, t0, y0, times, loss, opt, g, work, r, nullptr);
}

GradientResult loss_and_gradient(const DifferentiableField& f, double t0, const Vec& y0,
                                 const std::vector<double>& times, const LossTerm& loss,
                                 const SolverOptions& opt, const GradientOptions& g) {
  GradientWorkspace work;
  GradientResult r;
  loss_and_gradient(f, t0, y0, times, loss, opt, g, work, r);
  return r;
}

GradientResult loss_and_gradient(const DifferentiableField& f, double t0, const Vec& y0,
                                 const std::vector<double>& times, const LossTerm& loss,
                                 const SolverOptions& opt, GradientMethod method) {
  GradientOptions g;
  g.method = method;
  return loss_and_gradient(f, t0, y0, times, loss, opt, g);
}

}  // namespace nde
