// Peak heap use of a gradient, counted by the replaced malloc (bench/alloc_counter.cpp).
#include <catch2/catch.hpp>

#include "alloc_counter.hpp"
#include "nde/densities.hpp"
#include "nde/density.hpp"
#include "nde/systems.hpp"
#include "nde/trajectory.hpp"
#include "nde/trainer.hpp"

using namespace nde;

namespace {

std::size_t peak_bytes(GradientMethod g, long steps) {
  TrainerConfig c;
  c.mlp.hidden = {50};
  c.normalize = false;
  c.solver.method = "rk4";
  Trajectory tr = torchdiffeq_spiral(1000);
  tr.times.resize(10);
  tr.states.conservativeResize(2, 10);
  c.solver.step = tr.times.back() / static_cast<double>(steps);
  c.solver.max_steps = 2 * steps;
  Trainer t(c);
  REQUIRE(t.add_trajectory(tr).ok());
  nde_bench::reset_peak();
  const std::size_t base = nde_bench::heap_in_use();
  const GradientResult r = t.full_gradient(g);
  REQUIRE(r.status == Status::Success);
  REQUIRE(r.forward.accepted >= steps);
  return nde_bench::heap_peak() - base;
}

}  // namespace

TEST_CASE("The adjoint's peak memory does not grow with solver steps - direct backprop's does") {
  const std::size_t a100 = peak_bytes(GradientMethod::Adjoint, 100);
  const std::size_t a100k = peak_bytes(GradientMethod::Adjoint, 100000);
  const std::size_t d100 = peak_bytes(GradientMethod::Direct, 100);
  const std::size_t d100k = peak_bytes(GradientMethod::Direct, 100000);
  INFO("adjoint " << a100 << " -> " << a100k << " bytes; direct " << d100 << " -> " << d100k << " bytes");
  CHECK(a100 > 0);
  CHECK(static_cast<double>(a100k) <= 1.1 * static_cast<double>(a100));
  CHECK(static_cast<double>(a100k) >= 0.9 * static_cast<double>(a100));
  // Direct's tape holds each step's start and its 4 stages (2 numbers each); its ring of the last steps' stage passes
  // (StageTapes) is bounded, so the growth is the tape's.
  const double entry = 8.0 * 2 * (4 + 1);
  CHECK(static_cast<double>(d100k) - static_cast<double>(d100) >= (100000 - 100) * entry);
}

TEST_CASE("The checkpointed gradient's peak memory stays far below direct backprop's as steps grow") {
  const std::size_t c100 = peak_bytes(GradientMethod::Checkpointed, 100);
  const std::size_t c100k = peak_bytes(GradientMethod::Checkpointed, 100000);
  const std::size_t d100k = peak_bytes(GradientMethod::Direct, 100000);
  INFO("checkpointed " << c100 << " -> " << c100k << " bytes; direct at 100000 steps " << d100k << " bytes");
  // Checkpoint states are bounded; what grows is 16 bytes per step for the step times and sizes.
  CHECK(static_cast<double>(c100k) <= 100000 * 16 * 2.5 + static_cast<double>(c100));
  CHECK(c100k * 5 < d100k);
}

namespace {

/// Heap allocations made by `count` training steps after `warm` warm-up steps (the steps must succeed).
template <class T>
std::size_t step_allocations(T& trainer, int warm, int count) {
  for (int i = 0; i < warm; ++i) REQUIRE(trainer.step().status == Status::Success);
  const std::size_t before = nde_bench::allocations();
  bool ok = true;
  for (int i = 0; i < count; ++i) ok = ok && trainer.step().status == Status::Success;
  const std::size_t made = nde_bench::allocations() - before;
  REQUIRE(ok);
  return made;
}

}  // namespace

TEST_CASE("A warmed-up trainer step allocates nothing at the default config, with every gradient method") {
  // The page's situation: strokes with jittered times, so the default joint solve reads windows by dense output.
  SampleOptions so;
  so.trajectories = 3;
  so.points = 60;
  const std::vector<Trajectory> strokes = sample_system(*find_system("toggle"), so);
  for (GradientMethod g : {GradientMethod::Checkpointed, GradientMethod::Direct, GradientMethod::Adjoint}) {
    TrainerConfig c;  // defaults: dopri5, checkpointed, 16 windows of 10 points, one joint solve
    c.gradient = g;
    Trainer t(c);
    for (const Trajectory& tr : strokes) REQUIRE(t.add_trajectory(tr).ok());
    // The adjoint solves one batch per time grid (windows clipped at a trajectory's ends make more grids), with
    // buffers per batch size that fill as sizes first appear: it needs a longer warm-up to have seen them.
    const std::size_t made = step_allocations(t, g == GradientMethod::Adjoint ? 300 : 100, 10);
    INFO(to_string(g) << ": " << made << " allocations in 10 steps");
    CHECK(made == 0);
  }
}

TEST_CASE("A warmed-up density step allocates nothing, with the exact trace and with Hutchinson's") {
  // The page's density task: its default config (exact divergence, checkpointed) on a painted density's samples.
  for (TraceMode mode : {TraceMode::Exact, TraceMode::Hutchinson}) {
    for (bool regularized : {false, true}) {
      DensityConfig c;
      c.trace = mode;
      if (regularized) c.base.kinetic = c.base.jacobian = 0.01;  // the regulariser's Jacobian passes too
      DensityTrainer t(c);
      REQUIRE(t.add_samples(sample_density("two-moons", 512, 3)).ok());
      // 10 warm-up steps: a step whose solve takes more steps than any before grows the solve's buffers once (at
      // rtol = atol = 1e-4 one of steps 6-10 still did here).
      const std::size_t made = step_allocations(t, 10, 5);
      INFO((mode == TraceMode::Exact ? "exact" : "Hutchinson") << (regularized ? ", regularised" : "") << ": " << made
                                                               << " allocations in 5 steps");
      CHECK(made == 0);
    }
  }
}

TEST_CASE("A warmed-up trainer step with the kinetic and Jacobian regularisers allocates nothing") {
  SampleOptions so;
  so.trajectories = 3;
  so.points = 60;
  TrainerConfig c;
  c.kinetic = c.jacobian = 0.01;
  Trainer t(c);
  for (const Trajectory& tr : sample_system(*find_system("toggle"), so)) REQUIRE(t.add_trajectory(tr).ok());
  // 40 warm-up steps: a step whose solve takes more steps than any before grows the kept buffers once (step 30 here,
  // 38 forward evaluations after at most 32; the next such step is 132).
  const std::size_t made = step_allocations(t, 40, 10);
  INFO(made << " allocations in 10 steps");
  CHECK(made == 0);
}

TEST_CASE("A warmed-up fixed-step trainer step (the ode_demo replica, RK4) allocates nothing") {
  TrainerConfig c;
  c.mlp.hidden = {50};
  c.mlp.input = InputMap::Cube;
  c.normalize = false;
  c.solver.method = "rk4";
  c.batch_size = 20;
  c.window = 10;
  for (GradientMethod g : {GradientMethod::Direct, GradientMethod::Checkpointed, GradientMethod::Adjoint}) {
    c.gradient = g;
    Trainer t(c);
    REQUIRE(t.add_trajectory(torchdiffeq_spiral()).ok());
    const std::size_t made = step_allocations(t, g == GradientMethod::Adjoint ? 300 : 10, 10);
    INFO(to_string(g) << ": " << made << " allocations in 10 steps");
    CHECK(made == 0);
  }
}

TEST_CASE("A trainer's step buffers stay bounded when its batched solves change size from step to step") {
  // Windows on two regular time grids, one solve per grid: each step splits the batch between the grids anew,
  // so the solves' sizes vary; buffers kept for every size met grew to ~6x one step's in 200 steps (batch 256).
  SampleOptions a;
  a.trajectories = 4;
  a.points = 40;
  a.regular = true;
  a.t_end = 5.0;
  a.seed = 1;
  SampleOptions b = a;
  b.t_end = 6.0;
  b.seed = 2;
  TrainerConfig c;
  c.batch_size = 128;
  c.joint = false;
  Trainer t(c);
  for (const SampleOptions& o : {a, b})
    for (const Trajectory& tr : sample_system(*find_system("toggle"), o)) REQUIRE(t.add_trajectory(tr).ok());
  const std::size_t base = nde_bench::heap_in_use();
  std::size_t early = 0;
  for (int i = 0; i < 150; ++i) {
    REQUIRE(t.step().status == Status::Success);
    if (i < 10) early = std::max(early, nde_bench::heap_in_use() - base);
  }
  const std::size_t late = nde_bench::heap_in_use() - base;
  INFO("step buffers: " << early << " bytes in the first 10 steps, " << late << " after 150");
  CHECK(late <= early * 3 / 2);
}

TEST_CASE("The memory check's estimate of a training step covers its measured peak, for every gradient method") {
  // The check refuses a step before it runs (limits::check_memory): an estimate below the real peak lets a config
  // through that exhausts the wasm heap. Wide and narrow networks, small and large batches.
  SampleOptions so;
  so.trajectories = 4;
  so.points = 60;
  so.regular = true;
  const std::vector<Trajectory> data = sample_system(*find_system("toggle"), so);
  struct Shape { std::vector<int> hidden; int batch; };
  for (const Shape& shape : {Shape{{64, 64}, 256}, Shape{{256, 256}, 16}, Shape{{128, 128, 128}, 64}}) {
    for (GradientMethod g : {GradientMethod::Checkpointed, GradientMethod::Direct, GradientMethod::Adjoint}) {
      TrainerConfig c;
      c.mlp.hidden = shape.hidden;
      c.batch_size = shape.batch;
      c.gradient = g;
      Trainer t(c);
      for (const Trajectory& tr : data) REQUIRE(t.add_trajectory(tr).ok());
      Rng rng(7);
      const double estimate = t.step_bytes(t.sample_windows(rng));
      const std::size_t base = nde_bench::heap_in_use();
      nde_bench::reset_peak();
      REQUIRE(t.step().status == Status::Success);
      const double peak = static_cast<double>(nde_bench::heap_peak() - base);
      INFO(to_string(g) << " hidden " << shape.hidden.size() << "x" << shape.hidden[0] << " batch " << shape.batch
                        << ": estimate " << estimate / 1048576 << " MiB, peak " << peak / 1048576 << " MiB");
      CHECK(estimate >= peak);
      CHECK(estimate <= 8 * peak);  // an upper estimate, not an absurd one
    }
  }
}
