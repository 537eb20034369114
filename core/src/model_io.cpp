#include "nde/model_io.hpp"

#include <cstdio>
#include <nlohmann/json.hpp>

#include "nde/config_json.hpp"
#include "nde/json_util.hpp"
#include "nde/limits.hpp"

namespace nde {

using nlohmann::json;

namespace {

/// An array of exactly `size` numbers in [lo, hi] into out; the first problem goes to r.
bool read_vector(JsonReader& r, const json& j, const char* key, Index size, double lo, double hi, Vec& out) {
  if (!j.contains(key) || !j[key].is_array()) {
    r.fail(std::string("document needs an array '") + key + "'");
    return false;
  }
  const json& a = j[key];
  if (a.size() != static_cast<std::size_t>(size)) {
    r.fail(std::string("'") + key + "' has " + std::to_string(a.size()) + " entries, the config needs " + std::to_string(size));
    return false;
  }
  out.resize(size);
  for (Index i = 0; i < size; ++i) {
    const json& v = a[static_cast<std::size_t>(i)];
    const double x = v.is_number() ? v.get<double>() : NAN;
    if (!(x >= lo && x <= hi)) {
      r.fail(std::string("'") + key + "' entry " + std::to_string(i) + " must be a number in [" + limits::format(lo) + ", " +
             limits::format(hi) + "]");
      return false;
    }
    out[i] = x;
  }
  return true;
}

std::vector<double> as_vector(const Vec& v) { return std::vector<double>(v.data(), v.data() + v.size()); }

std::string rng_to_hex(const std::array<std::uint64_t, 4>& w) {
  char buf[65];
  for (std::size_t k = 0; k < 4; ++k) std::snprintf(buf + 16 * k, 17, "%016llx", static_cast<unsigned long long>(w[k]));
  return std::string(buf, 64);
}

/// The sampler's stream from its document form (rng_to_hex), or why not.
Result<std::array<std::uint64_t, 4>> rng_from_hex(const std::string& s) {
  using R = Result<std::array<std::uint64_t, 4>>;
  const R bad = R::failure("rng must be 64 lowercase hex digits");
  if (s.size() != 64) return bad;
  std::array<std::uint64_t, 4> w{};
  for (std::size_t k = 0; k < 4; ++k) {
    for (std::size_t i = 0; i < 16; ++i) {
      const char c = s[16 * k + i];
      const int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
      if (d < 0) return bad;
      w[k] = (w[k] << 4) | static_cast<std::uint64_t>(d);
    }
  }
  return R::success(w);
}

/// The learned state shared by both documents: θ, its average, normalisation, iteration count, optimiser,
/// sampler stream.
template <class T>
std::string document(const char* format, json config, const T& trainer) {
  const TrainingState s = trainer.state();
  json j;
  j["format"] = format;
  j["version"] = kModelVersion;
  j["config"] = std::move(config);
  j["parameters"] = as_vector(s.theta);
  j["average"] = {{"steps", s.averaged}, {"parameters", as_vector(s.average)}};
  j["normalization"] = {{"offset", as_vector(s.norm.offset)}, {"scale", as_vector(s.norm.scale)}, {"time", s.norm.time}};
  j["iteration"] = s.iteration;
  j["optimizer"] = {{"step", s.optimizer.step}, {"m", as_vector(s.optimizer.m)}, {"v", as_vector(s.optimizer.v)}};
  j["rng"] = rng_to_hex(*s.rng);
  return j.dump();
}

/// Parses and checks the envelope (size, nesting, JSON, format, version, config present).
Result<json> envelope(const std::string& text, const char* format, const std::string& what, std::int64_t& version) {
  using R = Result<json>;
  Result<json> parsed = parse_json(text, what + " document");
  if (!parsed.ok()) return parsed;
  const json& j = *parsed.value;
  if (!j.is_object()) return R::failure(what + " document must be a JSON object");
  if (!j.contains("format") || j["format"] != format)
    return R::failure("not a " + what + " document (expected format '" + format + "')");
  JsonReader r;
  if (!j.contains("version") || !r.integer(j, "version", version)) return R::failure(what + " document has no whole-number version");
  if (version < 1 || version > kModelVersion)
    return R::failure(what + " document version " + std::to_string(version) + " is not supported (this build reads 1 to " +
                      std::to_string(kModelVersion) + ")");
  if (!j.contains("config") || !j["config"].is_object()) return R::failure(what + " document has no config");
  return parsed;
}

/// Reads the saved state of a document of `version` into `trainer` (created from the document's config).
template <class T>
Result<> restore_from(const json& j, std::int64_t version, T& trainer, Index dim, std::string* notice) {
  JsonReader r;
  TrainingState s = trainer.state();
  read_vector(r, j, "parameters", trainer.mlp().num_params(), -limits::kParameter, limits::kParameter, s.theta);
  if (!j.contains("normalization") || !j["normalization"].is_object()) r.fail("document has no normalization");
  else {
    const json& n = j["normalization"];
    if (read_vector(r, n, "offset", dim, -limits::kData, limits::kData, s.norm.offset))
      read_vector(r, n, "scale", dim, limits::kMinScale, limits::kData, s.norm.scale);
    // Versions 1 and 2 had no time scale: their models ran in physical time.
    s.norm.time = 1.0;
    if (version >= 3) {
      if (!n.contains("time")) r.fail("document needs normalization.time (the time scale)");
      else if (r.number(n, "time", s.norm.time) && !(s.norm.time >= kMinTimeScale && s.norm.time <= kMaxTimeScale))
        r.fail("normalization.time must be a number in [" + limits::format(kMinTimeScale) + ", " + limits::format(kMaxTimeScale) + "]");
    }
  }
  // Versions 1–3 had no average: the model answered with θ itself, and still does (an average of θ alone).
  s.average.resize(0);
  s.averaged = 0;
  if (version >= 4) {
    const json* a = r.object(j, "average");
    if (!a) {
      r.fail("document needs an object 'average' (the averaged parameters)");
    } else {
      if (!a->contains("steps")) r.fail("average needs 'steps'");
      else if (r.integer(*a, "steps", s.averaged) && s.averaged < 0) r.fail("average.steps must be ≥ 0");
      read_vector(r, *a, "parameters", trainer.mlp().num_params(), -limits::kParameter, limits::kParameter, s.average);
    }
  }
  s.iteration = 0;
  if (r.integer(j, "iteration", s.iteration) && s.iteration < 0) r.fail("iteration must be ≥ 0");
  s.optimizer = OptimizerState{};
  if (version >= 2) {
    const json* o = r.object(j, "optimizer");
    if (!o) r.fail("document has no optimizer state");
    else if (r.integer(*o, "step", s.optimizer.step) && s.optimizer.step > 0) {
      const Index p = trainer.mlp().num_params();
      read_vector(r, *o, "m", p, -limits::kMaxWhole, limits::kMaxWhole, s.optimizer.m);
      read_vector(r, *o, "v", p, 0, limits::kMaxWhole, s.optimizer.v);
    }
    std::string hex;
    r.string(j, "rng", hex);  // absent: empty, which rng_from_hex refuses
    const Result<std::array<std::uint64_t, 4>> words = rng_from_hex(hex);
    r.fail(words);
    if (words.ok()) s.rng = *words.value;
  } else if (notice) {
    *notice = "this is a version-1 document without optimiser state: the optimiser restarts (fresh moments)";
  }
  if (!r.ok()) return Result<>::failure(r);
  return trainer.restore(s);
}

template <class T, class Config>
Result<std::shared_ptr<T>> load(const std::string& text, const char* format, const std::string& what,
                                Result<Config> (*read_config)(const json&), std::string* notice) {
  using R = Result<std::shared_ptr<T>>;
  std::int64_t version = 0;
  Result<json> j = envelope(text, format, what, version);
  if (!j.ok()) return R::failure(j);
  json config = (*j.value)["config"];
  // Versions 1–4 trained at a constant learning rate (there was no schedule): they keep it.
  if (version < 5 && config.value("optimizer", json::object()).is_object() &&
      !config.value("optimizer", json::object()).contains("halfLife"))
    config["optimizer"]["halfLife"] = 0;
  Result<Config> cfg = read_config(config);
  if (!cfg.ok()) return R::failure(what + " config: " + cfg.message);
  auto trainer = std::make_shared<T>(*cfg.value);
  const Result<> restored = restore_from(*j.value, version, *trainer, trainer->mlp().config().dim, notice);
  if (!restored.ok()) return R::failure(what + " document: " + restored.message);
  return R::success(std::move(trainer));
}

Result<DensityConfig> density_config(const json& j) { return density_config_from_document(j); }

}  // namespace

std::string model_to_json(const Trainer& t) { return document(kModelFormat, config_to_document(t.config()), t); }

Result<std::shared_ptr<Trainer>> model_from_json(const std::string& text, std::string* notice) {
  return load<Trainer, TrainerConfig>(text, kModelFormat, "model", &config_from_document, notice);
}

std::string density_to_json(const DensityTrainer& t) {
  return document(kDensityFormat, density_config_to_document(t.config()), t);
}

Result<std::shared_ptr<DensityTrainer>> density_from_json(const std::string& text, std::string* notice) {
  return load<DensityTrainer, DensityConfig>(text, kDensityFormat, "density", &density_config, notice);
}

}  // namespace nde
