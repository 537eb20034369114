// The limits of nde/limits.hpp as the parsers apply them (run under UBSan in ./dev.sh test): no value is
// converted before it is known to fit, no document nests deeper than the limit, no message echoes input whole.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "nde/config_json.hpp"
#include "nde/json_util.hpp"
#include "nde/limits.hpp"
#include "nde/model_io.hpp"

using namespace nde;

TEST_CASE("Whole numbers out of their type's range are refused, not wrapped or cast with undefined behaviour", "[limits]") {
  for (const char* doc : {R"({"dim":1e12})", R"({"dim":4294967298})", R"({"dim":-1e300})", R"({"hidden":[4294967297]})",
                          R"({"hidden":[-4294967292]})", R"({"solver":{"maxSteps":1e15}})", R"({"batch":{"size":2.5}})",
                          R"({"seed":9007199254740994})", R"({"seed":-1})"}) {
    const auto r = config_from_json(doc);
    INFO(doc << " -> " << r.message);
    CHECK_FALSE(r.ok());
    CHECK(r.message.find("must be") != std::string::npos);
  }
  const std::string model = model_to_json(Trainer(TrainerConfig{}));
  for (const char* it : {"4294967301", "9007199254740992", "3000000000"}) {
    auto j = nlohmann::json::parse(model);
    j["iteration"] = nlohmann::json::parse(it);
    const auto r = model_from_json(j.dump());
    REQUIRE(r.ok());
    CHECK(static_cast<double>((*r.value)->iteration()) == std::stod(it));
  }
  // An int field's message names its own range, whatever int's is (and the field's place in the config).
  CHECK(config_from_json(R"({"solver":{"maxSteps":1e12}})").message == "solver.maxSteps must be an integer in [1, 10000000]");
  CHECK(config_from_json(R"({"solver":{"maxSteps":-1e12}})").message == "solver.maxSteps must be an integer in [1, 10000000]");
  CHECK(config_from_json(R"({"batch":{"size":2.5}})").message == "batch.size must be a whole number");
  CHECK(config_from_json(R"({"hidden":[1e12]})").message == "each hidden width must be an integer in [1, 1024]");
  CHECK(config_from_json(R"({"augment":1e12})").message == "augment must be an integer in [0, 16]");
  CHECK(config_from_json(R"({"solver":{"rtol":"x"}})").message == "solver.rtol must be a finite number");
  CHECK(config_from_json(R"({"seed":-1})").message == "seed must be a whole number in [0, 9007199254740992]");
  auto j = nlohmann::json::parse(model);
  j["version"] = 4294967297.0;
  CHECK(model_from_json(j.dump()).message.find("version 4294967297 is not supported") != std::string::npos);
}

TEST_CASE("Nesting beyond the limit is refused before parsing — deep input never reaches a recursive parser", "[limits]") {
  for (const int depth : {limits::kJsonDepth + 1, 5000, 100000}) {
    const std::string deep = std::string(static_cast<std::size_t>(depth), '[') + std::string(static_cast<std::size_t>(depth), ']');
    CHECK(parse_json(deep, "x").message.find("nests deeper than") != std::string::npos);
    const std::string doc = R"({"format":"neural-ode-density","version":1,"config":{"x":)" + deep + "}}";
    CHECK(density_from_json(doc).message.find("nests deeper than") != std::string::npos);
  }
  // Brackets inside strings do not count; a document at the limit parses.
  CHECK(parse_json(R"({"a":"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["})", "x").ok());
  const std::string at = std::string(limits::kJsonDepth, '[') + std::string(limits::kJsonDepth, ']');
  CHECK(parse_json(at, "x").ok());
}

TEST_CASE("Messages quote user strings briefly and print numbers readably", "[limits]") {
  const auto r = config_from_json(R"({"activation":")" + std::string(100000, 'x') + R"("})");
  REQUIRE_FALSE(r.ok());
  CHECK(r.message.size() < 200);
  CHECK(config_from_json(R"({"solver":{"rtol":2}})").message == "solver.rtol must be a number in [1e-14, 1]");
  CHECK(limits::format(0.5) == "0.5");
  CHECK(limits::format(4096) == "4096");
  CHECK(limits::format(1e-14) == "1e-14");
  CHECK(limits::format(0.1 + 0.2) == "0.30000000000000004");
  CHECK(limits::format(50) == "50");  // whole digits below a million, not "5e+01"
  CHECK(limits::format(-200) == "-200");
  CHECK(limits::format(60000) == "60000");
  CHECK(limits::format(1e6) == "1e+06");
  CHECK(limits::format(12.5) == "12.5");
}

TEST_CASE("Values beyond the valid range are refused: samples, trajectories, parameters, scalings", "[limits]") {
  DensityTrainer d(DensityConfig{});
  CHECK(d.add_samples(Mat::Constant(2, 1, 1e200)).message.find("magnitude at most 1e+12") != std::string::npos);
  CHECK(d.sample_count() == 0);
  Trainer t(TrainerConfig{});
  Vec p = t.mlp().params();
  p[0] = 1e300;
  CHECK(t.set_parameters(p).message.find("magnitude at most 1e+08") != std::string::npos);
  auto j = nlohmann::json::parse(model_to_json(t));
  j["normalization"]["scale"][0] = 1e-320;
  CHECK(model_from_json(j.dump()).message.find("'scale' entry 0 must be a number in [1e-09, 1e+12]") != std::string::npos);
  TrainerConfig wide;
  wide.mlp.hidden = {1024, 1024, 1024, 1024, 1024};
  CHECK(validate(wide).message.find("parameters; at most 4194304") != std::string::npos);
}

namespace {
double g_left = 0;
double fake_left() { return g_left; }
}  // namespace

TEST_CASE("Where memory has a cap, large calls are also checked against what is left of it", "[limits]") {
  // The wasm heap (2 GiB) is shared by every object: calls within their own 256 MiB could together exhaust it, and
  // a failed allocation there cannot be recovered from. Here a fake room stands in for the heap's.
  CHECK(limits::check_memory(100e6, "x").ok());  // no cap registered: the call budget alone
  limits::set_memory_left(&fake_left);
  g_left = 100.0 * 1048576;
  CHECK(limits::check_memory(16.0 * 1048576, "sixteen").ok());  // twice 16 MiB + the 64 MiB reserve fit 100 MiB
  const Result<> r = limits::check_memory(20.0 * 1048576, "the trajectories");
  CHECK(r.message == "the trajectories would need about 20 MiB, and only 100 MiB of the module's memory are left (the "
                     "trainers, models and data alive hold the rest): delete some first");
  g_left = 0;
  CHECK(limits::check_memory(1e6, "small").ok());  // below kLeftChecked: not asked (a training step checks every time)
  // A trainer refuses such data and keeps what it had.
  g_left = 80.0 * 1048576;  // the 14 MiB of data, twice, and the reserve: 92 MiB
  Trainer t(TrainerConfig{});
  Trajectory big;
  for (int i = 0; i < 600000; ++i) big.times.push_back(i * 1e-3);
  big.states = Mat::Zero(2, 600000);
  const Result<> added = t.add_trajectory(big);
  CHECK(added.message.find("of the module's memory are left") != std::string::npos);
  CHECK(t.trajectories().empty());
  limits::set_memory_left(nullptr);
  CHECK(t.add_trajectory(big).ok());
}
