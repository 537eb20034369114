#pragma once
/// Every limit on what a caller may hand the core, stated once: JSON documents, counts, value ranges and the
/// memory one call may allocate. Parsers, validators and the wasm adapters all read these.
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include "nde/result.hpp"

namespace nde::limits {

/// Deepest nesting of arrays/objects in any JSON document (ours nest 3 deep).
inline constexpr int kJsonDepth = 32;
/// Longest JSON document accepted, in bytes.
inline constexpr std::size_t kJsonBytes = std::size_t{1} << 29;
/// Largest whole number a document or call may carry (2^53: exact in a JS number).
inline constexpr double kMaxWhole = 9007199254740992.0;
/// Largest |entry| of an optimiser moment in a document: any finite value (what training wrote, a document reads back:
/// gradients of unnormalised, fast-growing data square past 2^53 within a few iterations).
inline constexpr double kMoment = std::numeric_limits<double>::max();
/// Largest |value| of a data coordinate or time (states, samples, query points, grid bounds).
inline constexpr double kData = 1e12;
/// Largest |θ| entry: far beyond any trained network, far below float64 overflow through 8 layers.
inline constexpr double kParameter = 1e8;
/// Normalisation scales lie in [kMinScale, kData] and offsets in [−kData, kData].
inline constexpr double kMinScale = 1e-9;
/// Most network parameters (hidden widths × layers).
inline constexpr double kParameters = 4194304;
/// Memory one call may allocate for its work and result, in bytes (the wasm heap tops out at 2 GiB).
inline constexpr double kCallBytes = 256.0 * 1024 * 1024;
/// Largest time budget of a call in milliseconds (one hour) and the default when none is given (one minute).
inline constexpr double kMaxMillis = 3600000.0;
inline constexpr double kDefaultMillis = 60000.0;

/// Columns per block when a batch is processed in blocks so that one block's work uses at most a quarter
/// of kCallBytes (between 1 and 4096 columns).
[[nodiscard]] inline long block_columns(double bytes_per_column) {
  const double n = kCallBytes / 4.0 / (bytes_per_column > 1 ? bytes_per_column : 1.0);
  return n < 1 ? 1 : n > 4096 ? 4096 : static_cast<long>(n);
}

/// A number for a message: shortest form that reads back the same ("1e-14", "0.5", "4096"; "50", not "5e+01").
[[nodiscard]] std::string format(double x);
/// A user-supplied string for a message: quoted, at most 40 characters.
[[nodiscard]] std::string quote(const std::string& s);
/// Calls needing at least this many bytes are also checked against the memory left (`set_memory_left`): kTransient
/// times their estimate (inputs are copied on their way in: the caller's arrays, then the stored form) and kReserve
/// (what unchecked allocations around them may take) must fit; smaller ones (a training step of the page's default
/// network, its grids) are not asked. A training step of the largest networks is (256 × 6: ~42 MB): the wasm room
/// answers in O(1) until the heap has grown near its cap.
inline constexpr double kLeftChecked = 8.0 * 1024 * 1024;
inline constexpr double kTransient = 2.0;
inline constexpr double kReserve = 64.0 * 1024 * 1024;
/// Fails unless `bytes` fit the call budget: "<what> would need about N MiB; the limit is 256 MiB"; and, where the
/// platform bounds memory (`set_memory_left`), unless they fit what is left of it.
Result<> check_memory(double bytes, std::string_view what);
/// Where the process has a fixed memory cap (the wasm heap: 2 GiB for every object of the module together), the bytes
/// still free under it, for check_memory: each call's budget alone lets many live objects together exhaust the cap,
/// and an allocation that fails there cannot be recovered from (no C++ exceptions in the wasm build). Null: no cap.
void set_memory_left(double (*left)());
/// Fails unless x is finite with |x| ≤ kData: "<what> must be finite with magnitude at most 1e+12".
Result<> check_data(double x, const std::string& what);

}  // namespace nde::limits
