// The work of one CUDA thread of cuda/roi_align_kernel.cu: one pooled output element. Torch-free
// and callable on the host, so the C++ tests run it on the CPU with an emulated grid.
//
// A RoI with non-finite (or absurdly large) corners pools to NaN and passes no gradient: raising,
// as the CPU kernel does, would need a device synchronisation, and a device-side assertion would
// end the process's use of CUDA.
#pragma once

#include <cmath>
#include <cstdint>

#include "ops/cuda/device_checks.h"
#include "ops/geometry.h"

namespace vops::ops::cuda {

struct RoiAlignParams {
  int64_t batch_size, channels, height, width, pooled_h, pooled_w;
  double spatial_scale;
  int64_t sampling_ratio;
  bool aligned;
};

// Output element `index` of [K, C, PH, PW] as (k, c, ph, pw).
struct PooledPosition {
  int64_t k, c, ph, pw;
  VOPS_HOST_DEVICE PooledPosition(int64_t index, int64_t channels, int64_t pooled_h,
                                  int64_t pooled_w)
      : k(index / (pooled_w * pooled_h * channels)),
        c(index / (pooled_w * pooled_h) % channels),
        ph(index / pooled_w % pooled_h),
        pw(index % pooled_w) {}
};

// Element strides of a [K, C, PH, PW] gradient, which need not be contiguous.
struct PooledStrides {
  int64_t k, c, ph, pw;
};

// The sampling points of one output bin that fall on the map, and their divisor.
template <typename T>
struct BinSamples {
  geometry::RoiAlignGrid<T> grid;
  int64_t y_first, y_last, x_first, x_last;

  // False when RoI k's corners are unusable or it needs more than kMaxSamples points per axis.
  VOPS_HOST_DEVICE bool plan(const T* rois, const PooledPosition& pos, const RoiAlignParams& p) {
    const T* roi = rois + 5 * pos.k;
    if (!geometry::roi_corners_usable(roi + 1, p.spatial_scale) ||
        !geometry::roi_align_grid(roi + 1, p.spatial_scale, p.pooled_h, p.pooled_w,
                                  p.sampling_ratio, p.aligned, grid)) {
      return false;
    }
    geometry::sample_range(grid.start_y, pos.ph, grid.bin_h, grid.samples_y, p.height, y_first,
                           y_last);
    geometry::sample_range(grid.start_x, pos.pw, grid.bin_w, grid.samples_x, p.width, x_first,
                           x_last);
    return true;
  }

  // Calls visit(taps) for each sampling point on the map, in row-major order.
  template <typename Visit>
  VOPS_HOST_DEVICE void for_each(const PooledPosition& pos, const RoiAlignParams& p,
                                 Visit visit) const {
    geometry::BilinearTaps<T> taps;
    for (int64_t iy = y_first; iy < y_last; ++iy) {
      const T y = geometry::sample_coordinate(grid.start_y, pos.ph, grid.bin_h, iy, grid.samples_y);
      for (int64_t ix = x_first; ix < x_last; ++ix) {
        const T x =
            geometry::sample_coordinate(grid.start_x, pos.pw, grid.bin_w, ix, grid.samples_x);
        if (geometry::bilinear_taps(p.height, p.width, y, x, taps)) visit(taps);
      }
    }
  }
};

// output[index] of [K, C, PH, PW] from input [N, C, H, W] (contiguous) and rois [K, 5] in T.
template <typename scalar_t, typename T>
VOPS_HOST_DEVICE void roi_align_forward_element(int64_t index, const scalar_t* input, const T* rois,
                                                const RoiAlignParams& p, scalar_t* output) {
  const PooledPosition pos(index, p.channels, p.pooled_h, p.pooled_w);
  const int64_t n = checked_batch_index(rois + 5 * pos.k, p.batch_size);
  BinSamples<T> bin;
  if (!bin.plan(rois, pos, p)) {
    output[index] = static_cast<scalar_t>(NAN);
    return;
  }
  const scalar_t* plane = input + (n * p.channels + pos.c) * p.height * p.width;
  T acc = 0;
  bin.for_each(pos, p, [&](const geometry::BilinearTaps<T>& t) {
    acc += ((t.weight[0] * static_cast<T>(plane[t.offset[0]]) +
             t.weight[1] * static_cast<T>(plane[t.offset[1]])) +
            t.weight[2] * static_cast<T>(plane[t.offset[2]])) +
           t.weight[3] * static_cast<T>(plane[t.offset[3]]);
  });
  output[index] = static_cast<scalar_t>(acc / bin.grid.count);
}

// Adds output element `index`'s share of `grad` into grad_input ([N, C, H, W] in T) through
// add(address, value): an atomic add on the device, since bins of different RoIs share pixels.
template <typename scalar_t, typename T, typename Add>
VOPS_HOST_DEVICE void roi_align_backward_element(int64_t index, const scalar_t* grad,
                                                 const PooledStrides& strides, const T* rois,
                                                 const RoiAlignParams& p, T* grad_input, Add add) {
  const PooledPosition pos(index, p.channels, p.pooled_h, p.pooled_w);
  const int64_t n = checked_batch_index(rois + 5 * pos.k, p.batch_size);
  BinSamples<T> bin;
  if (!bin.plan(rois, pos, p)) return;
  const T g = static_cast<T>(
      grad[pos.k * strides.k + pos.c * strides.c + pos.ph * strides.ph + pos.pw * strides.pw]);
  T* plane = grad_input + (n * p.channels + pos.c) * p.height * p.width;
  bin.for_each(pos, p, [&](const geometry::BilinearTaps<T>& t) {
    for (int i = 0; i < 4; ++i) add(plane + t.offset[i], g * t.weight[i] / bin.grid.count);
  });
}

}  // namespace vops::ops::cuda
