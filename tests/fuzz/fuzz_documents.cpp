// libFuzzer target over the four JSON loaders (trainer config, density config, model and density documents).
// The first byte picks the loader, the rest is the document. Whatever the input: no crash, no sanitizer report,
// and a document that loads saves to one that loads again and saves identically (save → load → save).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

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
  switch (data[0] % 4) {
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
    default: {
      const auto m = nde::density_from_json(text);
      if (!m.ok()) return 0;
      const std::string saved = nde::density_to_json(**m.value);
      const auto again = nde::density_from_json(saved);
      require(again.ok() && nde::density_to_json(**again.value) == saved, "density document");
      break;
    }
  }
  return 0;
}
