// Fidelity benchmark, one JSON line per reference system: the default trainer on the system's default
// samples (the page's preset data), iterations and seconds to 10 % field error on the data, the final field
// error on the data and near it, the whole-trajectory rollout error and NFE per iteration.
// Usage: nde_bench_fidelity [iterations=2000] [system=name] [window=N] [lr=x] [points=N] [tend=x] [width=N]
//        [whole=1] [rtol=x] [atol=x] [every=50] [trace=1: progress on stderr] [diag=1: the largest error shares]
#include <chrono>
#include <cstdio>
#include <algorithm>
#include <cstdlib>
#include <map>
#include <string>

#include "nde/fidelity.hpp"

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
    c.optimizer.lr = num("lr", c.optimizer.lr);
    c.solver.rtol = num("rtol", c.solver.rtol);
    c.solver.atol = num("atol", c.solver.atol);
    SampleOptions so;
    so.points = static_cast<int>(num("points", 0));
    so.t_end = num("tend", 0);
    const std::vector<Trajectory> data = sample_system(s, so);
    if (num("whole", 0) > 0)
      for (const Trajectory& tr : data) c.window = std::max<int>(c.window, static_cast<int>(tr.times.size()));
    Trainer t(c);
    for (const Trajectory& tr : data) (void)t.add_trajectory(tr);
    const Mat on = observed_states(data), near = points_near_data(data);
    double seconds = 0, to_10_s = -1;
    long nfe = 0, to_10 = -1;
    int done = 0;
    std::string status = "ok";
    for (int it = 1; it <= iterations; ++it) {
      const auto a = std::chrono::steady_clock::now();
      const StepReport r = t.step();
      seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - a).count();
      if (r.status != Status::Success) {
        status = r.message;
        break;
      }
      nfe += r.nfe_forward + r.nfe_backward;
      done = it;
      if (to_10 < 0 && it % every == 0 && field_error(t, s, on) <= 0.10) {
        to_10 = it;
        to_10_s = seconds;
      }
      if (arg.count("trace") && it % every == 0)
        std::fprintf(stderr, "%s %d loss %.4g field %.4f\n", s.name.c_str(), it, r.loss, field_error(t, s, on));
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
        "{\"bench\":\"fidelity\",\"system\":\"%s\",\"dim\":%d,\"trajectories\":%zu,\"points\":%zu,\"window\":%d,"
        "\"iterations\":%d,\"seconds\":%.3f,\"iterations_to_10pct\":%ld,\"seconds_to_10pct\":%.3f,"
        "\"field_error_data\":%.4f,\"field_error_near\":%.4f,\"rollout_error\":%.4f,\"nfe_per_iteration\":%.1f,"
        "\"time_scale\":%.4g,\"status\":\"%s\"}\n",
        s.name.c_str(), s.dim, data.size(), data.empty() ? 0 : data[0].times.size(), c.window, done, seconds, to_10,
        to_10_s, field_error(t, s, on), field_error(t, s, near), rollout_error(t, data),
        done > 0 ? static_cast<double>(nfe) / done : 0.0, t.normalization().time, status.c_str());
    std::fflush(stdout);
  }
  return 0;
}
