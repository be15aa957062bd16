// The work of one CUDA thread of cuda/roi_pool_kernel.cu: one pooled output element. Torch-free
// and callable on the host, so the C++ tests run it on the CPU with an emulated grid.
//
// A RoI with non-finite corners pools to NaN with argmax -1, as in roi_align_thread.h.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>

#include "ops/cuda/device_checks.h"
#include "ops/cuda/roi_align_thread.h"
#include "ops/geometry.h"

namespace vops::ops::cuda {

struct RoiPoolParams {
  int64_t batch_size, channels, height, width, pooled_h, pooled_w;
  double spatial_scale;
};

// output[index] of [K, C, PH, PW] from input [N, C, H, W] (contiguous) and rois [K, 5] in T, and
// argmax[index], the pixel of the plane it came from (-1 for an empty bin), unless argmax is null.
template <typename scalar_t, typename T>
VOPS_HOST_DEVICE void roi_pool_forward_element(int64_t index, const scalar_t* input, const T* rois,
                                               const RoiPoolParams& p, scalar_t* output,
                                               int32_t* argmax) {
  const PooledPosition pos(index, p.channels, p.pooled_h, p.pooled_w);
  const T* roi = rois + 5 * pos.k;
  const int64_t n = checked_batch_index(roi, p.batch_size);
  if (!geometry::roi_corners_usable(roi + 1, p.spatial_scale)) {
    output[index] = static_cast<scalar_t>(NAN);
    if (argmax != nullptr) argmax[index] = -1;
    return;
  }
  const geometry::RoiPoolGrid<T> grid(roi + 1, p.spatial_scale, p.pooled_h, p.pooled_w, p.height,
                                      p.width);
  const geometry::PoolWindow win = grid.window(pos.ph, pos.pw);
  const scalar_t* plane = input + (n * p.channels + pos.c) * p.height * p.width;
  T best = win.empty() ? T(0) : std::numeric_limits<T>::lowest();
  int32_t where = -1;
  for (int64_t h = win.h_begin; h < win.h_end; ++h) {
    for (int64_t w = win.w_begin; w < win.w_end; ++w) {
      const T value = static_cast<T>(plane[h * p.width + w]);
      if (value > best) {
        best = value;
        where = static_cast<int32_t>(h * p.width + w);
      }
    }
  }
  output[index] = static_cast<scalar_t>(best);
  if (argmax != nullptr) argmax[index] = where;
}

// Adds grad[index] (grad and argmax contiguous [K, C, PH, PW]) to the pixel that won the max,
// through add(address, value) as in roi_align_backward_element.
template <typename scalar_t, typename T, typename Add>
VOPS_HOST_DEVICE void roi_pool_backward_element(int64_t index, const scalar_t* grad,
                                                const int32_t* argmax, const T* rois,
                                                const RoiPoolParams& p, T* grad_input, Add add) {
  const int32_t pixel = argmax[index];
  if (pixel == -1) return;
  const PooledPosition pos(index, p.channels, p.pooled_h, p.pooled_w);
  const int64_t n = checked_batch_index(rois + 5 * pos.k, p.batch_size);
  thread_check(pixel >= 0 && pixel < p.height * p.width,
               "roi_pool backward: argmax is not a pixel of the map");
  add(grad_input + (n * p.channels + pos.c) * p.height * p.width + pixel,
      static_cast<T>(grad[index]));
}

}  // namespace vops::ops::cuda
