#include "nde/cnf_field.hpp"

namespace nde {

CnfField::CnfField(const Mlp& mlp, Index batch, TraceMode mode, const Mat* probes, double kinetic, double jacobian)
    : mlp_(mlp), batch_(batch), mode_(mode), probes_(probes), kinetic_(kinetic), jacobian_(jacobian) {}

Index CnfField::size() const { return (mlp_.state_dim() + 1) * batch_ + (regularized() ? 1 : 0); }

void CnfField::divergence(const MatIn& Z, const RowVec& t, RowVec& out) const {
  if (mode_ == TraceMode::Hutchinson && probes_) mlp_.trace_estimate(Z, t, *probes_, out);
  else mlp_.divergence(Z, t, out);
}

double CnfField::regularizer(const MatIn& Z, const Mat& F) const {
  double r = kinetic_ > 0 ? kinetic_ * F.squaredNorm() : 0.0;
  if (jacobian_ > 0) {
    mlp_.jacobian_frobenius(Z, w_.times, w_.frob);
    r += jacobian_ * w_.frob.sum();
  }
  return r;
}

void CnfField::eval(double t, const Vec& y, Vec& dy) const {
  const Index S = mlp_.state_dim(), B = batch_;
  const Eigen::Map<const Mat> Z(y.data(), S, B);
  w_.times.setConstant(B, t);
  mlp_.forward<double>(Z, w_.times, w_.F, nullptr);
  dy.resize(size());
  dy.head(S * B) = Eigen::Map<const Vec>(w_.F.data(), S * B);
  divergence(Z, w_.times, w_.div);
  dy.segment(S * B, B) = -w_.div.transpose();
  if (regularized()) dy[size() - 1] = regularizer(Z, w_.F);
}

void CnfField::vjp(double t, const Vec& y, const Vec& a, Vec& a_y, Vec& g_theta) const {
  eval_and_vjp(t, y, a, w_.dy, a_y, g_theta);
}

void CnfField::eval_and_vjp(double t, const Vec& y, const Vec& a, Vec& dy, Vec& a_y, Vec& g_theta) const {
  const Index S = mlp_.state_dim(), B = batch_;
  const Eigen::Map<const Mat> Z(y.data(), S, B);
  w_.times.setConstant(B, t);
  mlp_.forward<double>(Z, w_.times, w_.F, &w_.tape);
  dy.resize(size());
  dy.head(S * B) = Eigen::Map<const Vec>(w_.F.data(), S * B);
  divergence(Z, w_.times, w_.div);
  dy.segment(S * B, B) = -w_.div.transpose();
  const double ar = regularized() ? a[size() - 1] : 0.0;
  w_.A = Eigen::Map<const Mat>(a.data(), S, B);
  if (kinetic_ > 0 && ar != 0.0) w_.A += (2.0 * kinetic_ * ar) * w_.F;
  mlp_.backward<double>(w_.tape, w_.A, &w_.dZ, &g_theta, nullptr);
  // dℓ_k/dt = −div f(z_k): its cotangent a_ℓ,k weighs −∂div/∂(z, θ).
  w_.w = -a.segment(S * B, B).transpose();
  if (!w_.w.isZero(0.0)) {
    if (mode_ == TraceMode::Hutchinson && probes_) mlp_.trace_estimate_grad(Z, w_.times, *probes_, w_.w, &w_.dZd, &g_theta);
    else mlp_.divergence_grad(Z, w_.times, w_.w, &w_.dZd, &g_theta);
    w_.dZ += w_.dZd;
  }
  if (regularized()) dy[size() - 1] = regularizer(Z, w_.F);
  if (jacobian_ > 0 && ar != 0.0) {
    w_.w.setConstant(B, jacobian_ * ar);
    mlp_.jacobian_frobenius_grad(Z, w_.times, w_.w, &w_.dZd, &g_theta);
    w_.dZ += w_.dZd;
  }
  a_y.setZero(size());
  a_y.head(S * B) = Eigen::Map<const Vec>(w_.dZ.data(), S * B);
}

}  // namespace nde
