#pragma once
/// The core's one error convention: a call that can fail returns Result<T> — its value, or the message saying
/// what went wrong — and Result<> when there is no value to return. Both are [[nodiscard]]: no failure goes
/// unread. (Long computations — solves, gradients, training steps — return reports that keep their partial
/// output and say how they ended with a Status and a message; see solve.hpp.)
#include <optional>
#include <string>
#include <utility>

namespace nde {

/// Either holds a T or says what went wrong.
template <class T = void>
struct [[nodiscard]] Result {
  std::optional<T> value;
  std::string error;
  bool ok() const { return value.has_value(); }
  /// A successful result.
  static Result success(T v) { return Result{std::move(v), {}}; }
  /// A failed result with a message.
  static Result failure(std::string message) { return Result{std::nullopt, std::move(message)}; }
};

/// Success, or what went wrong; `return {};` is success.
template <>
struct [[nodiscard]] Result<void> {
  std::string error;  ///< empty exactly on success
  bool ok() const { return error.empty(); }
  /// Success.
  static Result success() { return {}; }
  /// A failure; its message is never empty.
  static Result failure(std::string message) { return Result{message.empty() ? std::string("failed") : std::move(message)}; }
};

}  // namespace nde
