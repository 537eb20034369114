// Replaces glibc's malloc family with counting wrappers around __libc_malloc & co.
#include "alloc_counter.hpp"

#include <malloc.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>

extern "C" {
void* __libc_malloc(size_t);
void __libc_free(void*);
void* __libc_calloc(size_t, size_t);
void* __libc_realloc(void*, size_t);
void* __libc_memalign(size_t, size_t);
}

namespace {
std::atomic<std::size_t> g_in_use{0};
std::atomic<std::size_t> g_peak{0};
std::atomic<std::size_t> g_count{0};

void added(void* p) {
  if (!p) return;
  g_count.fetch_add(1, std::memory_order_relaxed);
  const std::size_t now = g_in_use.fetch_add(malloc_usable_size(p)) + malloc_usable_size(p);
  std::size_t peak = g_peak.load();
  while (now > peak && !g_peak.compare_exchange_weak(peak, now)) {
  }
}
void removed(void* p) {
  if (p) g_in_use.fetch_sub(malloc_usable_size(p));
}
}  // namespace

extern "C" {
void* malloc(size_t n) {
  void* p = __libc_malloc(n);
  added(p);
  return p;
}
void free(void* p) {
  removed(p);
  __libc_free(p);
}
void* calloc(size_t a, size_t b) {
  void* p = __libc_calloc(a, b);
  added(p);
  return p;
}
void* realloc(void* old, size_t n) {
  removed(old);
  void* p = __libc_realloc(old, n);
  if (p) added(p);
  else if (old && n) added(old);
  return p;
}
void* memalign(size_t a, size_t n) {
  void* p = __libc_memalign(a, n);
  added(p);
  return p;
}
void* aligned_alloc(size_t a, size_t n) { return memalign(a, n); }
int posix_memalign(void** out, size_t a, size_t n) {
  void* p = memalign(a, n);
  if (!p) return ENOMEM;
  *out = p;
  return 0;
}
}

namespace nde_bench {
std::size_t heap_in_use() { return g_in_use.load(); }
std::size_t heap_peak() { return g_peak.load(); }
void reset_peak() { g_peak.store(g_in_use.load()); }
std::size_t allocations() { return g_count.load(); }
}  // namespace nde_bench
