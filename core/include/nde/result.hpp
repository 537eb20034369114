#pragma once
/// The core's one error convention: every call that can fail says how it ended with a Result<> — a Status
/// (Success, or which failure) and a message (empty exactly on success). Result<T> adds the value a successful
/// call returns. The reports of long computations (Solution, GradientResult, StepReport, DensityResult and the
/// gradient truth's) ARE Result<>s: they add the partial output a failure still has (states reached, NFE,
/// timings) next to how the computation ended — diffrax's Solution.result model.
/// Why one base type and not a `Result<> outcome` member in each report: every call site then reads the same
/// names (`ok()`, `status`, `message`) whatever it called, and any result forwards a failure as it is
/// (`return R::failure(r);`, status kept). All are [[nodiscard]]: no failure goes unread.
#include <optional>
#include <string>
#include <utility>

namespace nde {

/// How a call ended. Refused arguments are InvalidInput; the others say why a computation stopped early.
enum class Status { Success, MaxSteps, StepTooSmall, NonFinite, InvalidInput, TimeLimit };

/// "success" | "max-steps" | "step-too-small" | "non-finite" | "invalid-input" | "time-limit".
inline const char* to_string(Status s) {
  switch (s) {
    case Status::Success: return "success";
    case Status::MaxSteps: return "max-steps";
    case Status::StepTooSmall: return "step-too-small";
    case Status::NonFinite: return "non-finite";
    case Status::InvalidInput: return "invalid-input";
    case Status::TimeLimit: return "time-limit";
  }
  return "invalid-input";
}

/// Either holds a T (status Success) or says what went wrong.
template <class T = void>
struct Result;

/// Success, or a Status and the message saying what went wrong; `return {};` is success.
template <>
struct [[nodiscard]] Result<void> {
  Status status = Status::Success;
  std::string message;  ///< empty exactly on success
  [[nodiscard]] bool ok() const { return status == Status::Success; }
  /// Success.
  static Result success() { return {}; }
  /// A failure (InvalidInput unless said otherwise); its message is never empty.
  static Result failure(std::string message, Status s = Status::InvalidInput) {
    return Result{s == Status::Success ? Status::InvalidInput : s,
                  message.empty() ? std::string("failed") : std::move(message)};
  }
  /// The failure of another result (its status and message), e.g. a step that forwards why its solve failed.
  static Result failure(const Result& why) { return failure(why.message, why.status); }
  /// Records a failure unless one is recorded already (collectors keep the first problem).
  void fail(std::string message, Status s = Status::InvalidInput) {
    if (ok()) *this = failure(std::move(message), s);
  }
  /// The same with another result's failure (nothing when it succeeded).
  void fail(const Result& why) {
    if (!why.ok()) fail(why.message, why.status);
  }
};

template <class T>
struct [[nodiscard]] Result : Result<void> {
  std::optional<T> value;  ///< present exactly on success
  /// No value yet: a failure until success() makes one.
  Result() : Result<void>{Status::InvalidInput, "no value"} {}
  /// A successful result.
  static Result success(T v) {
    Result r;
    static_cast<Result<>&>(r) = Result<>::success();
    r.value = std::move(v);
    return r;
  }
  /// A failed result with a message (InvalidInput unless said otherwise).
  static Result failure(std::string message, Status s = Status::InvalidInput) {
    Result r;
    static_cast<Result<>&>(r) = Result<>::failure(std::move(message), s);
    return r;
  }
  /// The failure of another result, status and message kept.
  static Result failure(const Result<>& why) { return failure(why.message, why.status); }
};

}  // namespace nde
