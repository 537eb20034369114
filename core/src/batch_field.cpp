#include "nde/batch_field.hpp"

#include <algorithm>

namespace nde {

BatchField::BatchField(const Mlp& mlp, RowVec offsets, double kinetic, double jacobian)
    : mlp_(mlp), kinetic_(kinetic), jacobian_(jacobian), own_(std::make_unique<Work>()), w_(own_.get()) {
  w_->offsets = std::move(offsets);
}

BatchField::BatchField(const Mlp& mlp, const RowVec& offsets, double kinetic, double jacobian, Work& work)
    : mlp_(mlp), kinetic_(kinetic), jacobian_(jacobian), w_(&work) {
  w_->offsets = offsets;
}

Index BatchField::size() const { return mlp_.state_dim() * batch() + (regularized() ? 1 : 0); }

double BatchField::kept_bytes() const { return kept_bytes(mlp_, batch()); }

double BatchField::kept_bytes(const Mlp& mlp, Index batch) {
  const std::vector<int>& hidden = mlp.config().hidden;
  double wide = 0;
  for (std::size_t l = 1; l < hidden.size(); ++l) wide = std::max(wide, 8.0 * hidden[l - 1] * hidden[l]);
  return static_cast<double>(batch) * mlp.column_bytes() + wide + 512;
}

void BatchField::finish_eval(const Mat& F, const Eigen::Map<const Mat>& Z, Vec& dy) const {
  const Index n = F.size();
  dy.resize(size());
  dy.head(n) = Eigen::Map<const Vec>(F.data(), n);
  if (regularized()) {
    double r = kinetic_ > 0 ? kinetic_ * F.squaredNorm() : 0.0;
    if (jacobian_ > 0) {
      mlp_.jacobian_frobenius(Z, w_->times, w_->weights);
      r += jacobian_ * w_->weights.sum();
    }
    dy[n] = r;
  }
}

void BatchField::eval(double t, const Vec& y, Vec& dy) const {
  const Index S = mlp_.state_dim(), B = batch();
  const Eigen::Map<const Mat> Z(y.data(), S, B);
  w_->times = w_->offsets.array() + t;
  w_->tape.reverse_only = true;  // only `reverse` reads these tapes: the kernels may keep their own layout
  mlp_.forward<double>(Z, w_->times, w_->F, &w_->tape);  // this field's buffers, sized for its batch
  finish_eval(w_->F, Z, dy);
}

void BatchField::eval_keep(double t, const Vec& y, Vec& dy, int slot) const {
  const Index S = mlp_.state_dim(), B = batch();
  const auto k = static_cast<std::size_t>(slot);
  if (w_->kept.size() <= k) {
    w_->kept.resize(k + 1);
    w_->kept_F.resize(k + 1);
  }
  const Eigen::Map<const Mat> Z(y.data(), S, B);
  w_->times = w_->offsets.array() + t;
  w_->kept[k].reverse_only = true;
  mlp_.forward<double>(Z, w_->times, w_->kept_F[k], &w_->kept[k]);
  finish_eval(w_->kept_F[k], Z, dy);
}

void BatchField::vjp(double t, const Vec& y, const Vec& a, Vec& a_y, Vec& g_theta) const {
  eval_and_vjp(t, y, a, w_->dy, a_y, g_theta);
}

void BatchField::vjp_kept(double t, const Vec& y, const Vec& a, Vec& a_y, Vec& g_theta, int slot) const {
  const Index S = mlp_.state_dim(), B = batch();
  const auto k = static_cast<std::size_t>(slot);
  const Eigen::Map<const Mat> Z(y.data(), S, B);
  w_->times = w_->offsets.array() + t;
  reverse(w_->kept[k], w_->kept_F[k], Z, a, a_y, g_theta);
}

void BatchField::eval_and_vjp(double t, const Vec& y, const Vec& a, Vec& dy, Vec& a_y, Vec& g_theta) const {
  const Index S = mlp_.state_dim(), B = batch();
  const Eigen::Map<const Mat> Z(y.data(), S, B);
  w_->times = w_->offsets.array() + t;
  w_->tape.reverse_only = true;
  mlp_.forward<double>(Z, w_->times, w_->F, &w_->tape);
  finish_eval(w_->F, Z, dy);
  reverse(w_->tape, w_->F, Z, a, a_y, g_theta);
}

void BatchField::reverse(Mlp::Tape<double>& tape, const Mat& F, const Eigen::Map<const Mat>& Z, const Vec& a,
                         Vec& a_y, Vec& g_theta) const {
  const Index S = mlp_.state_dim(), B = batch();
  Mat &dZ = w_->dZ, &A = w_->A;
  A = Eigen::Map<const Mat>(a.data(), S, B);
  const double ar = regularized() ? a[S * B] : 0.0;
  if (kinetic_ > 0 && ar != 0.0) A += (2.0 * kinetic_ * ar) * F;
  mlp_.backward<double>(tape, A, &dZ, &g_theta, nullptr);
  if (jacobian_ > 0 && ar != 0.0) {
    w_->weights.setConstant(B, jacobian_ * ar);
    mlp_.jacobian_frobenius_grad(Z, w_->times, w_->weights, &w_->dZ2, &g_theta);
    dZ += w_->dZ2;
  }
  a_y.resize(size());
  a_y.head(S * B) = Eigen::Map<const Vec>(dZ.data(), S * B);
  if (regularized()) a_y[S * B] = 0.0;
}

}  // namespace nde
