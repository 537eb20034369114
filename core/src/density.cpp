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
  Mat next(data_.rows(), data_.cols() + x.cols());
  next << data_, x;
  data_ = std::move(next);
  if (iteration_ == 0) fit_normalization();
  return {};
}

void DensityTrainer::clear_samples() {
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
    norm_.scale[j] = sd > 1e-8 ? sd : 1.0;
  }
}

GradientResult DensityTrainer::evaluate(const Mat& x, bool gradient, RowVec* logp, std::uint64_t probe_seed) const {
  const Index S = mlp_.state_dim(), B = x.cols();
  const bool reg = gradient && (config_.base.kinetic > 0 || config_.base.jacobian > 0);
  Mat probes;
  if (config_.trace == TraceMode::Hutchinson) {
    Rng r(probe_seed);
    probes.resize(S, B);
    for (Index k = 0; k < probes.size(); ++k) probes(k) = (r.next() >> 63) ? 1.0 : -1.0;  // Rademacher
  }
  const double per = 1.0 / static_cast<double>(B);
  const CnfField field(mlp_, B, config_.trace, config_.trace == TraceMode::Hutchinson ? &probes : nullptr,
                       reg ? config_.base.kinetic * per : 0.0, reg ? config_.base.jacobian * per : 0.0);
  Vec y0 = Vec::Zero(field.size());
  const Mat u = (x.colwise() - norm_.offset).array().colwise() / norm_.scale.array();
  y0.head(S * B) = Eigen::Map<const Vec>(u.data(), S * B);
  const double log_scale = norm_.scale.array().log().sum();
  // At t = 0: log p(x) = log N(z0) − ℓ0 − Σ log scale, with ℓ integrated from 0 at t_end.
  LossTerm loss = [&](std::size_t, const Vec& y, Vec* grad) {
    if (grad) grad->setZero(y.size());
    double nll = 0.0;
    for (Index k = 0; k < B; ++k) {
      const auto z = y.segment(k * S, S);
      const double lp = -0.5 * z.squaredNorm() - 0.5 * static_cast<double>(S) * kLog2Pi - y[S * B + k] - log_scale;
      if (logp) (*logp)[k] = lp;
      nll -= per * lp;
      if (grad) {
        grad->segment(k * S, S) = per * z;
        (*grad)[S * B + k] = per;
      }
    }
    if (reg) {
      // The solve runs from t_end back to 0, so the accumulator holds −∫_0^T (regulariser) dt.
      nll -= y[y.size() - 1];
      if (grad) (*grad)[y.size() - 1] = -1.0;
    }
    return nll;
  };
  if (logp) logp->resize(B);
  SolverOptions opt = solver_options(config_.base.solver);
  opt.deadline = deadline_;
  if (!gradient) return loss_only(field, config_.t_end, y0, {0.0}, loss, opt);
  return loss_and_gradient(field, config_.t_end, y0, {0.0}, loss, opt, gradient_options(config_.base));
}

StepReport DensityTrainer::step() {
  if (data_.cols() == 0) {
    StepReport rep;
    rep.iteration = iteration_;
    rep.status = Status::InvalidInput;
    rep.message = "no samples to train on";
    return rep;
  }
  return train_step([&]() -> const GradientResult& {
    const Index B = std::min<Index>(config_.base.batch_size, data_.cols());
    Mat batch(data_.rows(), B);
    for (Index k = 0; k < B; ++k) batch.col(k) = data_.col(static_cast<Index>(rng_.below(static_cast<std::uint64_t>(data_.cols()))));
    step_result_ = evaluate(batch, true, nullptr, rng_.next());
    return step_result_;
  });
}

DensityResult DensityTrainer::log_density(const Mat& x) const {
  DensityResult r;
  if (x.rows() != config_.base.mlp.dim || !x.allFinite()) {
    r.status = Status::InvalidInput;
    r.message = "points must be finite and have the model's dimension";
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
    if (g.status != Status::Success) {
      r.status = g.status;
      r.message = g.message;
      return r;
    }
    r.values.segment(first, k) = lp;
  }
  return r;
}

DensityResult DensityTrainer::nll() const {
  DensityResult r;
  if (data_.cols() == 0) {
    r.status = Status::InvalidInput;
    r.message = "no samples";
    return r;
  }
  r = log_density(data_);
  if (r.status == Status::Success) r.values = RowVec::Constant(1, -r.values.mean());
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
    if (s.status != Status::Success) {
      out.status = s.status;
      out.message = s.message;
      break;
    }
    out.states.middleCols(first, k) = Eigen::Map<const Mat>(s.states.col(0).data(), S, k);
  }
  out.t_reached = out.status == Status::Success ? t : 0.0;
  out.states = (out.states.array().colwise() * norm_.scale.array()).colwise() + norm_.offset.array();
  return out;
}

void DensityTrainer::reset(std::uint64_t seed) {
  restart(seed);
  fit_normalization();
}

}  // namespace nde
