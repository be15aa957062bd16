// Launch helpers and RoI checks shared by the CUDA kernels.
#pragma once

#include <ATen/ATen.h>
#include <ATen/cuda/CUDAContext.h>

#include <algorithm>
#include <cstdint>

#include "ops/geometry.h"

namespace vops::ops::cuda {

constexpr int kThreadsPerBlock = 256;

// Blocks for a grid-stride loop over `n` elements: enough to fill the device, never zero.
inline unsigned int blocks_for(int64_t n) {
  const int64_t wanted = (n + kThreadsPerBlock - 1) / kThreadsPerBlock;
  const int64_t cap = int64_t{at::cuda::getCurrentDeviceProperties()->multiProcessorCount} * 32;
  return static_cast<unsigned int>(std::max<int64_t>(1, std::min(wanted, cap)));
}

// The image of RoI `roi` (5 values). A device cannot raise a Python error without synchronising:
// an out-of-range batch index (a programming error) stops the kernel with a device-side
// assertion instead of reading out of bounds.
template <typename T>
__device__ int64_t checked_batch_index(const T* roi, int64_t batch_size) {
  const double b = static_cast<double>(roi[0]);
  CUDA_KERNEL_ASSERT_MSG(b >= 0 && b < static_cast<double>(batch_size),
                         "rois batch index out of range [0, batch_size)");
  return static_cast<int64_t>(b);
}

}  // namespace vops::ops::cuda
