#pragma once
/// A trained model <-> JSON: config, θ, normalisation, iteration count, optimiser moments and the minibatch
/// sampler's stream, so that train → save → load → train equals an uninterrupted run. Version 1 documents
/// (without optimiser state) still load; the optimiser then restarts and the loader says so in `notice`.
#include <memory>
#include <string>

#include "nde/density.hpp"
#include "nde/result.hpp"
#include "nde/trainer.hpp"

namespace nde {

/// The document's format tag and version.
inline constexpr const char* kModelFormat = "neural-ode-model";
inline constexpr int kModelVersion = 5;

/// The model document of a trainer (its data is not included).
[[nodiscard]] std::string model_to_json(const Trainer& t);
/// A trainer holding the model of a document; errors say what is wrong with it.
/// `notice`, when given, receives a remark about the load (e.g. that the optimiser restarts), else stays as it was.
[[nodiscard]] Result<std::shared_ptr<Trainer>> model_from_json(const std::string& text, std::string* notice = nullptr);

/// The density flow's document tag.
inline constexpr const char* kDensityFormat = "neural-ode-density";
/// The flow of a density trainer (its samples are not included).
[[nodiscard]] std::string density_to_json(const DensityTrainer& t);
/// A density trainer holding the flow of a document; errors say what is wrong with it.
[[nodiscard]] Result<std::shared_ptr<DensityTrainer>> density_from_json(const std::string& text,
                                                                       std::string* notice = nullptr);

}  // namespace nde
