#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>      // std::move

namespace mlpipe {

// error -- every error mlpipe throws. The message names the step (its path in the pipeline and its kind),
// then says what was wrong and what was expected:
//   step 'model' (ridge): alpha = -1 is out of range; expected alpha >= 0
// A stage throws with its kind only; each pipeline the error passes through adds its step name.
class error : public std::runtime_error {
 public:
  explicit error(std::string detail, std::string_view kind = {})
      : std::runtime_error(std::string()), detail_(std::move(detail)), kind_(kind) {
    rebuild();
  }

  const char* what() const noexcept override { return message_.c_str(); }

  // What was wrong, without the step prefix.
  const std::string& detail() const noexcept { return detail_; }
  // The kind of the stage that failed ("ridge"), or empty.
  const std::string& kind() const noexcept { return kind_; }
  // The dotted path of the failing step from the outermost pipeline ("features.num.scale"), or empty.
  const std::string& step_path() const noexcept { return path_; }

  // Called by a composite stage as the error leaves one of its steps: prefixes the step's name.
  void add_step(std::string_view name, std::string_view kind) {
    path_ = path_.empty() ? std::string(name) : std::string(name) + "." + path_;
    if (kind_.empty()) kind_ = kind;
    rebuild();
  }

  // Names the stage when the error came from code that did not know it (a parameter path, a grid value).
  void add_kind(std::string_view kind) {
    if (kind_.empty()) kind_ = kind;
    rebuild();
  }

  // Adds context that only an outer stage knows ("columns [2, 5] of the input").
  void add_note(std::string_view note) {
    detail_ += " (";
    detail_ += note;
    detail_ += ")";
    rebuild();
  }

 private:
  void rebuild() {
    if (!path_.empty()) message_ = "step '" + path_ + "' (" + kind_ + "): " + detail_;
    else if (!kind_.empty()) message_ = kind_ + ": " + detail_;
    else message_ = detail_;
  }

  std::string detail_;
  std::string kind_;
  std::string path_;
  std::string message_;
};

// invalid_parameter -- a hyperparameter out of range, a parameter path that does not exist, a value of the wrong type.
class invalid_parameter : public error {
 public:
  using error::error;
};

// invalid_input -- data a stage cannot use: wrong shape, empty, NaN or infinity, a single class, bad text in a file.
class invalid_input : public error {
 public:
  using error::error;
};

// load_error -- a saved model that cannot be read back: missing, truncated, corrupt or of another pipeline.
class load_error : public error {
 public:
  using error::error;
};

}  // namespace mlpipe

namespace mlpipe::detail {

// Runs f(); an mlpipe::error leaving it gets the step's name (and kind, if it had none) added to its message.
template <class F>
decltype(auto) in_step(std::string_view name, std::string_view kind, F&& f) {
  try {
    return f();
  } catch (error& e) {
    e.add_step(name, kind);
    throw;
  }
}

}  // namespace mlpipe::detail
