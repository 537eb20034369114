#include "nde/trainer.hpp"

#include <catch2/catch.hpp>
#include <algorithm>
#include <cmath>
#include <memory>

#include "approx.hpp"
#include "nde/fidelity.hpp"
#include "nde/systems.hpp"

using namespace nde;

namespace {

TrainerConfig small_config() {
  TrainerConfig c;
  c.mlp.hidden = {16, 16};
  c.seed = 3;
  c.batch_size = 8;
  c.window = 5;
  return c;
}

std::vector<Trajectory> toggle_data(int n = 10, int points = 40, std::uint64_t seed = 1) {
  SampleOptions o;
  o.trajectories = n;
  o.points = points;
  o.seed = seed;
  return sample_system(*find_system("toggle"), o);
}

}  // namespace

TEST_CASE("Config validation names the bad field") {
  TrainerConfig c;
  CHECK(validate(c).ok());
  c.solver.method = "rk45";
  CHECK(validate(c).message.find("rk45") != std::string::npos);
  c = {};
  c.optimizer.lr = NAN;
  CHECK(validate(c).message.find("optimizer.lr") != std::string::npos);
  c = {};
  c.window = 1;
  CHECK(validate(c).message.find("batch.window") != std::string::npos);
  c = {};
  c.mlp.hidden = {0};
  CHECK(validate(c).message.find("hidden") != std::string::npos);
}

TEST_CASE("Bad trajectories are refused with a reason and leave the data as it was") {
  Trainer t(small_config());
  Trajectory ok{{0.0, 0.5, 1.2}, Mat::Random(2, 3)};
  std::size_t idx = 99;
  const Result<std::size_t> added = t.add_trajectory(ok);
  REQUIRE(added.ok());
  idx = *added.value;
  CHECK(idx == 0);
  const Vec offset = t.normalization().offset;
  CHECK(t.add_trajectory({{0.0}, Mat::Zero(2, 1)}).message.find("at least 2") != std::string::npos);
  CHECK(t.add_trajectory({{0.0, 1.0, 1.0}, Mat::Zero(2, 3)}).message.find("strictly increasing") != std::string::npos);
  CHECK(t.add_trajectory({{0.0, 2.0, 1.0}, Mat::Zero(2, 3)}).message.find("strictly increasing") != std::string::npos);
  Mat nan = Mat::Zero(2, 2);
  nan(1, 1) = NAN;
  CHECK(t.add_trajectory({{0.0, 1.0}, nan}).message.find("not finite") != std::string::npos);
  CHECK(t.add_trajectory({{0.0, 1.0}, Mat::Zero(3, 2)}).message.find("dimension") != std::string::npos);
  CHECK(t.add_trajectory({{0.0, 1.0, 2.0}, Mat::Zero(2, 2)}).message.find("3 times but 2 states") != std::string::npos);
  CHECK(t.trajectories().size() == 1);
  CHECK(t.normalization().offset == offset);
}

TEST_CASE("Training is deterministic for a seed and differs across seeds") {
  auto run = [](std::uint64_t seed) {
    TrainerConfig c = small_config();
    c.seed = seed;
    Trainer t(c);
    for (auto& tr : toggle_data(4, 20)) REQUIRE(t.add_trajectory(tr).ok());
    std::vector<double> losses;
    for (int i = 0; i < 5; ++i) losses.push_back(t.step().loss);
    return losses;
  };
  CHECK(run(5) == run(5));
  CHECK(run(5) != run(6));
}

TEST_CASE("Reused step buffers change nothing: whole-data calls between steps and a cold copy train alike") {
  // The step's buffers (problems, tapes, solver states per batch size) are shared with full_loss and
  // full_gradient; a copy starts with none. Two time grids (one solve each unless joint) and regularisers
  // (one more state entry in training than in the whole-data loss) change their sizes between calls.
  SampleOptions r;
  r.trajectories = 3;
  r.points = 20;
  r.regular = true;
  r.t_end = 5.0;
  std::vector<Trajectory> data = sample_system(*find_system("toggle"), r);
  r.t_end = 6.0;
  r.seed = 1;
  for (const Trajectory& tr : sample_system(*find_system("toggle"), r)) data.push_back(tr);
  for (const GradientMethod g : {GradientMethod::Checkpointed, GradientMethod::Direct, GradientMethod::Adjoint})
    for (const bool joint : {true, false}) {
      TrainerConfig c = small_config();
      c.gradient = g;
      c.joint = joint;
      c.kinetic = 0.01;
      Trainer busy(c), plain(c);
      for (const Trajectory& tr : data) {
        REQUIRE(busy.add_trajectory(tr).ok());
        REQUIRE(plain.add_trajectory(tr).ok());
      }
      for (int i = 0; i < 8; ++i) {
        INFO(to_string(g) << (joint ? " joint" : " per grid") << ", step " << i);
        REQUIRE(busy.full_loss().status == Status::Success);
        if (i % 3 == 0) REQUIRE(busy.full_gradient(GradientMethod::Direct).status == Status::Success);
        if (i % 3 == 1) REQUIRE(busy.full_gradient(GradientMethod::Adjoint).status == Status::Success);
        Trainer cold = plain;
        const StepReport a = busy.step(), b = plain.step(), k = cold.step();
        REQUIRE(b.status == Status::Success);
        CHECK(a.loss == b.loss);
        CHECK(k.loss == b.loss);
        CHECK(busy.training_parameters() == plain.training_parameters());
        CHECK(cold.training_parameters() == plain.training_parameters());
      }
    }
}

TEST_CASE("Windows stay inside one trajectory, are at most the configured length and cover every interval alike") {
  Trainer t(small_config());  // window 5
  auto data = toggle_data(3, 12);
  data[1].times.resize(3);
  data[1].states.conservativeResize(2, 3);
  for (auto& tr : data) REQUIRE(t.add_trajectory(tr).ok());
  Rng rng(1);
  std::vector<int> covered(11, 0);  // trajectory 0's intervals (i, i + 1)
  for (int rep = 0; rep < 2000; ++rep)
    for (const Window& w : t.sample_windows(rng)) {
      const std::size_t n = t.trajectories()[w.trajectory].times.size();
      CHECK(w.start + w.length <= n);
      CHECK(w.length >= 2);
      CHECK(w.length <= 5);
      if (n <= 5) CHECK(w.length == n);  // a short trajectory is one window
      // Clipped windows only at the ends: a shorter one starts at 0 or ends at the last observation.
      if (w.length < std::min<std::size_t>(5, n)) CHECK((w.start == 0 || w.start + w.length == n));
      if (w.trajectory == 0)
        for (std::size_t i = w.start; i + 1 < w.start + w.length; ++i) ++covered[i];
    }
  // Each interval lies in W − 1 = 4 of trajectory 0's 14 start positions: the first and last as often as the middle.
  const auto [lo, hi] = std::minmax_element(covered.begin(), covered.end());
  INFO("coverage " << *lo << " .. " << *hi);
  CHECK(*lo > 0);
  CHECK(static_cast<double>(*hi) / *lo < 1.25);
}

TEST_CASE("Windows with irregular times share one joint solve over the union of their times") {
  Trainer t(small_config());
  REQUIRE(t.add_trajectory({{0.0, 0.3, 1.0}, Mat::Random(2, 3)}).ok());
  REQUIRE(t.add_trajectory({{5.0, 5.3, 5.5}, Mat::Random(2, 3)}).ok());
  const BatchProblem p = t.make_problem({{0, 0, 3}, {1, 0, 3}}, false);
  REQUIRE(p.times.size() == 3);  // 0.3 is shared, 0.5 and 1.0 are not
  // Times are in model time: physical time / the fitted time scale.
  const double T = t.normalization().time;
  CHECK(p.times[0] == Approx(0.3 / T));
  CHECK(p.targets(0) == 2);
  CHECK(p.targets(1) + p.targets(2) == 2);
  CHECK(p.offsets[1] == Approx(5.0 / T));
  CHECK(p.weight == Approx(1.0 / 8));
}

TEST_CASE("A joint problem's targets are in time order - equal times in window order") {
  // Windows on one grid (apart by rounding), on grids of their own and drawn twice (equal times): the targets are
  // a stable sort of the windows' targets by time (make_problem merges the windows' runs of targets).
  Trainer t(small_config());
  std::vector<Trajectory> data;
  for (int i = 0; i < 4; ++i) {
    std::vector<double> times;
    for (int j = 0; j < 30; ++j) times.push_back(i < 2 ? 25.0 * j / 29 + 0.1 * i : 0.7 * j + 0.13 * (j % 3) + 0.05 * i);
    data.push_back({times, Mat::Random(2, 30)});
    REQUIRE(t.add_trajectory(data.back()).ok());
  }
  std::vector<Window> ws;
  for (std::size_t k = 0; k < 23; ++k) ws.push_back({k % 4, (k * 7) % 20, 3 + k % 8});
  ws.push_back(ws[3]);
  ws.push_back(ws[0]);
  const BatchProblem p = t.make_problem(ws, false);
  struct Target { double t; Index column; std::size_t obs; };
  std::vector<Target> ref;
  const Normalization& nm = t.normalization();
  for (std::size_t k = 0; k < ws.size(); ++k) {
    const std::vector<double>& times = data[ws[k].trajectory].times;
    for (std::size_t j = ws[k].start + 1; j < ws[k].start + ws[k].length; ++j)
      ref.push_back({(times[j] - times[ws[k].start]) / nm.time, static_cast<Index>(k), j});
  }
  std::stable_sort(ref.begin(), ref.end(), [](const Target& a, const Target& b) { return a.t < b.t; });
  REQUIRE(p.column.size() == ref.size());
  for (std::size_t i = 0; i < ref.size(); ++i) {
    INFO("target " << i);
    REQUIRE(p.column[i] == ref[i].column);
    const Vec v = (data[ws[static_cast<std::size_t>(ref[i].column)].trajectory].states.col(static_cast<Index>(ref[i].obs)) -
                   nm.offset).cwiseQuotient(nm.scale);
    CHECK(p.value.col(static_cast<Index>(i)) == v);
  }
  REQUIRE(p.first.size() == p.times.size() + 1);
  CHECK(p.first.back() == ref.size());
  for (std::size_t i = 0; i < p.times.size(); ++i) {
    CHECK(p.times[i] == ref[p.first[i]].t);  // each output at its earliest target's time
    if (i > 0) CHECK(p.times[i] > p.times[i - 1]);
  }
  CHECK(p.times.size() < ref.size());  // shared outputs
}

TEST_CASE("The trainer's full-data gradient agrees with central differences - for each method") {
  TrainerConfig c = small_config();
  c.mlp.time_dependent = true;
  c.solver.rtol = c.solver.atol = 1e-11;
  Trainer t(c);
  for (auto& tr : toggle_data(3, 6)) REQUIRE(t.add_trajectory(tr).ok());
  const Vec theta = t.mlp().params();
  Trainer probe = t;
  const Vec fd = test::central_gradient(
      [&](const Vec& th) {
        REQUIRE(probe.set_parameters(th).ok());
        return probe.full_loss().loss;
      },
      theta);
  for (GradientMethod m : {GradientMethod::Direct, GradientMethod::Adjoint, GradientMethod::Checkpointed}) {
    const GradientResult g = t.full_gradient(m);
    REQUIRE(g.status == Status::Success);
    CHECK(test::rel_err(g.grad_theta, fd) <= 1e-5);
  }
}

TEST_CASE("A step that fails keeps the parameters and says so") {
  TrainerConfig c = small_config();
  c.solver.max_steps = 3;
  Trainer t(c);
  for (auto& tr : toggle_data(2, 20)) REQUIRE(t.add_trajectory(tr).ok());
  Vec wild = t.mlp().params() * 50.0;
  REQUIRE(t.set_parameters(wild).ok());
  const StepReport r = t.step();
  CHECK(r.status == Status::MaxSteps);
  CHECK(r.message.find("kept") != std::string::npos);
  CHECK(t.mlp().params() == wild);
  CHECK(t.iteration() == 0);
  // Non-finite parameters are refused outright.
  Vec bad = wild;
  bad[0] = NAN;
  CHECK_FALSE(t.set_parameters(bad).ok());
  CHECK(t.mlp().params() == wild);
  // No data: a clear status, nothing changes.
  Trainer empty(small_config());
  const Vec before = empty.mlp().params();
  CHECK(empty.step().status == Status::InvalidInput);
  CHECK(empty.mlp().params() == before);
}

TEST_CASE("A step past its deadline stops with time-limit and changes nothing (parameters, iteration, sampler)") {
  Trainer a(small_config()), b(small_config());
  for (auto& tr : toggle_data(2, 20)) {
    REQUIRE(a.add_trajectory(tr).ok());
    REQUIRE(b.add_trajectory(tr).ok());
  }
  const Vec before = a.mlp().params();
  a.set_deadline(Deadline::in_millis(0));
  const StepReport r = a.step();
  CHECK(r.status == Status::TimeLimit);
  CHECK(r.message.find("kept") != std::string::npos);
  CHECK(a.mlp().params() == before);
  CHECK(a.iteration() == 0);
  a.set_deadline({});
  // The failed step drew no minibatch: the next one is the one an untouched trainer takes.
  CHECK(a.step().loss == b.step().loss);
  CHECK(a.mlp().params() == b.mlp().params());
}

TEST_CASE("Normalisation is fitted from the data and frozen once training starts") {
  Trainer t(small_config());
  Trajectory tr{{0.0, 1.0}, Mat(2, 2)};
  tr.states << 10, 14, -3, -1;
  REQUIRE(t.add_trajectory(tr).ok());
  CHECK(t.normalization().offset[0] == Approx(12));
  CHECK(t.normalization().scale[0] == Approx(2));
  CHECK(t.normalization().offset[1] == Approx(-2));
  // Normalised displacement (2, 2) in one time unit: RMS speed 2 per dimension, so one model time unit is 0.5.
  CHECK(t.normalization().time == Approx(0.5));
  REQUIRE(t.step().ok());
  REQUIRE(t.iteration() == 1);
  const Vec off = t.normalization().offset;
  REQUIRE(t.add_trajectory({{0.0, 1.0}, Mat::Zero(2, 2)}).ok());
  CHECK(t.normalization().offset == off);
  // Field and integrate speak physical units: the field at a point equals the finite-difference slope.
  const Vec z0 = tr.states.col(0);
  const Solution s = t.integrate(z0, 0.0, {1e-6, -1e-6});  // forwards and backwards in one call
  REQUIRE(s.status == Status::Success);
  const Vec slope = (s.states.col(0) - s.states.col(1)) / 2e-6;
  CHECK(test::rel_err(slope, t.field(Mat(z0), 0.0).col(0)) < 1e-5);
}

TEST_CASE("The time scale makes normalised velocities O(1): a circle at angular speed w gets time 1/w") {
  for (const double w : {0.2, 3.0}) {
    Trajectory tr;
    for (int i = 0; i <= 400; ++i) tr.times.push_back(2 * M_PI / w * i / 400.0);
    tr.states.resize(2, 401);
    for (int i = 0; i <= 400; ++i) tr.states.col(i) << 5 + std::cos(w * tr.times[i]), std::sin(w * tr.times[i]);
    const Vec scale = Vec::Constant(2, std::sqrt(0.5));  // the standard deviation of cos and sin over a period
    CHECK(fit_time_scale({tr}, Vec::Zero(2), scale) == Approx(1 / w).epsilon(1e-3));
  }
  CHECK(fit_time_scale({}, Vec::Zero(2), Vec::Ones(2)) == 1.0);  // no data, no motion: time is not rescaled
  CHECK(fit_time_scale({{{0.0, 1.0}, Mat::Ones(2, 2)}}, Vec::Zero(2), Vec::Ones(2)) == 1.0);
}

TEST_CASE("The time scale is robust to observation noise and to closely spaced observations") {
  auto fitted = [](const std::vector<Trajectory>& data) {
    TrainerConfig c;
    c.mlp.dim = static_cast<int>(data[0].states.rows());
    Trainer t(c);
    for (const Trajectory& tr : data) REQUIRE(t.add_trajectory(tr).ok());
    return t.normalization().time;
  };
  // Clean data: the time-weighted mean of the consecutive differences' squared speeds (the former definition) within
  // 6 % on every preset's data (measured: toggle 5.1 %, spiral 4.4 %, the others ≤ 4.4 %; the new weights are Δt²).
  for (const System& s : systems()) {
    const std::vector<Trajectory> data = sample_system(s, SampleOptions{});
    const Mat all = observed_states(data);
    const Vec mean = all.rowwise().mean();
    const Vec sd = ((all.colwise() - mean).cwiseAbs2().rowwise().sum() / static_cast<double>(all.cols())).cwiseSqrt();
    double moved = 0, elapsed = 0;
    for (const Trajectory& tr : data)
      for (Index i = 1; i < tr.states.cols(); ++i) {
        const double dt = tr.times[static_cast<std::size_t>(i)] - tr.times[static_cast<std::size_t>(i - 1)];
        moved += (tr.states.col(i) - tr.states.col(i - 1)).cwiseQuotient(sd).squaredNorm() / s.dim / dt;
        elapsed += dt;
      }
    INFO(s.name);
    CHECK(fitted(data) == Approx(1 / std::sqrt(moved / elapsed)).epsilon(0.06));
  }
  // Gaussian noise of 2 % and 5 % of each dimension's extent, on the presets' data and on 1,000 points per trajectory:
  // within 25 % of the clean scale (measured ≤ 16 %; the consecutive differences gave 4.5 -> 0.58 and 0.24 on
  // FitzHugh–Nagumo's data). Scaling time by 10 still scales the result by 10.
  for (const char* name : {"fitzhugh-nagumo", "spiral"})
    for (const int points : {0, 1000}) {
      SampleOptions o;
      o.points = points;
      const std::vector<Trajectory> data = sample_system(*find_system(name), o);
      const double clean = fitted(data);
      const Mat all = observed_states(data);
      const Vec extent = all.rowwise().maxCoeff() - all.rowwise().minCoeff();
      for (const double noise : {0.02, 0.05}) {
        std::vector<Trajectory> noisy = data;
        Rng rng(7);
        for (Trajectory& tr : noisy)
          for (Index k = 0; k < tr.states.cols(); ++k)
            for (Index j = 0; j < tr.states.rows(); ++j) tr.states(j, k) += noise * extent[j] * rng.normal();
        INFO(name << ", " << points << " points, noise " << noise);
        const double time = fitted(noisy);
        CHECK(std::abs(time / clean - 1) < 0.25);
        for (Trajectory& tr : noisy)
          for (double& t : tr.times) t *= 10;
        CHECK(fitted(noisy) == Approx(10 * time));
      }
    }
}

TEST_CASE("With time normalisation, training does not depend on the unit of time") {
  // The same data in seconds and in units of 10 s: the model sees identical problems, so θ after 30 steps agrees
  // to rounding, and the physical fields differ by exactly the factor 10.
  std::vector<Trainer> trainers{Trainer(TrainerConfig{}), Trainer(TrainerConfig{})};
  SampleOptions o;
  o.trajectories = 4;
  o.points = 30;
  o.seed = 3;
  for (Trajectory tr : sample_system(*find_system("pendulum"), o)) {
    REQUIRE(trainers[0].add_trajectory(tr).ok());
    for (double& t : tr.times) t /= 10;
    REQUIRE(trainers[1].add_trajectory(tr).ok());
  }
  CHECK(trainers[0].normalization().time == Approx(10 * trainers[1].normalization().time));
  for (int i = 0; i < 30; ++i)
    for (Trainer& t : trainers) REQUIRE(t.step().status == Status::Success);
  CHECK(test::rel_err(trainers[0].mlp().params(), trainers[1].mlp().params()) < 1e-8);
  const Mat pts = trainers[0].trajectories()[0].states;
  CHECK(test::rel_err(10 * trainers[0].field(pts, 0.0), trainers[1].field(pts, 0.0)) < 1e-8);
}

TEST_CASE("The default network starts near zero: the last layer's initial weights are scaled by initOutput") {
  TrainerConfig big;
  big.mlp.init_output = 1.0;
  const Trainer small(TrainerConfig{}), full(big);
  REQUIRE(TrainerConfig{}.mlp.init_output == 0.1);
  const Mat pts = Mat::Random(2, 50);
  // Biases start at zero, so the output is exactly proportional to the last layer's weights.
  CHECK(test::rel_err(10 * small.field(pts, 0.0), full.field(pts, 0.0)) < 1e-12);
  CHECK(validate([] { TrainerConfig c; c.mlp.init_output = -1; return c; }()).message.find("initOutput") != std::string::npos);
}

TEST_CASE("The model answers with the bias-corrected moving average of θ — training follows θ itself") {
  auto data = toggle_data(3, 12);
  auto make = [&](double average) {
    TrainerConfig c = small_config();
    c.optimizer.average = average;
    auto t = std::make_unique<Trainer>(c);
    for (auto& tr : data) REQUIRE(t->add_trajectory(tr).ok());
    return t;
  };
  auto avg = make(0.9), plain = make(0.0);
  Vec ema = plain->mlp().params();
  double mass = 0.0;
  for (int i = 0; i < 30; ++i) {
    const StepReport a = avg->step(), b = plain->step();
    REQUIRE(a.status == Status::Success);
    // The average does not change training: the same losses and iterates as without it.
    CHECK(a.loss == b.loss);
    CHECK(avg->training_parameters() == plain->mlp().params());
    CHECK(plain->training_parameters() == plain->mlp().params());
    mass = 0.9 * mass + 0.1;
    ema += 0.1 / mass * (plain->mlp().params() - ema);
    CHECK((avg->mlp().params() - ema).norm() <= 1e-12 * ema.norm());
    if (i == 0) CHECK(avg->mlp().params() == avg->training_parameters());  // bias-corrected: one step is that θ
  }
  CHECK((avg->mlp().params() - avg->training_parameters()).norm() > 1e-6);
  // Outputs use the average: the field and the loss are those of a model whose θ is the average.
  Trainer same = *plain;
  REQUIRE(same.set_parameters(avg->mlp().params()).ok());
  const Mat pts = data[0].states;
  CHECK(avg->field(pts, 0.0) == same.field(pts, 0.0));
  CHECK(avg->full_loss().loss == same.full_loss().loss);
  // Setting θ sets the average too.
  REQUIRE(avg->set_parameters(plain->mlp().params()).ok());
  CHECK(avg->mlp().params() == avg->training_parameters());
}

TEST_CASE("Learning works: the torchdiffeq ode_demo replica reaches mean-abs error <= 0.08 within 2000 iterations") {
  TrainerConfig c;
  c.mlp.hidden = {50};
  c.mlp.input = InputMap::Cube;
  c.mlp.init_std = 0.1;
  c.mlp.init_output = 1.0;  // torchdiffeq's init: normal(0, 0.1) in every layer
  c.normalize = false;
  c.seed = 0;
  c.solver.method = "rk4";
  c.gradient = GradientMethod::Direct;
  c.optimizer.kind = OptimizerConfig::Kind::RmsProp;
  c.optimizer.lr = 1e-3;
  c.batch_size = 20;
  c.window = 10;
  c.loss = LossKind::L1;
  c.optimizer.average = 0;  // torchdiffeq's demo reports the iterate itself
  Trainer t(c);
  const Trajectory data = torchdiffeq_spiral();
  REQUIRE(t.add_trajectory(data).ok());
  double best = 1e9;
  int at = -1;
  for (int it = 1; it <= 2000 && best > 0.08; ++it) {
    const StepReport r = t.step();
    REQUIRE(r.status == Status::Success);
    if (it % 50 == 0) {
      const Solution s = t.integrate(data.states.col(0), 0.0, data.times);
      REQUIRE(s.status == Status::Success);
      const double mae = (s.states - data.states).cwiseAbs().mean();
      if (mae < best) { best = mae; at = it; }
    }
  }
  INFO("best mean-abs error " << best << " at iteration " << at);
  CHECK(best <= 0.08);
}

TEST_CASE("Learning works: the toggle switch from 10 irregular trajectories") {
  TrainerConfig c;
  c.mlp.hidden = {32, 32};
  c.seed = 1;
  c.optimizer.lr = 0.01;
  c.batch_size = 16;
  c.window = 8;
  c.solver.rtol = 1e-5;
  c.solver.atol = 1e-6;
  c.gradient = GradientMethod::Direct;
  Trainer t(c);
  const auto data = toggle_data(10, 30, 11);
  for (const auto& tr : data) REQUIRE(t.add_trajectory(tr).ok());
  for (int it = 0; it < 2000; ++it) REQUIRE(t.step().status == Status::Success);
  // Relative error of the learned field on the region the data covers (the observed states).
  const System& sys = *find_system("toggle");
  double num = 0, den = 0;
  for (const auto& tr : data) {
    const Mat learned = t.field(tr.states, 0.0);
    for (Index j = 0; j < tr.states.cols(); ++j) {
      const Vec truth = sys.f(tr.states.col(j));
      num += (learned.col(j) - truth).squaredNorm();
      den += truth.squaredNorm();
    }
  }
  const double rel = std::sqrt(num / den);
  INFO("relative field error " << rel);
  CHECK(rel <= 0.10);
  // Points started near each stable state end in that basin.
  for (const auto& [start, high_u] : {std::pair<Vec, bool>{(Vec(2) << 3.2, 0.4).finished(), true},
                                      std::pair<Vec, bool>{(Vec(2) << 0.4, 3.2).finished(), false}}) {
    const Solution s = t.integrate(start, 0.0, {20.0});
    REQUIRE(s.status == Status::Success);
    const Vec end = s.states.col(0);
    INFO("end " << end.transpose());
    CHECK((high_u ? end[0] > end[1] + 2 : end[1] > end[0] + 2));
  }
}

TEST_CASE("Windows on the same relative time grid are batched - irregular ones are solved apart") {
  Trainer t(small_config());
  REQUIRE(t.add_trajectory({{0.0, 0.5, 1.0, 1.5}, Mat::Random(2, 4)}).ok());
  REQUIRE(t.add_trajectory({{2.0, 2.5, 3.0}, Mat::Random(2, 3)}).ok());
  REQUIRE(t.add_trajectory({{0.0, 0.2, 1.0}, Mat::Random(2, 3)}).ok());
  const auto groups = t.group_windows({{0, 0, 3}, {0, 1, 3}, {1, 0, 3}, {2, 0, 3}});
  REQUIRE(groups.size() == 2);
  CHECK(groups[0].size() == 3);
  CHECK(groups[1].size() == 1);
}

TEST_CASE("integrate answers times on both sides of t0 in the order given - and flags bad input") {
  Trainer t(small_config());
  const Vec z0 = (Vec(2) << 0.5, -0.2).finished();
  const Solution s = t.integrate(z0, 1.0, {3.0, 0.0, 2.0, -1.0, 1.0});
  REQUIRE(s.status == Status::Success);
  CHECK(s.states.col(4) == z0);
  const Solution fwd = t.integrate(z0, 1.0, {2.0, 3.0});
  const Solution bwd = t.integrate(z0, 1.0, {0.0, -1.0});
  CHECK(test::rel_err(s.states.col(0), fwd.states.col(1)) < 1e-12);
  CHECK(test::rel_err(s.states.col(2), fwd.states.col(0)) < 1e-12);
  CHECK(test::rel_err(s.states.col(1), bwd.states.col(0)) < 1e-12);
  CHECK(test::rel_err(s.states.col(3), bwd.states.col(1)) < 1e-12);
  CHECK(t.integrate(z0, 1.0, {2.0, 2.0}).status == Status::InvalidInput);
  CHECK(t.integrate(Vec::Constant(2, NAN), 1.0, {2.0}).status == Status::InvalidInput);
  CHECK(t.integrate(Vec::Zero(3), 1.0, {2.0}).status == Status::InvalidInput);
}

namespace {

/// Trains `iterations` steps in pieces of at most `steps_per_piece` solver steps each; returns the number of pieces.
/// With `between`, the whole-data loss is computed between the pieces (as the page does between chunks).
long train_in_pieces(Trainer& t, int iterations, long steps_per_piece, std::vector<long>* steps_used = nullptr,
                     bool between = false) {
  long pieces = 0;
  const std::int64_t target = t.iteration() + iterations;
  while (t.iteration() < target) {
    WorkBudget b;
    b.steps = steps_per_piece;
    const StepReport r = t.step(&b);
    REQUIRE(r.status == Status::Success);
    CHECK(b.used <= steps_per_piece);
    if (steps_used) steps_used->push_back(b.used);
    CHECK(r.suspended == t.pending());
    if (between) CHECK(t.full_loss().status == Status::Success);
    ++pieces;
  }
  return pieces;
}

bool same_bits(const Vec& a, const Vec& b) { return a.size() == b.size() && (a.array() == b.array()).all(); }

}  // namespace

TEST_CASE("A training step split into pieces of a few solver steps equals the uninterrupted one bit for bit - each method") {
  for (const GradientMethod method : {GradientMethod::Checkpointed, GradientMethod::Direct, GradientMethod::Adjoint}) {
    for (const char* solver : {"dopri5", "rk4"}) {
      CAPTURE(to_string(method), solver);
      TrainerConfig c = small_config();
      c.gradient = method;
      c.solver.method = solver;
      if (std::string(solver) == "rk4") c.solver.step = 0.05;  // fixed steps
      Trainer whole(c), split(c);
      for (const Trajectory& tr : toggle_data(6, 30)) {  // irregular times: joint dense solves
        REQUIRE(whole.add_trajectory(tr).ok());
        REQUIRE(split.add_trajectory(tr).ok());
      }
      std::vector<double> losses;
      for (int i = 0; i < 4; ++i) losses.push_back(whole.step().loss);
      for (const long k : {1L, 2L, 3L}) {
        Trainer t(c);
        for (const Trajectory& tr : whole.trajectories()) REQUIRE(t.add_trajectory(tr).ok());
        const long pieces = train_in_pieces(t, 4, k, nullptr, k == 2);  // k = 2: whole-data losses in between
        CHECK(pieces > 4);  // the iterations were in fact split
        CHECK(same_bits(t.mlp().params(), whole.mlp().params()));
        CHECK(t.state().rng == whole.state().rng);
        CHECK(t.state().optimizer.step == whole.state().optimizer.step);
      }
    }
  }
}

TEST_CASE("Each trajectory's loss alone weights up to the full-data loss, and leaves an iteration under way running") {
  TrainerConfig c = small_config();
  Trainer t(c), whole(c);
  for (const Trajectory& tr : toggle_data(5, 30)) {
    REQUIRE(t.add_trajectory(tr).ok());
    REQUIRE(whole.add_trajectory(tr).ok());
  }
  for (int i = 0; i < 3; ++i) {
    REQUIRE(t.step().status == Status::Success);
    REQUIRE(whole.step().status == Status::Success);
  }
  WorkBudget b;
  b.steps = 3;
  REQUIRE(t.step(&b).suspended);
  double sum = 0, weight = 0;
  for (std::size_t i = 0; i < t.trajectories().size(); ++i) {
    const GradientResult r = t.trajectory_loss(i);
    REQUIRE(r.status == Status::Success);
    const double n = static_cast<double>(t.trajectories()[i].times.size() - 1);
    sum += r.loss * n;
    weight += n;
  }
  const GradientResult all = t.full_loss();
  REQUIRE(all.status == Status::Success);
  // The full loss solves all trajectories jointly (shared adaptive steps): the two agree to the solver's tolerance.
  CHECK(std::abs(sum / weight - all.loss) <= 1e-4 * all.loss);
  CHECK(t.trajectory_loss(1).loss != t.trajectory_loss(2).loss);
  CHECK(t.pending());  // the losses did not drop the iteration under way: it completes as the uninterrupted one
  do b.used = 0;
  while (t.step(&b).suspended);
  REQUIRE(whole.step().status == Status::Success);
  CHECK(same_bits(t.mlp().params(), whole.mlp().params()));
}

TEST_CASE("The pieces of a split step do at most their budget of solver steps, and together the step's own work") {
  // Direct backprop's backward pass reverses each accepted forward step once (no recomputation), so the step's solver
  // steps are exactly forward (accepted + rejected) + backward accepted: pieces of k steps need ⌈total / k⌉ calls.
  TrainerConfig c = small_config();
  c.gradient = GradientMethod::Direct;
  Trainer whole(c), split(c);
  for (const Trajectory& tr : toggle_data(6, 30)) {
    REQUIRE(whole.add_trajectory(tr).ok());
    REQUIRE(split.add_trajectory(tr).ok());
  }
  const long k = 5;
  for (int i = 0; i < 3; ++i) {
    const StepReport r = whole.step();
    REQUIRE(r.status == Status::Success);
    // The trainer reports NFE; the steps come from a GradientResult of the same minibatch: recount them from the pieces.
    std::vector<long> used;
    const long pieces = train_in_pieces(split, 1, k, &used);
    long total = 0;
    for (std::size_t j = 0; j < used.size(); ++j) {
      total += used[j];
      if (j + 1 < used.size()) CHECK(used[j] == k);  // every piece but the last uses its whole budget
    }
    CHECK(pieces == (total + k - 1) / k);
    // The steps counted are the solve's: at least one per forward and backward step, at most the NFE they cost.
    CHECK(total >= 2);
    CHECK(total <= r.nfe_forward + r.nfe_backward);
    CHECK(same_bits(split.mlp().params(), whole.mlp().params()));
  }
}

TEST_CASE("An iteration under way is dropped by whatever changes the model or the data — a document taken meanwhile resumes before it") {
  TrainerConfig c = small_config();
  Trainer a(c), b(c);
  for (const Trajectory& tr : toggle_data(6, 30)) {
    REQUIRE(a.add_trajectory(tr).ok());
    REQUIRE(b.add_trajectory(tr).ok());
  }
  const TrainingState before = a.state();
  WorkBudget budget;
  budget.steps = 3;
  REQUIRE(a.step(&budget).suspended);
  REQUIRE(a.pending());
  // The saved state is the one before the iteration: restoring it elsewhere trains the same iteration.
  CHECK(a.state().rng == before.rng);
  CHECK(same_bits(a.state().theta, before.theta));
  SECTION("set_parameters drops it and gives back the sampler's draws") {
    REQUIRE(a.set_parameters(before.theta).ok());
    CHECK_FALSE(a.pending());
  }
  SECTION("new data drops it") {
    REQUIRE(a.add_trajectory(toggle_data(1, 30, 9)[0]).ok());
    CHECK_FALSE(a.pending());
    REQUIRE(b.add_trajectory(toggle_data(1, 30, 9)[0]).ok());
  }
  SECTION("restore drops it") {
    REQUIRE(a.restore(before).ok());
    CHECK_FALSE(a.pending());
  }
  // Either way the next whole step is the step a trainer that never began the piece takes.
  REQUIRE(a.step().status == Status::Success);
  REQUIRE(b.step().status == Status::Success);
  CHECK(same_bits(a.mlp().params(), b.mlp().params()));
}

TEST_CASE("The whole-data loss in pieces of one solver step equals the one-call loss bit for bit — an iteration under way runs on") {
  TrainerConfig c = small_config();
  Trainer t(c), whole(c);
  for (const Trajectory& tr : toggle_data(5, 30)) {
    REQUIRE(t.add_trajectory(tr).ok());
    REQUIRE(whole.add_trajectory(tr).ok());
  }
  for (int i = 0; i < 3; ++i) {
    REQUIRE(t.step().status == Status::Success);
    REQUIRE(whole.step().status == Status::Success);
  }
  // A training step under way (suspended), then the loss in pieces of 1 solver step between its pieces.
  WorkBudget sb;
  sb.steps = 1;
  REQUIRE(t.step(&sb).suspended);
  const auto in_pieces = [&t](long trajectory, int& pieces) {
    GradientResult r;
    pieces = 0;
    for (;;) {
      WorkBudget b;
      b.steps = 1;
      ++pieces;
      if (t.loss_resumable(r, &b, trajectory)) return r;
      CHECK(r.suspended);
      CHECK(b.used <= 1);
      REQUIRE(pieces < 100000);
    }
  };
  int pieces = 0;
  const GradientResult all = in_pieces(-1, pieces);
  const GradientResult one = t.full_loss();
  REQUIRE(all.status == Status::Success);
  CHECK(all.loss == one.loss);
  CHECK(all.forward.nfe == one.forward.nfe);
  CHECK(pieces >= one.forward.accepted + one.forward.rejected);  // one solver step tried a piece
  CHECK(pieces <= one.forward.accepted + one.forward.rejected + 1);
  CHECK(pieces > 2);
  const GradientResult second = in_pieces(2, pieces);
  CHECK(second.loss == t.trajectory_loss(2).loss);
  CHECK(pieces > 1);
  // Interleaved with the training step's pieces (which do not change the model until the iteration completes).
  GradientResult r;
  WorkBudget b;
  b.steps = 1;
  REQUIRE_FALSE(t.loss_resumable(r, &b));
  sb.used = 0;
  REQUIRE(t.step(&sb).suspended);
  REQUIRE(t.pending());
  b.used = 0;
  while (!t.loss_resumable(r, &b)) b.used = 0;
  CHECK(r.loss == one.loss);
  // The iteration under way completes as the uninterrupted one.
  do sb.used = 0;
  while (t.step(&sb).suspended);
  REQUIRE(whole.step().status == Status::Success);
  CHECK(same_bits(t.mlp().params(), whole.mlp().params()));
  // A loss begun before a step finished starts over with the new model: it is the new model's loss.
  b.used = 0;
  REQUIRE_FALSE(t.loss_resumable(r, &b));
  REQUIRE(t.step().status == Status::Success);
  b.used = 0;
  while (!t.loss_resumable(r, &b)) b.used = 0;
  CHECK(r.loss == t.full_loss().loss);
  // So does one begun before the data changed.
  b.used = 0;
  REQUIRE_FALSE(t.loss_resumable(r, &b));
  t.clear_trajectories();
  for (const Trajectory& tr : toggle_data(2, 30, 7)) REQUIRE(t.add_trajectory(tr).ok());
  b.used = 0;
  while (!t.loss_resumable(r, &b)) b.used = 0;
  CHECK(r.loss == t.full_loss().loss);
}
