// A C ABI over trtutils' DLPack export/import, loaded with ctypes by
// tests/python/test_dlpack_torch.py to exchange tensors with PyTorch without
// copying, in both directions, in host and CUDA memory.
//
// Ownership at this boundary follows DLPack: an exported DLManagedTensor
// belongs to whoever consumes it (PyTorch calls its deleter once);
// bridge_import_sum takes ownership of what it is given and calls the
// producer's deleter exactly once, also when it refuses the tensor.
// No exception crosses the C boundary: failures return a sentinel (null, NaN)
// and leave their message in bridge_last_error().
#include <dlpack/dlpack.h>

#include <atomic>
#include <cmath>
#include <cstdint>
#include <exception>
#include <limits>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "trtutils/core/memory.hpp"
#include "trtutils/tensor/dlpack.hpp"
#include "trtutils/tensor/host_tensor.hpp"

#define BRIDGE_API extern "C" __attribute__((visibility("default")))

namespace {

// Test-only counters the Python side reads back: the deleters of exported
// tensors that have run (host and CUDA together), and the data address the
// last import saw.
std::atomic<int> g_release_count{0};
std::atomic<std::uintptr_t> g_last_import_pointer{0};
thread_local std::string g_last_error;

// to_dlpack's own deleter, wrapped so that host exports are counted too.
void (*g_host_deleter)(DLManagedTensor*) = nullptr;

void counting_host_deleter(DLManagedTensor* self) {
  ++g_release_count;
  g_host_deleter(self);
}

template <typename Function, typename Result>
Result guarded(Function&& function, Result on_error) {
  try {
    g_last_error.clear();
    return std::forward<Function>(function)();
  } catch (const std::exception& error) {
    g_last_error = error.what();
  } catch (...) {
    g_last_error = "unknown exception";
  }
  return on_error;
}

void check_count(int n) {
  TRTUTILS_CHECK(n > 0, "bridge: element count must be positive, got ", n);
}

double sum_of(const trtutils::TensorView& view) {
  double sum = 0.0;
  for (std::int64_t i = 0; i < view.element_count(); ++i) {
    sum += trtutils::element_as_double(view, i);
  }
  return sum;
}

}  // namespace

/// A float32 host tensor [n] holding i * 0.5, exported with to_dlpack.
BRIDGE_API DLManagedTensor* bridge_export_host(int n) {
  return guarded(
      [n]() -> DLManagedTensor* {
        check_count(n);
        trtutils::HostTensor tensor({n}, trtutils::DType::kFloat32);
        auto values = tensor.values<float>();
        for (int i = 0; i < n; ++i)
          values[static_cast<std::size_t>(i)] = 0.5F * static_cast<float>(i);
        DLManagedTensor* managed = trtutils::to_dlpack(std::move(tensor));
        if (g_host_deleter == nullptr) g_host_deleter = managed->deleter;
        TRTUTILS_CHECK(managed->deleter == g_host_deleter,
                       "bridge: to_dlpack returned a different deleter than before");
        managed->deleter = &counting_host_deleter;
        return managed;
      },
      static_cast<DLManagedTensor*>(nullptr));
}

/// A float32 CUDA tensor [n] holding 1.5 * i - 3, in a core::DeviceBuffer
/// filled from the host and exported with to_dlpack_borrowed; the buffer is
/// freed (and counted) when the consumer releases the tensor.
BRIDGE_API DLManagedTensor* bridge_export_cuda(int n) {
  return guarded(
      [n]() -> DLManagedTensor* {
        check_count(n);
        std::vector<float> host(static_cast<std::size_t>(n));
        for (int i = 0; i < n; ++i)
          host[static_cast<std::size_t>(i)] = 1.5F * static_cast<float>(i) - 3.0F;
        auto buffer = std::make_shared<trtutils::core::DeviceBuffer>(host.size() * sizeof(float));
        trtutils::core::memcpy_host_to_device(buffer->data(), host.data(), buffer->size());
        const DLDevice device{kDLCUDA, buffer->device()};
        void* data = buffer->data();
        return trtutils::to_dlpack_borrowed(data, {n}, trtutils::DType::kFloat32, device,
                                            [buffer]() mutable noexcept {
                                              buffer.reset();
                                              ++g_release_count;
                                            });
      },
      static_cast<DLManagedTensor*>(nullptr));
}

/// How many deleters of tensors exported above have run.
BRIDGE_API int bridge_release_count() { return g_release_count.load(); }

/// The address of the first element (data + byte_offset); does not take ownership.
BRIDGE_API unsigned long long bridge_data_pointer(const DLManagedTensor* managed) {
  if (managed == nullptr) return 0;
  const auto base = reinterpret_cast<std::uintptr_t>(managed->dl_tensor.data);
  return static_cast<unsigned long long>(base + managed->dl_tensor.byte_offset);
}

/// Takes ownership of `managed` (from_dlpack) and returns the sum of its
/// elements: read in place for host memory, copied to the host for CUDA
/// memory. NaN on failure (message in bridge_last_error()); the producer's
/// deleter has run either way.
BRIDGE_API double bridge_import_sum(DLManagedTensor* managed) {
  return guarded(
      [managed]() -> double {
        g_last_import_pointer = 0;
        trtutils::DLPackTensor tensor = trtutils::from_dlpack(managed);
        g_last_import_pointer = reinterpret_cast<std::uintptr_t>(tensor.data());
        if (tensor.is_host_accessible()) return sum_of(tensor.view());
        trtutils::HostTensor host(tensor.shape(), tensor.dtype());
        trtutils::core::memcpy_device_to_host(host.data(), tensor.data(), tensor.byte_size());
        return sum_of(host.view());
      },
      std::numeric_limits<double>::quiet_NaN());
}

/// The data address the last successful bridge_import_sum read (0 after a refusal).
BRIDGE_API unsigned long long bridge_last_import_pointer() {
  return static_cast<unsigned long long>(g_last_import_pointer.load());
}

/// The message of the last failure on this thread ("" after a success).
BRIDGE_API const char* bridge_last_error() { return g_last_error.c_str(); }
