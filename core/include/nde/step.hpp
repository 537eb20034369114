#pragma once
/// One explicit Runge–Kutta step driven by a tableau.
#include <Eigen/Dense>

#include "nde/field.hpp"
#include "nde/tableau.hpp"
#include "nde/types.hpp"

namespace nde {

/// Buffers of a step: stage derivatives K (one column per stage), the new state and the error estimate.
struct StepWork {
  Mat K;
  Vec y1;
  Vec err;
  Vec tmp;
  Vec k;
  Mat stage_bar;                   ///< reverse: cotangent of each stage's input
  Vec k_bar, Y, a_y, y0_bar;       ///< reverse: scratch of one stage
};

/// Advances y by h from t. If `first_stage_known`, K.col(0) already holds f(t, y) (FSAL).
/// Returns the number of function evaluations made. Fills w.y1 and, for adaptive tableaus, w.err.
int rk_step(const Tableau& tab, const VectorField& f, double t, const Vec& y, double h, StepWork& w,
            bool first_stage_known);
/// The same with every stage i evaluated by f.eval_keep(…, i), so that rk_step_vjp(…, kept = true) reuses the
/// stages' forward passes.
int rk_step_keep(const Tableau& tab, const class DifferentiableField& f, double t, const Vec& y, double h, StepWork& w);
/// rk_step with stage i evaluated by f.eval_keep(…, slots[i]) (stage 0 only when not `first_stage_known`).
int rk_step_slots(const Tableau& tab, const class DifferentiableField& f, double t, const Vec& y, double h, StepWork& w,
                  bool first_stage_known, const int* slots);

/// Reverse of one step: given ȳ1, returns ȳ0 in `y_bar` (in place) and adds θ̄ into g_theta.
/// K must hold the stages of the forward step. `K_bar`, when given, holds extra cotangents of the stages
/// (from dense output read inside the step). Function evaluations (VJPs) are counted in the return value.
/// Its scratch is w's reverse part (K is not touched), so it does not allocate after the first call of a given size.
/// With `kept`, the stages were just evaluated by rk_step_keep at this (t, y, h): their forward passes are reused.
int rk_step_vjp(const Tableau& tab, const class DifferentiableField& f, double t, const Vec& y, double h,
                const Mat& K, StepWork& w, Vec& y_bar, Vec& g_theta, const Mat* K_bar = nullptr, bool kept = false);
/// rk_step_vjp from the passes kept in slots[i] for stage i (by rk_step_slots or the solver's StageTapes).
int rk_step_vjp_slots(const Tableau& tab, const class DifferentiableField& f, double t, const Vec& y, double h,
                      const Mat& K, StepWork& w, Vec& y_bar, Vec& g_theta, const Mat* K_bar, const int* slots);

/// The reverse of one recorded step (t, h, y), shared by every discrete gradient (direct, checkpointed):
/// recomputes the stages into w.K unless `K` holds them (keeping their forward passes for the VJPs), then runs
/// rk_step_vjp (with extra stage cotangents K_bar from dense output, if given). Returns evaluations + VJPs.
int rk_step_reverse(const Tableau& tab, const class DifferentiableField& f, double t, double h, const Vec& y,
                    const Mat* K, StepWork& w, Vec& y_bar, Vec& g_theta, const Mat* K_bar = nullptr);

}  // namespace nde
