#pragma once
/// Equilibria of a field: Newton from a grid of seeds, de-duplicated, linearised and classified.
#include <vector>

#include "nde/phase_field.hpp"

namespace nde {

/// What the linearisation says about an equilibrium.
enum class EquilibriumType { StableNode, StableFocus, UnstableNode, UnstableFocus, Saddle, Centre, Degenerate };

/// "stable node" | "stable focus" | "unstable node" | "unstable focus" | "saddle" | "centre-like" | "degenerate".
const char* to_string(EquilibriumType t);

/// A zero of f with its Jacobian, eigenvalues (sorted by decreasing real part) and type.
struct Equilibrium {
  Vec z;
  Mat jacobian;
  Eigen::VectorXcd eigenvalues;
  EquilibriumType type = EquilibriumType::Degenerate;
  double residual = 0.0;  ///< ‖f(z)‖
  /// A stable node or focus: an attractor.
  [[nodiscard]] bool stable() const;
  /// An unstable node or focus: a repeller (an attractor of −f).
  [[nodiscard]] bool unstable() const;
};

/// How equilibria are searched.
struct EquilibriumOptions {
  int seeds = 6;             ///< lattice seeds per side of the view widened by `margin` (besides the given ones)
  int max_iterations = 30;   ///< Newton iterations per seed
  double margin = 0.4;       ///< also seed and keep equilibria up to this fraction of the view outside it
                             ///< (attractors just outside still own basins inside)
  double centre_ratio = 0.05;  ///< a complex pair with |Re| ≤ ratio·|Im| is centre-like
};

/// A complex pair with |Im| ≤ this · |Re| is a node, not a focus: it decays by e^(−10π) ≈ 10⁻¹⁴ per half turn, so no
/// orbit visibly spirals (the toggle switch's nodes, −1 ± 0.045, are near-degenerate; a learned Jacobian's pair
/// split either way, −0.92 ± 0.07i for one). Larger ratios turned a learned Van der Pol's unstable focus
/// (1.1 ± 0.34i) into a node.
constexpr double kNodeRatio = 0.1;

/// Type from eigenvalues: saddle when real parts have both signs, node or focus (complex pair beyond kNodeRatio)
/// when all have one sign, centre-like when a complex pair is (nearly) imaginary, degenerate for a zero eigenvalue
/// (|λ| ≤ 1e-6·rate, rate being the field's typical speed / the view's size, or 1e-9 of the largest |λ|).
[[nodiscard]] EquilibriumType classify(const Eigen::VectorXcd& eigenvalues, double centre_ratio = 0.05,
                                       double rate = 0.0);
/// Jacobian, eigenvalues and type of f at z.
[[nodiscard]] Equilibrium linearize(const PhaseField& f, const Vec& z, double centre_ratio = 0.05, double rate = 0.0);
/// Newton from a lattice of seeds over the view ± margin (and from `extra_seeds`), damped by halving the
/// step until ‖f‖ decreases; converged zeros in the view ± margin closer than 1e-3 of its diagonal are
/// merged. Sorted by x, then y.
[[nodiscard]] std::vector<Equilibrium> find_equilibria(const PhaseField& f, const GridSpec& view,
                                                       const EquilibriumOptions& o = {},
                                                       const std::vector<Vec>& extra_seeds = {});
/// find_equilibria in resumable parts: the seeds and their field values when constructed, then one seed's Newton per
/// step(); the result is the same however the steps are split. f must outlive it.
class EquilibriumSearch {
 public:
  EquilibriumSearch(const PhaseField& f, const GridSpec& view, const EquilibriumOptions& o = {},
                    std::vector<Vec> extra_seeds = {});
  /// Newton from the next seed; true once every seed is done.
  bool step();
  [[nodiscard]] bool done() const { return next_ >= seeds_.size(); }
  /// The equilibria found (sorted by x, then y; call once done).
  [[nodiscard]] std::vector<Equilibrium> result() const;

 private:
  const PhaseField& f_;
  GridSpec view_;
  EquilibriumOptions o_;
  std::vector<Vec> seeds_;
  Mat FS_;
  double typical_ = 0.0, diag_ = 1.0;
  std::size_t next_ = 0;
  std::vector<Equilibrium> out_;
};

/// Seeds where both velocity components change sign in a cell of a sampled grid (velocities 2 × nx·ny).
[[nodiscard]] std::vector<Vec> sign_change_seeds(const PhaseField& f, const GridSpec& g, const Mat& velocities);

}  // namespace nde
