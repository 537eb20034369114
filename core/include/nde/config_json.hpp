#pragma once
/// TrainerConfig <-> JSON (the camelCase document the JS API and the page use).
#include <string>

#include "nde/config.hpp"
#include "nde/density.hpp"
#include "nde/result.hpp"

namespace nde {

/// Parses a config document; missing fields take defaults, unknown or ill-typed fields are errors.
Result<TrainerConfig> config_from_json(const std::string& text);
/// The normalised config with every field present.
[[nodiscard]] std::string config_to_json(const TrainerConfig& c);
/// A density config: the trainer's fields plus tEnd and trace ("exact" | "hutchinson"). Defaults differ
/// from the trajectory trainer's: timeDependent true, batch.size 128, rtol = atol = 1e-5.
Result<DensityConfig> density_config_from_json(const std::string& text);
/// The normalised density config with every field present.
std::string density_config_to_json(const DensityConfig& c);

}  // namespace nde
