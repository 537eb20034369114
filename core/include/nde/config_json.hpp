#pragma once
/// TrainerConfig <-> JSON (the camelCase document the JS API and the page use).
#include <string>

#include "nde/config.hpp"
#include "nde/result.hpp"

namespace nde {

/// Parses a config document; missing fields take defaults, unknown or ill-typed fields are errors.
Result<TrainerConfig> config_from_json(const std::string& text);
/// The normalised config with every field present.
std::string config_to_json(const TrainerConfig& c);

}  // namespace nde
