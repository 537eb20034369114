#include "nde/model_io.hpp"

#include <nlohmann/json.hpp>

#include "nde/config_json.hpp"
#include "nde/json_util.hpp"

namespace nde {

using nlohmann::json;

namespace {

bool read_vector(const json& j, const char* key, Index size, Vec& out, std::string& err) {
  if (!j.contains(key) || !j[key].is_array()) {
    err = std::string("model document needs an array '") + key + "'";
    return false;
  }
  const json& a = j[key];
  if (static_cast<Index>(a.size()) != size) {
    err = std::string("'") + key + "' has " + std::to_string(a.size()) + " entries, the config needs " + std::to_string(size);
    return false;
  }
  out.resize(size);
  for (Index i = 0; i < size; ++i) {
    const json& v = a[static_cast<std::size_t>(i)];
    if (!v.is_number() || !std::isfinite(v.get<double>())) {
      err = std::string("'") + key + "' entry " + std::to_string(i) + " is not a finite number";
      return false;
    }
    out[i] = v.get<double>();
  }
  return true;
}

}  // namespace

std::string model_to_json(const Trainer& t) {
  json j;
  j["format"] = kModelFormat;
  j["version"] = kModelVersion;
  j["config"] = config_to_document(t.config());
  const Vec& p = t.mlp().params();
  j["parameters"] = std::vector<double>(p.data(), p.data() + p.size());
  const Normalization& n = t.normalization();
  j["normalization"] = {{"offset", std::vector<double>(n.offset.data(), n.offset.data() + n.offset.size())},
                        {"scale", std::vector<double>(n.scale.data(), n.scale.data() + n.scale.size())}};
  j["iteration"] = t.iteration();
  return j.dump();
}

Result<std::shared_ptr<Trainer>> model_from_json(const std::string& text) {
  using R = Result<std::shared_ptr<Trainer>>;
  const json j = json::parse(text, nullptr, false);
  if (j.is_discarded()) return R::failure("model document is not valid JSON");
  if (!j.is_object()) return R::failure("model document must be a JSON object");
  if (!j.contains("format") || j["format"] != kModelFormat)
    return R::failure(std::string("not a model document (expected format '") + kModelFormat + "')");
  if (!j.contains("version") || !j["version"].is_number_integer())
    return R::failure("model document has no version");
  if (j["version"].get<int>() != kModelVersion)
    return R::failure("model document version " + std::to_string(j["version"].get<int>()) + " is not supported (expected " +
                      std::to_string(kModelVersion) + ")");
  if (!j.contains("config")) return R::failure("model document has no config");
  Result<TrainerConfig> cfg = config_from_document(j["config"]);
  if (!cfg.ok()) return R::failure("model config: " + cfg.error);
  auto trainer = std::make_shared<Trainer>(*cfg.value);
  Vec theta;
  Normalization norm;
  std::string err;
  if (!read_vector(j, "parameters", trainer->mlp().num_params(), theta, err)) return R::failure(err);
  if (!j.contains("normalization") || !j["normalization"].is_object()) return R::failure("model document has no normalization");
  const int d = cfg.value->mlp.dim;
  if (!read_vector(j["normalization"], "offset", d, norm.offset, err)) return R::failure("normalization: " + err);
  if (!read_vector(j["normalization"], "scale", d, norm.scale, err)) return R::failure("normalization: " + err);
  if ((norm.scale.array() <= 0).any()) return R::failure("normalization: scale must be positive");
  long iteration = 0;
  if (j.contains("iteration")) {
    if (!j["iteration"].is_number_integer() || j["iteration"].get<long>() < 0) return R::failure("iteration must be a whole number ≥ 0");
    iteration = j["iteration"].get<long>();
  }
  trainer->restore(theta, norm, iteration);
  return R::success(std::move(trainer));
}

std::string density_to_json(const DensityTrainer& t) {
  json j;
  j["format"] = kDensityFormat;
  j["version"] = kModelVersion;
  j["config"] = json::parse(density_config_to_json(t.config()));
  const Vec& p = t.mlp().params();
  j["parameters"] = std::vector<double>(p.data(), p.data() + p.size());
  const Normalization& n = t.normalization();
  j["normalization"] = {{"offset", std::vector<double>(n.offset.data(), n.offset.data() + n.offset.size())},
                        {"scale", std::vector<double>(n.scale.data(), n.scale.data() + n.scale.size())}};
  j["iteration"] = t.iteration();
  return j.dump();
}

Result<std::shared_ptr<DensityTrainer>> density_from_json(const std::string& text) {
  using R = Result<std::shared_ptr<DensityTrainer>>;
  const json j = json::parse(text, nullptr, false);
  if (j.is_discarded()) return R::failure("density document is not valid JSON");
  if (!j.is_object() || !j.contains("format") || j["format"] != kDensityFormat)
    return R::failure(std::string("not a density document (expected format '") + kDensityFormat + "')");
  if (!j.contains("version") || !j["version"].is_number_integer() || j["version"].get<int>() != kModelVersion)
    return R::failure("density document version is missing or not supported (expected " + std::to_string(kModelVersion) + ")");
  if (!j.contains("config") || !j["config"].is_object()) return R::failure("density document has no config");
  Result<DensityConfig> cfg = density_config_from_json(j["config"].dump());
  if (!cfg.ok()) return R::failure("density config: " + cfg.error);
  auto trainer = std::make_shared<DensityTrainer>(*cfg.value);
  Vec theta;
  Normalization norm;
  std::string err;
  if (!read_vector(j, "parameters", trainer->mlp().num_params(), theta, err)) return R::failure(err);
  if (!j.contains("normalization") || !j["normalization"].is_object()) return R::failure("density document has no normalization");
  const int d = cfg.value->base.mlp.dim;
  if (!read_vector(j["normalization"], "offset", d, norm.offset, err)) return R::failure("normalization: " + err);
  if (!read_vector(j["normalization"], "scale", d, norm.scale, err)) return R::failure("normalization: " + err);
  if ((norm.scale.array() <= 0).any()) return R::failure("normalization: scale must be positive");
  long iteration = 0;
  if (j.contains("iteration")) {
    if (!j["iteration"].is_number_integer() || j["iteration"].get<long>() < 0) return R::failure("iteration must be a whole number ≥ 0");
    iteration = j["iteration"].get<long>();
  }
  trainer->restore(theta, norm, iteration);
  return R::success(std::move(trainer));
}

}  // namespace nde
