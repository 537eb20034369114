// Peak heap use of a gradient, counted by the replaced malloc (bench/alloc_counter.cpp).
#include <catch2/catch.hpp>

#include "alloc_counter.hpp"
#include "nde/systems.hpp"
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
  CHECK(d100k > 100 * d100);
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
