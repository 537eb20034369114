#include "nde/json_util.hpp"

namespace nde {

namespace {

/// Deepest nesting of [ and { outside strings (a scan, so no recursion on hostile input).
int nesting_depth(const std::string& text, int stop_above) {
  int depth = 0, deepest = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
      if (deepest > stop_above) return deepest;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return deepest;
}

}  // namespace

Result<nlohmann::json> parse_json(const std::string& text, const std::string& what) {
  using R = Result<nlohmann::json>;
  if (text.size() > limits::kJsonBytes)
    return R::failure(what + " is " + limits::format(static_cast<double>(text.size())) + " bytes; at most " +
                      limits::format(static_cast<double>(limits::kJsonBytes)) + " are accepted");
  if (nesting_depth(text, limits::kJsonDepth) > limits::kJsonDepth)
    return R::failure(what + " nests deeper than " + std::to_string(limits::kJsonDepth) + " levels");
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded()) return R::failure(what + " is not valid JSON");
  return R::success(std::move(j));
}

}  // namespace nde
