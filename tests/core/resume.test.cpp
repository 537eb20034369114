// Training resumes exactly: train N → save → load → train N equals train 2N, for both trainers.
#include <catch2/catch.hpp>
#include <memory>
#include <nlohmann/json.hpp>

#include "nde/densities.hpp"
#include "nde/model_io.hpp"
#include "nde/systems.hpp"

using namespace nde;

namespace {

/// The minibatch losses of n steps (each must succeed).
template <class T>
std::vector<double> losses(T& t, int n) {
  std::vector<double> out;
  for (int i = 0; i < n; ++i) {
    const StepReport r = t.step();
    REQUIRE(r.status == Status::Success);
    out.push_back(r.loss);
  }
  return out;
}

/// Trains one trainer 2n steps and another n, saves, loads and trains n more: the losses of the last n steps agree
/// to 1e-12 and so do the final parameters. `make` builds a trainer with its data; `reload` saves and loads one
/// (the document holds no data, so it gives the loaded trainer its data back).
template <class T, class Make, class Reload>
void check_resume(int n, const Make& make, const Reload& reload) {
  std::unique_ptr<T> a = make(), b = make();
  const std::vector<double> whole = losses(*a, 2 * n);
  losses(*b, n);
  std::shared_ptr<T> r = reload(*b);
  REQUIRE(r);
  const std::vector<double> resumed = losses(*r, n);
  for (int i = 0; i < n; ++i) {
    INFO("step " << n + i);
    CHECK(resumed[static_cast<std::size_t>(i)] == Approx(whole[static_cast<std::size_t>(n + i)]).epsilon(1e-12));
  }
  CHECK(r->mlp().params() == a->mlp().params());  // the averaged parameters
  CHECK(r->training_parameters() == a->training_parameters());
  CHECK(r->iteration() == 2 * n);
}

}  // namespace

TEST_CASE("Trainer: train 200, save, load, train 200 equals train 400 (adam and rmsprop)", "[resume]") {
  SampleOptions o;
  o.trajectories = 3;
  o.points = 15;
  const auto data = sample_system(*find_system("toggle"), o);
  for (const char* opt : {"adam", "rmsprop"}) {
    INFO(opt);
    TrainerConfig c;
    c.mlp.hidden = {8, 8};
    c.optimizer.kind = *optimizer_from_string(opt);
    const auto with_data = [&](Trainer& t) {
      for (const auto& tr : data) REQUIRE(t.add_trajectory(tr).ok());
    };
    check_resume<Trainer>(
        200,
        [&] {
          auto t = std::make_unique<Trainer>(c);
          with_data(*t);
          return t;
        },
        [&](const Trainer& t) {
          const auto back = model_from_json(model_to_json(t));
          REQUIRE(back.ok());
          with_data(**back.value);
          return *back.value;
        });
  }
}

TEST_CASE("DensityTrainer: train 200, save, load, train 200 equals train 400 (Hutchinson probes included)", "[resume]") {
  DensityConfig c;
  c.base.mlp.hidden = {8};
  c.base.batch_size = 32;
  c.trace = TraceMode::Hutchinson;
  const Mat x = sample_density("two-moons", 200, 3);
  check_resume<DensityTrainer>(
      200,
      [&] {
        auto t = std::make_unique<DensityTrainer>(c);
        REQUIRE(t->add_samples(x).ok());
        return t;
      },
      [&](const DensityTrainer& t) {
        const auto back = density_from_json(density_to_json(t));
        REQUIRE(back.ok());
        REQUIRE((*back.value)->add_samples(x).ok());
        return *back.value;
      });
}

TEST_CASE("Version-1 documents still load — the optimiser restarts and the loader says so", "[resume]") {
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
  CHECK(model_from_json(k.dump()).message.find("'m' has 1 entries") != std::string::npos);
  k = nlohmann::json::parse(model_to_json(t));
  k["rng"] = std::string(64, '0');
  CHECK(model_from_json(k.dump()).message.find("rng") != std::string::npos);
  // The stream must be 64 lowercase hex digits, and present.
  for (const std::string bad : {std::string(63, '1'), std::string(63, '1') + "A", std::string(63, '1') + "g"}) {
    k["rng"] = bad;
    CHECK(model_from_json(k.dump()).message == "model document: rng must be 64 lowercase hex digits");
  }
  k.erase("rng");
  CHECK(model_from_json(k.dump()).message == "model document: rng must be 64 lowercase hex digits");
  k["rng"] = 7;
  CHECK(model_from_json(k.dump()).message == "model document: rng must be a string");
}
