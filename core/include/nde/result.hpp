#pragma once
/// A value or an error message: failure is a value in the core.
#include <optional>
#include <string>
#include <utility>

namespace nde {

/// Either holds a T or says what went wrong.
template <class T>
struct Result {
  std::optional<T> value;
  std::string error;
  bool ok() const { return value.has_value(); }
  /// A successful result.
  static Result success(T v) { return Result{std::move(v), {}}; }
  /// A failed result with a message.
  static Result failure(std::string message) { return Result{std::nullopt, std::move(message)}; }
};

}  // namespace nde
