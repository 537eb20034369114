#include "nde/dense.hpp"

#include <vector>

namespace nde {

Tableau with_dense_output(const Tableau& tab) {
  if (!tab.dense.empty()) return tab;
  // y(θ) = h00 y0 + h01 y1 + h (h10 f0 + h11 f1), h00 + h01 = 1, y1 = y0 + h Σ b_j K_j, f0 = K_0, f1 = K_s:
  // β_j = h01 b_j + h10 [j = 0] + h11 [j = s], with h01 = 3θ² − 2θ³, h10 = θ − 2θ² + θ³, h11 = −θ² + θ³.
  Tableau d = tab;
  const int s = tab.stages();
  d.name = tab.name;
  d.c.push_back(1.0);
  d.a.push_back(tab.b);
  d.b.push_back(0.0);
  if (!d.err.empty()) d.err.push_back(0.0);
  d.fsal = true;
  d.dense.assign(static_cast<std::size_t>(s + 1), std::vector<double>{0.0, 0.0, 0.0});
  for (int j = 0; j < s; ++j) d.dense[j] = {0.0, 3.0 * tab.b[j], -2.0 * tab.b[j]};
  d.dense[0][0] += 1.0;
  d.dense[0][1] += -2.0;
  d.dense[0][2] += 1.0;
  d.dense[s] = {0.0, -1.0, 1.0};
  return d;
}

void dense_weights(const Tableau& tab, double theta, double* beta) {
  for (int j = 0; j < tab.stages(); ++j) {
    const std::vector<double>& c = tab.dense[static_cast<std::size_t>(j)];
    double v = 0.0;
    for (std::size_t p = c.size(); p-- > 0;) v = (v + c[p]) * theta;  // Horner in θ, no constant term
    beta[j] = v;
  }
}

namespace {
constexpr int kMaxStages = 16;
}

void dense_eval(const Tableau& tab, const Vec& y, double h, const Mat& K, double theta, Vec& out) {
  double beta[kMaxStages];
  dense_weights(tab, theta, beta);
  out = y;
  for (int j = 0; j < tab.stages(); ++j)
    if (beta[j] != 0.0) out.noalias() += (h * beta[j]) * K.col(j);
}

void dense_eval_vjp(const Tableau& tab, double h, double theta, const Vec& g, Mat& K_bar) {
  double beta[kMaxStages];
  dense_weights(tab, theta, beta);
  for (int j = 0; j < tab.stages(); ++j)
    if (beta[j] != 0.0) K_bar.col(j).noalias() += (h * beta[j]) * g;
}

}  // namespace nde
