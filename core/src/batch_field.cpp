#include "nde/batch_field.hpp"

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

void BatchField::eval(double t, const Vec& y, Vec& dy) const {
  const Index S = mlp_.state_dim(), B = batch();
  const Eigen::Map<const Mat> Z(y.data(), S, B);
  RowVec& times = w_->times;
  times = w_->offsets.array() + t;
  Mat& F = w_->F;
  mlp_.forward<double>(Z, times, F, &w_->tape);  // this field's buffers, sized for its batch
  dy.resize(size());
  dy.head(S * B) = Eigen::Map<const Vec>(F.data(), S * B);
  if (regularized()) {
    double r = kinetic_ > 0 ? kinetic_ * F.squaredNorm() : 0.0;
    if (jacobian_ > 0) r += jacobian_ * mlp_.jacobian_frobenius(Z, times).sum();
    dy[S * B] = r;
  }
}

void BatchField::vjp(double t, const Vec& y, const Vec& a, Vec& a_y, Vec& g_theta) const {
  eval_and_vjp(t, y, a, w_->dy, a_y, g_theta);
}

void BatchField::eval_and_vjp(double t, const Vec& y, const Vec& a, Vec& dy, Vec& a_y, Vec& g_theta) const {
  const Index S = mlp_.state_dim(), B = batch();
  const Eigen::Map<const Mat> Z(y.data(), S, B);
  RowVec& times = w_->times;
  times = w_->offsets.array() + t;
  Mlp::Tape<double>& tape = w_->tape;
  Mat &F = w_->F, &dZ = w_->dZ, &A = w_->A;
  mlp_.forward<double>(Z, times, F, &tape);
  dy.resize(size());
  dy.head(S * B) = Eigen::Map<const Vec>(F.data(), S * B);
  A = Eigen::Map<const Mat>(a.data(), S, B);
  const double ar = regularized() ? a[S * B] : 0.0;
  if (kinetic_ > 0 && ar != 0.0) A += (2.0 * kinetic_ * ar) * F;
  mlp_.backward<double>(tape, A, &dZ, &g_theta, nullptr);
  if (regularized()) {
    double r = kinetic_ > 0 ? kinetic_ * F.squaredNorm() : 0.0;
    if (jacobian_ > 0) r += jacobian_ * mlp_.jacobian_frobenius(Z, times).sum();
    dy[S * B] = r;
  }
  if (jacobian_ > 0 && ar != 0.0) {
    mlp_.jacobian_frobenius_grad(Z, times, RowVec::Constant(B, jacobian_ * ar), &w_->dZ2, &g_theta);
    dZ += w_->dZ2;
  }
  a_y.resize(size());
  a_y.head(S * B) = Eigen::Map<const Vec>(dZ.data(), S * B);
  if (regularized()) a_y[S * B] = 0.0;
}

}  // namespace nde
