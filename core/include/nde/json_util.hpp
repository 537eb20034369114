#pragma once
/// Checked reads from nlohmann::json that collect the first error instead of throwing.
#include <cmath>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <string>

#include "nde/config.hpp"
#include "nde/result.hpp"

namespace nde {

/// Reads optional fields with type checks; the first problem is kept in `error`.
struct JsonReader {
  std::string error;
  void fail(const std::string& m) { if (error.empty()) error = m; }
  /// Rejects keys outside `allowed` (catches typos).
  void keys(const nlohmann::json& j, const std::string& where, std::initializer_list<const char*> allowed) {
    for (auto it = j.begin(); it != j.end(); ++it) {
      bool ok = false;
      for (const char* a : allowed) ok = ok || it.key() == a;
      if (!ok) fail("unknown " + where + " field '" + it.key() + "'");
    }
  }
  bool number(const nlohmann::json& j, const char* key, double& out) {
    if (!j.contains(key)) return false;
    if (!j[key].is_number()) { fail(std::string(key) + " must be a number"); return false; }
    out = j[key].get<double>();
    return true;
  }
  template <class I>
  bool integer(const nlohmann::json& j, const char* key, I& out) {
    double v = 0;
    if (!number(j, key, v)) return false;
    if (std::floor(v) != v || std::abs(v) > 1e15) { fail(std::string(key) + " must be a whole number"); return false; }
    out = static_cast<I>(v);
    return true;
  }
  bool boolean(const nlohmann::json& j, const char* key, bool& out) {
    if (!j.contains(key)) return false;
    if (!j[key].is_boolean()) { fail(std::string(key) + " must be true or false"); return false; }
    out = j[key].get<bool>();
    return true;
  }
  bool string(const nlohmann::json& j, const char* key, std::string& out) {
    if (!j.contains(key)) return false;
    if (!j[key].is_string()) { fail(std::string(key) + " must be a string"); return false; }
    out = j[key].get<std::string>();
    return true;
  }
  const nlohmann::json* object(const nlohmann::json& j, const char* key) {
    if (!j.contains(key)) return nullptr;
    if (!j[key].is_object()) { fail(std::string(key) + " must be an object"); return nullptr; }
    return &j[key];
  }
};

/// The config as a JSON object (shared by config_json and model_io).
nlohmann::json config_to_document(const TrainerConfig& c);
/// Parses a config object.
Result<TrainerConfig> config_from_document(const nlohmann::json& j);

}  // namespace nde
