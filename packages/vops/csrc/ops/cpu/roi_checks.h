// Input checks shared by the RoI kernels. The Python wrappers validate first and give friendlier
// messages; these keep a direct torch.ops call from reading out of bounds.
#pragma once

#include <ATen/ATen.h>

#include "ops/geometry.h"

namespace vops::ops {

inline void check_roi_inputs(const at::Tensor& rois, const char* op) {
  TORCH_CHECK(rois.dim() == 2 && rois.size(1) == 5, op,
              ": rois must be a Tensor[K, 5] (batch index, x1, y1, x2, y2), got ", rois.sizes());
}

inline void check_pooled_size(int64_t pooled_height, int64_t pooled_width, const char* op) {
  TORCH_CHECK(pooled_height > 0 && pooled_width > 0, op,
              ": output_size must be positive, got (", pooled_height, ", ", pooled_width, ")");
}

// The image a RoI belongs to, checked against the batch size; `roi` points at its 5 values.
template <typename T>
int64_t roi_batch_index(const T* roi, int64_t k, int64_t batch_size, double spatial_scale) {
  const double b = static_cast<double>(roi[0]);
  TORCH_CHECK_INDEX(b >= 0 && b < static_cast<double>(batch_size), "rois[", k,
                    ", 0] is the batch index ", b, ", expected one in [0, ", batch_size, ")");
  TORCH_CHECK_VALUE(geometry::roi_corners_usable(roi + 1, spatial_scale), "rois[", k,
                    "] has non-finite or out-of-range corners (", static_cast<double>(roi[1]),
                    ", ", static_cast<double>(roi[2]), ", ", static_cast<double>(roi[3]), ", ",
                    static_cast<double>(roi[4]), ")");
  return static_cast<int64_t>(b);
}

}  // namespace vops::ops
