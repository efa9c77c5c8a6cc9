#include <gtest/gtest.h>

#include <thread>
#include <utility>

#include "gpu_test_support.hpp"
#include "trtutils/core/context.hpp"
#include "trtutils/core/device.hpp"

namespace trtutils::core {
namespace {

// Runs `body` on a fresh thread, where no context is current yet, so that a
// guard's "restore" is distinguishable from "leave the primary current".
template <typename Body>
void on_fresh_thread(Body body) {
  std::exception_ptr failure;
  std::thread worker([&] {
    try {
      body();
    } catch (...) {
      failure = std::current_exception();
    }
  });
  worker.join();
  if (failure) std::rethrow_exception(failure);
}

TEST(PrimaryContext, MissingDeviceIsAnInvalidArgument) {
  EXPECT_THROW(PrimaryContext{device_count()}, InvalidArgument);
  EXPECT_THROW(PrimaryContext{-1}, InvalidArgument);
}

TEST(DeviceGuard, MissingDeviceThrowsAndChangesNothing) {
  if (device_count() == 0) {
    // No current device to save: the guard cannot even start.
    EXPECT_THROW(DeviceGuard guard(0), Error);
    return;
  }
  const int before = current_device();
  EXPECT_THROW(DeviceGuard guard(device_count()), InvalidArgument);
  EXPECT_EQ(current_device(), before);
}

TEST(PrimaryContextGpu, RetainsTheRuntimesOwnContext) {
  TRTUTILS_REQUIRE_GPU();
  set_device(0);
  PrimaryContext primary(0);
  ASSERT_NE(primary.handle(), nullptr);
  EXPECT_EQ(primary.device(), 0);
  // After set_device the runtime's current context on this thread is device 0's primary.
  EXPECT_EQ(current_context(), primary.handle());
  // Retaining twice yields the same context.
  PrimaryContext again(0);
  EXPECT_EQ(again.handle(), primary.handle());
}

TEST(PrimaryContextGpu, MoveTransfersOwnership) {
  TRTUTILS_REQUIRE_GPU();
  PrimaryContext first(0);
  const ContextHandle handle = first.handle();
  PrimaryContext second(std::move(first));
  EXPECT_EQ(second.handle(), handle);
  EXPECT_EQ(first.handle(), nullptr);  // NOLINT(bugprone-use-after-move): checking the moved-from state
  EXPECT_THROW(ContextGuard guard(first), InvalidArgument);
}

TEST(ContextGuardGpu, MakesTheContextCurrentAndRestoresNoneOnAFreshThread) {
  TRTUTILS_REQUIRE_GPU();
  PrimaryContext primary(0);
  on_fresh_thread([&] {
    EXPECT_EQ(current_context(), nullptr);
    {
      ContextGuard guard(primary);
      EXPECT_EQ(current_context(), primary.handle());
    }
    EXPECT_EQ(current_context(), nullptr);
  });
}

TEST(ContextGuardGpu, NestedGuardsUnwindInOrder) {
  TRTUTILS_REQUIRE_GPU();
  PrimaryContext first(0);
  PrimaryContext last(device_count() - 1);
  on_fresh_thread([&] {
    {
      ContextGuard outer(first);
      {
        ContextGuard inner(last);
        EXPECT_EQ(current_context(), last.handle());
      }
      EXPECT_EQ(current_context(), first.handle());
    }
    EXPECT_EQ(current_context(), nullptr);
  });
}

TEST(ContextGuardGpu, RestoresThePreviousContextWhenUnwindingAnException) {
  TRTUTILS_REQUIRE_GPU();
  PrimaryContext primary(0);
  on_fresh_thread([&] {
    try {
      ContextGuard guard(primary);
      throw std::runtime_error("boom");
    } catch (const std::runtime_error&) {
    }
    EXPECT_EQ(current_context(), nullptr);
  });
}

TEST(DeviceGuardGpu, RestoresThePreviousDevice) {
  TRTUTILS_REQUIRE_GPU();
  if (device_count() < 2) GTEST_SKIP() << "needs two GPUs to tell a restore from a no-op";
  set_device(1);
  {
    DeviceGuard guard(0);
    EXPECT_EQ(guard.previous_device(), 1);
    EXPECT_EQ(current_device(), 0);
  }
  EXPECT_EQ(current_device(), 1);
  set_device(0);
}

TEST(DeviceGuardGpu, SetsTheDeviceForTheScope) {
  TRTUTILS_REQUIRE_GPU();
  const int last = device_count() - 1;
  set_device(0);
  {
    DeviceGuard guard(last);
    EXPECT_EQ(current_device(), last);
    EXPECT_EQ(guard.previous_device(), 0);
  }
  EXPECT_EQ(current_device(), 0);
}

}  // namespace
}  // namespace trtutils::core
