#pragma once
/// A small, portable random generator (xoshiro256**): the same stream natively and in wasm for a seed.
#include <array>
#include <cmath>
#include <cstdint>

#include "nde/result.hpp"

namespace nde {

/// Deterministic generator; std:: distributions differ between standard libraries, so these do not use them.
class Rng {
 public:
  /// Seeds the four words from one 64-bit seed via splitmix64.
  explicit Rng(std::uint64_t seed = 0) {
    for (auto& w : s_) {
      seed += 0x9E3779B97F4A7C15ULL;
      std::uint64_t z = seed;
      z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
      z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
      w = z ^ (z >> 31);
    }
  }
  /// The generator's four state words (to save and restore a stream mid-way).
  [[nodiscard]] std::array<std::uint64_t, 4> state() const { return {s_[0], s_[1], s_[2], s_[3]}; }
  /// Continues a saved stream; an all-zero state (which xoshiro never leaves) is refused.
  Result<> set_state(const std::array<std::uint64_t, 4>& w) {
    if ((w[0] | w[1] | w[2] | w[3]) == 0) return Result<>::failure("rng state must not be all zero");
    for (int k = 0; k < 4; ++k) s_[k] = w[static_cast<std::size_t>(k)];
    return {};
  }
  /// Next raw 64-bit word.
  std::uint64_t next() {
    const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0]; s_[3] ^= s_[1]; s_[1] ^= s_[2]; s_[0] ^= s_[3];
    s_[2] ^= t; s_[3] = rotl(s_[3], 45);
    return result;
  }
  /// Uniform in [0, 1).
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  /// Uniform in [lo, hi).
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  /// Uniform integer in [0, n).
  std::uint64_t below(std::uint64_t n) { return n == 0 ? 0 : next() % n; }
  /// Standard normal (Box–Muller, one value per call).
  double normal() {
    double u1 = uniform();
    while (u1 <= 0.0) u1 = uniform();
    const double u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::uint64_t s_[4]{};
};

}  // namespace nde
