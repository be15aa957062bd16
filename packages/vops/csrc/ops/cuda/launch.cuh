// Launch helpers shared by the CUDA kernels.
#pragma once

#include <ATen/ATen.h>
#include <ATen/cuda/CUDAContext.h>

#include <ATen/cuda/Atomic.cuh>
#include <algorithm>
#include <cstdint>

namespace vops::ops::cuda {

constexpr int kThreadsPerBlock = 256;

// Blocks for a grid-stride loop over `n` elements: enough to fill the device, never zero.
inline unsigned int blocks_for(int64_t n) {
  const int64_t wanted = (n + kThreadsPerBlock - 1) / kThreadsPerBlock;
  const int64_t cap = int64_t{at::cuda::getCurrentDeviceProperties()->multiProcessorCount} * 32;
  return static_cast<unsigned int>(std::max<int64_t>(1, std::min(wanted, cap)));
}

// The `add` of the backward thread functions: threads of different RoIs add into the same pixels.
struct AtomicAdd {
  template <typename T>
  __device__ void operator()(T* address, T value) const {
    gpuAtomicAdd(address, value);
  }
};

}  // namespace vops::ops::cuda
