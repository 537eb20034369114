// Ensembles: members with different seeds agree where the data are and disagree away from them.
#include <catch2/catch.hpp>

#include "nde/ensemble.hpp"
#include "nde/systems.hpp"

using namespace nde;

TEST_CASE("Ensemble members start apart, train together, and bad data is refused by all") {
  Ensemble e(TrainerConfig{}, 3);
  REQUIRE(e.size() == 3);
  CHECK(e.member(1).config().seed == 1);
  CHECK(e.member(0).mlp().params() != e.member(1).mlp().params());
  Trajectory bad{{0.0, 0.0}, Mat::Zero(2, 2)};
  CHECK_FALSE(e.add_trajectory(bad).ok());
  for (int k = 0; k < 3; ++k) CHECK(e.member(k).trajectories().empty());
  SampleOptions so;
  so.trajectories = 2;
  so.points = 10;
  for (auto& tr : sample_system(*find_system("toggle"), so)) REQUIRE(e.add_trajectory(tr).ok());
  const StepReport r = e.step();
  CHECK(r.status == Status::Success);
  CHECK(e.iteration() == 1);
  for (int k = 0; k < 3; ++k) CHECK(e.member(k).iteration() == 1);
}

TEST_CASE("Ensemble disagreement is at least 3x larger far from the data than on it (toggle preset)", "[learning]") {
  Ensemble e(TrainerConfig{}, 5);
  SampleOptions so;
  so.trajectories = 8;
  so.points = 40;
  const auto data = sample_system(*find_system("toggle"), so);
  for (const auto& tr : data) REQUIRE(e.add_trajectory(tr).ok());
  for (int i = 0; i < 200; ++i) REQUIRE(e.step().status == Status::Success);
  // On the data: every observed state. Far: a ring of points 3 units outside the view [−0.25, 4.75]².
  Mat on(2, 0);
  for (const auto& tr : data) {
    on.conservativeResize(2, on.cols() + tr.states.cols());
    on.rightCols(tr.states.cols()) = tr.states;
  }
  Mat far(2, 64);
  for (int k = 0; k < 64; ++k) {
    const double a = 2 * M_PI * k / 64;
    far.col(k) << 2.25 + 6.5 * std::cos(a), 2.25 + 6.5 * std::sin(a);
  }
  const double d_on = e.disagreement(on, 0.0).mean(), d_far = e.disagreement(far, 0.0).mean();
  INFO("mean disagreement on the data " << d_on << ", far from it " << d_far);
  CHECK(d_far >= 3 * d_on);
}

TEST_CASE("An ensemble step split into pieces of a few solver steps equals the uninterrupted one bit for bit") {
  SampleOptions so;
  so.trajectories = 3;
  so.points = 12;
  TrainerConfig c;
  c.mlp.hidden = {8, 8};
  Ensemble whole(c, 3), split(c, 3);
  for (auto& tr : sample_system(*find_system("toggle"), so)) {
    REQUIRE(whole.add_trajectory(tr).ok());
    REQUIRE(split.add_trajectory(tr).ok());
  }
  long pieces = 0;
  for (int i = 0; i < 2; ++i) {
    const StepReport w = whole.step();
    StepReport r;
    do {
      WorkBudget b;
      b.steps = 3;
      r = split.step(&b);
      CHECK(b.used <= 3);
      ++pieces;
      // Until the last member finishes, the ensemble's iteration is the one before.
      if (r.suspended) CHECK(split.iteration() == i);
    } while (r.suspended);
    CHECK(r.loss == w.loss);
    CHECK(r.nfe_forward == w.nfe_forward);
  }
  CHECK(pieces > 6);
  for (int k = 0; k < 3; ++k) CHECK((split.member(k).mlp().params().array() == whole.member(k).mlp().params().array()).all());
}

TEST_CASE("The disagreement grid goes in blocks of field_block / members points and stops between them at its deadline") {
  TrainerConfig c;
  c.mlp.hidden = {1024, 1024};  // blocks of 31 points per member: 15 points per block for 2 members
  Ensemble e(c, 2);
  GridSpec g;
  g.nx = 6;
  g.ny = 6;
  const RowVec whole = disagreement_grid(e, g);
  REQUIRE(whole.size() == 36);
  const RowVec in_time = disagreement_grid(e, g, Deadline::after_checks(3));
  REQUIRE(in_time.size() == 36);
  CHECK(in_time == whole);
  CHECK(disagreement_grid(e, g, Deadline::after_checks(2)).size() == 0);
  // Point 20: row 3 (y = 0.6), column 2 (x = -0.6).
  const Vec p = (Vec(2) << -0.6, 0.6).finished();
  CHECK(std::abs(whole[20] - e.disagreement(Mat(p), 0.0)[0]) < 1e-15);
}
