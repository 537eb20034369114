#pragma once
/// Counts heap bytes in use and allocations by replacing malloc/free (glibc): current and peak since the last reset.
#include <cstddef>

namespace nde_bench {

/// Bytes currently allocated through malloc and friends.
std::size_t heap_in_use();
/// Largest heap_in_use() since reset_peak().
std::size_t heap_peak();
/// Restarts peak tracking from the current use.
void reset_peak();
/// Number of allocations (malloc, calloc, realloc, memalign) made so far.
std::size_t allocations();

}  // namespace nde_bench
