#include "nde/result.hpp"

#include <catch2/catch.hpp>

#include "nde/limits.hpp"

using namespace nde;

TEST_CASE("Result: a value or a status and message — Result<> succeeds empty and never fails silently") {
  const Result<int> three = Result<int>::success(3);
  REQUIRE(three.ok());
  CHECK(*three.value == 3);
  const Result<int> bad = Result<int>::failure("no number");
  CHECK_FALSE(bad.ok());
  CHECK(bad.message == "no number");
  CHECK(bad.status == Status::InvalidInput);  // a refused argument unless said otherwise
  // No value, no success: a Result<T> is a failure until success() gives it a value.
  CHECK_FALSE(Result<int>{}.ok());
  const Result<> done = {};
  CHECK(done.ok());
  CHECK(Result<>::success().ok());
  // A failure always carries a message, even when the caller had none.
  const Result<> failed = Result<>::failure("");
  CHECK_FALSE(failed.ok());
  CHECK_FALSE(failed.message.empty());
  // Nor can a failure claim success.
  CHECK(Result<>::failure("x", Status::Success).status == Status::InvalidInput);
  // A failure forwards with its status and message (a report's time limit stays a time limit).
  const Result<> late = Result<>::failure("the time budget ran out", Status::TimeLimit);
  const Result<double> forwarded = Result<double>::failure(late);
  CHECK_FALSE(forwarded.ok());
  CHECK(forwarded.status == Status::TimeLimit);
  CHECK(forwarded.message == "the time budget ran out");
  CHECK(std::string(to_string(forwarded.status)) == "time-limit");
  // A collector keeps the first problem.
  Result<> first;
  first.fail("one");
  first.fail("two", Status::NonFinite);
  CHECK(first.message == "one");
  CHECK(first.status == Status::InvalidInput);
  // The limit checks use it: ok within the limit, a message naming the value outside it.
  CHECK(limits::check_data(1.0, "x").ok());
  CHECK(limits::check_data(1e300, "x").message == "x must be finite with magnitude at most 1e+12 (got 1e+300)");
}
