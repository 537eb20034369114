#pragma once
/// Dense output: the solution inside a step, read from the step's stages without new evaluations. Lets one
/// solve serve outputs at any times (windows with different observation times) instead of clipping its
/// steps to every one of them.
#include "nde/step.hpp"
#include "nde/tableau.hpp"

namespace nde {

/// The method with a continuous extension: itself if it has one (dopri5), otherwise the method plus an
/// end stage K_s = f(t + h, y1) (first-same-as-last, so it costs one evaluation per solve, not per step)
/// with the cubic Hermite interpolant through (y0, f0) and (y1, f1) written as stage weights.
[[nodiscard]] Tableau with_dense_output(const Tableau& tab);

/// β_j(θ) for every stage j into beta (size tab.stages()); tab must have a continuous extension.
void dense_weights(const Tableau& tab, double theta, double* beta);

/// out = y + h Σ_j β_j(θ) K_j: the step's solution at t + θh.
void dense_eval(const Tableau& tab, const Vec& y, double h, const Mat& K, double theta, Vec& out);

/// Cotangents of the stages from ∂L/∂y(t + θh) = g: K_bar.col(j) += h β_j(θ) g (the y part is g itself).
void dense_eval_vjp(const Tableau& tab, double h, double theta, const Vec& g, Mat& K_bar);

}  // namespace nde
