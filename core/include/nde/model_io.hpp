#pragma once
/// A trained model (config, θ, normalisation, format version) <-> JSON.
#include <memory>
#include <string>

#include "nde/result.hpp"
#include "nde/trainer.hpp"

namespace nde {

/// The document's format tag and version.
inline constexpr const char* kModelFormat = "neural-ode-model";
inline constexpr int kModelVersion = 1;

/// The model document of a trainer (its data is not included).
std::string model_to_json(const Trainer& t);
/// A trainer holding the model of a document; errors say what is wrong with it.
Result<std::shared_ptr<Trainer>> model_from_json(const std::string& text);

}  // namespace nde
