#include "nde/trajectory.hpp"

#include <catch2/catch.hpp>

using namespace nde;

TEST_CASE("Trajectory messages print numbers in their shortest form") {
  Trajectory t{{0.0, 0.5, 0.25}, Mat::Zero(2, 3)};
  const Result<> err = validate_trajectory(t, 2);
  CHECK(err.message == "times must be strictly increasing: time 2 (0.25) is not after time 1 (0.5)");
  t.times = {0.0, 1e-14, 1e-14};
  CHECK(validate_trajectory(t, 2).message.find("(1e-14) is not after time 1 (1e-14)") != std::string::npos);
}
