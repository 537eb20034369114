#include "nde/limits.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace nde::limits {

std::string format(double x) {
  char buf[32];
  for (int digits = 1; digits <= 17; ++digits) {
    std::snprintf(buf, sizeof buf, "%.*g", digits, x);
    if (std::strtod(buf, nullptr) == x || !std::isfinite(x)) break;
  }
  // Below a million, whole digits rather than an exponent ("50", not "5e+01").
  if (std::isfinite(x) && std::fabs(x) >= 10 && std::fabs(x) < 1e6 && std::strchr(buf, 'e')) {
    char plain[32];
    std::snprintf(plain, sizeof plain, "%.*g", static_cast<int>(std::floor(std::log10(std::fabs(x)))) + 1, x);
    if (std::strtod(plain, nullptr) == x) return plain;
  }
  return buf;
}

std::string quote(const std::string& s) {
  if (s.size() <= 40) return "'" + s + "'";
  std::size_t cut = 37;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;  // keep UTF-8 whole
  return "'" + s.substr(0, cut) + "…'";
}

namespace {
double (*g_memory_left)() = nullptr;
}  // namespace

void set_memory_left(double (*left)()) { g_memory_left = left; }

Result<> check_memory(double bytes, std::string_view what) {
  const auto mib = [](double b) { return std::to_string(static_cast<long long>(std::ceil(b / 1048576.0))); };
  if (bytes > kCallBytes)
    return Result<>::failure(std::string(what) + " would need about " + mib(bytes) + " MiB; the limit is " + mib(kCallBytes) + " MiB");
  if (!g_memory_left || bytes < kLeftChecked) return {};  // no string is built on success (a training step checks every time)
  const double left = g_memory_left();
  if (kTransient * bytes + kReserve <= left) return {};
  return Result<>::failure(std::string(what) + " would need about " + mib(bytes) + " MiB, and only " + mib(std::max(0.0, left)) +
                           " MiB of the module's memory are left (the trainers, models and data alive hold the rest): delete "
                           "some first");
}

Result<> check_data(double x, const std::string& what) {
  if (std::isfinite(x) && std::abs(x) <= kData) return {};
  return Result<>::failure(what + " must be finite with magnitude at most " + format(kData) + " (got " + format(x) + ")");
}

}  // namespace nde::limits
