#include <trtutils/core/device.hpp>
#include <trtutils/tensor/host_tensor.hpp>

#include <cstdio>

int main() {
  trtutils::HostTensor t({2, 3}, trtutils::DType::kFloat32);
  std::printf("consumer: %lld elements, %d CUDA device(s)\n",
              static_cast<long long>(t.element_count()), trtutils::core::device_count());
  return t.element_count() == 6 ? 0 : 1;
}
