#include "nde/step.hpp"

namespace nde {

namespace {

/// Identity slots: stage i into slot i.
constexpr int kSlots[32] = {0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15,
                            16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31};

/// out = y + Σ_{j < n, c[j] ≠ 0} (h c[j]) K_j over the first `m` rows (`out` an m-row vector or block): the first
/// nonzero term in the pass that copies y, the others added in order — the same sums as copying y and adding each
/// term, one pass fewer.
template <class Out>
void add_stages(Out&& out, const Vec& y, const Mat& K, const std::vector<double>& c, int n, double h, Index m) {
  int j = 0;
  while (j < n && c[static_cast<std::size_t>(j)] == 0.0) ++j;
  if (j == n) {
    out = y.head(m);
    return;
  }
  out = y.head(m) + (h * c[static_cast<std::size_t>(j)]) * K.col(j).head(m);
  for (++j; j < n; ++j)
    if (c[static_cast<std::size_t>(j)] != 0.0) out.noalias() += (h * c[static_cast<std::size_t>(j)]) * K.col(j).head(m);
}

/// One step; `keep`, when given, evaluates the stages with eval_keep (stage i into slots[i]).
int step(const Tableau& tab, const VectorField& f, const DifferentiableField* keep, const int* slots, double t,
         const Vec& y, double h, StepWork& w, bool first_stage_known) {
  const int s = tab.stages();
  const Index n = y.size();
  if (w.K.rows() != n || w.K.cols() != s) w.K.resize(n, s);
  int nfe = 0;
  // Quadrature components do not feed back into f: their stage values are never read.
  const Index m = n - f.quadrature();
  w.tmp.resize(n);
  if (m < n) w.tmp.tail(n - m) = y.tail(n - m);
  for (int i = 0; i < s; ++i) {
    if (i == 0 && first_stage_known) continue;
    add_stages(w.tmp.head(m), y, w.K, tab.a[static_cast<std::size_t>(i)], i, h, m);  // Y_i = y + Σ_j (h a_ij) K_j
    if (keep) keep->eval_keep(t + tab.c[i] * h, w.tmp, w.k, slots[i]);
    else f.eval(t + tab.c[i] * h, w.tmp, w.k);
    w.K.col(i) = w.k;
    ++nfe;
  }
  w.y1.resize(n);
  add_stages(w.y1, y, w.K, tab.b, s, h, n);  // y1 = y + Σ_i (h b_i) K_i
  if (tab.adaptive()) {
    w.err.setZero(n);
    for (int i = 0; i < s; ++i)
      if (tab.err[i] != 0.0) w.err.noalias() += (h * tab.err[i]) * w.K.col(i);
  }
  return nfe;
}

}  // namespace

int rk_step(const Tableau& tab, const VectorField& f, double t, const Vec& y, double h, StepWork& w,
            bool first_stage_known) {
  return step(tab, f, nullptr, nullptr, t, y, h, w, first_stage_known);
}

int rk_step_keep(const Tableau& tab, const DifferentiableField& f, double t, const Vec& y, double h, StepWork& w) {
  return step(tab, f, &f, kSlots, t, y, h, w, false);
}

int rk_step_slots(const Tableau& tab, const DifferentiableField& f, double t, const Vec& y, double h, StepWork& w,
                  bool first_stage_known, const int* slots) {
  return step(tab, f, &f, slots, t, y, h, w, first_stage_known);
}

int rk_step_vjp(const Tableau& tab, const DifferentiableField& f, double t, const Vec& y, double h, const Mat& K,
                StepWork& w, Vec& y_bar, Vec& g_theta, const Mat* K_bar, bool kept) {
  return rk_step_vjp_slots(tab, f, t, y, h, K, w, y_bar, g_theta, K_bar, kept ? kSlots : nullptr);
}

int rk_step_vjp_slots(const Tableau& tab, const DifferentiableField& f, double t, const Vec& y, double h, const Mat& K,
                      StepWork& w, Vec& y_bar, Vec& g_theta, const Mat* K_bar, const int* slots) {
  const int s = tab.stages();
  const Index n = y.size();
  Mat& stage_bar = w.stage_bar;  // cotangent of each stage's input Y_i
  stage_bar.resize(n, s);
  Vec &k_bar = w.k_bar, &Y = w.Y, &a_y = w.a_y, &y0_bar = w.y0_bar;
  k_bar.resize(n);
  y0_bar = y_bar;
  int nvjp = 0;
  for (int i = s; i-- > 0;) {
    // k̄_i = (h b_i) ȳ + K̄_i + Σ_m (h a_mi) Ȳ_m, the first further term in the pass of the first (as in step).
    int m = i + 1;
    while (m < s && tab.a[m][i] == 0.0) ++m;
    if (K_bar) {
      k_bar = (h * tab.b[i]) * y_bar + K_bar->col(i);
    } else if (m < s) {
      k_bar = (h * tab.b[i]) * y_bar + (h * tab.a[m][i]) * stage_bar.col(m);
      ++m;
    } else {
      k_bar = (h * tab.b[i]) * y_bar;
    }
    for (; m < s; ++m)
      if (tab.a[m][i] != 0.0) k_bar.noalias() += (h * tab.a[m][i]) * stage_bar.col(m);
    if (tab.b[i] == 0.0 && k_bar.isZero(0.0)) {
      stage_bar.col(i).setZero();
      continue;
    }
    Y.resize(n);
    add_stages(Y, y, K, tab.a[static_cast<std::size_t>(i)], i, h, n);  // the stage's input, as in step
    if (slots) f.vjp_kept(t + tab.c[i] * h, Y, k_bar, a_y, g_theta, slots[i]);
    else f.vjp(t + tab.c[i] * h, Y, k_bar, a_y, g_theta);
    ++nvjp;
    stage_bar.col(i) = a_y;
    y0_bar += a_y;
  }
  y_bar = y0_bar;
  return nvjp;
}

int rk_step_reverse(const Tableau& tab, const DifferentiableField& f, double t, double h, const Vec& y, const Mat* K,
                    StepWork& w, Vec& y_bar, Vec& g_theta, const Mat* K_bar) {
  if (K) return rk_step_vjp(tab, f, t, y, h, *K, w, y_bar, g_theta, K_bar);
  const int n = rk_step_keep(tab, f, t, y, h, w);
  return n + rk_step_vjp(tab, f, t, y, h, w.K, w, y_bar, g_theta, K_bar, true);
}

}  // namespace nde
