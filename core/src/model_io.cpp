#include "nde/model_io.hpp"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>

#include "nde/config_json.hpp"
#include "nde/json_util.hpp"
#include "nde/limits.hpp"

namespace nde {

using nlohmann::json;

namespace {

/// The values of a packed document (see kPackedTag), or none (a JSON document).
struct Values {
  const double* data = nullptr;
  std::size_t count = 0;
};

/// An array of exactly `size` numbers in [lo, hi] into out — a JSON array, or in a packed document a
/// {"packed": [offset, length]} range of its values; the first problem goes to r.
bool read_vector(JsonReader& r, const json& j, const char* key, Index size, double lo, double hi, Vec& out,
                 const Values* packed) {
  const std::string name = std::string("'") + key + "'";
  if (!j.contains(key) || !(j[key].is_array() || (j[key].is_object() && j[key].contains("packed")))) {
    r.fail(std::string("document needs an array '") + key + "'");
    return false;
  }
  const json& a = j[key];
  const auto bad_entry = [&](Index i) {
    r.fail(name + " entry " + std::to_string(i) + " must be a number in [" + limits::format(lo) + ", " + limits::format(hi) + "]");
    return false;
  };
  if (a.is_object()) {
    if (!packed) {
      r.fail(name + " refers to packed values, which a JSON document does not have");
      return false;
    }
    const json& range = a["packed"];
    if (!range.is_array() || range.size() != 2 || !range[0].is_number_unsigned() || !range[1].is_number_unsigned()) {
      r.fail(name + ".packed must be [offset, length] (two whole numbers)");
      return false;
    }
    const auto offset = range[0].get<std::uint64_t>(), length = range[1].get<std::uint64_t>();
    if (length != static_cast<std::uint64_t>(size)) {
      r.fail(name + " has " + std::to_string(length) + " entries, the config needs " + std::to_string(size));
      return false;
    }
    if (offset > packed->count || length > packed->count - offset) {
      r.fail(name + " lies outside the packed values (offset " + std::to_string(offset) + " + length " + std::to_string(length) +
             " > " + std::to_string(packed->count) + " values)");
      return false;
    }
    out.resize(size);
    const double* v = packed->data + offset;
    for (Index i = 0; i < size; ++i) {
      if (!(v[i] >= lo && v[i] <= hi)) return bad_entry(i);
      out[i] = v[i];
    }
    return true;
  }
  if (a.size() != static_cast<std::size_t>(size)) {
    r.fail(name + " has " + std::to_string(a.size()) + " entries, the config needs " + std::to_string(size));
    return false;
  }
  out.resize(size);
  for (Index i = 0; i < size; ++i) {
    const json& v = a[static_cast<std::size_t>(i)];
    const double x = v.is_number() ? v.get<double>() : NAN;
    if (!(x >= lo && x <= hi)) return bad_entry(i);
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
/// The long arrays of a packed document, in the order of their ranges (pointers into the caller's TrainingState).
struct PackedRefs {
  std::vector<const Vec*> arrays;
  std::size_t count = 0;
};

/// A long array as JSON numbers, or (`packed` given) a range of the packed values, recorded in `packed`.
json long_array(const Vec& v, PackedRefs* packed) {
  if (!packed) return as_vector(v);
  const std::size_t offset = packed->count;
  packed->arrays.push_back(&v);
  packed->count += static_cast<std::size_t>(v.size());
  return {{"packed", {offset, static_cast<std::size_t>(v.size())}}};
}

/// The document of a training state (packed: its long arrays as ranges, recorded in `packed`).
std::string document_of(const char* format, json config, const TrainingState& s, PackedRefs* packed = nullptr) {
  json j;
  j["format"] = format;
  j["version"] = kModelVersion;
  j["config"] = std::move(config);
  j["parameters"] = long_array(s.theta, packed);
  j["average"] = {{"steps", s.averaged}, {"parameters", long_array(s.average, packed)}};
  j["normalization"] = {{"offset", as_vector(s.norm.offset)}, {"scale", as_vector(s.norm.scale)}, {"time", s.norm.time}};
  j["iteration"] = s.iteration;
  j["optimizer"] = {{"step", s.optimizer.step}, {"m", long_array(s.optimizer.m, packed)}, {"v", long_array(s.optimizer.v, packed)}};
  j["rng"] = rng_to_hex(*s.rng);
  if (!s.shooting.empty()) {
    json list = json::array();
    for (const ShootingState& x : s.shooting) {
      char key[17];
      std::snprintf(key, sizeof key, "%016llx", static_cast<unsigned long long>(x.key));
      list.push_back({{"key", key}, {"points", x.points}, {"steps", x.steps}, {"states", long_array(x.states, packed)},
                      {"m", long_array(x.m, packed)}, {"v", long_array(x.v, packed)}});
    }
    j["shooting"] = std::move(list);
  }
  return j.dump();
}

/// The learned state shared by both documents: θ, its average, normalisation, iteration count, optimiser,
/// sampler stream.
template <class T>
std::string document(const char* format, json config, const T& trainer) {
  return document_of(format, std::move(config), trainer.state());
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
Result<> restore_from(const json& j, std::int64_t version, T& trainer, Index dim, std::string* notice, const Values* packed) {
  JsonReader r;
  TrainingState s = trainer.state();
  read_vector(r, j, "parameters", trainer.mlp().num_params(), -limits::kParameter, limits::kParameter, s.theta, packed);
  if (!j.contains("normalization") || !j["normalization"].is_object()) r.fail("document has no normalization");
  else {
    const json& n = j["normalization"];
    if (read_vector(r, n, "offset", dim, -limits::kData, limits::kData, s.norm.offset, packed))
      read_vector(r, n, "scale", dim, limits::kMinScale, limits::kData, s.norm.scale, packed);
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
      read_vector(r, *a, "parameters", trainer.mlp().num_params(), -limits::kParameter, limits::kParameter, s.average, packed);
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
      read_vector(r, *o, "m", p, -limits::kMoment, limits::kMoment, s.optimizer.m, packed);
      read_vector(r, *o, "v", p, 0, limits::kMoment, s.optimizer.v, packed);
    }
    std::string hex;
    r.string(j, "rng", hex);  // absent: empty, which rng_from_hex refuses
    const Result<std::array<std::uint64_t, 4>> words = rng_from_hex(hex);
    r.fail(words);
    if (words.ok()) s.rng = *words.value;
  } else if (notice) {
    *notice = "this is a version-1 document without optimiser state: the optimiser restarts (fresh moments)";
  }
  // Version 6 added multiple shooting's free states (absent: none trained).
  s.shooting.clear();
  if (version >= 6 && j.contains("shooting")) {
    if (!j["shooting"].is_array()) r.fail("'shooting' must be an array");
    else
      for (const json& e : j["shooting"]) {
        if (!r.ok()) break;
        if (!e.is_object()) {
          r.fail("'shooting' entries must be objects");
          break;
        }
        r.keys(e, "shooting entry", {"key", "points", "steps", "states", "m", "v"});
        ShootingState x;
        std::string key;
        if (r.string(e, "key", key)) {
          const bool hex = key.size() == 16 && key.find_first_not_of("0123456789abcdef") == std::string::npos;
          if (!hex) r.fail("shooting key must be 16 lowercase hex digits");
          else x.key = std::stoull(key, nullptr, 16);
        } else {
          r.fail("shooting entries need a 'key'");
        }
        if (!e.contains("points") || !r.integer(e, "points", x.points) || x.points < 2 || x.points > 100000000)
          r.fail("shooting entries need 'points', a whole number in [2, 1e8]");
        if (!e.contains("steps") || !r.integer(e, "steps", x.steps) || x.steps < 0)
          r.fail("shooting entries need 'steps', a whole number ≥ 0");
        if (!r.ok()) break;
        const Index size = dim * x.points;
        read_vector(r, e, "states", size, -limits::kData, limits::kData, x.states, packed);
        read_vector(r, e, "m", size, -limits::kMoment, limits::kMoment, x.m, packed);
        read_vector(r, e, "v", size, 0, limits::kMoment, x.v, packed);
        s.shooting.push_back(std::move(x));
      }
  }
  if (!r.ok()) return Result<>::failure(r);
  return trainer.restore(s);
}

template <class T, class Config>
Result<std::shared_ptr<T>> load(const std::string& text, const char* format, const std::string& what,
                                Result<Config> (*read_config)(const json&), std::string* notice, const Values* packed = nullptr) {
  using R = Result<std::shared_ptr<T>>;
  std::int64_t version = 0;
  Result<json> j = envelope(text, format, what, version);
  if (!j.ok()) return R::failure(j);
  json config = (*j.value)["config"];
  // Versions 1–4 trained at a constant learning rate (there was no schedule): they keep it.
  if (version < 5 && config.value("optimizer", json::object()).is_object() &&
      !config.value("optimizer", json::object()).contains("halfLife"))
    config["optimizer"]["halfLife"] = 0;
  // Versions 1–5 trained without multiple shooting: they keep single shooting.
  if (version < 6 && config.is_object() && !(config.contains("batch") && config["batch"].is_object() && config["batch"].contains("shooting"))) {
    if (!config.contains("batch")) config["batch"] = json::object();
    if (config["batch"].is_object()) config["batch"]["shooting"] = 0;
  }
  Result<Config> cfg = read_config(config);
  if (!cfg.ok()) return R::failure(what + " config: " + cfg.message);
  auto trainer = std::make_shared<T>(*cfg.value);
  const Result<> restored = restore_from(*j.value, version, *trainer, trainer->mlp().config().dim, notice, packed);
  if (!restored.ok()) return R::failure(what + " document: " + restored.message);
  return R::success(std::move(trainer));
}

bool little_endian() {
  const std::uint16_t one = 1;
  std::uint8_t first = 0;
  std::memcpy(&first, &one, 1);
  return first == 1;
}

void put_u64(std::uint8_t* at, std::uint64_t v) {
  for (int k = 0; k < 8; ++k) at[k] = static_cast<std::uint8_t>(v >> (8 * k));
}

std::uint64_t get_u64(const std::uint8_t* at) {
  std::uint64_t v = 0;
  for (int k = 7; k >= 0; --k) v = (v << 8) | at[k];
  return v;
}

/// Doubles to or from little-endian bytes (a copy on little-endian hosts: x86, wasm).
void copy_values(std::uint8_t* to, const double* from, std::size_t n) {
  if (n == 0) return;  // an empty range may come with null pointers (memcpy must not see them)
  if (little_endian()) {
    std::memcpy(to, from, 8 * n);
    return;
  }
  for (std::size_t i = 0; i < n; ++i) {
    std::uint64_t b = 0;
    std::memcpy(&b, from + i, 8);
    put_u64(to + 8 * i, b);
  }
}
void copy_values(double* to, const std::uint8_t* from, std::size_t n) {
  if (n == 0) return;
  if (little_endian()) {
    std::memcpy(to, from, 8 * n);
    return;
  }
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint64_t b = get_u64(from + 8 * i);
    std::memcpy(to + i, &b, 8);
  }
}

constexpr std::size_t padded(std::size_t n) { return (n + 7) / 8 * 8; }

/// The packed bytes of a trainer's document: the values copied once, straight from the state into the bytes.
template <class T>
std::vector<std::uint8_t> packed_document(const char* format, json config, const T& trainer) {
  const TrainingState s = trainer.state();
  PackedRefs refs;
  const std::string header = document_of(format, std::move(config), s, &refs);
  std::vector<std::uint8_t> out(kPackedPrefix + padded(header.size()) + 8 * refs.count, 0);
  std::memcpy(out.data(), kPackedTag, 8);
  put_u64(out.data() + 8, header.size());
  put_u64(out.data() + 16, refs.count);
  std::memcpy(out.data() + kPackedPrefix, header.data(), header.size());
  std::uint8_t* at = out.data() + kPackedPrefix + padded(header.size());
  for (const Vec* v : refs.arrays) {
    copy_values(at, v->data(), static_cast<std::size_t>(v->size()));
    at += 8 * v->size();
  }
  return out;
}

/// A trainer from packed bytes: the prefix and lengths checked before anything is read.
template <class T, class Config>
Result<std::shared_ptr<T>> load_packed(const std::uint8_t* bytes, std::size_t size, const char* format,
                                       const std::string& what, Result<Config> (*read_config)(const json&),
                                       std::string* notice) {
  using R = Result<std::shared_ptr<T>>;
  const std::string name = "packed " + what + " document";
  if (size < 8 || std::memcmp(bytes, kPackedTag, 8) != 0)
    return R::failure("not a " + name + " (it does not start with '" + kPackedTag + "')");
  if (size < kPackedPrefix)
    return R::failure(name + " is truncated: " + std::to_string(size) + " bytes, its prefix alone has " +
                      std::to_string(kPackedPrefix));
  const std::uint64_t header = get_u64(bytes + 8), count = get_u64(bytes + 16);
  // In double: damaged lengths must not wrap around.
  const double need = static_cast<double>(kPackedPrefix) + 8.0 * std::ceil(static_cast<double>(header) / 8.0) + 8.0 * static_cast<double>(count);
  if (need != static_cast<double>(size))
    return R::failure(name + " is " + (need > static_cast<double>(size) ? "truncated" : "damaged") + ": it has " + std::to_string(size) +
                      " bytes, its header of " + std::to_string(header) + " bytes and " + std::to_string(count) + " values need " +
                      limits::format(need));
  std::vector<double> values(count);
  copy_values(values.data(), bytes + kPackedPrefix + padded(header), count);
  const Values v{values.data(), values.size()};
  return load<T, Config>(std::string(reinterpret_cast<const char*>(bytes) + kPackedPrefix, header), format, what, read_config,
                         notice, &v);
}

/// A density document's config: one without dataScale was written before it existed, when the data were normalised to
/// standard deviation 1 (its normalisation is stored, so this matters only if it is refitted: new samples before training).
Result<DensityConfig> density_config(const json& j) {
  if (j.is_object() && !j.contains("dataScale")) {
    json old = j;
    old["dataScale"] = 1.0;
    return density_config_from_document(std::move(old));
  }
  return density_config_from_document(j);
}

}  // namespace

std::string model_to_json(const Trainer& t) { return document(kModelFormat, config_to_document(t.config()), t); }

Result<std::shared_ptr<Trainer>> model_from_json(const std::string& text, std::string* notice) {
  return load<Trainer, TrainerConfig>(text, kModelFormat, "model", &config_from_document, notice);
}

std::vector<std::uint8_t> model_to_packed(const Trainer& t) {
  return packed_document(kModelFormat, config_to_document(t.config()), t);
}

Result<std::shared_ptr<Trainer>> model_from_packed(const std::uint8_t* bytes, std::size_t size, std::string* notice) {
  return load_packed<Trainer, TrainerConfig>(bytes, size, kModelFormat, "model", &config_from_document, notice);
}

std::vector<std::uint8_t> density_to_packed(const DensityTrainer& t) {
  return packed_document(kDensityFormat, density_config_to_document(t.config()), t);
}

Result<std::shared_ptr<DensityTrainer>> density_from_packed(const std::uint8_t* bytes, std::size_t size, std::string* notice) {
  return load_packed<DensityTrainer, DensityConfig>(bytes, size, kDensityFormat, "density", &density_config, notice);
}

std::string density_to_json(const DensityTrainer& t) {
  return document(kDensityFormat, density_config_to_document(t.config()), t);
}

Result<std::shared_ptr<DensityTrainer>> density_from_json(const std::string& text, std::string* notice) {
  return load<DensityTrainer, DensityConfig>(text, kDensityFormat, "density", &density_config, notice);
}

}  // namespace nde
