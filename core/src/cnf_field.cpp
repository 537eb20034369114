#include "nde/cnf_field.hpp"

namespace nde {

namespace {
CnfField::Passes& passes_flag() {
  static CnfField::Passes p = CnfField::Passes::Tangents;
  return p;
}
}  // namespace

void CnfField::set_passes(Passes p) { passes_flag() = p; }
CnfField::Passes CnfField::passes() { return passes_flag(); }

CnfField::CnfField(const Mlp& mlp, Index batch, TraceMode mode, const Mat* probes, double kinetic, double jacobian)
    : mlp_(mlp), batch_(batch), mode_(mode), probes_(probes), kinetic_(kinetic), jacobian_(jacobian) {}

double CnfField::kept_bytes() const {
  const double directions = (probed() ? 1.0 : 0.0) + (units() ? mlp_.state_dim() : 0.0);
  return static_cast<double>(batch_) * mlp_.column_bytes() * (1.0 + 2.0 * directions) + 1024;
}

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

void CnfField::evaluate(const MatIn& Z, Pass& p, Vec& dy) const {
  const Index S = mlp_.state_dim(), B = batch_;
  mlp_.forward<double>(Z, w_.times, p.F, &p.tape);
  dy.resize(size());
  dy.head(S * B) = Eigen::Map<const Vec>(p.F.data(), S * B);
  if (passes() == Passes::Tangents) {
    // Directions side by side: the probes (Hutchinson), then e_1 … e_S (exact trace or Jacobian regulariser).
    const Index u0 = probed() ? B : 0, D = (probed() ? 1 : 0) + (units() ? S : 0);
    Mat& U = p.tangents.U;
    U.setZero(S, D * B);
    if (probed()) U.leftCols(B) = *probes_;
    if (units())
      for (Index i = 0; i < S; ++i) U.block(i, u0 + i * B, 1, B).setOnes();
    mlp_.tangent_forward(p.tape, p.tangents);
    const Mat& JU = p.tangents.dP.back();  // ∂f/∂z · u per direction
    if (probed()) {
      w_.div.noalias() = JU.leftCols(B).cwiseProduct(*probes_).colwise().sum();
    } else {
      w_.div.setZero(B);
      for (Index i = 0; i < S; ++i) w_.div += JU.block(i, u0 + i * B, 1, B);
    }
    dy.segment(S * B, B) = -w_.div.transpose();
    if (regularized()) {
      double r = kinetic_ > 0 ? kinetic_ * p.F.squaredNorm() : 0.0;
      if (jacobian_ > 0) r += jacobian_ * JU.middleCols(u0, S * B).squaredNorm();  // ‖J‖²_F = Σ_i ‖J e_i‖²
      dy[size() - 1] = r;
    }
    return;
  }
  const bool exact = !(mode_ == TraceMode::Hutchinson && probes_);
  if (exact || jacobian_ > 0) mlp_.jacobian_rows(p.tape, w_.rows);
  if (exact) mlp_.divergence(w_.rows, w_.div);
  else mlp_.trace_estimate(p.tape, *probes_, w_.div);
  dy.segment(S * B, B) = -w_.div.transpose();
  if (regularized()) {
    double r = kinetic_ > 0 ? kinetic_ * p.F.squaredNorm() : 0.0;
    if (jacobian_ > 0) {
      mlp_.jacobian_frobenius(w_.rows, w_.frob);
      r += jacobian_ * w_.frob.sum();
    }
    dy[size() - 1] = r;
  }
}

void CnfField::reverse(Pass& p, const Vec& a, Vec& a_y, Vec& g_theta) const {
  const Index S = mlp_.state_dim(), B = batch_;
  const double ar = regularized() ? a[size() - 1] : 0.0;
  w_.A = Eigen::Map<const Mat>(a.data(), S, B);
  if (kinetic_ > 0 && ar != 0.0) w_.A += (2.0 * kinetic_ * ar) * p.F;
  if (passes() == Passes::Tangents) {
    // Cotangents of the tangent outputs J u: the trace's −a_ℓ on (u ∘ J u) and the regulariser's 2·jacobian·a_r·J e_i.
    const Index u0 = probed() ? B : 0;
    const Mat& JU = p.tangents.dP.back();
    w_.w = -a.segment(S * B, B).transpose();
    Mat& C = w_.C;
    C.setZero(S, JU.cols());
    if (probed()) {
      C.leftCols(B) = probes_->array().rowwise() * w_.w.array();
    } else {
      for (Index i = 0; i < S; ++i) C.block(i, u0 + i * B, 1, B) = w_.w;
    }
    if (jacobian_ > 0 && ar != 0.0) C.middleCols(u0, S * B) += (2.0 * jacobian_ * ar) * JU.middleCols(u0, S * B);
    mlp_.backward_tangent(p.tape, p.tangents, w_.A, C, &w_.dZ, &g_theta);
    a_y.setZero(size());
    a_y.head(S * B) = Eigen::Map<const Vec>(w_.dZ.data(), S * B);
    return;
  }
  mlp_.backward<double>(p.tape, w_.A, &w_.dZ, &g_theta, nullptr);
  // dℓ_k/dt = −div f(z_k): its cotangent a_ℓ,k weighs −∂div/∂(z, θ).
  w_.w = -a.segment(S * B, B).transpose();
  if (!w_.w.isZero(0.0)) {
    if (mode_ == TraceMode::Hutchinson && probes_) mlp_.trace_estimate_grad(p.tape, *probes_, w_.w, &w_.dZd, &g_theta);
    else mlp_.divergence_grad(p.tape, w_.w, &w_.dZd, &g_theta);
    w_.dZ += w_.dZd;
  }
  if (jacobian_ > 0 && ar != 0.0) {
    mlp_.jacobian_rows(p.tape, w_.rows);
    w_.w.setConstant(B, jacobian_ * ar);
    mlp_.jacobian_frobenius_grad(p.tape, w_.rows, w_.w, &w_.dZd, &g_theta);
    w_.dZ += w_.dZd;
  }
  a_y.setZero(size());
  a_y.head(S * B) = Eigen::Map<const Vec>(w_.dZ.data(), S * B);
}

void CnfField::eval_keep(double t, const Vec& y, Vec& dy, int slot) const {
  if (passes() == Passes::Separate) return eval(t, y, dy);
  const auto k = static_cast<std::size_t>(slot);
  if (w_.kept.size() <= k) w_.kept.resize(k + 1);
  const Eigen::Map<const Mat> Z(y.data(), mlp_.state_dim(), batch_);
  w_.times.setConstant(batch_, t);
  evaluate(Z, w_.kept[k], dy);
}

void CnfField::vjp_kept(double t, const Vec& y, const Vec& a, Vec& a_y, Vec& g_theta, int slot) const {
  if (passes() == Passes::Separate) return vjp(t, y, a, a_y, g_theta);
  reverse(w_.kept[static_cast<std::size_t>(slot)], a, a_y, g_theta);
}

void CnfField::eval(double t, const Vec& y, Vec& dy) const {
  const Index S = mlp_.state_dim(), B = batch_;
  const Eigen::Map<const Mat> Z(y.data(), S, B);
  w_.times.setConstant(B, t);
  if (passes() != Passes::Separate) return evaluate(Z, w_.pass, dy);
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
  if (passes() == Passes::Separate) return eval_and_vjp_separate(t, y, a, dy, a_y, g_theta);
  const Eigen::Map<const Mat> Z(y.data(), mlp_.state_dim(), batch_);
  w_.times.setConstant(batch_, t);
  evaluate(Z, w_.pass, dy);
  reverse(w_.pass, a, a_y, g_theta);
}

void CnfField::eval_and_vjp_separate(double t, const Vec& y, const Vec& a, Vec& dy, Vec& a_y, Vec& g_theta) const {
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
