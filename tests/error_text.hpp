#pragma once
// Checks on the text of thrown errors, for tests that pin down what a message
// tells the user (and not only that something was thrown).
#include <gtest/gtest.h>

#include <string>

namespace trtutils::test {

/// The what() of the `Error` that f() throws; a test failure if it throws nothing.
template <typename Error, typename F>
std::string message_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "nothing thrown";
  return {};
}

inline void expect_contains(const std::string& text, const std::string& part) {
  EXPECT_NE(text.find(part), std::string::npos) << text << "\n  lacks: " << part;
}

}  // namespace trtutils::test
