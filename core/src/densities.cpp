#include "nde/densities.hpp"

#include <cmath>

#include "nde/rng.hpp"

namespace nde {

namespace {
constexpr double kPi = 3.141592653589793;
}

const std::vector<std::string>& density_presets() {
  static const std::vector<std::string> names{"two-moons", "rings", "eight-gaussians", "checkerboard", "pinwheel", "two-gaussians"};
  return names;
}

double two_gaussians_log_density(double x, double y) {
  const double s = 0.45, m = 1.3;
  auto g = [&](double cx) { return std::exp(-((x - cx) * (x - cx) + y * y) / (2 * s * s)) / (2 * kPi * s * s); };
  return std::log(0.5 * g(-m) + 0.5 * g(m));
}

Mat sample_density(const std::string& name, Eigen::Index n, std::uint64_t seed) {
  Rng r(seed);
  Mat x(2, n);
  for (Eigen::Index k = 0; k < n; ++k) {
    double a = 0, b = 0;
    if (name == "two-moons") {
      const double th = kPi * r.uniform();
      if (r.uniform() < 0.5) { a = std::cos(th); b = std::sin(th) - 0.25; }
      else { a = 1 - std::cos(th); b = 0.25 - std::sin(th); }
      a = 1.6 * (a - 0.5) + 0.06 * r.normal();
      b = 1.6 * b + 0.06 * r.normal();
    } else if (name == "rings") {
      const double radius = 0.6 + 0.9 * static_cast<double>(r.below(3));
      const double th = 2 * kPi * r.uniform();
      a = radius * std::cos(th) + 0.06 * r.normal();
      b = radius * std::sin(th) + 0.06 * r.normal();
    } else if (name == "eight-gaussians") {
      const double th = 2 * kPi * static_cast<double>(r.below(8)) / 8;
      a = 2 * std::cos(th) + 0.2 * r.normal();
      b = 2 * std::sin(th) + 0.2 * r.normal();
    } else if (name == "checkerboard") {
      const double x1 = r.uniform(-2, 2);
      const double u = r.uniform(0, 1);  // draws in separate statements: operand order is unspecified in C++
      const double x2 = u + static_cast<double>(r.below(2)) * 2 - 2 + (std::fmod(std::floor(x1) + 4, 2.0) == 0 ? 1 : 0);
      a = x1;
      b = x2;
    } else if (name == "pinwheel") {
      const int arm = static_cast<int>(r.below(5));
      const double rad = 0.3 * r.normal() + 1.0, tan_ = 0.05 * r.normal();
      const double th = 2 * kPi * arm / 5 + 0.25 * std::exp(rad);
      a = 1.2 * (rad * std::cos(th) - tan_ * std::sin(th));
      b = 1.2 * (rad * std::sin(th) + tan_ * std::cos(th));
    } else if (name == "two-gaussians") {
      const double centre = r.uniform() < 0.5 ? -1.3 : 1.3;
      a = centre + 0.45 * r.normal();
      b = 0.45 * r.normal();
    } else {
      return Mat();
    }
    x(0, k) = a;
    x(1, k) = b;
  }
  return x;
}

}  // namespace nde
