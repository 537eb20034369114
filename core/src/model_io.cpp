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

std::vector<double> as_vector(const Vec& v) { return std::vector<double>(v.data(), v.data() + v.size()); }

/// The learned state shared by both documents: θ, normalisation, iteration count.
template <class T>
json document(const char* format, json config, const T& trainer) {
  json j;
  j["format"] = format;
  j["version"] = kModelVersion;
  j["config"] = std::move(config);
  j["parameters"] = as_vector(trainer.mlp().params());
  const Normalization& n = trainer.normalization();
  j["normalization"] = {{"offset", as_vector(n.offset)}, {"scale", as_vector(n.scale)}};
  j["iteration"] = trainer.iteration();
  return j;
}

/// Parses and checks the envelope (JSON, format, version, config present); empty on success.
std::string check_envelope(const json& j, const char* format, const char* what) {
  const std::string w = what;
  if (j.is_discarded()) return w + " document is not valid JSON";
  if (!j.is_object()) return w + " document must be a JSON object";
  if (!j.contains("format") || j["format"] != format)
    return "not a " + w + " document (expected format '" + format + "')";
  if (!j.contains("version") || !j["version"].is_number_integer()) return w + " document has no version";
  if (j["version"].get<int>() != kModelVersion)
    return w + " document version " + std::to_string(j["version"].get<int>()) + " is not supported (expected " +
           std::to_string(kModelVersion) + ")";
  if (!j.contains("config") || !j["config"].is_object()) return w + " document has no config";
  return {};
}

/// Reads θ, normalisation and iteration into `trainer` (created from the document's config).
template <class T>
std::string restore_state(const json& j, T& trainer, int dim, const char* what) {
  Vec theta;
  Normalization norm;
  std::string err;
  if (!read_vector(j, "parameters", trainer.mlp().num_params(), theta, err)) return err;
  if (!j.contains("normalization") || !j["normalization"].is_object()) return std::string(what) + " document has no normalization";
  if (!read_vector(j["normalization"], "offset", dim, norm.offset, err)) return "normalization: " + err;
  if (!read_vector(j["normalization"], "scale", dim, norm.scale, err)) return "normalization: " + err;
  if ((norm.scale.array() <= 0).any()) return "normalization: scale must be positive";
  long iteration = 0;
  if (j.contains("iteration")) {
    if (!j["iteration"].is_number_integer() || j["iteration"].get<long>() < 0) return "iteration must be a whole number ≥ 0";
    iteration = j["iteration"].get<long>();
  }
  trainer.restore(theta, norm, iteration);
  return {};
}

}  // namespace

std::string model_to_json(const Trainer& t) { return document(kModelFormat, config_to_document(t.config()), t).dump(); }

Result<std::shared_ptr<Trainer>> model_from_json(const std::string& text) {
  using R = Result<std::shared_ptr<Trainer>>;
  const json j = json::parse(text, nullptr, false);
  std::string err = check_envelope(j, kModelFormat, "model");
  if (!err.empty()) return R::failure(err);
  Result<TrainerConfig> cfg = config_from_document(j["config"]);
  if (!cfg.ok()) return R::failure("model config: " + cfg.error);
  auto trainer = std::make_shared<Trainer>(*cfg.value);
  err = restore_state(j, *trainer, cfg.value->mlp.dim, "model");
  if (!err.empty()) return R::failure(err);
  return R::success(std::move(trainer));
}

std::string density_to_json(const DensityTrainer& t) {
  return document(kDensityFormat, json::parse(density_config_to_json(t.config())), t).dump();
}

Result<std::shared_ptr<DensityTrainer>> density_from_json(const std::string& text) {
  using R = Result<std::shared_ptr<DensityTrainer>>;
  const json j = json::parse(text, nullptr, false);
  std::string err = check_envelope(j, kDensityFormat, "density");
  if (!err.empty()) return R::failure(err);
  Result<DensityConfig> cfg = density_config_from_json(j["config"].dump());
  if (!cfg.ok()) return R::failure("density config: " + cfg.error);
  auto trainer = std::make_shared<DensityTrainer>(*cfg.value);
  err = restore_state(j, *trainer, cfg.value->base.mlp.dim, "density");
  if (!err.empty()) return R::failure(err);
  return R::success(std::move(trainer));
}

}  // namespace nde
