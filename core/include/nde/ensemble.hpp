#pragma once
/// A small ensemble of trainers (different seeds, same data): where the members disagree the data do not
/// determine the field — "the model is guessing here".
#include <vector>

#include "nde/grid.hpp"

namespace nde {

/// Members are trainers of one config with seeds seed, seed + 1, …; data and steps go to every member.
class Ensemble {
 public:
  /// The config must be valid; members ≥ 1.
  Ensemble(const TrainerConfig& config, int members);

  /// Number of members.
  [[nodiscard]] int size() const { return static_cast<int>(members_.size()); }
  /// One member.
  [[nodiscard]] const Trainer& member(int k) const { return members_[static_cast<std::size_t>(k)]; }
  /// Adds a trajectory to every member (its index); an invalid one is refused by all and changes nothing.
  Result<std::size_t> add_trajectory(const Trajectory& t);
  /// The time budget of every member's solves from now on.
  void set_deadline(const Deadline& d);
  /// Removes all trajectories from every member.
  void clear_trajectories();
  /// One step of every member: mean loss, summed NFE and time; the first failure's status and message. With a
  /// `budget` the members step one after another until it is used up (report.suspended: the next step continues
  /// with the member under way, exactly as if uninterrupted).
  StepReport step(WorkBudget* budget = nullptr);
  /// Iterations completed by every member (the last member completes an ensemble iteration).
  [[nodiscard]] long iteration() const { return members_.back().iteration(); }

  /// The members' mean velocity at points (dim × m) at time t.
  [[nodiscard]] Mat mean_field(const Mat& points, double t) const;
  /// Spread of the members' velocities per point: sqrt(mean_k ‖f_k − f̄‖²) (physical units, 1 × m).
  [[nodiscard]] RowVec disagreement(const Mat& points, double t) const;

 private:
  std::vector<Trainer> members_;
  /// The member whose step is next (or under way) in the current ensemble iteration; new data drop that member's
  /// step under way (Trainer) and it starts again on them, so every member keeps the same iteration count.
  std::size_t next_ = 0;
  StepReport partial_;    ///< what the members before next_ reported in it (loss summed)
};

/// Disagreement on a grid (row by row from ymin); other state components at the normalisation offset. Evaluated
/// in blocks of field_block(member) / members points; empty (0 columns) if the deadline passes between blocks.
[[nodiscard]] RowVec disagreement_grid(const Ensemble& e, const GridSpec& g, const Deadline& deadline = {});

}  // namespace nde
