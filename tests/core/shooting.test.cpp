// Multiple shooting (TrainerConfig::shooting): the free segment start states' gradient, their lifetime (kept by a
// trajectory's content, dropped with the model) and their place in model documents.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "nde/model_io.hpp"
#include "nde/systems.hpp"

using namespace nde;
using nlohmann::json;

namespace {

/// Two toggle trajectories of 12 points: whole windows of 12 cut into segments of 4 (observations 0–3, 3–6, 6–9, 9–11).
std::vector<Trajectory> data() {
  SampleOptions o;
  o.trajectories = 2;
  o.points = 12;
  return sample_system(*find_system("toggle"), o);
}

TrainerConfig shooting_config() {
  TrainerConfig c;
  c.mlp.hidden = {6};
  c.window = 12;
  c.shooting = 4;
  c.continuity = 2.0;
  return c;
}

Trainer trainer(const TrainerConfig& c) {
  Trainer t(c);
  for (const Trajectory& tr : data()) REQUIRE(t.add_trajectory(tr).ok());
  return t;
}

}  // namespace

TEST_CASE("Multiple shooting: the gradient w.r.t. the free states and θ agrees with central differences") {
  TrainerConfig c = shooting_config();
  c.solver.rtol = c.solver.atol = 1e-11;
  c.solver.max_steps = 1000000;
  for (const GradientMethod method : {GradientMethod::Checkpointed, GradientMethod::Direct, GradientMethod::Adjoint}) {
    c.gradient = method;
    Trainer t = trainer(c);
    const std::vector<Window> windows{{0, 0, 12}, {1, 0, 12}, {1, 0, 12}};  // trajectory 1 drawn twice
    // Free states off the observations, so the continuity and misfit terms are not at their minimum.
    Rng r(7);
    for (std::size_t i = 0; i < 2; ++i) {
      std::vector<Vec> free;
      (void)t.shooting_gradient(windows, free);  // initialises the states at the observations
      REQUIRE(t.shooting_state(i));
      Vec s = t.shooting_state(i)->states;
      for (Index k = 0; k < s.size(); ++k) s[k] += 0.1 * r.normal();
      REQUIRE(t.set_shooting_states(i, s).ok());
    }
    std::vector<Vec> free;
    const GradientResult g = t.shooting_gradient(windows, free);
    REQUIRE(g.ok());
    REQUIRE(free.size() == 2);
    const double h = 1e-5;
    auto loss_at = [&](std::size_t i, Index k, double dx) {
      Vec s = t.shooting_state(i)->states;
      const Vec kept = s;
      s[k] += dx;
      REQUIRE(t.set_shooting_states(i, s).ok());
      std::vector<Vec> unused;
      const double l = t.shooting_gradient(windows, unused).loss;
      REQUIRE(t.set_shooting_states(i, kept).ok());
      return l;
    };
    const Index d = 2;
    for (std::size_t i = 0; i < 2; ++i)
      for (const Index obs : {0, 3, 6, 9, 11}) {
        for (Index j = 0; j < d; ++j) {
          const Index k = obs * d + j;
          const double fd = (loss_at(i, k, h) - loss_at(i, k, -h)) / (2 * h);
          INFO(to_string(method) << ": trajectory " << i << ", observation " << obs << ", dimension " << j << ": "
                                 << free[i][k] << " vs central difference " << fd);
          if (obs == 0 || obs == 11) CHECK(free[i][k] == 0.0);  // not a segment start: unused
          else CHECK(std::abs(free[i][k] - fd) <= 1e-5 * std::max(1.0, std::abs(fd)) + 1e-8);
        }
      }
    // θ: the continuity targets depend on it through the previous segment's end.
    const Vec theta = t.mlp().params();
    for (const Index k : {Index{0}, Index{5}, theta.size() - 1}) {
      Vec p = theta;
      p[k] += h;
      REQUIRE(t.set_parameters(p).ok());
      std::vector<Vec> unused;
      const double up = t.shooting_gradient(windows, unused).loss;
      p[k] -= 2 * h;
      REQUIRE(t.set_parameters(p).ok());
      const double down = t.shooting_gradient(windows, unused).loss;
      REQUIRE(t.set_parameters(theta).ok());
      const double fd = (up - down) / (2 * h);
      INFO(to_string(method) << ": parameter " << k << ": " << g.grad_theta[k] << " vs central difference " << fd);
      CHECK(std::abs(g.grad_theta[k] - fd) <= 1e-4 * std::max(1.0, std::abs(fd)) + 1e-8);
    }
  }
}

TEST_CASE("Multiple shooting: free states start at the observations, where shooting is tiled windows") {
  TrainerConfig c = shooting_config();
  c.solver.rtol = c.solver.atol = 1e-10;
  c.solver.max_steps = 1000000;
  auto loss = [&](double continuity) {
    TrainerConfig k = c;
    k.continuity = continuity;
    Trainer t = trainer(k);
    std::vector<Vec> free;
    const GradientResult g = t.shooting_gradient({{0, 0, 12}}, free);
    REQUIRE(g.ok());
    REQUIRE(t.shooting_state(0));
    CHECK(t.shooting_state(0)->states.segment(6, 2) == (data()[0].states.col(3) - t.normalization().offset).cwiseQuotient(t.normalization().scale));
    return g.loss;
  };
  // At the observations the states' misfit is zero and the continuity penalty weighs the boundary observations'
  // misfit again: the loss is linear in the weight and, without it, that of windows 0–3, 3–6, 6–9, 9–11 solved apart.
  const double l1 = loss(1.0), l2 = loss(2.0), l0 = loss(1e-9);
  CHECK(l2 - l1 == Approx(l1 - l0).epsilon(1e-6));
  CHECK(l1 > l0);
  TrainerConfig single = c;
  single.shooting = 0;
  Trainer u = trainer(single);
  std::vector<Vec> none;
  double tiled = 0.0;
  for (const Window w : {Window{0, 0, 4}, Window{0, 3, 4}, Window{0, 6, 4}, Window{0, 9, 3}})
    tiled += u.shooting_gradient({w}, none).loss * static_cast<double>(w.length - 1);
  CHECK(l0 * 11 == Approx(tiled).epsilon(1e-6));
}

TEST_CASE("Multiple shooting: free states are kept by trajectory content, dropped by a reset") {
  Trainer t = trainer(shooting_config());
  for (int i = 0; i < 5; ++i) REQUIRE(t.step().status == Status::Success);
  REQUIRE(t.shooting_state(0));
  REQUIRE(t.shooting_state(1));
  const Vec s0 = t.shooting_state(0)->states, s1 = t.shooting_state(1)->states;
  // The page re-sends every stroke when one changes: unchanged trajectories get their states back, a changed one not.
  std::vector<Trajectory> d = data();
  d[1].states(0, 5) += 0.01;
  t.clear_trajectories();
  CHECK_FALSE(t.shooting_state(0));
  REQUIRE(t.add_trajectory(d[1]).ok());
  REQUIRE(t.add_trajectory(d[0]).ok());
  CHECK_FALSE(t.shooting_state(0));
  REQUIRE(t.shooting_state(1));
  CHECK(t.shooting_state(1)->states == s0);
  // Training on: the changed trajectory's states start at its observations.
  REQUIRE(t.step().status == Status::Success);
  REQUIRE(t.shooting_state(0));
  CHECK(t.shooting_state(0)->key == trajectory_key(d[1]));
  CHECK(t.shooting_state(0)->states != s1);
  t.reset(3);
  CHECK_FALSE(t.shooting_state(0));
  CHECK_FALSE(t.shooting_state(1));
}

TEST_CASE("Multiple shooting: documents keep the free states and their moments, and training resumes identically") {
  Trainer t = trainer(shooting_config());
  for (int i = 0; i < 6; ++i) REQUIRE(t.step().status == Status::Success);
  REQUIRE(t.shooting_state(0));
  const json doc = json::parse(model_to_json(t));
  CHECK(doc["version"] == kModelVersion);
  REQUIRE(doc["shooting"].size() == 2);
  CHECK(doc["config"]["batch"]["shooting"] == 4);
  for (const bool packed : {false, true}) {
    INFO((packed ? "packed" : "JSON"));
    const std::vector<std::uint8_t> bytes = model_to_packed(t);
    const auto back = packed ? model_from_packed(bytes.data(), bytes.size()) : model_from_json(doc.dump());
    REQUIRE(back.ok());
    Trainer& u = **back.value;
    CHECK(model_to_json(u) == doc.dump());  // kept until their trajectories are added
    CHECK_FALSE(u.shooting_state(0));
    for (const Trajectory& tr : data()) REQUIRE(u.add_trajectory(tr).ok());
    REQUIRE(u.shooting_state(0));
    CHECK(u.shooting_state(0)->states == t.shooting_state(0)->states);
    CHECK(model_to_packed(u) == bytes);
    Trainer a = t;
    for (int i = 0; i < 4; ++i) {
      REQUIRE(a.step().status == Status::Success);
      REQUIRE(u.step().status == Status::Success);
    }
    CHECK(a.training_parameters() == u.training_parameters());
    CHECK(a.shooting_state(1)->states == u.shooting_state(1)->states);
  }
  // Damaged entries are named; version-5 documents (before shooting) keep single shooting.
  json bad = doc;
  bad["shooting"][0]["points"] = 1;
  CHECK(model_from_json(bad.dump()).message.find("points") != std::string::npos);
  bad = doc;
  bad["shooting"][0]["key"] = "xyz";
  CHECK(model_from_json(bad.dump()).message.find("key") != std::string::npos);
  json old = doc;
  old["version"] = 5;
  old.erase("shooting");
  old["config"]["batch"].erase("shooting");
  old["config"]["batch"].erase("continuity");
  const auto v5 = model_from_json(old.dump());
  REQUIRE(v5.ok());
  CHECK((*v5.value)->config().shooting == 0);
}
