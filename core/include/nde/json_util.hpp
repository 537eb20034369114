#pragma once
/// Checked reads from nlohmann::json that collect the first error instead of throwing, and the one guarded
/// parser every document goes through (size and nesting bounded before parsing).
#include <cmath>
#include <initializer_list>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <type_traits>

#include "nde/config.hpp"
#include "nde/density.hpp"
#include "nde/limits.hpp"
#include "nde/result.hpp"

namespace nde {

/// Parses untrusted text: refuses more than limits::kJsonBytes or nesting deeper than limits::kJsonDepth
/// before parsing, and invalid JSON; `what` names the document in messages ("config", "model document").
[[nodiscard]] Result<nlohmann::json> parse_json(const std::string& text, const std::string& what);

/// Reads optional fields with type and range checks; the first problem is kept (it is the Result<> its parser
/// returns). A read returns whether the field is present and valid; a missing field is not an error.
/// No value is converted before it is known to fit its target type (no wrap-around, no undefined casts).
struct JsonReader : Result<> {
  /// Rejects keys outside `allowed` (catches typos).
  void keys(const nlohmann::json& j, const std::string& where, std::initializer_list<const char*> allowed) {
    for (auto it = j.begin(); it != j.end(); ++it) {
      bool ok = false;
      for (const char* a : allowed) ok = ok || it.key() == a;
      if (!ok) fail("unknown " + where + " field " + limits::quote(it.key()));
    }
  }
  /// Prefix of field names in messages while a nested object is read ("solver." inside the config's solver).
  std::string at;
  /// A finite number (JSON has no infinities, but 1e400 parses as one).
  bool number(const nlohmann::json& j, const char* key, double& out) {
    if (!j.contains(key)) return false;
    const nlohmann::json& v = j[key];
    if (!v.is_number() || !std::isfinite(v.get<double>())) { fail(at + key + " must be a finite number"); return false; }
    out = v.get<double>();
    return true;
  }
  /// A whole number for an I field; read as a double first, range-checked, then converted.
  template <class I>
  bool integer(const nlohmann::json& j, const char* key, I& out) {
    if (!j.contains(key)) return false;
    return whole(j[key], at + key, out);
  }
  /// The same check for a value that is not a named field (e.g. an array entry). Unsigned: in [0, 2^53]. Signed: any
  /// whole number within ±2^53, saturated to I's range — each int field's own range is checked where the field is
  /// validated, so 1e12 for an int gets that field's message ("solver.maxSteps must be an integer in [1, 10000000]"),
  /// not int's range.
  template <class I>
  bool whole(const nlohmann::json& v, const std::string& name, I& out) {
    const double x = v.is_number() ? v.get<double>() : NAN;
    if constexpr (std::is_signed_v<I>) {
      if (!(std::floor(x) == x && std::fabs(x) <= limits::kMaxWhole)) {
        fail(name + " must be a whole number");
        return false;
      }
      const double lo = static_cast<double>(std::numeric_limits<I>::min()), hi = static_cast<double>(std::numeric_limits<I>::max());
      out = x <= lo ? std::numeric_limits<I>::min() : x >= hi ? std::numeric_limits<I>::max() : static_cast<I>(x);
    } else {
      const double hi = std::min(limits::kMaxWhole, static_cast<double>(std::numeric_limits<I>::max()));
      if (!(std::floor(x) == x && x >= 0 && x <= hi)) {
        fail(name + " must be a whole number in [0, " + limits::format(hi) + "]");
        return false;
      }
      out = static_cast<I>(x);
    }
    return true;
  }
  bool boolean(const nlohmann::json& j, const char* key, bool& out) {
    if (!j.contains(key)) return false;
    if (!j[key].is_boolean()) { fail(at + key + " must be true or false"); return false; }
    out = j[key].get<bool>();
    return true;
  }
  bool string(const nlohmann::json& j, const char* key, std::string& out) {
    if (!j.contains(key)) return false;
    if (!j[key].is_string()) { fail(at + key + " must be a string"); return false; }
    out = j[key].get<std::string>();
    return true;
  }
  const nlohmann::json* object(const nlohmann::json& j, const char* key) {
    if (!j.contains(key)) return nullptr;
    if (!j[key].is_object()) { fail(at + key + " must be an object"); return nullptr; }
    return &j[key];
  }
};

/// The config as a JSON object (shared by config_json and model_io).
nlohmann::json config_to_document(const TrainerConfig& c);
/// Parses a config object.
Result<TrainerConfig> config_from_document(const nlohmann::json& j);
/// The density config as a JSON object.
nlohmann::json density_config_to_document(const DensityConfig& c);
/// Parses a density config object (taken by value: density defaults are filled in before parsing).
Result<DensityConfig> density_config_from_document(nlohmann::json j);

}  // namespace nde
