#pragma once
/// Gradients of a trajectory loss Σ_i ℓ_i(y(t_i)): checkpointed and direct backprop through the solver's
/// steps (exact for the discrete solution) and the backsolve adjoint (constant memory, approximate).
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "nde/solve.hpp"

namespace nde {

/// How the gradient is computed.
enum class GradientMethod {
  Direct,       ///< backprop through the solver's steps, every step's stages kept (memory grows with steps)
  Adjoint,      ///< backsolve [y, a, g] from the last observation (memory independent of steps; approximate)
  Checkpointed  ///< backprop through the solver's steps, recomputed from a bounded number of stored states
};

/// "direct" | "adjoint" | "checkpointed".
const char* to_string(GradientMethod m);
/// Parses a method name; nullopt when unknown.
std::optional<GradientMethod> gradient_method_from_string(const std::string& name);

/// The default GradientOptions::stage_tape_bytes (8 MiB: ~27 dopri5 steps of the page's 16 windows through its
/// 2-32-32-2 network; a 256-column batch of a 64-64 network keeps none).
inline constexpr double kStageTapeBytes = 8.0 * 1024 * 1024;
/// The default GradientOptions::stage_tape_steps (a page solve takes 7–16 steps).
inline constexpr long kStageTapeSteps = 64;
/// Whether checkpointed and direct gradients keep the forward solve's stage passes at all (process-wide, default on;
/// off: every reversed step's stage passes are run again, the former path: the bench compares both).
void set_stage_tapes(bool on);
/// Whether stage passes are kept.
[[nodiscard]] bool stage_tapes();

/// How a gradient is computed, with the settings of each method.
struct GradientOptions {
  GradientMethod method = GradientMethod::Checkpointed;
  int checkpoints = 32;       ///< checkpointed: most forward states kept (≥ 2)
  /// checkpointed and direct: most bytes of the forward solve's stage passes kept for the reverse sweep (StageTapes:
  /// the last steps' stages are reversed by backward passes alone; earlier ones are recomputed from the checkpoints, or
  /// for direct, whose tape keeps every step's stages, their VJPs redo the forward passes); 0 keeps none.
  double stage_tape_bytes = kStageTapeBytes;
  long stage_tape_steps = kStageTapeSteps;  ///< checkpointed and direct: most steps whose stage passes are kept
  double adjoint_rtol = 0.0;  ///< adjoint: relative tolerance of the backward solve (0: the forward's)
  double adjoint_atol = 0.0;  ///< adjoint: absolute tolerance of the backward solve (0: the forward's)
  bool seminorm = false;      ///< adjoint: leave the parameter quadrature out of the backward error control
};

/// ℓ_i(y) at output i; when grad is given, sets it to ∂ℓ_i/∂y.
using LossTerm = std::function<double(std::size_t i, const Vec& y, Vec* grad)>;

/// How the computation ended, the loss, its gradients and the work done.
struct [[nodiscard]] GradientResult : Result<> {
  double loss = 0.0;  ///< failed: the loss summed up to the failure
  Vec grad_theta;     ///< ∂L/∂θ (failed: empty, never a partial sum)
  Vec grad_y0;        ///< ∂L/∂y(t0) (failed: empty)
  SolveStats forward;
  SolveStats backward;
  std::size_t stored_states = 0;  ///< most solver states held at once for the backward pass
  bool suspended = false;  ///< a resumable computation stopped at its budget: not finished yet (call it again)
  /// Ready for a new call: success, no message, zero loss and counts (the vectors keep their storage).
  void clear() {
    status = Status::Success;
    message.clear();
    loss = 0.0;
    forward = SolveStats{};
    backward = SolveStats{};
    stored_states = 0;
    suspended = false;
  }
};

/// Buffers of the gradient methods (direct tape, checkpoints, output cotangents, solver and adjoint states),
/// reused across calls: they only grow, so a warmed-up call of the same shape allocates nothing.
class GradientWorkspace {
 public:
  GradientWorkspace();
  ~GradientWorkspace();
  GradientWorkspace(GradientWorkspace&&) noexcept;
  GradientWorkspace& operator=(GradientWorkspace&&) noexcept;
  /// The buffers (defined in gradient.cpp).
  struct Impl;
  /// Access for the gradient methods.
  [[nodiscard]] Impl& impl() { return *impl_; }
  /// Whether a resumable loss_and_gradient is under way in these buffers (suspended at its budget).
  [[nodiscard]] bool under_way() const;
  /// Drops a computation under way (the next resumable call starts a new one).
  void cancel();
  /// The forward NFE so far of a computation under way in its forward solve (0 otherwise: its result has it then).
  [[nodiscard]] long forward_nfe() const;

 private:
  std::unique_ptr<Impl> impl_;
};

/// L = Σ_i ℓ_i(y(t_i)) only (forward solve, states not kept beyond the loss).
GradientResult loss_only(const VectorField& f, double t0, const Vec& y0, const std::vector<double>& times,
                         const LossTerm& loss, const SolverOptions& options);

/// L and ∂L/∂θ, ∂L/∂y0 by the chosen method and its settings.
GradientResult loss_and_gradient(const DifferentiableField& f, double t0, const Vec& y0,
                                 const std::vector<double>& times, const LossTerm& loss,
                                 const SolverOptions& options, const GradientOptions& gradient);
/// The same into `r` (its vectors reused) with the buffers of `work`: with a loss that does not allocate, a
/// warmed-up call of the same shape allocates nothing.
void loss_and_gradient(const DifferentiableField& f, double t0, const Vec& y0, const std::vector<double>& times,
                       const LossTerm& loss, const SolverOptions& options, const GradientOptions& gradient,
                       GradientWorkspace& work, GradientResult& r);
/// The same, resumable: it stops between two solver steps (forward steps tried, backward steps recomputed or
/// reversed, adjoint steps tried) once `budget` is used up and returns false with r.suspended set; called again with
/// the same arguments (which must stay alive and unchanged, except options.deadline) it continues exactly where it
/// stopped, and the finished result (true) equals the unbudgeted call's bit for bit. A call while nothing is under
/// way in `work` starts a computation; work.cancel() drops one.
[[nodiscard]] bool loss_and_gradient_resumable(const DifferentiableField& f, double t0, const Vec& y0,
                                               const std::vector<double>& times, const LossTerm& loss,
                                               const SolverOptions& options, const GradientOptions& gradient,
                                               GradientWorkspace& work, GradientResult& r, WorkBudget* budget);
/// loss_only into `r` with the buffers of `work`.
void loss_only(const VectorField& f, double t0, const Vec& y0, const std::vector<double>& times,
               const LossTerm& loss, const SolverOptions& options, GradientWorkspace& work, GradientResult& r);
/// loss_only, resumable like loss_and_gradient_resumable: false (r.suspended) when it stopped between two solver
/// steps at `budget`; called again with the same arguments it continues, and the finished result equals loss_only's bit
/// for bit.
[[nodiscard]] bool loss_only_resumable(const VectorField& f, double t0, const Vec& y0, const std::vector<double>& times,
                                       const LossTerm& loss, const SolverOptions& options, GradientWorkspace& work,
                                       GradientResult& r, WorkBudget* budget);
/// The same with the method's default settings.
GradientResult loss_and_gradient(const DifferentiableField& f, double t0, const Vec& y0,
                                 const std::vector<double>& times, const LossTerm& loss,
                                 const SolverOptions& options, GradientMethod method);

}  // namespace nde
