// Training resumes exactly: train N → save → load → train N equals train 2N, for both trainers.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "nde/densities.hpp"
#include "nde/model_io.hpp"
#include "nde/systems.hpp"

using namespace nde;

namespace {

std::vector<double> losses(Trainer& t, int n) {
  std::vector<double> out;
  for (int i = 0; i < n; ++i) {
    const StepReport r = t.step();
    REQUIRE(r.status == Status::Success);
    out.push_back(r.loss);
  }
  return out;
}

std::vector<double> losses(DensityTrainer& t, int n) {
  std::vector<double> out;
  for (int i = 0; i < n; ++i) {
    const StepReport r = t.step();
    REQUIRE(r.status == Status::Success);
    out.push_back(r.loss);
  }
  return out;
}

}  // namespace

TEST_CASE("Trainer: train 200, save, load, train 200 equals train 400 (adam and rmsprop)", "[resume]") {
  for (const char* opt : {"adam", "rmsprop"}) {
    TrainerConfig c;
    c.mlp.hidden = {8, 8};
    c.optimizer.kind = *optimizer_from_string(opt);
    SampleOptions o;
    o.trajectories = 3;
    o.points = 15;
    const auto data = sample_system(*find_system("toggle"), o);
    Trainer a(c), b(c);
    for (const auto& tr : data) {
      REQUIRE(a.add_trajectory(tr).empty());
      REQUIRE(b.add_trajectory(tr).empty());
    }
    const std::vector<double> whole = losses(a, 400);
    losses(b, 200);
    const auto back = model_from_json(model_to_json(b));
    REQUIRE(back.ok());
    Trainer& r = **back.value;
    for (const auto& tr : data) REQUIRE(r.add_trajectory(tr).empty());
    const std::vector<double> resumed = losses(r, 200);
    INFO(opt);
    for (int i = 0; i < 200; ++i) CHECK(resumed[static_cast<std::size_t>(i)] == Approx(whole[static_cast<std::size_t>(200 + i)]).epsilon(1e-12));
    CHECK(r.mlp().params() == a.mlp().params());
    CHECK(r.iteration() == 400);
  }
}

TEST_CASE("DensityTrainer: train 100, save, load, train 100 equals train 200 (Hutchinson probes included)", "[resume]") {
  DensityConfig c;
  c.base.mlp.hidden = {8};
  c.base.batch_size = 32;
  c.trace = TraceMode::Hutchinson;
  const Mat x = sample_density("two-moons", 200, 3);
  DensityTrainer a(c), b(c);
  REQUIRE(a.add_samples(x).empty());
  REQUIRE(b.add_samples(x).empty());
  const std::vector<double> whole = losses(a, 200);
  losses(b, 100);
  const auto back = density_from_json(density_to_json(b));
  REQUIRE(back.ok());
  DensityTrainer& r = **back.value;
  REQUIRE(r.add_samples(x).empty());
  const std::vector<double> resumed = losses(r, 100);
  for (int i = 0; i < 100; ++i) CHECK(resumed[static_cast<std::size_t>(i)] == Approx(whole[static_cast<std::size_t>(100 + i)]).epsilon(1e-12));
  CHECK(r.mlp().params() == a.mlp().params());
}

TEST_CASE("Version-1 documents still load; the optimiser restarts and the loader says so", "[resume]") {
  Trainer t(TrainerConfig{});
  nlohmann::json j = nlohmann::json::parse(model_to_json(t));
  j["version"] = 1;
  j.erase("optimizer");
  j.erase("rng");
  std::string notice;
  const auto r = model_from_json(j.dump(), &notice);
  REQUIRE(r.ok());
  CHECK(notice.find("optimiser restarts") != std::string::npos);
  CHECK((*r.value)->state().optimizer.step == 0);
  std::string none;
  REQUIRE(model_from_json(model_to_json(t), &none).ok());
  CHECK(none.empty());
  // A version-2 document must carry its optimiser state, consistent with the network.
  nlohmann::json k = nlohmann::json::parse(model_to_json(t));
  k["optimizer"] = {{"step", 3}, {"m", {1.0}}, {"v", {1.0}}};
  CHECK(model_from_json(k.dump()).error.find("'m' has 1 entries") != std::string::npos);
  k = nlohmann::json::parse(model_to_json(t));
  k["rng"] = std::string(64, '0');
  CHECK(model_from_json(k.dump()).error.find("rng") != std::string::npos);
}
