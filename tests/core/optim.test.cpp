#include "nde/optim.hpp"

#include <catch2/catch.hpp>

using namespace nde;

namespace {
/// Minimises ½‖D(x − x*)‖² and returns the final distance to x*.
double minimise(OptimizerConfig c, int steps) {
  Optimizer opt(c);
  Vec x = Vec::Zero(3), target(3), D(3);
  target << 1.0, -2.0, 0.5;
  D << 1.0, 10.0, 0.1;
  for (int i = 0; i < steps; ++i) opt.step(x, D.cwiseAbs2().cwiseProduct(x - target));
  return (x - target).norm();
}
}  // namespace

TEST_CASE("Adam and RMSprop minimise an ill-conditioned quadratic") {
  OptimizerConfig adam;
  adam.lr = 0.05;
  CHECK(minimise(adam, 3000) < 1e-3);
  OptimizerConfig rms;
  rms.kind = OptimizerConfig::Kind::RmsProp;
  rms.lr = 0.01;
  CHECK(minimise(rms, 3000) < 2e-2);
}

TEST_CASE("Gradient clipping rescales large gradients to the clip norm and reports the norm before it") {
  OptimizerConfig c;
  c.clip = 1.0;
  c.weight_decay = 0.3;
  OptimizerConfig plain = c;
  plain.clip = 0.0;
  Optimizer clipped(c), manual(plain);
  Vec x = Vec::Constant(2, 1.0), y = x;
  const Vec gs[] = {(Vec(2) << 300.0, 400.0).finished(), (Vec(2) << -0.3, 0.4).finished(), (Vec(2) << 5.0, -12.0).finished()};
  for (const Vec& g : gs) {
    const double n = clipped.step(x, g);
    CHECK(n == Approx(g.norm()));
    manual.step(y, g.norm() > 1.0 ? Vec(g / g.norm()) : g);
    CHECK((x - y).norm() < 1e-15);
  }
}

TEST_CASE("Weight decay pulls parameters towards zero when the gradient vanishes") {
  OptimizerConfig c;
  c.weight_decay = 0.1;
  c.lr = 0.01;
  Optimizer opt(c);
  Vec x = Vec::Constant(2, 1.0);
  for (int i = 0; i < 100; ++i) opt.step(x, Vec::Zero(2));
  CHECK(x.norm() < std::sqrt(2.0) - 0.5);
}

TEST_CASE("The learning-rate schedule holds lr, then halves it every half-life down to its floor") {
  OptimizerConfig c;
  c.lr = 0.01;
  c.decay_after = 100;
  c.half_life = 50;
  c.lr_floor = 0.2;
  CHECK(learning_rate(c, 1) == 0.01);
  CHECK(learning_rate(c, 101) == 0.01);
  CHECK(learning_rate(c, 151) == Approx(0.005).epsilon(1e-12));
  CHECK(learning_rate(c, 201) == Approx(0.0025).epsilon(1e-12));
  CHECK(learning_rate(c, 100000) == Approx(0.002).epsilon(1e-12));  // the floor
  c.half_life = 0;
  CHECK(learning_rate(c, 100000) == 0.01);  // constant
  // The optimiser takes the scheduled step: plain gradient descent's sign steps under Adam scale with it.
  c.half_life = 1;
  c.decay_after = 1;
  c.lr_floor = 0.0;
  c.beta1 = 0.0;
  c.beta2 = 0.0;
  Optimizer opt(c);
  Vec x = Vec::Zero(1);
  const Vec g = Vec::Constant(1, 3.0);
  opt.step(x, g);  // step 1: lr
  CHECK(x[0] == Approx(-0.01));
  opt.step(x, g);  // step 2: still lr (the decay starts after step decay_after = 1)
  CHECK(x[0] == Approx(-0.02));
  opt.step(x, g);  // step 3: lr / 2
  CHECK(x[0] == Approx(-0.025));
}
