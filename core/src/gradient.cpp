#include "nde/gradient.hpp"

#include "nde/adjoint.hpp"

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

/// One accepted forward step, kept for direct backprop.
struct TapeEntry {
  double t, h;
  Vec y;
  Mat K;
};

GradientResult direct(const DifferentiableField& f, double t0, const Vec& y0, const std::vector<double>& times,
                      const LossTerm& loss, const SolverOptions& opt) {
  GradientResult r;
  std::vector<TapeEntry> tape;
  std::vector<std::size_t> steps_at_output(times.size());
  std::vector<Vec> dl(times.size());
  SolveHooks hooks;
  hooks.on_step = [&](double t, double h, const Vec& y, const Mat& K) { tape.push_back({t, h, y, K}); };
  hooks.at_output = [&](std::size_t i, double, Vec& y) {
    steps_at_output[i] = tape.size();
    r.loss += loss(i, y, &dl[i]);
  };
  const Solution fwd = solve(f, t0, y0, times, opt, hooks, false);
  r.forward = fwd.stats;
  if (fwd.status != Status::Success) return failed(std::move(r), fwd);

  Vec y_bar = Vec::Zero(y0.size());
  r.grad_theta = Vec::Zero(f.num_params());
  std::size_t i = times.size();
  for (std::size_t k = tape.size(); k-- > 0;) {
    while (i > 0 && steps_at_output[i - 1] == k + 1) y_bar += dl[--i];
    const TapeEntry& e = tape[k];
    r.backward.nfe += rk_step_vjp(opt.method, f, e.t, e.y, e.h, e.K, y_bar, r.grad_theta);
    ++r.backward.accepted;
  }
  while (i > 0) y_bar += dl[--i];
  r.grad_y0 = y_bar;
  return r;
}

GradientResult adjoint(const DifferentiableField& f, double t0, const Vec& y0, const std::vector<double>& times,
                       const LossTerm& loss, const SolverOptions& opt, bool checkpoint) {
  GradientResult r;
  const Index n = y0.size(), p = f.num_params();
  const std::size_t N = times.size();
  std::vector<Vec> dl(N);
  const Solution fwd = solve(f, t0, y0, times, opt, {}, true);
  r.forward = fwd.stats;
  if (fwd.status != Status::Success) return failed(std::move(r), fwd);
  for (std::size_t i = 0; i < N; ++i) r.loss += loss(i, fwd.states.col(static_cast<Index>(i)), &dl[i]);
  if (N == 0) {
    r.grad_theta = Vec::Zero(p);
    r.grad_y0 = Vec::Zero(n);
    return r;
  }
  // Backwards from the last observation to each earlier one, then to t0.
  std::vector<double> back;
  std::vector<std::size_t> obs_of_output;
  for (std::size_t i = N - 1; i-- > 0;) {
    back.push_back(times[i]);
    obs_of_output.push_back(i);
  }
  if (times.front() != t0) back.push_back(t0);
  Vec s(2 * n + p);
  s.head(n) = fwd.states.col(static_cast<Index>(N - 1));
  s.segment(n, n) = dl[N - 1];
  s.tail(p).setZero();
  AdjointField aug(f);
  Vec s_end = s;
  SolveHooks hooks;
  hooks.at_output = [&](std::size_t j, double, Vec& st) {
    if (j < obs_of_output.size()) {
      const std::size_t i = obs_of_output[j];
      st.segment(n, n) += dl[i];
      if (checkpoint) st.head(n) = fwd.states.col(static_cast<Index>(i));
    }
    s_end = st;
  };
  const Solution bwd = solve(aug, times.back(), s, back, opt, hooks, false);
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
                                 const SolverOptions& opt, GradientMethod method) {
  switch (method) {
    case GradientMethod::Direct: return direct(f, t0, y0, times, loss, opt);
    case GradientMethod::Adjoint: return adjoint(f, t0, y0, times, loss, opt, false);
    case GradientMethod::Checkpointed: return adjoint(f, t0, y0, times, loss, opt, true);
  }
  return direct(f, t0, y0, times, loss, opt);
}

}  // namespace nde
