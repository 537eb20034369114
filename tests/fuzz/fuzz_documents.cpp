// libFuzzer target over the six document loaders: the four JSON ones (trainer config, density config, model and density
// documents) and the two packed ones (model and density documents as NDEPACK1 bytes: a JSON header, float64 values).
// The first byte picks the loader (0–5), the rest is the document. Whatever the input: no crash, no sanitizer report,
// and a document that loads saves to one that loads again and saves identically (save → load → save); a packed one
// also says the same as its JSON form (packed → JSON → packed gives the same bytes).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "nde/config_json.hpp"
#include "nde/model_io.hpp"

namespace {

void require(bool ok, const char* what) {
  if (!ok) {
    __builtin_printf("save → load check failed: %s\n", what);
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::uint8_t* bytes = data + 1;
  const std::size_t n = size - 1;
  switch (data[0] % 6) {
    case 0: {
      const auto c = nde::config_from_json(text);
      if (!c.ok()) return 0;
      const std::string saved = nde::config_to_json(*c.value);
      const auto again = nde::config_from_json(saved);
      require(again.ok() && nde::config_to_json(*again.value) == saved, "trainer config");
      break;
    }
    case 1: {
      const auto c = nde::density_config_from_json(text);
      if (!c.ok()) return 0;
      const std::string saved = nde::density_config_to_json(*c.value);
      const auto again = nde::density_config_from_json(saved);
      require(again.ok() && nde::density_config_to_json(*again.value) == saved, "density config");
      break;
    }
    case 2: {
      const auto m = nde::model_from_json(text);
      if (!m.ok()) return 0;
      const std::string saved = nde::model_to_json(**m.value);
      const auto again = nde::model_from_json(saved);
      require(again.ok() && nde::model_to_json(**again.value) == saved, "model document");
      break;
    }
    case 3: {
      const auto m = nde::density_from_json(text);
      if (!m.ok()) return 0;
      const std::string saved = nde::density_to_json(**m.value);
      const auto again = nde::density_from_json(saved);
      require(again.ok() && nde::density_to_json(**again.value) == saved, "density document");
      break;
    }
    case 4: {
      const auto m = nde::model_from_packed(bytes, n);
      if (!m.ok()) return 0;
      const std::vector<std::uint8_t> saved = nde::model_to_packed(**m.value);
      const auto again = nde::model_from_packed(saved.data(), saved.size());
      require(again.ok() && nde::model_to_packed(**again.value) == saved, "packed model document");
      const auto viaJson = nde::model_from_json(nde::model_to_json(**m.value));
      require(viaJson.ok() && nde::model_to_packed(**viaJson.value) == saved, "packed model document vs its JSON form");
      break;
    }
    default: {
      const auto m = nde::density_from_packed(bytes, n);
      if (!m.ok()) return 0;
      const std::vector<std::uint8_t> saved = nde::density_to_packed(**m.value);
      const auto again = nde::density_from_packed(saved.data(), saved.size());
      require(again.ok() && nde::density_to_packed(**again.value) == saved, "packed density document");
      const auto viaJson = nde::density_from_json(nde::density_to_json(**m.value));
      require(viaJson.ok() && nde::density_to_packed(**viaJson.value) == saved, "packed density document vs its JSON form");
      break;
    }
  }
  return 0;
}
