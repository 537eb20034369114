#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

int main(int argc, char* argv[]) {
#if defined(__GLIBC__)
  // Batched MLP temporaries are freed and re-allocated at the top of the heap on every evaluation; with
  // glibc's default trim threshold the heap shrinks and re-faults those pages thousands of times a second
  // (about half the run time of the density tests). Keep them.
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
  mallopt(M_MMAP_THRESHOLD, 64 << 20);
#endif
  return Catch::Session().run(argc, argv);
}
