#pragma once
/// Forward-mode dual numbers v + d·ε (ε² = 0): with them the MLP's reverse pass gives second derivatives.
#include <Eigen/Core>
#include <cmath>

namespace nde {

/// A value and one directional derivative.
struct Dual {
  double v = 0.0;
  double d = 0.0;
  Dual() = default;
  Dual(double value, double deriv = 0.0) : v(value), d(deriv) {}  // NOLINT: implicit from double by design
  Dual& operator+=(const Dual& o) { v += o.v; d += o.d; return *this; }
  Dual& operator-=(const Dual& o) { v -= o.v; d -= o.d; return *this; }
  Dual& operator*=(const Dual& o) { d = d * o.v + v * o.d; v *= o.v; return *this; }
  Dual& operator/=(const Dual& o) { d = (d * o.v - v * o.d) / (o.v * o.v); v /= o.v; return *this; }
};

inline Dual operator+(Dual a, const Dual& b) { return a += b; }
inline Dual operator-(Dual a, const Dual& b) { return a -= b; }
inline Dual operator*(Dual a, const Dual& b) { return a *= b; }
inline Dual operator/(Dual a, const Dual& b) { return a /= b; }
inline Dual operator-(const Dual& a) { return {-a.v, -a.d}; }
inline bool operator==(const Dual& a, const Dual& b) { return a.v == b.v && a.d == b.d; }
inline bool operator!=(const Dual& a, const Dual& b) { return !(a == b); }
inline bool operator<(const Dual& a, const Dual& b) { return a.v < b.v; }
inline bool operator>(const Dual& a, const Dual& b) { return a.v > b.v; }

inline Dual tanh(const Dual& x) { const double t = std::tanh(x.v); return {t, (1 - t * t) * x.d}; }
inline Dual exp(const Dual& x) { const double e = std::exp(x.v); return {e, e * x.d}; }
inline Dual log1p(const Dual& x) { return {std::log1p(x.v), x.d / (1 + x.v)}; }
inline Dual abs(const Dual& x) { return x.v < 0 ? -x : x; }
inline Dual sqrt(const Dual& x) { const double s = std::sqrt(x.v); return {s, x.d / (2 * s)}; }

/// The value part, for branching (plain doubles pass through).
inline double value_of(double x) { return x; }
inline double value_of(const Dual& x) { return x.v; }

}  // namespace nde

namespace Eigen {
template <>
struct NumTraits<nde::Dual> : NumTraits<double> {
  using Real = nde::Dual;
  using NonInteger = nde::Dual;
  using Nested = nde::Dual;
  using Literal = nde::Dual;
  enum { IsComplex = 0, IsInteger = 0, IsSigned = 1, RequireInitialization = 1, ReadCost = 2, AddCost = 2, MulCost = 3 };
};
}  // namespace Eigen
