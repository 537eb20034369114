#include "nde/solve.hpp"

#include "nde/dense.hpp"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <limits>

#include "nde/limits.hpp"
#include "nde/stage_tapes.hpp"

namespace nde {

namespace {

Solution fail(Solution sol, Status s, double t, std::string message) {
  sol.status = s;
  sol.t_reached = t;
  sol.message = std::move(message);
  return sol;
}

std::string at(double t) { return " at t = " + limits::format(t); }

}  // namespace

Solution solve(const VectorField& f, double t0, const Vec& y0, const std::vector<double>& times,
               const SolverOptions& opt, const SolveHooks& hooks, bool keep_states) {
  SolveWork work;
  return solve(f, t0, y0, times, opt, hooks, keep_states, work);
}

Solution solve(const VectorField& f, double t0, const Vec& y0, const std::vector<double>& times,
               const SolverOptions& opt, const SolveHooks& hooks, bool keep_states, SolveWork& work) {
  work.started = false;
  return solve_resumable(f, t0, y0, times, opt, hooks, keep_states, work, nullptr);
}

Solution solve_resumable(const VectorField& f, double t0, const Vec& y0, const std::vector<double>& times,
                         const SolverOptions& opt, const SolveHooks& hooks, bool keep_states, SolveWork& work,
                         WorkBudget* budget) {
  Solution& sol = work.sol;
  const Index n = y0.size();
  const std::size_t N = times.size();
  const double dir = (N > 0 && times.back() < t0) ? -1.0 : 1.0;
  const bool dense = opt.dense && N > 1;
  const Tableau& tab = opt.method;
  const bool adaptive = tab.adaptive() && opt.step <= 0;
  const Controller& ctl = opt.controller;
  Vec& y = work.y;
  double& t = work.t;
  StepWork& w = work.step;
  bool& k1_known = work.k1_known;
  StageTapes* keep = hooks.keep && hooks.keep->active() ? hooks.keep : nullptr;
  // One step tried from (t, y) by hh: step `accepted`'s stages into the kept slots, or plain evaluations.
  auto try_step = [&](double hh, bool first_known) {
    if (!keep) return rk_step(tab, f, t, y, hh, w, first_known);
    return rk_step_slots(tab, keep->field(), t, y, hh, w, first_known, keep->slots(sol.stats.accepted, first_known));
  };
  double& h = work.h;  // magnitude; 0 until chosen
  double& prev_error = work.prev_error;
  // The solve ends (however): the next call starts a new one.
  auto stop = [&](Status s, double at_t, std::string message) {
    work.started = false;
    return fail(std::move(sol), s, at_t, std::move(message));
  };

  // Dense solves step to the last output only; the earlier ones are read inside the accepted steps.
  std::size_t& next = work.next;  // first output not yet given
  Vec& yi = work.yi;
  auto give = [&](std::size_t j, const Vec& v) {
    if (keep_states) sol.states.col(static_cast<Index>(j)) = v;
    if (hooks.at_output) {
      yi = v;
      hooks.at_output(j, times[j], yi);  // a copy: dense outputs cannot jump
    }
  };
  // Before accepting the step from (ts, y) by hs to t_end (stages in w.K, end state in w.y1).
  auto give_inside = [&](double ts, double hs, double t_end) {
    while (next + 1 < N && dir * (times[next] - t_end) <= 0) {
      const std::size_t j = next++;
      if (times[j] == t_end) {
        give(j, w.y1);
        continue;
      }
      const double theta = (times[j] - ts) / hs;
      dense_eval(tab, y, hs, w.K, theta, w.tmp);
      if (hooks.at_dense_output) hooks.at_dense_output(j, theta);
      give(j, w.tmp);
    }
  };
  if (!work.started) {
    sol.status = Status::Success;
    sol.states.resize(0, 0);
    sol.stats = SolveStats{};
    sol.t_reached = t0;
    sol.message.clear();
    sol.suspended = false;
    if (!y0.allFinite()) return fail(std::move(sol), Status::InvalidInput, t0, "initial state is not finite");
    if (!std::isfinite(t0)) return fail(std::move(sol), Status::InvalidInput, t0, "initial time is not finite");
    for (std::size_t i = 0; i < N; ++i) {
      const double prev = i == 0 ? t0 : times[i - 1];
      const double gap = dir * (times[i] - prev);
      if (!std::isfinite(times[i]) || gap < 0 || (i > 0 && gap == 0))
        return fail(std::move(sol), Status::InvalidInput, t0,
                    "output times must be finite and strictly monotone (from t0, in one direction); time " +
                        std::to_string(i) + " breaks it");
    }
    if (keep_states) sol.states = Mat::Constant(n, static_cast<Index>(N), std::numeric_limits<double>::quiet_NaN());
    if (opt.dense && opt.method.dense.empty())
      return fail(std::move(sol), Status::InvalidInput, t0, "method " + opt.method.name + " has no dense output");
    work.started = true;
    y = y0;
    t = t0;
    w.K.resize(n, tab.stages());
    k1_known = false;
    h = opt.h0;
    prev_error = 1.0;
    next = 0;
    work.output = dense ? N - 1 : 0;
    work.fixed_steps = 0;  // not yet planned for this output
    if (dense) {
      while (next + 1 < N && times[next] == t0) give(next++, y);
    }
  }
  // Before each step tried: suspend here (nothing lost) when the budget is used up, else count the step.
  auto suspend = [&] { return !WorkBudget::take(budget); };
  auto suspended = [&] {
    Solution s;
    s.suspended = true;
    s.stats = sol.stats;
    s.t_reached = t;
    return s;
  };

  for (std::size_t& i = work.output; i < N; ++i) {
    const double T = times[i];
    if (!adaptive) {
      if (work.fixed_steps == 0) {  // plan this output's steps
        const double span = T - t;
        // The count in double first: a span of more than 2^31 steps would not fit a 32-bit long (wasm), and such a
        // count exceeds any step budget anyway.
        const double count = opt.step > 0 ? std::ceil(std::abs(span) / opt.step - 1e-9) : 1.0;
        if (span != 0.0 && opt.step > 0 && !(count <= static_cast<double>(opt.max_steps)))
          return stop(Status::MaxSteps, t,
                      "the fixed step needs " + limits::format(count) + " steps to the next output time, over the step budget of " +
                          std::to_string(opt.max_steps) + at(t));
        work.fixed_steps = span == 0.0    ? -1
                           : opt.step > 0 ? std::max(1L, static_cast<long>(count))
                           : dense        ? std::max(1L, opt.dense_steps)
                                          : 1;
        work.fixed_h = span / static_cast<double>(std::max(1L, work.fixed_steps));
        work.fixed_start = t;
        work.fixed_step = 0;
      }
      const long m = work.fixed_steps;
      const double hh = work.fixed_h, start = work.fixed_start;
      for (long& k = work.fixed_step; k < m; ++k) {
        if (sol.stats.accepted >= opt.max_steps)
          return stop(Status::MaxSteps, t, "step budget of " + std::to_string(opt.max_steps) + " used up" + at(t));
        if (opt.deadline.passed()) return stop(Status::TimeLimit, t, "time budget used up" + at(t));
        if (suspend()) return suspended();
        const bool reuse = dense && tab.fsal && k > 0;  // K.col(0) holds f(t, y) from the last step's end stage
        sol.stats.nfe += try_step(hh, reuse);
        if (!w.y1.allFinite()) return stop(Status::NonFinite, t, "state became non-finite" + at(t));
        if (hooks.on_step) hooks.on_step(t, hh, y, w.K);
        if (keep) keep->accept(sol.stats.accepted, t, hh, y, w.K, dense && tab.fsal);
        if (dense) give_inside(t, hh, (k + 1 == m) ? T : start + static_cast<double>(k + 1) * hh);
        if (dense && tab.fsal) w.K.col(0) = w.K.col(tab.stages() - 1);
        y.swap(w.y1);
        t = (k + 1 == m) ? T : start + static_cast<double>(k + 1) * hh;
        ++sol.stats.accepted;
      }
      work.fixed_steps = 0;
    } else {
      while (dir * (T - t) > 0) {
        if (sol.stats.accepted + sol.stats.rejected >= opt.max_steps)
          return stop(Status::MaxSteps, t, "step budget of " + std::to_string(opt.max_steps) + " used up" + at(t));
        if (opt.deadline.passed()) return stop(Status::TimeLimit, t, "time budget used up" + at(t));
        if (suspend()) return suspended();
        if (!k1_known) {
          if (keep) keep->field().eval_keep(t, y, w.k, keep->fresh_first(sol.stats.accepted));
          else f.eval(t, y, w.k);
          ++sol.stats.nfe;
          w.K.col(0) = w.k;
          k1_known = true;
          if (!w.k.allFinite()) return stop(Status::NonFinite, t, "vector field is not finite" + at(t));
        }
        if (h <= 0) h = ctl.initial_step(f, t, y, w.K.col(0), tab.order, sol.stats.nfe, w.tmp, work.f1);
        if (opt.h_max > 0) h = std::min(h, opt.h_max);
        const double h_min = opt.h_min > 0 ? opt.h_min : 16 * DBL_EPSILON * std::max(1.0, std::abs(t));
        const double remaining = std::abs(T - t);
        double hs = h;
        bool hit = false;
        if (hs >= remaining * (1 - 1e-12)) { hs = remaining; hit = true; }
        if (hs < h_min && !hit)
          return stop(Status::StepTooSmall, t, "step size fell below " + limits::format(h_min) + at(t));
        sol.stats.nfe += try_step(dir * hs, true);
        const bool finite = w.y1.allFinite() && w.err.allFinite();
        const Index m = opt.seminorm ? n - f.quadrature() : n;
        const double e = finite ? ctl.error_norm(w.err.head(m), y.head(m), w.y1.head(m)) : INFINITY;
        bool accept = false;
        const double fac = ctl.factor(e, tab.order, prev_error, accept);
        if (accept) {
          if (hooks.on_step) hooks.on_step(t, dir * hs, y, w.K);
          if (keep) keep->accept(sol.stats.accepted, t, dir * hs, y, w.K, tab.fsal);
          if (dense) give_inside(t, dir * hs, hit ? T : t + dir * hs);
          y.swap(w.y1);
          t = hit ? T : t + dir * hs;
          ++sol.stats.accepted;
          if (tab.fsal) w.K.col(0) = w.K.col(tab.stages() - 1);
          else k1_known = false;
          h = (hit && fac >= 1.0) ? std::max(h, hs * fac) : hs * fac;
        } else {
          ++sol.stats.rejected;
          h = hs * fac;
          if (h < h_min)
            return stop(finite ? Status::StepTooSmall : Status::NonFinite, t,
                        std::string(finite ? "step size fell below the minimum" : "state became non-finite") + at(t));
        }
      }
    }
    if (keep_states) sol.states.col(static_cast<Index>(i)) = y;
    if (hooks.at_output) {
      hooks.at_output(i, T, y);
      k1_known = false;
    }
  }
  sol.t_reached = t;
  work.started = false;
  return std::move(sol);
}

}  // namespace nde
