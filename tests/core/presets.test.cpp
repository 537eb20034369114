// Every trajectory preset learns with the default settings (the page's config and the system's default samples):
// field error against the truth on the data, whole-trajectory windows, and the default gradient's accuracy.
// Slow (tens of seconds each in Release): the ASan pass of dev.sh skips the "Preset learning" tests.
#include <catch2/catch.hpp>

#include <algorithm>
#include <set>

#include "nde/fidelity.hpp"

using namespace nde;

namespace {

/// The page's setup for a preset: default config of the system's dimension, default samples (seed 0).
struct Setup {
  const System& system;
  std::vector<Trajectory> data;
  TrainerConfig config;
};

Setup preset(const std::string& name) {
  const System* s = find_system(name);
  REQUIRE(s);
  Setup p{*s, sample_system(*s, SampleOptions{}), TrainerConfig{}};
  p.config.mlp.dim = s->dim;
  return p;
}

/// A default trainer on the preset's data.
Trainer trainer(const Setup& p) {
  Trainer t(p.config);
  for (const Trajectory& tr : p.data) REQUIRE(t.add_trajectory(tr).ok());
  return t;
}

/// Trains until `iterations` completed default steps; every step must succeed. Returns the largest gradient norm.
double train_to(Trainer& t, int iterations) {
  double largest = 0.0;
  while (t.iteration() < iterations) {
    const StepReport r = t.step();
    REQUIRE(r.status == Status::Success);
    largest = std::max(largest, r.grad_norm);
  }
  return largest;
}

/// The page clips gradient norms at 10 (web/src/settings.ts, toTrainerConfig); the core's default does not clip.
/// A preset run that never reaches the clip trains exactly as the page does, so these tests test the page's training.
constexpr double kPageClip = 10.0;

/// Trains `iterations` default steps.
Trainer trained(const Setup& p, int iterations) {
  Trainer t = trainer(p);
  train_to(t, iterations);
  return t;
}

/// The presets these tests cover: every system the page offers (checked below, so a new preset needs a test).
const std::set<std::string> kPresets{"spiral", "toggle", "lotka-volterra", "van-der-pol", "pendulum", "fitzhugh-nagumo"};
constexpr int kIterations = 2000;

/// Issue 8's target: 10 % for every preset. Measured at the defaults (averaged parameters, windows covering
/// every interval alike) on the page's data: toggle 2.6 % (mirrored starts, 80 points), Lotka-Volterra 5.3 %,
/// pendulum 4.5 % after 2000 iterations; the spiral 15.8 % / 10.6 % / 7.5 % after 2000 / 3000 / 4000. Later, with the
/// learning-rate schedule (constant lr for 2000 steps, then halving every 2000 to lr/5): Van der Pol 15.0 % / 11.6 % /
/// 9.6 % / 8.5 % after 2000 / 4000 / 6000 / 8000, FitzHugh-Nagumo 22.0 % / 13.1 % / 10.7 % / 9.4 % (10.4 % and 11.0 %
/// after 8000 at a constant lr); most of their squared error sits on the first observations of one or two
/// trajectories that start in the fast transient (nde_bench_fidelity diag=1).
struct Target {
  double at_default = 0.10;      ///< bound after kIterations (0: not checked there)
  int iterations = kIterations;  ///< the final check's iterations
  double bound = 0.10;           ///< the final check's bound
};
Target target(const std::string& name) {
  if (name == "spiral") return {0.20, 4000, 0.10};
  if (name == "van-der-pol") return {0.16, 8000, 0.10};
  if (name == "fitzhugh-nagumo") return {0.0, 8000, 0.10};
  return {};
}

void learns(const std::string& name) {
  const Setup p = preset(name);
  const Target goal = target(name);
  Trainer t = trainer(p);
  const Mat on = observed_states(p.data);
  double largest = train_to(t, kIterations);
  const double err = field_error(t, p.system, on);
  INFO(name << ": field error on the data " << err << " after " << kIterations << " iterations");
  if (goal.at_default > 0) CHECK(err <= goal.at_default);
  if (goal.iterations > kIterations) {
    largest = std::max(largest, train_to(t, goal.iterations));
    const double later = field_error(t, p.system, on);
    INFO(name << ": field error on the data " << later << " after " << goal.iterations << " iterations");
    CHECK(later <= goal.bound);
  }
  INFO(name << ": largest gradient norm " << largest);
  CHECK(largest < kPageClip);
}

}  // namespace

TEST_CASE("Preset learning: the tests below cover exactly the page's presets", "[learning]") {
  std::set<std::string> presets;
  for (const System& s : systems())
    if (is_preset(s)) presets.insert(s.name);
  CHECK(presets == kPresets);
}

TEST_CASE("Preset learning: spiral reaches <= 10 % field error with the defaults (4000 iterations)", "[learning]") { learns("spiral"); }
TEST_CASE("Preset learning: toggle reaches <= 10 % field error with the defaults", "[learning]") { learns("toggle"); }
TEST_CASE("Preset learning: lotka-volterra reaches <= 10 % field error with the defaults", "[learning]") {
  learns("lotka-volterra");
}
TEST_CASE("Preset learning: van-der-pol reaches <= 10 % field error with the defaults (8000 iterations)", "[learning]") {
  learns("van-der-pol");
}
TEST_CASE("Preset learning: pendulum reaches <= 10 % field error with the defaults", "[learning]") { learns("pendulum"); }
TEST_CASE("Preset learning: fitzhugh-nagumo reaches <= 10 % field error with the defaults (8000 iterations)", "[learning]") {
  learns("fitzhugh-nagumo");
}

/// Whole-trajectory windows (the window slider at its top): the long solves an untrained field used to blow up.
void learns_whole(const std::string& name, double limit, int iterations = kIterations) {
  Setup p = preset(name);
  for (const Trajectory& tr : p.data) p.config.window = std::max(p.config.window, static_cast<int>(tr.times.size()));
  const Trainer t = trained(p, iterations);
  const double err = field_error(t, p.system, observed_states(p.data));
  INFO(name << ": whole-trajectory windows (" << p.config.window << " points), field error " << err << " after " << iterations);
  CHECK(err <= limit);
}

TEST_CASE("Preset learning: whole-trajectory windows learn the toggle switch to <= 10 %", "[learning]") {
  learns_whole("toggle", 0.10);
}

// Issue 8's target, reached by multiple shooting (batch.shooting, default 10: the whole trajectory cut into segments of
// 10 points starting at trained free states). Measured on the page's data: 8.3 % after 1500 iterations (10 % first at 1250; 6.5 % after 2000 before a window drawn twice was solved once). Single shooting (batch.shooting 0) reached 34.4 % /
// 22.3 % / 17.5 % / 15.2 % after 2000 / 4000 / 6000 / 8000 (rollout 0.6 %: the trajectories fit, the field at the
// observed states lagged); not better there: a window curriculum, lr 0.02, lr 0.005, a warm-up, initOutput 0.01 / 0.3,
// width 64, batch 8, tighter tolerances (README Fidelity).
TEST_CASE("Preset learning: whole-trajectory windows learn FitzHugh-Nagumo to <= 10 % (multiple shooting)", "[learning]") {
  REQUIRE(TrainerConfig{}.shooting == 10);
  learns_whole("fitzhugh-nagumo", 0.10, 1500);
}

TEST_CASE("Preset learning: the default gradient is direct's to 1e-8 and a tight solve's to 1e-3 after 200 steps",
          "[learning]") {
  REQUIRE(TrainerConfig{}.gradient == GradientMethod::Checkpointed);
  for (const std::string& name : kPresets) {
    const Setup p = preset(name);
    // The gradient training uses: at the optimiser's iterate θ (the model's outputs use θ's average).
    Trainer t = trained(p, 200);
    TrainingState at_theta = t.state();
    at_theta.average.resize(0);
    REQUIRE(t.restore(at_theta).ok());
    const GradientResult g = t.full_gradient(TrainerConfig{}.gradient), direct = t.full_gradient(GradientMethod::Direct);
    REQUIRE(g.status == Status::Success);
    REQUIRE(direct.status == Status::Success);
    // The reference: the same model and normalisation solved at rtol = atol = 1e-10.
    TrainerConfig tight = p.config;
    tight.solver.rtol = tight.solver.atol = 1e-10;
    tight.solver.max_steps = 1000000;
    Trainer ref(tight);
    for (const Trajectory& tr : p.data) REQUIRE(ref.add_trajectory(tr).ok());
    REQUIRE(ref.restore(t.state()).ok());
    const GradientResult truth = ref.full_gradient(GradientMethod::Direct);
    REQUIRE(truth.status == Status::Success);
    const double to_direct = (g.grad_theta - direct.grad_theta).norm() / direct.grad_theta.norm();
    const double to_truth = (g.grad_theta - truth.grad_theta).norm() / truth.grad_theta.norm();
    INFO(name << ": default gradient vs direct " << to_direct << ", vs the tight reference " << to_truth);
    CHECK(to_direct <= 1e-8);
    CHECK(to_truth <= 1e-3);
  }
}
