#pragma once
/// A trained model <-> JSON: config, θ, normalisation, iteration count, optimiser moments and the minibatch
/// sampler's stream, so that train → save → load → train equals an uninterrupted run. Version 1 documents
/// (without optimiser state) still load; the optimiser then restarts and the loader says so in `notice`.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "nde/density.hpp"
#include "nde/result.hpp"
#include "nde/trainer.hpp"

namespace nde {

/// The document's format tag and version.
inline constexpr const char* kModelFormat = "neural-ode-model";
inline constexpr int kModelVersion = 6;

/// The model document of a trainer (its data is not included).
[[nodiscard]] std::string model_to_json(const Trainer& t);
/// A trainer holding the model of a document; errors say what is wrong with it.
/// `notice`, when given, receives a remark about the load (e.g. that the optimiser restarts), else stays as it was.
[[nodiscard]] Result<std::shared_ptr<Trainer>> model_from_json(const std::string& text, std::string* notice = nullptr);

/// The packed form of a document (model or density): the same document, written and read without turning numbers
/// into text. Bytes: the 8-byte tag "NDEPACK1", the header's length in bytes and the number of values (two
/// little-endian uint64), the header (the JSON document whose long arrays — parameters, average.parameters,
/// optimizer.m and optimizer.v, and each shooting entry's states, m and v — are replaced by {"packed": [offset, length]} ranges of the values), zero bytes up to
/// a multiple of 8, then the values (little-endian float64). Any array of the document may be given either way;
/// every document version loads packed too. 256 × 6: ~10.5 MB of values and ~1 kB of header (its JSON text: ~28 MB).
inline constexpr char kPackedTag[9] = "NDEPACK1";
/// Bytes before the header: the tag and the two lengths.
inline constexpr std::size_t kPackedPrefix = 24;
[[nodiscard]] std::vector<std::uint8_t> model_to_packed(const Trainer& t);
/// A trainer from packed bytes; a damaged or truncated one gives an error saying what is wrong (nothing is created).
[[nodiscard]] Result<std::shared_ptr<Trainer>> model_from_packed(const std::uint8_t* bytes, std::size_t size,
                                                                 std::string* notice = nullptr);

/// The density flow's document tag.
inline constexpr const char* kDensityFormat = "neural-ode-density";
/// The flow of a density trainer (its samples are not included).
[[nodiscard]] std::string density_to_json(const DensityTrainer& t);
/// A density trainer holding the flow of a document; errors say what is wrong with it.
[[nodiscard]] Result<std::shared_ptr<DensityTrainer>> density_from_json(const std::string& text,
                                                                       std::string* notice = nullptr);

[[nodiscard]] std::vector<std::uint8_t> density_to_packed(const DensityTrainer& t);
[[nodiscard]] Result<std::shared_ptr<DensityTrainer>> density_from_packed(const std::uint8_t* bytes, std::size_t size,
                                                                         std::string* notice = nullptr);

}  // namespace nde
