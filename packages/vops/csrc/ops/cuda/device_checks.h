// Checks inside CUDA threads, written so that the same thread code also runs on the host (the C++
// tests run it there). Torch-free except for c10's device assertion in the device pass.
#pragma once

#include <cstdint>
#include <stdexcept>

#include "ops/geometry.h"

#if defined(__CUDACC__)
#include <c10/macros/Macros.h>
#endif

namespace vops::ops::cuda {

// Stops a kernel with a device-side assertion on the device; throws std::out_of_range on the host.
// A device cannot raise a Python error without synchronising, and these guard against programming
// errors (the wrappers validate their inputs) that would otherwise read out of bounds.
VOPS_HOST_DEVICE inline void thread_check(bool ok, const char* message) {
#if defined(__CUDA_ARCH__)
  CUDA_KERNEL_ASSERT_MSG(ok, message);
#else
  if (!ok) throw std::out_of_range(message);
#endif
}

// The image of RoI `roi` (5 values).
template <typename T>
VOPS_HOST_DEVICE int64_t checked_batch_index(const T* roi, int64_t batch_size) {
  const double b = static_cast<double>(roi[0]);
  thread_check(b >= 0 && b < static_cast<double>(batch_size),
               "rois batch index out of range [0, batch_size)");
  return static_cast<int64_t>(b);
}

}  // namespace vops::ops::cuda
