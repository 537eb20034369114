#include "nde/limits.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace nde::limits {

std::string format(double x) {
  char buf[32];
  for (int digits = 1; digits <= 17; ++digits) {
    std::snprintf(buf, sizeof buf, "%.*g", digits, x);
    if (std::strtod(buf, nullptr) == x || !std::isfinite(x)) break;
  }
  return buf;
}

std::string quote(const std::string& s) {
  if (s.size() <= 40) return "'" + s + "'";
  std::size_t cut = 37;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;  // keep UTF-8 whole
  return "'" + s.substr(0, cut) + "…'";
}

Result<> check_memory(double bytes, std::string_view what) {
  if (bytes <= kCallBytes) return {};  // no string is built on success (a training step checks every time)
  return Result<>::failure(std::string(what) + " would need about " + format(std::ceil(bytes / 1048576.0)) + " MiB; the limit is " +
         format(kCallBytes / 1048576.0) + " MiB");
}

Result<> check_data(double x, const std::string& what) {
  if (std::isfinite(x) && std::abs(x) <= kData) return {};
  return Result<>::failure(what + " must be finite with magnitude at most " + format(kData) + " (got " + format(x) + ")");
}

}  // namespace nde::limits
