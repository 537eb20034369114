#pragma once
/// Calling a kernel chosen at run time (its thin widths) so that it stays a function of its own in wasm.
#include <Eigen/Core>
#include <type_traits>
#include <utility>

namespace nde::kernels {

/// Calls f(a...). In wasm through a pointer read back from memory, so f stays a function of its own: emcc's link-time
/// optimiser (binaryen at -O3) inlines a function with one call site into its caller however large (a
/// `noinline` attribute does not stop it), and V8, compiling a kernel inside a large caller, kept its accumulators
/// on the stack across the hidden-unit loop (the float32 grid kernel inside `Trainer::field`, the float64 lanes
/// kernels inside `Mlp::forward/backward<double>`). Natively a direct call.
template <class R, class... P, class... A>
inline void out_of_line(R (*f)(P...), A&&... a) {
#if defined(__wasm__)
  R (*volatile p)(P...) = f;
  p(std::forward<A>(a)...);
#else
  f(std::forward<A>(a)...);
#endif
}

/// Calls f with std::integral_constant<int, n> for n in 1..4 (a thin layer's compile-time width; larger n as 4).
template <class F>
void with_width(Eigen::Index n, F&& f) {
  switch (n) {
    case 1: return f(std::integral_constant<int, 1>{});
    case 2: return f(std::integral_constant<int, 2>{});
    case 3: return f(std::integral_constant<int, 3>{});
    default: return f(std::integral_constant<int, 4>{});
  }
}

}  // namespace nde::kernels
