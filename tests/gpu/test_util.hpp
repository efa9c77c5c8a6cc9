#pragma once
// Helpers shared by the tests/gpu tests.
#include <gtest/gtest.h>

#include <string>

namespace trtutils::testing {

/// Passes when `text` contains `part`, showing both otherwise.
inline ::testing::AssertionResult contains(const std::string& text, const std::string& part) {
  if (text.find(part) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "'" << text << "' does not contain '" << part << "'";
}

}  // namespace trtutils::testing
