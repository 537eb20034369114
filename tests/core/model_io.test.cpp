#include "nde/model_io.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <nlohmann/json.hpp>

#include "nde/config_json.hpp"
#include "nde/densities.hpp"
#include "nde/density.hpp"
#include "nde/systems.hpp"

using namespace nde;
using nlohmann::json;

namespace {

/// Two short toggle trajectories: data for the small trainers of the format-version tests.
std::vector<Trajectory> short_toggle_data() {
  SampleOptions o;
  o.trajectories = 2;
  o.points = 12;
  return sample_system(*find_system("toggle"), o);
}

/// A trainer with one hidden layer of 6 on short_toggle_data(), after `steps` training steps.
Trainer small_trained(TrainerConfig c, int steps) {
  c.mlp.hidden = {6};
  Trainer t(c);
  for (const auto& tr : short_toggle_data()) REQUIRE(t.add_trajectory(tr).ok());
  for (int i = 0; i < steps; ++i) REQUIRE(t.step().status == Status::Success);
  return t;
}

}  // namespace

TEST_CASE("Config JSON: defaults fill in - round trip is exact - bad fields are named") {
  const auto d = config_from_json("{}");
  REQUIRE(d.ok());
  CHECK(config_to_json(*d.value) == config_to_json(TrainerConfig{}));
  const auto c = config_from_json(R"({"dim":3,"hidden":[8,4],"activation":"silu","timeDependent":true,"augment":1,
      "seed":12,"solver":{"method":"rk4","stepSize":0.05},"gradient":"checkpointed",
      "optimizer":{"name":"rmsprop","lr":0.002,"clip":5},"batch":{"size":4,"window":6},"loss":"l1",
      "regularization":{"kinetic":0.01,"jacobian":0.02}})");
  REQUIRE(c.ok());
  const TrainerConfig& k = *c.value;
  CHECK(k.mlp.dim == 3);
  CHECK(k.mlp.hidden == std::vector<int>{8, 4});
  CHECK(k.mlp.activation == Activation::Silu);
  CHECK(k.gradient == GradientMethod::Checkpointed);
  CHECK(k.optimizer.kind == OptimizerConfig::Kind::RmsProp);
  CHECK(k.loss == LossKind::L1);
  CHECK(k.jacobian == 0.02);
  const auto again = config_from_json(config_to_json(k));
  REQUIRE(again.ok());
  CHECK(config_to_json(*again.value) == config_to_json(k));

  struct Bad { const char* doc; const char* says; };
  for (const Bad& b : {Bad{"{", "not valid JSON"}, Bad{"[]", "object"}, Bad{R"({"solver":{"method":"rk45"}})", "rk45"},
                       Bad{R"({"dim":"two"})", "dim must be a whole number"}, Bad{R"({"hidden":[8.5]})", "hidden width must be a whole number"},
                       Bad{R"({"optimizer":{"lr":-1}})", "optimizer.lr"}, Bad{R"({"batch":{"window":1}})", "batch.window"},
                       Bad{R"({"colour":"red"})", "unknown config field 'colour'"}, Bad{R"({"activation":"relu"})", "relu"},
                       Bad{R"({"seed":-3})", "seed"}, Bad{R"({"gradient":"magic"})", "magic"}}) {
    const auto r = config_from_json(b.doc);
    INFO(b.doc << " -> " << r.message);
    CHECK_FALSE(r.ok());
    CHECK(r.message.find(b.says) != std::string::npos);
  }
}

TEST_CASE("Model JSON round trip restores config - parameters - normalisation and behaviour") {
  TrainerConfig c;
  c.mlp.hidden = {12};
  c.mlp.augment = 1;
  Trainer t(c);
  SampleOptions o;
  o.trajectories = 3;
  o.points = 12;
  for (const auto& tr : sample_system(*find_system("van-der-pol"), o)) REQUIRE(t.add_trajectory(tr).ok());
  for (int i = 0; i < 5; ++i) REQUIRE(t.step().ok());
  const std::string doc = model_to_json(t);
  const auto back = model_from_json(doc);
  REQUIRE(back.ok());
  const Trainer& u = **back.value;
  CHECK(u.mlp().params() == t.mlp().params());
  CHECK(u.normalization().offset == t.normalization().offset);
  CHECK(u.normalization().scale == t.normalization().scale);
  CHECK(u.normalization().time == t.normalization().time);
  CHECK(t.normalization().time != 1.0);
  CHECK(u.iteration() == 5);
  const Mat pts = Mat::Random(2, 7);
  CHECK(u.field(pts, 0.0) == t.field(pts, 0.0));
  CHECK(model_to_json(u) == doc);
  // A loaded model keeps its saved time scale: data added after loading do not refit it.
  Trainer v = u;
  REQUIRE(v.add_trajectory({{0.0, 0.01, 0.02}, Mat::Random(2, 3)}).ok());
  CHECK(v.normalization().time == t.normalization().time);
}

TEST_CASE("Version-2 documents (no time scale, no initOutput) still load and keep their physical-time field") {
  // A document as the previous format wrote it: normalisation without a time scale, config without initOutput.
  json j = json::parse(R"({"format": "neural-ode-model", "version": 2,
    "config": {"dim": 2, "hidden": [3], "activation": "tanh", "normalize": true, "seed": 0},
    "parameters": [0.5, -0.2, 0.1, 0.3, -0.4, 0.25, 0.01, -0.02, 0.03,
                   1.0, -0.5, 0.2, 0.7, -0.3, 0.4, 0.05, -0.06],
    "normalization": {"offset": [1.0, -2.0], "scale": [2.0, 0.5]}, "iteration": 7,
    "optimizer": {"step": 0, "m": [], "v": []},
    "rng": null})");
  j["rng"] = std::string(63, '0') + "1";  // the sampler's stream: 64 hex digits
  const auto r = model_from_json(j.dump());
  REQUIRE(r.ok());
  const Trainer& t = **r.value;
  CHECK(t.normalization().time == 1.0);
  CHECK(t.iteration() == 7);
  // f(z) = scale ⊙ (W2 tanh(W1 (z − offset)/scale + b1) + b2), exactly the previous format's field.
  const Vec p = t.mlp().params();
  const Eigen::Map<const Mat> W1(p.data(), 3, 2), W2(p.data() + 9, 2, 3);
  const Vec b1 = p.segment(6, 3), b2 = p.segment(15, 2);
  const Vec z = (Vec(2) << 0.3, -1.7).finished();
  const Vec zn = (z - Vec((Vec(2) << 1.0, -2.0).finished())).cwiseQuotient((Vec(2) << 2.0, 0.5).finished());
  const Vec expect = (W2 * (W1 * zn + b1).array().tanh().matrix() + b2).cwiseProduct((Vec(2) << 2.0, 0.5).finished());
  CHECK((t.field(Mat(z), 0.0).col(0) - expect).norm() < 1e-12);
  // Saved again, it is a current document with time 1.
  const json back = json::parse(model_to_json(t));
  CHECK(back["version"] == kModelVersion);
  CHECK(back["normalization"]["time"] == 1.0);
  // A current-version document must carry its time scale, in range.
  json k = back;
  k["normalization"].erase("time");
  CHECK(model_from_json(k.dump()).message.find("normalization.time") != std::string::npos);
  k["normalization"]["time"] = 0.0;
  CHECK(model_from_json(k.dump()).message.find("normalization.time") != std::string::npos);
}

TEST_CASE("Version-3 documents (no average) load answering with their θ — current ones keep θ and its average apart") {
  const Trainer t = small_trained(TrainerConfig{}, 5);
  REQUIRE(t.mlp().params() != t.training_parameters());
  const json doc = json::parse(model_to_json(t));
  CHECK(doc["average"]["steps"] == 5);
  const auto same = model_from_json(doc.dump());
  REQUIRE(same.ok());
  CHECK((*same.value)->mlp().params() == t.mlp().params());
  CHECK((*same.value)->training_parameters() == t.training_parameters());
  // The previous format saved θ only, and its model answered with θ: loaded, it still does.
  json old = doc;
  old["version"] = 3;
  old.erase("average");
  const auto r = model_from_json(old.dump());
  REQUIRE(r.ok());
  CHECK((*r.value)->mlp().params() == t.training_parameters());
  CHECK((*r.value)->training_parameters() == t.training_parameters());
}

TEST_CASE("Version-4 documents (no learning-rate schedule) keep training at their constant lr — current ones keep the schedule") {
  TrainerConfig c;
  c.optimizer.decay_after = 3;
  c.optimizer.half_life = 2;
  const Trainer t = small_trained(c, 5);
  const json doc = json::parse(model_to_json(t));
  CHECK(doc["version"] == kModelVersion);
  const auto same = model_from_json(doc.dump());
  REQUIRE(same.ok());
  CHECK((*same.value)->config().optimizer.decay_after == 3);
  CHECK((*same.value)->config().optimizer.half_life == 2);
  // The same state resumed from a version-4 document (written before the schedule existed): constant lr.
  json old = doc;
  old["version"] = 4;
  for (const char* key : {"decayAfter", "halfLife", "lrFloor"}) old["config"]["optimizer"].erase(key);
  const auto r = model_from_json(old.dump());
  REQUIRE(r.ok());
  Trainer& u = **r.value;
  CHECK(u.config().optimizer.half_life == 0);
  CHECK(u.training_parameters() == t.training_parameters());
  // Ten more steps: the schedule halves the scheduled run's steps, the old document's stay at lr.
  Trainer scheduled = **same.value;
  TrainerConfig flat = t.config();
  flat.optimizer.half_life = 0;
  Trainer constant(flat);
  for (const auto& tr : short_toggle_data()) {  // documents carry no data
    REQUIRE(constant.add_trajectory(tr).ok());
    REQUIRE(u.add_trajectory(tr).ok());
    REQUIRE(scheduled.add_trajectory(tr).ok());
  }
  REQUIRE(constant.restore(t.state()).ok());
  for (int i = 0; i < 10; ++i) {
    REQUIRE(u.step().status == Status::Success);
    REQUIRE(scheduled.step().status == Status::Success);
    REQUIRE(constant.step().status == Status::Success);
  }
  CHECK(u.training_parameters() == constant.training_parameters());
  CHECK(scheduled.training_parameters() != constant.training_parameters());
  // Out-of-range schedule settings are named.
  json bad = doc;
  bad["config"]["optimizer"]["lrFloor"] = 2.0;
  CHECK(model_from_json(bad.dump()).message.find("optimizer.lrFloor") != std::string::npos);
  bad["config"]["optimizer"]["lrFloor"] = 0.2;
  bad["config"]["optimizer"]["halfLife"] = -1;
  CHECK(model_from_json(bad.dump()).message.find("optimizer.halfLife") != std::string::npos);
}

TEST_CASE("Malformed or mismatched model documents say what is wrong") {
  Trainer t(TrainerConfig{});
  const json good = json::parse(model_to_json(t));
  auto with = [&](const std::function<void(json&)>& edit) {
    json j = good;
    edit(j);
    return model_from_json(j.dump());
  };
  struct Bad { std::function<void(json&)> edit; const char* says; };
  const Bad cases[] = {
      {[](json& j) { j["format"] = "something-else"; }, "not a model document"},
      {[](json& j) { j["version"] = 99; }, "version 99"},
      {[](json& j) { j.erase("config"); }, "no config"},
      {[](json& j) { j["config"]["solver"]["method"] = "rk45"; }, "model config: unknown solver"},
      {[](json& j) { j["parameters"].erase(0); }, "'parameters' has"},
      {[](json& j) { j["parameters"][3] = "x"; }, "entry 3 must be a number in"},
      {[](json& j) { j["normalization"]["scale"][0] = -1.0; }, "'scale' entry 0 must be a number in"},
      {[](json& j) { j["normalization"].erase("offset"); }, "offset"},
      {[](json& j) { j["config"]["hidden"] = json::array({7}); }, "'parameters' has"},
      {[](json& j) { j.erase("average"); }, "'average'"},
      {[](json& j) { j["average"].erase("steps"); }, "average needs 'steps'"},
      {[](json& j) { j["average"]["steps"] = -1; }, "average.steps"},
      {[](json& j) { j["average"]["parameters"].erase(0); }, "'parameters' has"},
      {[](json& j) { j["config"]["optimizer"]["average"] = 1.0; }, "optimizer.average"},
  };
  for (const Bad& b : cases) {
    const auto r = with(b.edit);
    INFO(r.message);
    CHECK_FALSE(r.ok());
    CHECK(r.message.find(b.says) != std::string::npos);
  }
  CHECK(model_from_json("not json").message.find("not valid JSON") != std::string::npos);
}

TEST_CASE("Density config JSON: density defaults, tEnd and trace, errors named") {
  const auto d = density_config_from_json("{}");
  REQUIRE(d.ok());
  CHECK(d.value->base.mlp.time_dependent);
  // Every default where the document is silent is DensityConfig's (the page sends no batch size: it gets this one).
  const DensityConfig defaults;
  CHECK(d.value->base.batch_size == defaults.base.batch_size);
  CHECK(d.value->base.solver.rtol == defaults.base.solver.rtol);
  CHECK(d.value->base.solver.atol == defaults.base.solver.atol);
  CHECK(d.value->base.mlp.init_output == defaults.base.mlp.init_output);
  CHECK(d.value->base.optimizer.half_life == 0);  // density flows: constant lr
  CHECK(d.value->t_end == 1.0);
  const auto h = density_config_from_json(R"({"trace":"hutchinson","tEnd":2,"batch":{"size":64},"timeDependent":false})");
  REQUIRE(h.ok());
  CHECK(h.value->trace == TraceMode::Hutchinson);
  CHECK(h.value->base.batch_size == 64);
  CHECK_FALSE(h.value->base.mlp.time_dependent);
  const auto again = density_config_from_json(density_config_to_json(*h.value));
  REQUIRE(again.ok());
  CHECK(density_config_to_json(*again.value) == density_config_to_json(*h.value));
  CHECK(density_config_from_json(R"({"trace":"magic"})").message.find("magic") != std::string::npos);
  CHECK(density_config_from_json(R"({"tEnd":-1})").message.find("tEnd") != std::string::npos);
  CHECK(density_config_from_json(R"({"augment":1})").message.find("augment") != std::string::npos);
  CHECK(d.value->data_scale == defaults.data_scale);
  CHECK(density_config_from_json(R"({"dataScale":1})").value->data_scale == 1.0);
  CHECK(density_config_from_json(R"({"dataScale":0})").message.find("dataScale") != std::string::npos);
}

TEST_CASE("A density document without dataScale (written before it) keeps the normalisation to standard deviation 1") {
  DensityConfig c;
  c.base.mlp.hidden = {6};
  DensityTrainer t(c);
  json j = json::parse(density_to_json(t));  // no samples yet: a fresh flow, refitted when samples come
  REQUIRE(j["config"]["dataScale"] == c.data_scale);
  j["config"].erase("dataScale");
  const auto old = density_from_json(j.dump());
  REQUIRE(old.ok());
  CHECK((*old.value)->config().data_scale == 1.0);
  const Mat x = sample_density("rings", 200, 3);
  REQUIRE((*old.value)->add_samples(x).ok());
  REQUIRE(t.add_samples(x).ok());
  const double sd = std::sqrt((x.row(0).array() - x.row(0).mean()).square().mean());
  CHECK((*old.value)->normalization().scale[0] == Approx(sd));
  CHECK(t.normalization().scale[0] == Approx(sd / c.data_scale));
}

TEST_CASE("Density flow JSON round trip — mismatched documents refused") {
  DensityConfig c;
  c.base.mlp.hidden = {6};
  c.trace = TraceMode::Hutchinson;
  DensityTrainer t(c);
  REQUIRE(t.add_samples(Mat::Random(2, 20)).ok());
  const std::string doc = density_to_json(t);
  const auto back = density_from_json(doc);
  REQUIRE(back.ok());
  CHECK((*back.value)->mlp().params() == t.mlp().params());
  CHECK((*back.value)->normalization().scale == t.normalization().scale);
  CHECK((*back.value)->config().trace == TraceMode::Hutchinson);
  CHECK(density_to_json(**back.value) == doc);
  json j = json::parse(doc);
  j["parameters"].erase(0);
  CHECK(density_from_json(j.dump()).message.find("'parameters' has") != std::string::npos);
  CHECK(density_from_json(model_to_json(Trainer(TrainerConfig{}))).message.find("not a density document") != std::string::npos);
}

namespace {

/// Packed bytes from a header (JSON text) and values, the way model_to_packed lays them out (for documents the current
/// writer does not produce: old versions, damaged ones).
std::vector<std::uint8_t> packed_bytes(const std::string& header, const std::vector<double>& values) {
  const std::size_t pad = (header.size() + 7) / 8 * 8;
  std::vector<std::uint8_t> out(kPackedPrefix + pad + 8 * values.size(), 0);
  std::memcpy(out.data(), kPackedTag, 8);
  for (int k = 0; k < 8; ++k) {
    out[8 + k] = static_cast<std::uint8_t>(static_cast<std::uint64_t>(header.size()) >> (8 * k));
    out[16 + k] = static_cast<std::uint8_t>(static_cast<std::uint64_t>(values.size()) >> (8 * k));
  }
  std::memcpy(out.data() + kPackedPrefix, header.data(), header.size());
  if (!values.empty()) std::memcpy(out.data() + kPackedPrefix + pad, values.data(), 8 * values.size());
  return out;
}

/// A JSON document's long arrays moved into packed values.
std::vector<std::uint8_t> pack_json(json j) {
  std::vector<double> values;
  const auto move = [&](json& parent, const char* key) {
    if (!parent.contains(key) || !parent[key].is_array()) return;
    const std::size_t offset = values.size();
    for (const json& x : parent[key]) values.push_back(x.get<double>());
    parent[key] = {{"packed", {offset, values.size() - offset}}};
  };
  move(j, "parameters");
  if (j.contains("average")) move(j["average"], "parameters");
  if (j.contains("optimizer")) {
    move(j["optimizer"], "m");
    move(j["optimizer"], "v");
  }
  return packed_bytes(j.dump(), values);
}

}  // namespace

TEST_CASE("Packed model documents round trip bit for bit and train on as the original") {
  TrainerConfig c;
  c.optimizer.decay_after = 3;
  c.optimizer.half_life = 2;
  const Trainer t = small_trained(c, 6);
  REQUIRE(t.mlp().params() != t.training_parameters());
  const std::vector<std::uint8_t> bytes = model_to_packed(t);
  const std::size_t p = static_cast<std::size_t>(t.mlp().num_params());
  // Four parameter-sized arrays as values, the rest a small header.
  CHECK(bytes.size() >= 4 * 8 * p);
  CHECK(bytes.size() < 4 * 8 * p + 4096);
  CHECK(std::memcmp(bytes.data(), "NDEPACK1", 8) == 0);
  const auto back = model_from_packed(bytes.data(), bytes.size());
  REQUIRE(back.ok());
  Trainer& u = **back.value;
  CHECK(u.mlp().params() == t.mlp().params());
  CHECK(u.training_parameters() == t.training_parameters());
  CHECK(u.iteration() == t.iteration());
  CHECK(model_to_packed(u) == bytes);
  CHECK(model_to_json(u) == model_to_json(t));
  // The JSON document and the packed one load the same trainer.
  const auto from_json = model_from_json(model_to_json(t));
  REQUIRE(from_json.ok());
  CHECK(model_to_packed(**from_json.value) == bytes);
  // Training on from both continues identically (optimiser moments, sampler stream and schedule came along).
  Trainer a = t, b = u;
  for (const auto& tr : short_toggle_data()) REQUIRE(b.add_trajectory(tr).ok());
  for (int i = 0; i < 4; ++i) {
    REQUIRE(a.step().status == Status::Success);
    REQUIRE(b.step().status == Status::Success);
  }
  CHECK(a.training_parameters() == b.training_parameters());
  CHECK(a.mlp().params() == b.mlp().params());
}

TEST_CASE("Packed documents of every version load like their JSON") {
  const Trainer t = small_trained(TrainerConfig{}, 5);
  const json doc = json::parse(model_to_json(t));
  // Version 5 with its arrays packed, and with them left as JSON arrays inside the header.
  auto same = model_from_packed(pack_json(doc).data(), pack_json(doc).size());
  REQUIRE(same.ok());
  CHECK(model_to_json(**same.value) == doc.dump());
  const std::vector<std::uint8_t> plain = packed_bytes(doc.dump(), {});
  same = model_from_packed(plain.data(), plain.size());
  REQUIRE(same.ok());
  CHECK(model_to_json(**same.value) == doc.dump());
  // Versions 1 to 5, as the JSON tests write them: packed, the loader gives the same trainer and notice.
  json v5 = doc;
  v5["version"] = 5;
  v5.erase("shooting");
  v5["config"]["batch"].erase("shooting");
  v5["config"]["batch"].erase("continuity");
  json v4 = v5;
  v4["version"] = 4;
  for (const char* key : {"decayAfter", "halfLife", "lrFloor"}) v4["config"]["optimizer"].erase(key);
  json v3 = doc;
  v3["version"] = 3;
  v3.erase("average");
  json v2 = v3;
  v2["version"] = 2;
  v2["normalization"].erase("time");
  json v1 = v2;
  v1["version"] = 1;
  v1.erase("optimizer");
  v1.erase("rng");
  for (const json& old : {v5, v4, v3, v2, v1}) {
    INFO("version " << old["version"]);
    std::string n1, n2;
    const auto a = model_from_json(old.dump(), &n1);
    const std::vector<std::uint8_t> bytes = pack_json(old);
    const auto b = model_from_packed(bytes.data(), bytes.size(), &n2);
    REQUIRE(a.ok());
    REQUIRE(b.ok());
    CHECK(model_to_json(**a.value) == model_to_json(**b.value));
    CHECK(n1 == n2);
  }
}

TEST_CASE("Damaged or truncated packed documents say what is wrong and create nothing") {
  const Trainer t = small_trained(TrainerConfig{}, 3);
  const std::vector<std::uint8_t> good = model_to_packed(t);
  const auto load = [](const std::vector<std::uint8_t>& b) { return model_from_packed(b.data(), b.size()); };
  auto cut = [&](std::size_t n) { return std::vector<std::uint8_t>(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(n)); };
  struct Bad { std::vector<std::uint8_t> bytes; const char* says; };
  std::vector<std::uint8_t> tag = good, longer = good, header = good, nan = good, huge = good;
  tag[0] = 'X';
  longer.push_back(0);
  header[kPackedPrefix] = '[';  // the header's opening brace
  // A NaN where θ's first value lies (the values follow the padded header; θ comes first).
  const std::size_t hlen = good[8] | (good[9] << 8) | (good[10] << 16);
  const double bad = NAN;
  std::memcpy(nan.data() + kPackedPrefix + (hlen + 7) / 8 * 8, &bad, 8);
  huge[23] = 0x7f;  // a value count of ~2^62
  const Bad cases[] = {
      {cut(good.size() - 1), "truncated"},
      {cut(good.size() - 8), "truncated"},
      {cut(kPackedPrefix + 3), "truncated"},
      {cut(12), "truncated: 12 bytes"},
      {{}, "not a packed model document"},
      {tag, "not a packed model document"},
      {longer, "damaged"},
      {header, "model document"},
      {nan, "'parameters' entry 0 must be a number"},
      {huge, "truncated"},
      {packed_bytes(R"({"format":"neural-ode-density","version":5,"config":{}})", {}), "not a model document"},
  };
  for (const Bad& b : cases) {
    const auto r = load(b.bytes);
    INFO(r.message);
    CHECK_FALSE(r.ok());
    CHECK_FALSE(r.value);
    CHECK(r.message.find(b.says) != std::string::npos);
  }
  // Ranges: outside the values, of the wrong length, or given in a JSON document.
  json j = json::parse(model_to_json(t));
  const std::size_t p = j["parameters"].size();
  json k = j;
  k["parameters"] = {{"packed", {1, p}}};
  std::vector<double> values(p, 0.1);
  CHECK(model_from_packed(packed_bytes(k.dump(), values).data(), packed_bytes(k.dump(), values).size()).message.find("outside the packed values") !=
        std::string::npos);
  k["parameters"] = {{"packed", {0, p - 1}}};
  CHECK(model_from_packed(packed_bytes(k.dump(), values).data(), packed_bytes(k.dump(), values).size()).message.find("'parameters' has") !=
        std::string::npos);
  k["parameters"] = {{"packed", {0, -1}}};
  CHECK(model_from_packed(packed_bytes(k.dump(), values).data(), packed_bytes(k.dump(), values).size()).message.find("[offset, length]") !=
        std::string::npos);
  k["parameters"] = {{"packed", {0, p}}};
  CHECK(model_from_packed(packed_bytes(k.dump(), values).data(), packed_bytes(k.dump(), values).size()).ok());
  CHECK(model_from_json(k.dump()).message.find("refers to packed values") != std::string::npos);
}

TEST_CASE("Packed density documents round trip bit for bit") {
  DensityConfig c;
  c.base.mlp.hidden = {6};
  DensityTrainer t(c);
  REQUIRE(t.add_samples(Mat::Random(2, 20)).ok());
  for (int i = 0; i < 3; ++i) REQUIRE(t.step().ok());
  const std::vector<std::uint8_t> bytes = density_to_packed(t);
  const auto back = density_from_packed(bytes.data(), bytes.size());
  REQUIRE(back.ok());
  CHECK((*back.value)->mlp().params() == t.mlp().params());
  CHECK(density_to_packed(**back.value) == bytes);
  CHECK(density_to_json(**back.value) == density_to_json(t));
  CHECK(model_from_packed(bytes.data(), bytes.size()).message.find("not a model document") != std::string::npos);
}

TEST_CASE("Optimiser moments past 2^53 (unnormalised, fast-growing data) are written and read back") {
  // Data within the limits (|x| ≤ 1e12) whose gradients square past 2^53 within two iterations: what training wrote,
  // a document must load again (it was refused once: saved work that could not be reloaded).
  Trajectory tr;
  std::vector<double> t, x;
  for (int i = 0; i < 50; ++i) {
    const double s = i * 0.05;
    t.push_back(s);
    x.push_back(std::min(1e12, std::exp(25 * s)));
    x.push_back(std::min(1e12, std::exp(27 * s)));
  }
  tr.times = t;
  tr.states = Eigen::Map<const Mat>(x.data(), 2, 50);
  TrainerConfig c;
  c.mlp.hidden = {16};
  c.normalize = false;
  c.optimizer.lr = 0.1;
  Trainer trainer(c);
  REQUIRE(trainer.add_trajectory(tr).ok());
  for (int i = 0; i < 2; ++i) REQUIRE(trainer.step().status == Status::Success);
  const TrainingState s = trainer.state();
  REQUIRE(s.optimizer.v.size() > 0);
  CHECK(s.optimizer.v.maxCoeff() > 9007199254740992.0);
  const auto from_json = model_from_json(model_to_json(trainer));
  INFO(from_json.message);
  REQUIRE(from_json.ok());
  CHECK((**from_json.value).state().optimizer.v == s.optimizer.v);
  const std::vector<std::uint8_t> bytes = model_to_packed(trainer);
  const auto from_packed = model_from_packed(bytes.data(), bytes.size());
  INFO(from_packed.message);
  REQUIRE(from_packed.ok());
  CHECK((**from_packed.value).state().optimizer.m == s.optimizer.m);
}
