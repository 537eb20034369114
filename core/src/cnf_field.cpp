#include "nde/cnf_field.hpp"

namespace nde {

CnfField::CnfField(const Mlp& mlp, Index batch, TraceMode mode, const Mat* probes, double kinetic, double jacobian)
    : mlp_(mlp), batch_(batch), mode_(mode), probes_(probes), kinetic_(kinetic), jacobian_(jacobian) {}

Index CnfField::size() const { return (mlp_.state_dim() + 1) * batch_ + (regularized() ? 1 : 0); }

RowVec CnfField::divergence(const Mat& Z, const RowVec& t) const {
  if (mode_ == TraceMode::Hutchinson && probes_) return mlp_.trace_estimate(Z, t, *probes_);
  return mlp_.divergence(Z, t);
}

void CnfField::eval(double t, const Vec& y, Vec& dy) const {
  const Index S = mlp_.state_dim(), B = batch_;
  const Eigen::Map<const Mat> Z(y.data(), S, B);
  const RowVec times = RowVec::Constant(B, t);
  Mat F;
  mlp_.forward<double>(Z, times, F, nullptr);
  dy.resize(size());
  dy.head(S * B) = Eigen::Map<const Vec>(F.data(), S * B);
  dy.segment(S * B, B) = -divergence(Z, times).transpose();
  if (regularized()) {
    double r = kinetic_ > 0 ? kinetic_ * F.squaredNorm() : 0.0;
    if (jacobian_ > 0) r += jacobian_ * mlp_.jacobian_frobenius(Z, times).sum();
    dy[size() - 1] = r;
  }
}

void CnfField::vjp(double t, const Vec& y, const Vec& a, Vec& a_y, Vec& g_theta) const {
  Vec dy;
  eval_and_vjp(t, y, a, dy, a_y, g_theta);
}

void CnfField::eval_and_vjp(double t, const Vec& y, const Vec& a, Vec& dy, Vec& a_y, Vec& g_theta) const {
  const Index S = mlp_.state_dim(), B = batch_;
  const Eigen::Map<const Mat> Z(y.data(), S, B);
  const RowVec times = RowVec::Constant(B, t);
  Mlp::Tape<double> tape;
  Mat F, dZ;
  mlp_.forward<double>(Z, times, F, &tape);
  dy.resize(size());
  dy.head(S * B) = Eigen::Map<const Vec>(F.data(), S * B);
  dy.segment(S * B, B) = -divergence(Z, times).transpose();
  const double ar = regularized() ? a[size() - 1] : 0.0;
  Mat A = Eigen::Map<const Mat>(a.data(), S, B);
  if (kinetic_ > 0 && ar != 0.0) A += (2.0 * kinetic_ * ar) * F;
  mlp_.backward<double>(tape, A, &dZ, &g_theta, nullptr);
  // dℓ_k/dt = −div f(z_k): its cotangent a_ℓ,k weighs −∂div/∂(z, θ).
  const RowVec w = -a.segment(S * B, B).transpose();
  if (!w.isZero(0.0)) {
    Mat dZd;
    if (mode_ == TraceMode::Hutchinson && probes_) mlp_.trace_estimate_grad(Z, times, *probes_, w, &dZd, &g_theta);
    else mlp_.divergence_grad(Z, times, w, &dZd, &g_theta);
    dZ += dZd;
  }
  if (regularized()) {
    double r = kinetic_ > 0 ? kinetic_ * F.squaredNorm() : 0.0;
    if (jacobian_ > 0) r += jacobian_ * mlp_.jacobian_frobenius(Z, times).sum();
    dy[size() - 1] = r;
  }
  if (jacobian_ > 0 && ar != 0.0) {
    Mat dZj;
    mlp_.jacobian_frobenius_grad(Z, times, RowVec::Constant(B, jacobian_ * ar), &dZj, &g_theta);
    dZ += dZj;
  }
  a_y = Vec::Zero(size());
  a_y.head(S * B) = Eigen::Map<const Vec>(dZ.data(), S * B);
}

}  // namespace nde
