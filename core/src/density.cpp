#include "nde/density.hpp"

#include <cmath>
#include <limits>

#include "nde/limits.hpp"

namespace nde {

namespace {
constexpr double kLog2Pi = 1.8378770664093453;
}

Result<> validate(const DensityConfig& c) {
  if (Result<> base = validate(c.base); !base.ok()) return base;
  if (c.base.mlp.augment != 0) return Result<>::failure("augment must be 0 in density mode");
  if (!std::isfinite(c.t_end) || c.t_end <= 0 || c.t_end > 100) return Result<>::failure("tEnd must be a number in (0, 100]");
  if (!(c.data_scale >= 0.1 && c.data_scale <= 10)) return Result<>::failure("dataScale must be a number in [0.1, 10]");
  return {};
}

DensityTrainer::DensityTrainer(DensityConfig config)
    : Learner(config.base.mlp, config.base.optimizer, config.base.seed), config_(std::move(config)) {
  data_.resize(config_.base.mlp.dim, 0);
  fit_normalization();
}

Result<> DensityTrainer::add_samples(const Mat& x) {
  if (x.rows() != config_.base.mlp.dim)
    return Result<>::failure("samples have dimension " + std::to_string(x.rows()) + ", the model has " + std::to_string(config_.base.mlp.dim));
  if (x.cols() == 0) return Result<>::failure("no samples given");
  for (Index k = 0; k < x.cols(); ++k)
    for (Index j = 0; j < x.rows(); ++j) {
      if (Result<> r = limits::check_data(x(j, k), "sample " + std::to_string(k)); !r.ok()) return r;
    }
  if (Result<> r = limits::check_memory(16.0 * x.rows() * static_cast<double>(data_.cols() + x.cols()), "the samples"); !r.ok())
    return r;
  discard_pending();
  Mat next(data_.rows(), data_.cols() + x.cols());
  next << data_, x;
  data_ = std::move(next);
  if (iteration_ == 0) fit_normalization();
  return {};
}

void DensityTrainer::clear_samples() {
  discard_pending();
  data_.resize(config_.base.mlp.dim, 0);
  if (iteration_ == 0) fit_normalization();
}

void DensityTrainer::fit_normalization() {
  const int d = config_.base.mlp.dim;
  norm_.offset = Vec::Zero(d);
  norm_.scale = Vec::Ones(d);
  if (!config_.base.normalize || data_.cols() < 2) return;
  norm_.offset = data_.rowwise().mean();
  for (int j = 0; j < d; ++j) {
    const double sd = std::sqrt((data_.row(j).array() - norm_.offset[j]).square().mean());
    norm_.scale[j] = (sd > 1e-8 ? sd : 1.0) / config_.data_scale;
  }
}

/// The mean NLL of a batch (and its gradient), solved backwards from t_end to 0 with the log-density change; the
/// gradient is resumable, so a training step can stop between solver steps and continue.
class DensityTrainer::Evaluation {
 public:
  Evaluation(const DensityTrainer& t, Mat x, bool gradient, RowVec* logp, std::uint64_t probe_seed)
      : t_(t), x_(std::move(x)), logp_(logp), gradient_(gradient) {
    const DensityConfig& config = t.config_;
    const Index B = x_.cols();
    reg_ = gradient && (config.base.kinetic > 0 || config.base.jacobian > 0);
    per_ = 1.0 / static_cast<double>(B);
    field_ = std::make_unique<CnfField>(t.mlp_, B, config.trace, config.trace == TraceMode::Hutchinson ? &probes_ : nullptr,
                                        reg_ ? config.base.kinetic * per_ : 0.0, reg_ ? config.base.jacobian * per_ : 0.0);
    if (logp_) logp_->resize(B);
    opt_ = solver_options(config.base.solver);
    gopt_ = gradient_options(config.base);
    loss_ = [this](std::size_t, const Vec& y, Vec* grad) { return nll(y, grad); };
    restart(probe_seed);
  }
  /// The batch's points (dim × B): a training step refills them in place, then calls restart.
  Mat& batch() { return x_; }
  /// Whether this evaluation belongs to `t`.
  bool of(const DensityTrainer& t) const { return &t_ == &t; }
  /// Starts again on the points in batch() with fresh probes: the field, the solver's and the gradient's buffers
  /// are kept (a training step reuses its evaluation: no allocation once warmed up).
  void restart(std::uint64_t probe_seed) {
    const Index S = t_.mlp_.state_dim(), B = x_.cols();
    if (t_.config_.trace == TraceMode::Hutchinson) {
      Rng r(probe_seed);
      probes_.resize(S, B);
      for (Index k = 0; k < probes_.size(); ++k) probes_(k) = (r.next() >> 63) ? 1.0 : -1.0;  // Rademacher
    }
    y0_.setZero(field_->size());
    Eigen::Map<Mat>(y0_.data(), S, B) =
        ((x_.colwise() - t_.norm_.offset).array().colwise() / t_.norm_.scale.array()).matrix();
    log_scale_ = t_.norm_.scale.array().log().sum();
    work_.cancel();
  }
  Evaluation(const Evaluation&) = delete;
  Evaluation& operator=(const Evaluation&) = delete;

  /// Continues within `budget` (null: to the end); the result has suspended set while it is not finished.
  const GradientResult& advance(WorkBudget* budget) {
    opt_.deadline = t_.deadline_;
    if (!gradient_) loss_only(*field_, t_.config_.t_end, y0_, times_, loss_, opt_, work_, r_);
    else if (!loss_and_gradient_resumable(*field_, t_.config_.t_end, y0_, times_, loss_, opt_, gopt_, work_, r_, budget)) {
      waiting_.suspended = true;
      waiting_.forward.nfe = r_.forward.nfe + work_.forward_nfe();  // the forward NFE so far
      return waiting_;
    }
    return r_;
  }

 private:
  /// At t = 0: log p(x) = log N(z0) − ℓ0 − Σ log scale, with ℓ integrated from 0 at t_end.
  double nll(const Vec& y, Vec* grad) const {
    const Index S = t_.mlp_.state_dim(), B = x_.cols();
    if (grad) grad->setZero(y.size());
    double nll = 0.0;
    for (Index k = 0; k < B; ++k) {
      const auto z = y.segment(k * S, S);
      const double lp = -0.5 * z.squaredNorm() - 0.5 * static_cast<double>(S) * kLog2Pi - y[S * B + k] - log_scale_;
      if (logp_) (*logp_)[k] = lp;
      nll -= per_ * lp;
      if (grad) {
        grad->segment(k * S, S) = per_ * z;
        (*grad)[S * B + k] = per_;
      }
    }
    if (reg_) {
      // The solve runs from t_end back to 0, so the accumulator holds −∫_0^T (regulariser) dt.
      nll -= y[y.size() - 1];
      if (grad) (*grad)[y.size() - 1] = -1.0;
    }
    return nll;
  }

  const DensityTrainer& t_;
  Mat x_;
  RowVec* logp_;
  bool gradient_;
  bool reg_ = false;
  Mat probes_;
  double per_ = 1.0, log_scale_ = 0.0;
  std::unique_ptr<CnfField> field_;
  Vec y0_;
  std::vector<double> times_{0.0};
  SolverOptions opt_;
  GradientOptions gopt_;
  LossTerm loss_;
  GradientWorkspace work_;
  GradientResult r_;
  GradientResult waiting_;  ///< what a suspended piece returns
};

GradientResult DensityTrainer::evaluate(const Mat& x, bool gradient, RowVec* logp, std::uint64_t probe_seed) const {
  Evaluation e(*this, x, gradient, logp, probe_seed);
  return e.advance(nullptr);
}

StepReport DensityTrainer::step(WorkBudget* budget) {
  if (data_.cols() == 0) {
    StepReport rep;
    rep.iteration = iteration_;
    rep.fail("no samples to train on");
    return rep;
  }
  return train_step(
      [this] {
        const Index B = std::min<Index>(config_.base.batch_size, data_.cols());
        // The last step's evaluation is reused when it is this trainer's alone and has the batch's size.
        if (!step_ || step_.use_count() > 1 || !step_->of(*this) || step_->batch().cols() != B)
          step_ = std::make_shared<Evaluation>(*this, Mat(data_.rows(), B), true, nullptr, 0);
        Mat& batch = step_->batch();
        for (Index k = 0; k < B; ++k) batch.col(k) = data_.col(static_cast<Index>(rng_.below(static_cast<std::uint64_t>(data_.cols()))));
        step_->restart(rng_.next());
      },
      [this](WorkBudget* b) -> const GradientResult& { return step_->advance(b); }, budget);
}

DensityResult DensityTrainer::log_density(const Mat& x) const {
  DensityResult r;
  if (x.rows() != config_.base.mlp.dim || !x.allFinite()) {
    r.fail("points must be finite and have the model's dimension");
    return r;
  }
  r.values = RowVec::Constant(x.cols(), std::numeric_limits<double>::quiet_NaN());
  // Blocks bound the memory of the joint solve (its state and the network's work grow with the columns).
  const Index block = limits::block_columns(mlp_.column_bytes() * (mlp_.state_dim() + 1) + 8.0 * 16 * (mlp_.state_dim() + 1));
  for (Index first = 0; first < x.cols(); first += block) {
    const Index k = std::min(block, x.cols() - first);
    RowVec lp;
    const GradientResult g = evaluate(x.middleCols(first, k), false, &lp, 12345);
    r.nfe += g.forward.nfe;
    if (!g.ok()) {
      r.fail(g);
      return r;
    }
    r.values.segment(first, k) = lp;
  }
  return r;
}

DensityResult DensityTrainer::nll() const {
  DensityResult r;
  if (data_.cols() == 0) {
    r.fail("no samples");
    return r;
  }
  r = log_density(data_);
  if (r.ok()) r.values = RowVec::Constant(1, -r.values.mean());
  return r;
}

GradientResult DensityTrainer::nll_gradient(const Mat& x) const { return evaluate(x, true, nullptr, 777); }

Solution DensityTrainer::sample(Index n, double t, std::uint64_t seed) const {
  Rng r(seed);
  const Index S = mlp_.state_dim();
  Vec y0(S * n);
  for (Index k = 0; k < y0.size(); ++k) y0[k] = r.normal();
  SolverOptions opt = solver_options(config_.base.solver);
  opt.deadline = deadline_;
  Solution out;
  out.states = Mat::Constant(S, n, std::numeric_limits<double>::quiet_NaN());
  // Blocks bound the memory of the joint solve; each block is one batched solve as before.
  const Index block = limits::block_columns(mlp_.column_bytes() + 8.0 * 16 * S);
  for (Index first = 0; first < n; first += block) {
    const Index k = std::min(block, n - first);
    const BatchField field(mlp_, RowVec::Zero(k));
    const Solution s = solve(field, 0.0, y0.segment(first * S, k * S), {t}, opt);
    out.stats.nfe += s.stats.nfe;
    out.stats.accepted += s.stats.accepted;
    out.stats.rejected += s.stats.rejected;
    if (!s.ok()) {
      out.fail(s);
      break;
    }
    out.states.middleCols(first, k) = Eigen::Map<const Mat>(s.states.col(0).data(), S, k);
  }
  out.t_reached = out.ok() ? t : 0.0;
  out.states = (out.states.array().colwise() * norm_.scale.array()).colwise() + norm_.offset.array();
  return out;
}

void DensityTrainer::reset(std::uint64_t seed) {
  restart(seed);
  fit_normalization();
}

}  // namespace nde
