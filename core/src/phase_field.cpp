#include "nde/phase_field.hpp"

#include <algorithm>
#include <cmath>
#include <memory>
#include <vector>

namespace nde {

Vec PhaseField::slice_point(double x, double y) const {
  Vec z = origin.size() == dim ? origin : Vec::Zero(dim);
  z[0] = x;
  if (dim > 1) z[1] = y;
  return z;
}

PhaseField learned_phase_field(const Trainer& trainer, double t) {
  PhaseField f;
  const int d = trainer.config().mlp.dim;
  f.dim = d;
  f.origin = trainer.normalization().offset;
  f.block = std::max<Index>(1, field_block(trainer) / 8);  // ~2^22 multiply-adds: a portrait unit of a few ms
  const Trainer* tr = &trainer;
  f.eval = [tr, t](const Mat& Z) { return tr->field(Z, t); };
  f.jacobian = [tr, t, d](const Vec& z) {
    const Normalization& n = tr->normalization();
    Vec zm = Vec::Zero(tr->mlp().state_dim());
    zm.head(d) = (z - n.offset).cwiseQuotient(n.scale);
    const Mat J = tr->mlp().jacobian(zm, t / n.time).topLeftCorner(d, d);
    // f_phys(z) = S f((z − o)/S) / T  ⇒  J_phys = S J S⁻¹ / T.
    return Mat(n.scale.asDiagonal() * J * n.scale.cwiseInverse().asDiagonal() / n.time);
  };
  if (trainer.config().mlp.augment == 0) {
    f.divergence = [tr, t](const Mat& Z) {
      const Normalization& n = tr->normalization();
      const Mat Zm = (Z.colwise() - n.offset).array().colwise() / n.scale.array();
      // The trace is invariant under the state scaling; the time scale divides it.
      return RowVec(tr->mlp().divergence(Zm, RowVec::Constant(Z.cols(), t / n.time)) / n.time);
    };
  } else {
    f.divergence = [f](const Mat& Z) {
      RowVec div(Z.cols());
      for (Index k = 0; k < Z.cols(); ++k) div[k] = f.jacobian(Z.col(k)).trace();
      return div;
    };
  }
  return f;
}

PhaseField function_phase_field(int dim, std::function<Vec(const Vec&)> fn) {
  PhaseField f;
  f.dim = dim;
  f.origin = Vec::Zero(dim);
  auto g = std::make_shared<std::function<Vec(const Vec&)>>(std::move(fn));
  f.eval = [g, dim](const Mat& Z) {
    Mat F(dim, Z.cols());
    for (Index k = 0; k < Z.cols(); ++k) F.col(k) = (*g)(Z.col(k));
    return F;
  };
  f.jacobian = [g, dim](const Vec& z) {
    Mat J(dim, dim);
    for (int j = 0; j < dim; ++j) {
      const double h = 1e-6 * std::max(1.0, std::abs(z[j]));
      Vec zp = z, zm = z;
      zp[j] += h;
      zm[j] -= h;
      J.col(j) = ((*g)(zp) - (*g)(zm)) / (2 * h);
    }
    return J;
  };
  f.divergence = [jac = f.jacobian](const Mat& Z) {
    RowVec div(Z.cols());
    for (Index k = 0; k < Z.cols(); ++k) div[k] = jac(Z.col(k)).trace();
    return div;
  };
  return f;
}

PhaseField system_phase_field(const System& s) { return function_phase_field(s.dim, s.f); }

PhaseField reversed(const PhaseField& f) {
  PhaseField r = f;
  r.eval = [e = f.eval](const Mat& Z) { return Mat(-e(Z)); };
  r.jacobian = [j = f.jacobian](const Vec& z) { return Mat(-j(z)); };
  r.divergence = [d = f.divergence](const Mat& Z) { return RowVec(-d(Z)); };
  return r;
}

Mat grid_points(const PhaseField& f, const GridSpec& g) {
  const Index m = static_cast<Index>(g.nx) * g.ny;
  Mat P(f.dim, m);
  for (int r = 0; r < g.ny; ++r) {
    const double y = g.ymin + (g.ymax - g.ymin) * r / (g.ny - 1);
    for (int c = 0; c < g.nx; ++c)
      P.col(static_cast<Index>(r) * g.nx + c) = f.slice_point(g.xmin + (g.xmax - g.xmin) * c / (g.nx - 1), y);
  }
  return P;
}

PhaseField sampled(const PhaseField& f, const GridSpec& g) {
  if (f.dim != 2) return f;
  return sampled(f, g, f.eval(grid_points(f, g)));
}

namespace {

/// One grid of samples: bilinear interpolation inside, false outside.
struct Layer {
  GridSpec g;
  Mat V;
  double dx, dy;
  Layer(const GridSpec& grid, const Mat& values)
      : g(grid), V(values.topRows(2)), dx((g.xmax - g.xmin) / (g.nx - 1)), dy((g.ymax - g.ymin) / (g.ny - 1)) {}
  bool at(double x, double y, double* out) const {
    const double u = (x - g.xmin) / dx, v = (y - g.ymin) / dy;
    if (!(u >= 0 && v >= 0 && u <= g.nx - 1 && v <= g.ny - 1)) return false;
    const int c = std::min(static_cast<int>(u), g.nx - 2), r = std::min(static_cast<int>(v), g.ny - 2);
    const double a = u - c, b = v - r;
    const double* p00 = V.data() + 2 * (static_cast<Index>(r) * g.nx + c);
    const double* p01 = p00 + 2 * g.nx;
    const double w00 = (1 - a) * (1 - b), w10 = a * (1 - b), w01 = (1 - a) * b, w11 = a * b;
    out[0] = w00 * p00[0] + w10 * p00[2] + w01 * p01[0] + w11 * p01[2];
    out[1] = w00 * p00[1] + w10 * p00[3] + w01 * p01[1] + w11 * p01[3];
    return true;
  }
};

}  // namespace

PhaseField sampled(const PhaseField& f, const GridSpec& g, const Mat& values,
                   const std::vector<std::pair<GridSpec, Mat>>& more) {
  if (f.dim != 2) return f;
  auto layers = std::make_shared<std::vector<Layer>>();
  layers->emplace_back(g, values);
  for (const auto& [grid, v] : more) layers->emplace_back(grid, v);
  PhaseField s = f;
  s.eval = [layers, exact = f.eval](const Mat& Z) {
    Mat F(2, Z.cols());
    std::vector<Index> outside;
    for (Index k = 0; k < Z.cols(); ++k) {
      bool done = false;
      for (const Layer& l : *layers)
        if ((done = l.at(Z(0, k), Z(1, k), F.data() + 2 * k))) break;
      if (!done) outside.push_back(k);
    }
    if (!outside.empty()) {
      Mat O(2, static_cast<Index>(outside.size()));
      for (std::size_t j = 0; j < outside.size(); ++j) O.col(static_cast<Index>(j)) = Z.col(outside[j]);
      const Mat FO = exact(O);
      for (std::size_t j = 0; j < outside.size(); ++j) F.col(outside[j]) = FO.col(static_cast<Index>(j));
    }
    return F;
  };
  return s;
}

void rk4_step(const PhaseField& f, Mat& Z, const Vec& h) {
  const auto hd = h.asDiagonal();
  const Mat k1 = f.eval(Z);
  const Mat k2 = f.eval(Z + 0.5 * k1 * hd);
  const Mat k3 = f.eval(Z + 0.5 * k2 * hd);
  const Mat k4 = f.eval(Z + k3 * hd);
  Z += (k1 + 2 * k2 + 2 * k3 + k4) * hd / 6.0;
}

}  // namespace nde
