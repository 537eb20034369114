// Fidelity benchmark, one JSON line per reference system: the default trainer on the system's default
// samples (the page's preset data), iterations and seconds to 10 % field error on the data, the final field
// error on the data and near it, the whole-trajectory rollout error and NFE per iteration.
// Usage: nde_bench_fidelity [iterations=2000] [system=name] [window=N] [batch=N] [lr=x] [average=β]
//        [decay_after=N] [half_life=N (0: constant lr)] [lr_floor=x] [init_output=x] [points=N]
//        [tend=x] [seed=N (trainer)] [width=N] [depth=N] [whole=1] [rtol=x] [atol=x] [every=50] [trace=1: progress on stderr]
//        [diag=1: the largest error shares] [ema=β1,β2,…: with trace, also the errors of moving averages of the
//        model's parameters (with average=0: of the iterate)] [portrait=1: with trace, the learned phase portrait
//        against the true one (equilibria, position error, basins, first cycle's period)] [shooting=N (0: single
//        shooting)] [continuity=x] [noise=x: Gaussian noise of x × each dimension's extent on the training data]
#include <chrono>
#include <cstdio>
#include <algorithm>
#include <cstdlib>
#include <map>
#include <string>

#include "nde/fidelity.hpp"
#include "nde/phase_field.hpp"
#include "nde/phase_portrait.hpp"

using namespace nde;

int main(int argc, char** argv) {
  std::map<std::string, std::string> arg;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const auto eq = a.find('=');
    if (eq == std::string::npos) {
      std::fprintf(stderr, "arguments are key=value (see the source)\n");
      return 2;
    }
    arg[a.substr(0, eq)] = a.substr(eq + 1);
  }
  auto num = [&](const char* k, double dflt) { return arg.count(k) ? std::atof(arg[k].c_str()) : dflt; };
  const int iterations = static_cast<int>(num("iterations", 2000)), every = static_cast<int>(num("every", 50));
  for (const System& s : systems()) {
    if (arg.count("system") && arg["system"] != s.name) continue;
    TrainerConfig c;
    c.mlp.dim = s.dim;
    if (arg.count("width")) c.mlp.hidden.assign(c.mlp.hidden.size(), static_cast<int>(num("width", 32)));
    c.window = static_cast<int>(num("window", c.window));
    c.batch_size = static_cast<int>(num("batch", c.batch_size));
    c.seed = static_cast<std::uint64_t>(num("seed", static_cast<double>(c.seed)));
    if (arg.count("depth")) c.mlp.hidden.assign(static_cast<std::size_t>(num("depth", 2)), c.mlp.hidden.empty() ? 32 : c.mlp.hidden[0]);
    c.optimizer.lr = num("lr", c.optimizer.lr);
    c.optimizer.clip = num("clip", c.optimizer.clip);
    c.optimizer.average = num("average", c.optimizer.average);
    c.optimizer.decay_after = num("decay_after", c.optimizer.decay_after);
    c.optimizer.half_life = num("half_life", c.optimizer.half_life);
    c.optimizer.lr_floor = num("lr_floor", c.optimizer.lr_floor);
    c.mlp.init_output = num("init_output", c.mlp.init_output);
    c.solver.rtol = num("rtol", c.solver.rtol);
    c.solver.atol = num("atol", c.solver.atol);
    c.shooting = static_cast<int>(num("shooting", c.shooting));
    c.continuity = num("continuity", c.continuity);
    SampleOptions so;
    so.points = static_cast<int>(num("points", 0));
    so.t_end = num("tend", 0);
    const std::vector<Trajectory> data = sample_system(s, so);
    // noise=x: Gaussian noise of x × each dimension's extent on the training data (errors stay against the clean states).
    std::vector<Trajectory> train = data;
    if (num("noise", 0) > 0) {
      const Mat all = observed_states(data);
      const Vec extent = all.rowwise().maxCoeff() - all.rowwise().minCoeff();
      Rng noise(12345);
      for (Trajectory& tr : train)
        for (Index k = 0; k < tr.states.cols(); ++k)
          for (Index j = 0; j < tr.states.rows(); ++j) tr.states(j, k) += num("noise", 0) * extent[j] * noise.normal();
    }
    if (num("whole", 0) > 0)
      for (const Trajectory& tr : data) c.window = std::max<int>(c.window, static_cast<int>(tr.times.size()));
    Trainer t(c);
    for (const Trajectory& tr : train) (void)t.add_trajectory(tr);
    const Mat on = observed_states(data), near = points_near_data(data);
    double seconds = 0, to_10_s = -1;
    long nfe = 0, to_10 = -1;
    int done = 0;
    std::vector<double> betas;
    if (arg.count("ema")) {
      std::string e = arg["ema"];
      for (std::size_t q = 0; q <= e.size();) {
        std::size_t c = e.find(',', q);
        if (c == std::string::npos) c = e.size();
        betas.push_back(std::atof(e.substr(q, c - q).c_str()));
        q = c + 1;
      }
    }
    std::vector<Vec> avgs(betas.size(), t.mlp().params());
    std::vector<double> wsums(betas.size(), 0.0);
    auto averaged = [&](std::size_t k) {
      Trainer a = t;
      (void)a.set_parameters(avgs[k]);
      return a;
    };
    bool shown_truth = false;
    auto portrait = [&](const Trainer& m) {
      if (!shown_truth) {
        GridSpec g;
        g.xmin = s.xmin; g.xmax = s.xmax; g.ymin = s.ymin; g.ymax = s.ymax; g.nx = g.ny = 64;
        for (const Equilibrium& e : analyze(system_phase_field(s), g).equilibria) std::fprintf(stderr, "  truth (%.3f, %.3f)", e.z[0], e.z[1]);
        std::fprintf(stderr, "\n");
        shown_truth = true;
      }
      GridSpec g;
      g.xmin = s.xmin; g.xmax = s.xmax; g.ymin = s.ymin; g.ymax = s.ymax; g.nx = g.ny = 64;
      const PhasePortrait learned = analyze(learned_phase_field(m), g);
      const PhasePortrait truth = analyze(system_phase_field(s), g);
      const PortraitComparison c = compare(learned, truth);
      double period = learned.cycles.empty() ? -1 : learned.cycles[0].period;
      std::fprintf(stderr, "   portrait %s pos %.3f basins %.3f period %.3f\n", summary(learned).c_str(), c.position_error,
                   c.basin_agreement, period);
      for (const Equilibrium& e : learned.equilibria) std::fprintf(stderr, "     (%.3f, %.3f)", e.z[0], e.z[1]);
      std::fprintf(stderr, "\n");
    };
    std::string status = "ok";
    for (int it = 1; it <= iterations; ++it) {
      const auto a = std::chrono::steady_clock::now();
      const StepReport r = t.step();
      seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - a).count();
      if (!r.ok()) {
        status = r.message;
        break;
      }
      nfe += r.nfe_forward + r.nfe_backward;
      for (std::size_t k = 0; k < betas.size(); ++k) {  // bias-corrected EMA of θ
        wsums[k] = betas[k] * wsums[k] + (1 - betas[k]);
        avgs[k] += (1 - betas[k]) / wsums[k] * (t.mlp().params() - avgs[k]);
      }
      done = it;
      if (to_10 < 0 && it % every == 0 && field_error(t, s, on) <= 0.10) {
        to_10 = it;
        to_10_s = seconds;
      }
      if (arg.count("trace") && it % every == 0)
      {
        std::fprintf(stderr, "%s %d loss %.4g field %.4f", s.name.c_str(), it, r.loss, field_error(t, s, on));
        std::fprintf(stderr, " roll %.4f", rollout_error(t, data));
        for (std::size_t k = 0; k < betas.size(); ++k)
          std::fprintf(stderr, " | ema%g %.4f roll %.4f", betas[k], field_error(averaged(k), s, on), rollout_error(averaged(k), data));
        std::fprintf(stderr, "\n");
        if (arg.count("portrait")) { portrait(t); for (std::size_t k = 0; k < betas.size(); ++k) portrait(averaged(k)); }
      }
    }
    if (arg.count("diag")) {  // where the field error comes from: the observations with the largest squared error
      const Mat learned = t.field(on, 0.0);
      std::vector<std::pair<double, Index>> e;
      double total = 0, den = 0;
      for (Index k = 0; k < on.cols(); ++k) {
        e.push_back({(learned.col(k) - s.f(on.col(k))).squaredNorm(), k});
        total += e.back().first;
        den += s.f(on.col(k)).squaredNorm();
      }
      std::sort(e.begin(), e.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
      const Index per = static_cast<Index>(data[0].times.size());
      for (int i = 0; i < 12; ++i)
        std::fprintf(stderr, "  obs %ld (traj %ld, #%ld): share %.3f |f| %.3g z=(%.2f, %.2f)\n", (long)e[i].second,
                     (long)(e[i].second / per), (long)(e[i].second % per), e[i].first / total,
                     s.f(on.col(e[i].second)).norm(), on(0, e[i].second), on(1, e[i].second));
      std::fprintf(stderr, "  mean |f|^2 %.3g\n", den / on.cols());
    }
    std::printf(
        "{\"bench\":\"fidelity\",\"system\":\"%s\",\"dim\":%d,\"trajectories\":%zu,\"points\":%zu,\"window\":%d,\"shooting\":%d,"
        "\"iterations\":%d,\"seconds\":%.3f,\"iterations_to_10pct\":%ld,\"seconds_to_10pct\":%.3f,"
        "\"field_error_data\":%.4f,\"field_error_near\":%.4f,\"rollout_error\":%.4f,\"nfe_per_iteration\":%.1f,"
        "\"time_scale\":%.4g,\"status\":\"%s\"}\n",
        s.name.c_str(), s.dim, data.size(), data.empty() ? 0 : data[0].times.size(), c.window, c.shooting, done, seconds, to_10,
        to_10_s, field_error(t, s, on), field_error(t, s, near), rollout_error(t, data),
        done > 0 ? static_cast<double>(nfe) / done : 0.0, t.normalization().time, status.c_str());
    std::fflush(stdout);
  }
  return 0;
}
