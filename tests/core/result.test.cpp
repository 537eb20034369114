#include "nde/result.hpp"

#include <catch2/catch.hpp>

#include "nde/limits.hpp"

using namespace nde;

TEST_CASE("Result: a value or a message; Result<> succeeds empty and never fails silently") {
  const Result<int> three = Result<int>::success(3);
  REQUIRE(three.ok());
  CHECK(*three.value == 3);
  const Result<int> bad = Result<int>::failure("no number");
  CHECK_FALSE(bad.ok());
  CHECK(bad.error == "no number");
  const Result<> done = {};
  CHECK(done.ok());
  CHECK(Result<>::success().ok());
  // A failure always carries a message, even when the caller had none.
  const Result<> failed = Result<>::failure("");
  CHECK_FALSE(failed.ok());
  CHECK_FALSE(failed.error.empty());
  // The limit checks use it: ok within the limit, a message naming the value outside it.
  CHECK(limits::check_data(1.0, "x").ok());
  CHECK(limits::check_data(1e300, "x").error == "x must be finite with magnitude at most 1e+12 (got 1e+300)");
}
