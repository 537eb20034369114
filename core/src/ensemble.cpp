#include "nde/ensemble.hpp"

#include <algorithm>

namespace nde {

Ensemble::Ensemble(const TrainerConfig& config, int members) {
  for (int k = 0; k < std::max(1, members); ++k) {
    TrainerConfig c = config;
    c.seed = config.seed + static_cast<std::uint64_t>(k);
    members_.emplace_back(c);
  }
}

Result<std::size_t> Ensemble::add_trajectory(const Trajectory& t) {
  // Members share config and data: what the first accepts, all accept.
  const Result<std::size_t> first = members_.front().add_trajectory(t);
  if (!first.ok()) return first;
  for (std::size_t k = 1; k < members_.size(); ++k) (void)members_[k].add_trajectory(t);
  return first;
}

void Ensemble::set_deadline(const Deadline& d) {
  for (Trainer& m : members_) m.set_deadline(d);
}

void Ensemble::clear_trajectories() {
  for (Trainer& m : members_) m.clear_trajectories();
}

StepReport Ensemble::step(WorkBudget* budget) {
  StepReport& total = partial_;
  for (; next_ < members_.size(); ++next_) {
    const StepReport r = members_[next_].step(budget);
    if (r.suspended) {
      StepReport waiting = r;
      waiting.iteration = iteration();
      return waiting;
    }
    total.loss += r.loss;
    total.grad_norm = std::max(total.grad_norm, r.grad_norm);
    total.nfe_forward += r.nfe_forward;
    total.nfe_backward += r.nfe_backward;
    total.millis += r.millis;
    total.fail(r);  // the first member's failure, if any
  }
  StepReport done = total;
  done.loss = total.loss / static_cast<double>(members_.size());
  done.iteration = iteration();
  next_ = 0;
  partial_ = StepReport{};
  return done;
}

Mat Ensemble::mean_field(const Mat& points, double t) const {
  Mat sum = Mat::Zero(points.rows(), points.cols());
  for (const Trainer& m : members_) sum += m.field(points, t);
  return sum / static_cast<double>(members_.size());
}

RowVec Ensemble::disagreement(const Mat& points, double t) const {
  std::vector<Mat> F;
  Mat mean = Mat::Zero(points.rows(), points.cols());
  for (const Trainer& m : members_) {
    F.push_back(m.field(points, t));
    mean += F.back();
  }
  mean /= static_cast<double>(members_.size());
  RowVec var = RowVec::Zero(points.cols());
  for (const Mat& f : F) var += (f - mean).colwise().squaredNorm();
  return (var / static_cast<double>(members_.size())).cwiseSqrt();
}

RowVec disagreement_grid(const Ensemble& e, const GridSpec& g, const Deadline& deadline) {
  const Trainer& first = e.member(0);
  const Index m = static_cast<Index>(g.nx) * g.ny, block = std::max<Index>(1, field_block(first) / e.size());
  RowVec out(m);
  Mat pts;
  for (Index start = 0; start < m; start += block) {
    if (deadline.passed()) return RowVec();
    const Index count = std::min(block, m - start);
    grid_block(g, first.normalization().offset, start, count, pts);
    out.segment(start, count) = e.disagreement(pts, g.t);
  }
  return out;
}

}  // namespace nde
