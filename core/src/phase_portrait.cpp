#include "nde/phase_portrait.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>

namespace nde {

namespace {

GridSpec expanded(const GridSpec& v, double by) {
  GridSpec g = v;
  const double wx = v.xmax - v.xmin, wy = v.ymax - v.ymin;
  g.xmin -= by * wx;
  g.xmax += by * wx;
  g.ymin -= by * wy;
  g.ymax += by * wy;
  return g;
}

double median(std::vector<double> v) {
  if (v.empty()) return 0.0;
  std::nth_element(v.begin(), v.begin() + static_cast<long>(v.size() / 2), v.end());
  return v[v.size() / 2];
}

/// Up to k points of S spread out (farthest-point order), none closer than `min_gap` to an earlier one.
std::vector<Vec> spread(const std::vector<Vec>& S, std::size_t k, double min_gap) {
  std::vector<Vec> out;
  if (S.empty()) return out;
  out.push_back(S.front());
  std::vector<double> d(S.size(), std::numeric_limits<double>::infinity());
  while (out.size() < k) {
    std::size_t best = 0;
    double far = -1;
    for (std::size_t i = 0; i < S.size(); ++i) {
      d[i] = std::min(d[i], (S[i] - out.back()).norm());
      if (d[i] > far) { far = d[i]; best = i; }
    }
    if (far < min_gap) break;
    out.push_back(S[best]);
  }
  return out;
}

/// Points of S whose flows stayed undecided (neither captured nor escaped).
std::vector<Vec> leftovers(const BasinFlow& b) {
  std::vector<Vec> out;
  for (std::size_t k = 0; k < b.labels.size(); ++k)
    if (b.labels[k] == kUndecided) out.push_back(b.states.col(static_cast<Index>(k)));
  return out;
}

double set_distance(const Mat& A, const Mat& B) {
  double d = std::numeric_limits<double>::infinity();
  for (Index k = 0; k < A.cols(); ++k) d = std::min(d, (B.colwise() - A.col(k)).colwise().norm().minCoeff());
  return d;
}

std::string fmt(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.2g", v);
  return b;
}

}  // namespace

struct PortraitJob::State {
  enum class Stage { View, Outer, Seeds, Equilibria, Flows, CycleStart, CycleFlow, CycleSearch, Attractors, Basins,
                     Separatrices, Done };
  PhaseField f;
  PortraitOptions o;
  PhasePortrait p;
  Stage stage = Stage::View;
  long units = 0;
  double worked = 0.0;  // ms of run() so far (before the current one)
  std::chrono::steady_clock::time_point started;
  // the view's and the outer grid's points and field values, filled a block of points (f.block) at a time
  Mat P, F;
  GridSpec outer;
  Mat PO, FO;
  Index filled = 0;  // points of P (then PO) evaluated so far
  std::unique_ptr<EquilibriumSearch> equilibria;
  double diag = 1.0;
  BasinOptions bo, search;
  PhaseField flow, dir_flow;
  CycleOptions co;
  GridSpec coarse;
  int direction = 0;  // 0: forwards (stable cycles), 1: backwards (unstable ones)
  std::vector<Attractor> sinks;
  BasinFlow flows;
  std::unique_ptr<BasinRun> flow_run;
  std::unique_ptr<nde::CycleSearch> cycles;
  std::unique_ptr<BasinRun> basin_run;
  BasinFlow basins;
  SeparatrixOptions so;
  std::vector<Attractor> sources;
  std::size_t saddle = 0;

  bool out_of_time() {
    const double now = worked + std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
    if (o.deadline.passed() || now > o.max_work_millis) p.complete = false;
    return !p.complete;
  }

  // Capture radii: a small fraction of the view, and well inside the gap to any other invariant set.
  double eq_radius(std::size_t i, const std::vector<LimitCycle>& cycles) const {
    double gap = std::numeric_limits<double>::infinity();
    for (std::size_t j = 0; j < p.equilibria.size(); ++j)
      if (j != i) gap = std::min(gap, (p.equilibria[j].z - p.equilibria[i].z).norm());
    for (const LimitCycle& c : cycles) gap = std::min(gap, distance(c, p.equilibria[i].z));
    return std::min(0.03 * diag, 0.3 * gap);
  }
  std::vector<Attractor> point_sets(bool stable, const std::vector<LimitCycle>& cycles) const {
    std::vector<Attractor> out;
    for (std::size_t i = 0; i < p.equilibria.size(); ++i)
      if (stable ? p.equilibria[i].stable() : p.equilibria[i].unstable())
        out.push_back({AttractorKind::Equilibrium, static_cast<int>(i), Mat(p.equilibria[i].z), eq_radius(i, cycles)});
    for (std::size_t j = 0; j < cycles.size(); ++j) {
      if (cycles[j].stable() != stable) continue;
      double gap = std::numeric_limits<double>::infinity();
      for (const Equilibrium& e : p.equilibria) gap = std::min(gap, distance(cycles[j], e.z));
      for (std::size_t k = 0; k < cycles.size(); ++k)
        if (k != j) gap = std::min(gap, set_distance(cycles[j].points, cycles[k].points));
      out.push_back({AttractorKind::Cycle, static_cast<int>(j), cycles[j].points, std::min(0.03 * diag, 0.3 * gap)});
    }
    return out;
  }

  /// Evaluates the next block of X's points into FX; true once all are.
  bool fill(const Mat& X, Mat& FX) {
    const Index k = std::min<Index>(std::max<Index>(1, f.block), X.cols() - filled);
    FX.middleCols(filled, k) = f.eval(X.middleCols(filled, k));
    filled += k;
    return filled == X.cols();
  }

  /// One unit of work.
  void unit();
};

void PortraitJob::State::unit() {
  ++units;
  const GridSpec& view = p.view;
  switch (stage) {
    case Stage::View:  // the view's field values; out of time before they are all in, the portrait stays empty
      if (fill(P, F)) {
        p.velocities = F.topRows(2);
        filled = 0;
        stage = Stage::Outer;
      } else if (out_of_time()) {
        stage = Stage::Done;
      }
      return;
    case Stage::Outer:  // around the view, a coarser grid out to the escape box (see Seeds); skipped out of time
      if (fill(PO, FO) || out_of_time()) stage = Stage::Seeds;
      return;
    case Stage::Seeds: {
      p.nullclines = nullclines(p.velocities, view);
      if (out_of_time()) {
        stage = Stage::Done;
        return;
      }
      // The outer grid's sign changes seed the equilibria outside the view, and with the view's grid it carries the
      // flows, which then never evaluate f itself.
      std::vector<Vec> seeds = sign_change_seeds(f, view, p.velocities);
      for (const Vec& z : sign_change_seeds(f, outer, FO.topRows(2))) seeds.push_back(z);
      equilibria = std::make_unique<EquilibriumSearch>(f, view, o.equilibria, std::move(seeds));
      stage = Stage::Equilibria;
      return;
    }
    case Stage::Equilibria:  // out of time, the equilibria found so far
      if (!equilibria->step() && !out_of_time()) return;
      p.equilibria = equilibria->result();
      equilibria.reset();
      stage = out_of_time() ? Stage::Done : Stage::Flows;
      return;
    case Stage::Flows: {
      diag = std::hypot(view.xmax - view.xmin, view.ymax - view.ymin);
      std::vector<double> speeds;
      for (Index k = 0; k < F.cols(); ++k)
        if (F.col(k).allFinite()) speeds.push_back(F.col(k).norm());
      const double typical = median(speeds);
      if (!(typical > 0)) {
        stage = Stage::Done;
        return;
      }
      p.time_unit = diag / typical;
      double lam = 0.0;
      for (const Equilibrium& e : p.equilibria)
        if (e.eigenvalues.size() > 0) lam = std::max(lam, e.eigenvalues.cwiseAbs().maxCoeff());
      bo.ds = 0.01 * diag;
      bo.h_max = lam > 0 ? std::min(0.2 * p.time_unit, 1.0 / lam) : 0.2 * p.time_unit;
      bo.escape = outer;
      flow = o.exact_flow ? f : sampled(f, view, F, {{outer, FO}});
      // Limit cycles: where coarse seeds' long-run flows (forwards for stable cycles, backwards for unstable
      // ones) settle on no equilibrium, returns to a section look for a closed orbit.
      co.time_unit = p.time_unit;
      co.diag = diag;
      coarse = view;
      coarse.nx = coarse.ny = std::max(2, o.cycle_seeds);
      search = bo;
      search.max_steps = 600;
      search.adopt = false;
      direction = 0;
      stage = Stage::CycleStart;
      return;
    }
    case Stage::CycleStart: {
      if (out_of_time()) {
        stage = Stage::Done;
        return;
      }
      const bool forwards = direction == 0;
      dir_flow = forwards ? flow : reversed(flow);
      flows = start_basins(f, coarse);
      sinks = point_sets(forwards, {});
      flow_run = std::make_unique<BasinRun>(dir_flow, coarse, sinks, search, flows);
      stage = Stage::CycleFlow;
      return;
    }
    case Stage::CycleFlow:
      if (!flow_run->advance(50)) return;
      flow_run.reset();
      p.flow_steps += flows.steps;
      cycles = std::make_unique<nde::CycleSearch>(f, flow, spread(leftovers(flows), 6, 0.02 * diag), co,
                                                  direction == 0 ? 1.0 : -1.0);
      stage = Stage::CycleSearch;
      return;
    case Stage::CycleSearch:
      if (!cycles->step()) return;
      for (LimitCycle& c : cycles->take()) {
        const bool dup = std::any_of(p.cycles.begin(), p.cycles.end(),
                                     [&](const LimitCycle& k) { return distance(k, c.points.col(0)) < 0.02 * diag; });
        if (!dup) p.cycles.push_back(std::move(c));
      }
      cycles.reset();
      stage = ++direction < 2 ? Stage::CycleStart : Stage::Attractors;
      return;
    case Stage::Attractors:
      p.attractors = point_sets(true, p.cycles);
      if (out_of_time()) {
        stage = Stage::Done;
        return;
      }
      basins = start_basins(f, view);
      if (p.attractors.empty()) {  // with nothing to reach, every point stays undecided
        p.basins = basins.labels;
        stage = Stage::Separatrices;
      } else {
        basin_run = std::make_unique<BasinRun>(flow, view, p.attractors, bo, basins);
        stage = Stage::Basins;
      }
      return;
    case Stage::Basins:
      if (!basin_run->advance(2)) return;
      basin_run.reset();
      p.flow_steps += basins.steps;
      p.basins = basins.labels;
      stage = Stage::Separatrices;
      return;
    case Stage::Separatrices:
      if (saddle == 0) {
        if (!o.separatrices || out_of_time()) {
          stage = Stage::Done;
          return;
        }
        so.ds = 0.005 * diag;
        so.h_max = bo.h_max;
        so.bounds = expanded(view, 0.1);
        sources = point_sets(false, p.cycles);
      }
      if (saddle < p.equilibria.size())
        for (Separatrix& s : saddle_separatrices(flow, p.equilibria, saddle, p.attractors, sources, so))
          p.separatrices.push_back(std::move(s));
      if (++saddle >= p.equilibria.size()) stage = Stage::Done;
      return;
    case Stage::Done:
      return;
  }
}

PortraitJob::PortraitJob(PhaseField f, const GridSpec& view, const PortraitOptions& o) : s_(std::make_unique<State>()) {
  State& s = *s_;
  s.f = std::move(f);
  s.o = o;
  s.p.view = view;
  if (s.f.dim < 2 || !validate(view).ok()) {
    s.stage = State::Stage::Done;
    return;
  }
  s.P = grid_points(s.f, view);
  s.F.resize(s.f.dim, s.P.cols());
  s.outer = expanded(view, 1.0);
  s.outer.nx = s.outer.ny = 48;
  s.PO = grid_points(s.f, s.outer);
  s.FO.resize(s.f.dim, s.PO.cols());
}

PortraitJob::~PortraitJob() = default;

bool PortraitJob::run(const Deadline& pause) {
  State& s = *s_;
  if (s.stage == State::Stage::Done) return true;
  s.started = std::chrono::steady_clock::now();
  do {
    s.unit();
  } while (s.stage != State::Stage::Done && !pause.passed());
  s.worked += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - s.started).count();
  return s.stage == State::Stage::Done;
}

bool PortraitJob::done() const { return s_->stage == State::Stage::Done; }

long PortraitJob::units() const { return s_->units; }

double PortraitJob::millis() const { return s_->worked; }

const PhasePortrait& PortraitJob::portrait() const { return s_->p; }

PhasePortrait analyze(const PhaseField& f, const GridSpec& view, const PortraitOptions& o) {
  PortraitJob job(f, view, o);
  (void)job.run();
  return job.portrait();
}

std::string summary(const PhasePortrait& p) {
  struct Kind { EquilibriumType type; const char* one; const char* many; };
  const Kind kinds[] = {{EquilibriumType::StableNode, "stable node", "stable nodes"},
                        {EquilibriumType::StableFocus, "stable focus", "stable foci"},
                        {EquilibriumType::UnstableNode, "unstable node", "unstable nodes"},
                        {EquilibriumType::UnstableFocus, "unstable focus", "unstable foci"},
                        {EquilibriumType::Saddle, "saddle", "saddles"},
                        {EquilibriumType::Centre, "centre-like point", "centre-like points"},
                        {EquilibriumType::Degenerate, "degenerate point", "degenerate points"}};
  std::vector<std::string> parts;
  for (const Kind& k : kinds) {
    const auto n = std::count_if(p.equilibria.begin(), p.equilibria.end(), [&](const Equilibrium& e) { return e.type == k.type; });
    if (n > 0) parts.push_back(std::to_string(n) + " " + (n == 1 ? k.one : k.many));
  }
  for (const bool stable : {true, false}) {
    const auto n = std::count_if(p.cycles.begin(), p.cycles.end(), [&](const LimitCycle& c) { return c.stable() == stable; });
    if (n > 0)
      parts.push_back(std::to_string(n) + (stable ? " stable" : " unstable") + (n == 1 ? " limit cycle" : " limit cycles"));
  }
  if (parts.empty()) return "no equilibria or limit cycles";
  std::string s = parts[0];
  for (std::size_t i = 1; i < parts.size(); ++i) s += " + " + parts[i];
  return s;
}

PortraitComparison compare(const PhasePortrait& learned, const PhasePortrait& truth) {
  PortraitComparison c;
  const PhasePortrait &L = learned, &T = truth;
  // Equilibria of each type, nearest pairs first.
  bool same = L.equilibria.size() == T.equilibria.size() && L.cycles.size() == T.cycles.size();
  std::vector<bool> used(T.equilibria.size(), false);
  for (const Equilibrium& e : L.equilibria) {
    int best = -1;
    double d = std::numeric_limits<double>::infinity();
    for (std::size_t j = 0; j < T.equilibria.size(); ++j)
      if (!used[j] && T.equilibria[j].type == e.type && (T.equilibria[j].z - e.z).norm() < d) {
        d = (T.equilibria[j].z - e.z).norm();
        best = static_cast<int>(j);
      }
    if (best < 0) { same = false; continue; }
    used[static_cast<std::size_t>(best)] = true;
    c.position_error = std::max(c.position_error, d);
  }
  std::vector<bool> used_c(T.cycles.size(), false);
  int matched_cycles = 0;
  for (const LimitCycle& lc : L.cycles) {
    int best = -1;
    double d = std::numeric_limits<double>::infinity();
    for (std::size_t j = 0; j < T.cycles.size(); ++j)
      if (!used_c[j] && T.cycles[j].stable() == lc.stable() && distance(T.cycles[j], lc.points.col(0)) < d) {
        d = distance(T.cycles[j], lc.points.col(0));
        best = static_cast<int>(j);
      }
    if (best < 0) { same = false; continue; }
    used_c[static_cast<std::size_t>(best)] = true;
    ++matched_cycles;
    c.period_error = std::max(c.period_error, std::abs(lc.period - T.cycles[static_cast<std::size_t>(best)].period) /
                                                  T.cycles[static_cast<std::size_t>(best)].period);
  }
  c.same_structure = same;

  // Attractors: nearest of the same kind, one to one; then basin labels mapped through them.
  c.attractor_match.assign(L.attractors.size(), -1);
  std::vector<bool> taken(T.attractors.size(), false);
  for (std::size_t i = 0; i < L.attractors.size(); ++i) {
    double d = std::numeric_limits<double>::infinity();
    for (std::size_t j = 0; j < T.attractors.size(); ++j) {
      if (taken[j] || T.attractors[j].kind != L.attractors[i].kind) continue;
      const double dj = set_distance(L.attractors[i].points.leftCols(1), T.attractors[j].points);
      if (dj < d) { d = dj; c.attractor_match[i] = static_cast<int>(j); }
    }
    if (c.attractor_match[i] >= 0) taken[static_cast<std::size_t>(c.attractor_match[i])] = true;
  }
  // Basins compare only where both portraits have attractors: a true system without one (the spiral's degenerate
  // sink, Lotka-Volterra's centre) leaves every start undecided, and "basins agree on 0 %" would blame a good fit.
  const bool basins_comparable = !L.attractors.empty() && !T.attractors.empty();
  if (!basins_comparable) c.basin_agreement = std::numeric_limits<double>::quiet_NaN();
  if (basins_comparable && L.basins.size() == T.basins.size() && !L.basins.empty()) {
    std::size_t agree = 0;
    for (std::size_t k = 0; k < L.basins.size(); ++k) {
      const int l = L.basins[k];
      const int mapped = l >= 0 ? c.attractor_match[static_cast<std::size_t>(l)] : l;
      if (mapped == T.basins[k] && (l >= 0 ? mapped >= 0 : true)) ++agree;
    }
    c.basin_agreement = static_cast<double>(agree) / static_cast<double>(L.basins.size());
  }

  const std::string ls = summary(L), ts = summary(T);
  if (same) {
    c.verdict = ls + ", as the true system";
    if (!L.equilibria.empty()) c.verdict += "; positions within " + fmt(c.position_error);
  } else {
    c.verdict = ls + "; the true system has " + ts;
  }
  // A cycle matched to a true one of the same stability has its period compared, whatever else differs (an
  // equilibrium inside the cycle, far from the data, may be learned a node where the truth has a focus).
  if (matched_cycles > 0) c.verdict += "; periods within " + fmt(100 * c.period_error) + " %";
  if (!L.basins.empty() && basins_comparable)
    c.verdict += "; basins agree on " + std::to_string(static_cast<int>(std::floor(100 * c.basin_agreement))) + " % of the view";
  return c;
}

}  // namespace nde
