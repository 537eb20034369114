// Phase portraits of the true systems, and of models learned from the presets with default settings.
#include <catch2/catch.hpp>

#include <cmath>

#include "nde/phase_portrait.hpp"

using namespace nde;

namespace {

GridSpec view_of(const System& s, int n = 64) {
  GridSpec g;
  g.xmin = s.xmin;
  g.xmax = s.xmax;
  g.ymin = s.ymin;
  g.ymax = s.ymax;
  g.nx = g.ny = n;
  return g;
}

// Issue 12's targets for a model learned with default settings are positions within 0.05, basins agreeing on
// ≥ 95 % and the Van der Pol period within 5 %. The model answers with the moving average of θ
// (optimizer.average 0.99): the Van der Pol period is within 1.5 % from 400 steps on (6.578 at 400, 6.66-6.72 at
// 600-1,200, true 6.6633; the raw iterate swung −8 % … +5 %). Toggle on the preset's data (mirrored starts, 80
// points; systems.cpp, toggle_start): at 1,000 steps seeds 0-7 had the structure right, positions 0.025-0.074
// (seed 0: 0.054; 0.074, 0.055, 0.068 at 2,000, 3,000, 4,000). "Default training" includes the
// default learning-rate schedule (lr for 2,000 steps, then halved every 2,000): after 6,000 steps (lr/4) seed 0 is at
// 0.038 (5,000: 0.042), basins 97.4 %; trainer seeds 0-7 on the same data at 6,000: 0.038, 0.024, 0.023, 0.013, 0.020, 0.042, 0.035, 0.066 (seed
// 7's saddle, which no trajectory passes near, drifts from (1.272, 1.281) to (1.255, 1.343) while the field error on
// the data falls), basins 97.0-98.5 %; batch 32 (not the default: about twice the work per step) put seeds 5 and 7 at
// 0.037 after 4,000 steps; a slower parameter average (0.995 / 0.998) did not help seed 7 (0.065 / 0.062). Was 0.157
// / 95.7 % on 8 independent starts of 40 points.
constexpr double kPositionTolerance = 0.05;
constexpr double kBasinAgreement = 0.95;
constexpr double kPeriodTolerance = 0.02;
constexpr int kToggleSteps = 6000;

/// A default trainer on 8 trajectories of `points` irregular points (0: the preset's own, the toggle's 80) over the
/// system's t_end (seed 0), trained n steps.
Trainer trained_on_preset(const System& s, int steps, int points = 0) {
  Trainer t{TrainerConfig{}};
  SampleOptions so;
  so.trajectories = 8;
  so.points = points;
  so.seed = 0;
  for (auto& tr : sample_system(s, so)) REQUIRE(t.add_trajectory(tr).ok());
  for (int i = 0; i < steps; ++i) REQUIRE(t.step().status == Status::Success);
  return t;
}

}  // namespace

TEST_CASE("The toggle switch's true portrait: two nodes, a saddle, mirror-symmetric basins split by the diagonal") {
  const System& s = *find_system("toggle");
  const GridSpec g = view_of(s);
  const PhasePortrait p = analyze(system_phase_field(s), g);
  CHECK(summary(p) == "2 stable nodes + 1 saddle");
  REQUIRE(p.attractors.size() == 2);
  // The view is symmetric under u ↔ v, which swaps the attractors: labels of transposed points swap.
  std::size_t mirrored = 0, decided = 0;
  for (int r = 0; r < g.ny; ++r)
    for (int c = 0; c < g.nx; ++c) {
      const int a = p.basins[static_cast<std::size_t>(r * g.nx + c)], b = p.basins[static_cast<std::size_t>(c * g.nx + r)];
      if (a >= 0) ++decided;
      if (a >= 0 && b >= 0 && a != b) ++mirrored;
      // Off the diagonal the basin is that of the node on the same side.
      if (std::abs(r - c) > 1 && a >= 0) CHECK((p.attractors[static_cast<std::size_t>(a)].points(0, 0) > 2) == (c > r));
    }
  CHECK(decided >= static_cast<std::size_t>(g.nx * g.ny - g.nx));  // at most the diagonal undecided
  CHECK(mirrored >= decided - static_cast<std::size_t>(g.nx));
  // Integrating f itself instead of its interpolation gives the same basins.
  PortraitOptions exact;
  exact.exact_flow = true;
  const PhasePortrait q = analyze(system_phase_field(s), g, exact);
  const PortraitComparison c = compare(p, q);
  CHECK(c.same_structure);
  CHECK(c.position_error == 0.0);
  CHECK(c.basin_agreement >= 0.99);
  // The saddle's stable manifold is the diagonal; its unstable branches end at the two nodes.
  int stable = 0, unstable = 0;
  for (const Separatrix& sep : p.separatrices) {
    if (sep.stable) {
      ++stable;
      CHECK((sep.points.row(0) - sep.points.row(1)).cwiseAbs().maxCoeff() < 0.02);
    } else {
      ++unstable;
      const Vec end = sep.points.rightCols(1);
      const double to_node = std::min((end - p.equilibria[0].z).norm(), (end - p.equilibria[2].z).norm());
      CHECK(to_node < 0.25);
    }
  }
  CHECK(stable == 2);
  CHECK(unstable == 2);
  CHECK(compare(p, p).verdict == "2 stable nodes + 1 saddle, as the true system; positions within 0; basins agree on 100 % of the view");
}

TEST_CASE("Learned toggle switch (default settings, preset data): the true portrait's structure, positions and basins",
          "[learning]") {
  const System& s = *find_system("toggle");
  const Trainer t = trained_on_preset(s, kToggleSteps);
  const GridSpec g = view_of(s);
  const PhasePortrait learned = analyze(learned_phase_field(t), g);
  const PhasePortrait truth = analyze(system_phase_field(s), g);
  const PortraitComparison c = compare(learned, truth);
  INFO(c.verdict << " (position error " << c.position_error << ", basin agreement " << c.basin_agreement << ")");
  CHECK(summary(learned) == "2 stable nodes + 1 saddle");
  CHECK(c.same_structure);
  CHECK(c.position_error <= kPositionTolerance);
  CHECK(c.basin_agreement >= kBasinAgreement);
}

TEST_CASE("Learned Van der Pol (default settings, preset data): one stable limit cycle with the true period", "[learning]") {
  const System& s = *find_system("van-der-pol");
  const Trainer t = trained_on_preset(s, 400, 40);  // Van der Pol's page preset has 100
  const PhasePortrait learned = analyze(learned_phase_field(t), view_of(s));
  INFO(summary(learned));
  REQUIRE(learned.cycles.size() == 1);
  CHECK(learned.cycles[0].stable());
  CHECK(std::abs(learned.cycles[0].period - 6.6633) <= kPeriodTolerance * 6.6633);
}

TEST_CASE("Basins are compared only where both portraits have attractors (the spiral's true sink is degenerate)") {
  const System& s = *find_system("spiral");
  const GridSpec g = view_of(s, 32);
  const PhasePortrait truth = analyze(system_phase_field(s), g);
  INFO(summary(truth));
  REQUIRE(truth.attractors.empty());
  // A learned portrait of the same view with an attractor: the van der Pol cycle's portrait over the spiral's view.
  const PhasePortrait learned = analyze(system_phase_field(*find_system("van-der-pol")), g);
  REQUIRE_FALSE(learned.attractors.empty());
  const PortraitComparison c = compare(learned, truth);
  INFO(c.verdict);
  CHECK(std::isnan(c.basin_agreement));
  CHECK(c.verdict.find("basins") == std::string::npos);
  // Both with attractors: compared (and in the verdict).
  const PortraitComparison same = compare(learned, learned);
  CHECK(same.basin_agreement == 1.0);
  CHECK(same.verdict.find("basins agree on 100 %") != std::string::npos);
}

TEST_CASE("A verdict compares the periods of matched limit cycles even where the equilibria's types differ") {
  const System& s = *find_system("van-der-pol");
  const PhasePortrait truth = analyze(system_phase_field(s), view_of(s));
  REQUIRE(truth.cycles.size() == 1);
  REQUIRE(truth.equilibria.size() == 1);
  PhasePortrait learned = truth;  // the same cycle, 10 % slower, around an origin learned as a node
  learned.cycles[0].period *= 1.1;
  learned.equilibria[0].type = EquilibriumType::UnstableNode;
  const PortraitComparison c = compare(learned, truth);
  INFO(c.verdict);
  CHECK_FALSE(c.same_structure);
  CHECK(c.verdict.find("the true system has") != std::string::npos);
  CHECK(c.verdict.find("periods within 10 %") != std::string::npos);
}

namespace {

/// Everything two portraits hold, compared exactly (bit for bit).
void require_same(const PhasePortrait& a, const PhasePortrait& b) {
  CHECK(a.velocities == b.velocities);
  CHECK(a.nullclines.x == b.nullclines.x);
  CHECK(a.nullclines.y == b.nullclines.y);
  REQUIRE(a.equilibria.size() == b.equilibria.size());
  for (std::size_t i = 0; i < a.equilibria.size(); ++i) {
    CHECK(a.equilibria[i].z == b.equilibria[i].z);
    CHECK(a.equilibria[i].type == b.equilibria[i].type);
    CHECK(a.equilibria[i].jacobian == b.equilibria[i].jacobian);
  }
  REQUIRE(a.cycles.size() == b.cycles.size());
  for (std::size_t i = 0; i < a.cycles.size(); ++i) {
    CHECK(a.cycles[i].points == b.cycles[i].points);
    CHECK(a.cycles[i].period == b.cycles[i].period);
    CHECK(a.cycles[i].multiplier == b.cycles[i].multiplier);
  }
  REQUIRE(a.attractors.size() == b.attractors.size());
  for (std::size_t i = 0; i < a.attractors.size(); ++i) CHECK(a.attractors[i].points == b.attractors[i].points);
  CHECK(a.basins == b.basins);
  REQUIRE(a.separatrices.size() == b.separatrices.size());
  for (std::size_t i = 0; i < a.separatrices.size(); ++i) CHECK(a.separatrices[i].points == b.separatrices[i].points);
  CHECK(a.time_unit == b.time_unit);
  CHECK(a.flow_steps == b.flow_steps);
  CHECK(a.complete == b.complete);
}

}  // namespace

TEST_CASE("A portrait analysed in parts (one unit of work per run) is the one-piece analysis, bit for bit") {
  // Toggle (two nodes, a saddle, separatrices), Van der Pol (a stable cycle, an unstable focus) and a learned field.
  for (const char* name : {"toggle", "van-der-pol"}) {
    const System& s = *find_system(name);
    const GridSpec g = view_of(s, 32);
    const PhasePortrait whole = analyze(system_phase_field(s), g);
    PhaseField rows = system_phase_field(s);
    rows.block = 32;  // a unit per row of the view, 72 for the outer grid (48 × 48)
    PortraitJob job(rows, g);
    long runs = 0;
    while (!job.run(Deadline::after_checks(0))) ++runs;
    INFO(name << ": " << runs << " runs");
    CHECK(runs + 1 == job.units());
    CHECK(job.units() > 32 + 72);
    require_same(job.portrait(), whole);
    // Runs of a few units each assemble the same portrait too.
    PortraitJob job3(system_phase_field(s), g);
    while (!job3.run(Deadline::after_checks(3))) {
    }
    require_same(job3.portrait(), whole);
  }
  SECTION("a learned field: the job keeps its own copy of the field; the trainer outlives it") {
    const System& s = *find_system("van-der-pol");
    Trainer t = trained_on_preset(s, 20);
    const GridSpec g = view_of(s, 24);
    const PhasePortrait whole = analyze(learned_phase_field(t), g);
    PortraitJob job(learned_phase_field(t), g);
    while (!job.run(Deadline::after_checks(1))) {
    }
    require_same(job.portrait(), whole);
  }
}

TEST_CASE("A portrait's work budget skips stages like its deadline (complete false), counted over its runs") {
  const System& s = *find_system("van-der-pol");
  PortraitOptions o;
  o.max_work_millis = 0.0;  // passed at the first check: after the two grids (one block each), before the seeds
  PortraitJob job(system_phase_field(s), view_of(s, 32), o);
  while (!job.run(Deadline::after_checks(0))) {
  }
  CHECK_FALSE(job.portrait().complete);
  CHECK(job.portrait().nullclines.x.cols() > 0);
  CHECK(job.portrait().equilibria.empty());
  CHECK(job.portrait().cycles.empty());
  CHECK(job.portrait().basins.empty());
}

TEST_CASE("A portrait keeps to its budget from the first block of its grids on: a slow field is evaluated a block past it") {
  const System& s = *find_system("van-der-pol");
  long evaluated = 0;
  PhaseField slow = system_phase_field(s);
  const auto eval = slow.eval;
  slow.eval = [&evaluated, eval](const Mat& Z) {
    evaluated += Z.cols();
    return eval(Z);
  };
  slow.block = 16;
  for (const int checks : {0, 3, 40, 64 + 100}) {
    INFO(checks << " checks answered 'in time'");
    evaluated = 0;
    PortraitOptions o;
    o.deadline = Deadline::after_checks(checks);
    const PhasePortrait p = analyze(slow, view_of(s, 32), o);
    CHECK_FALSE(p.complete);
    if (checks < 63) {  // the view (64 blocks) unfinished: no velocities, nothing drawn
      CHECK(evaluated == 16 * (checks + 1));
      CHECK(p.velocities.size() == 0);
      CHECK(p.nullclines.x.cols() + p.nullclines.y.cols() == 0);
    } else {  // the view done, the outer grid (144 blocks) cut short: nullclines, no equilibria
      CHECK(evaluated == 32 * 32 + 16 * (checks - 63 + 1));
      CHECK(p.velocities.cols() == 32 * 32);
      CHECK(p.nullclines.x.cols() > 0);
      CHECK(p.equilibria.empty());
    }
  }
}

TEST_CASE("A learned field's block holds about 2^22 network multiply-adds: 512 points of the page's net, 1 of a 4 x 1024 net") {
  TrainerConfig small, big;
  small.mlp.hidden = {32, 32};
  big.mlp.hidden = {1024, 1024, 1024, 1024};
  CHECK(learned_phase_field(Trainer(small)).block == 512);
  const Trainer t(big);
  CHECK(learned_phase_field(t).block == 1);
}
