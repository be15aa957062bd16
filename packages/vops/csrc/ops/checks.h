// Input checks shared by the CPU and CUDA kernels. The Python wrappers validate first and give
// friendlier messages; these keep a direct torch.ops call from reading out of bounds.
#pragma once

#include <ATen/ATen.h>
#include <c10/util/safe_numerics.h>

#include <cstdint>
#include <limits>
#include <vector>

#include "ops/geometry.h"
#include "ops/pair_iou.h"

namespace vops::ops {

inline void check_same_device(const at::Tensor& a, const at::Tensor& b, const char* a_name,
                              const char* b_name) {
  TORCH_CHECK(a.device() == b.device(), a_name, " and ", b_name,
              " must be on the same device, got ", a.device(), " and ", b.device());
}

inline void check_nms_inputs(const at::Tensor& boxes, const at::Tensor& scores) {
  TORCH_CHECK(boxes.dim() == 2 && boxes.size(1) == 4, "boxes must be a Tensor[N, 4], got ",
              boxes.sizes());
  TORCH_CHECK(scores.dim() == 1 && scores.size(0) == boxes.size(0),
              "scores must be a Tensor[N] with N = boxes.size(0) = ", boxes.size(0), ", got ",
              scores.sizes());
  TORCH_CHECK(boxes.scalar_type() == scores.scalar_type(),
              "boxes and scores must have the same dtype, got ", boxes.scalar_type(), " and ",
              scores.scalar_type());
  check_same_device(scores, boxes, "scores", "boxes");
}

inline void check_batched_nms_idxs(const at::Tensor& idxs, const at::Tensor& boxes) {
  TORCH_CHECK(idxs.dim() == 1 && idxs.size(0) == boxes.size(0),
              "idxs must be a Tensor[N] with N = boxes.size(0) = ", boxes.size(0), ", got ",
              idxs.sizes());
  TORCH_CHECK(!at::isFloatingType(idxs.scalar_type()) && !at::isComplexType(idxs.scalar_type()),
              "idxs must be an integer Tensor, got dtype ", idxs.scalar_type());
  check_same_device(idxs, boxes, "idxs", "boxes");
}

// The largest tensor a RoI op will allocate: far beyond any real pooled output, and small enough
// that a mistyped output_size fails here, naming it, instead of in the allocator.
constexpr int64_t kMaxResultBytes = int64_t{1} << 40;

inline void check_spatial_scale(double spatial_scale, const char* op) {
  TORCH_CHECK(spatial_scale > 0 && spatial_scale < std::numeric_limits<double>::infinity(), op,
              ": spatial_scale must be positive and finite, got ", spatial_scale);
}

// Requires a result of `sizes` with `element_size`-byte elements to stay under kMaxResultBytes,
// computed without overflow; `what` names the arguments that set its size.
inline void check_result_size(at::IntArrayRef sizes, int64_t element_size, const char* what,
                              const char* op) {
  uint64_t bytes = static_cast<uint64_t>(element_size);
  bool too_large = false;
  for (const int64_t size : sizes) {
    too_large = too_large || c10::mul_overflows(bytes, static_cast<uint64_t>(size), &bytes) ||
                bytes > static_cast<uint64_t>(kMaxResultBytes);
  }
  TORCH_CHECK(!too_large, op, ": ", what, " would give a result of shape ", sizes, " (",
              element_size, "-byte elements), more than the ", kMaxResultBytes,
              " bytes this op supports");
}

// Checks of a forward RoI op's inputs; `op` names it in the messages.
inline void check_roi_op_inputs(const at::Tensor& input, const at::Tensor& rois,
                                double spatial_scale, int64_t pooled_height, int64_t pooled_width,
                                const char* op) {
  TORCH_CHECK(input.dim() == 4, op, ": input must be a Tensor[N, C, H, W], got ", input.sizes());
  TORCH_CHECK(rois.dim() == 2 && rois.size(1) == 5, op,
              ": rois must be a Tensor[K, 5] (batch index, x1, y1, x2, y2), got ", rois.sizes());
  TORCH_CHECK(pooled_height > 0 && pooled_width > 0, op,
              ": output_size (pooled_height, pooled_width) must be positive, got (", pooled_height,
              ", ", pooled_width, ")");
  check_spatial_scale(spatial_scale, op);
  TORCH_CHECK(input.scalar_type() == rois.scalar_type(), op,
              ": input and rois must have the same dtype, got ", input.scalar_type(), " and ",
              rois.scalar_type());
  check_same_device(rois, input, "rois", "input");
  const std::vector<int64_t> out_shape{rois.size(0), input.size(1), pooled_height, pooled_width};
  check_result_size(out_shape, input.element_size(), "output_size (pooled_height, pooled_width)",
                    op);
}

// Checks of a backward RoI op's inputs: `grad` is the gradient of the pooled output, the result
// is a Tensor[batch_size, channels, height, width] of grad's dtype.
inline void check_roi_backward_inputs(const at::Tensor& grad, const at::Tensor& rois,
                                      double spatial_scale, int64_t pooled_height,
                                      int64_t pooled_width, int64_t batch_size, int64_t channels,
                                      int64_t height, int64_t width, const char* op) {
  TORCH_CHECK(at::isFloatingType(grad.scalar_type()), op,
              ": grad must be a floating-point Tensor, got dtype ", grad.scalar_type());
  TORCH_CHECK(rois.scalar_type() == grad.scalar_type(), op, ": rois must have grad's dtype ",
              grad.scalar_type(), ", got ", rois.scalar_type());
  TORCH_CHECK(rois.dim() == 2 && rois.size(1) == 5, op,
              ": rois must be a Tensor[K, 5] (batch index, x1, y1, x2, y2), got ", rois.sizes());
  TORCH_CHECK(pooled_height > 0 && pooled_width > 0, op,
              ": output_size (pooled_height, pooled_width) must be positive, got (", pooled_height,
              ", ", pooled_width, ")");
  check_spatial_scale(spatial_scale, op);
  TORCH_CHECK(batch_size >= 0 && channels >= 0 && height >= 0 && width >= 0, op,
              ": batch_size, channels, height and width must be non-negative, got batch_size=",
              batch_size, ", channels=", channels, ", height=", height, ", width=", width);
  const std::vector<int64_t> pooled_shape{rois.size(0), channels, pooled_height, pooled_width};
  TORCH_CHECK(grad.sizes() == at::IntArrayRef(pooled_shape), op,
              ": grad must be a Tensor[K, channels, pooled_height, pooled_width] = Tensor",
              at::IntArrayRef(pooled_shape), ", got ", grad.sizes());
  check_same_device(rois, grad, "rois", "grad");
  const std::vector<int64_t> result_shape{batch_size, channels, height, width};
  check_result_size(result_shape, grad.element_size(), "batch_size, channels, height and width",
                    op);
}

// The image a RoI belongs to, checked against the batch size; `roi` points at its 5 values.
template <typename T>
int64_t roi_batch_index(const T* roi, int64_t k, int64_t batch_size, double spatial_scale) {
  const double b = static_cast<double>(roi[0]);
  TORCH_CHECK_INDEX(b >= 0 && b < static_cast<double>(batch_size), "rois[", k,
                    ", 0] is the batch index ", b, ", expected one in [0, ", batch_size, ")");
  TORCH_CHECK_VALUE(geometry::roi_corners_usable(roi + 1, spatial_scale), "rois[", k,
                    "] has non-finite or out-of-range corners (", static_cast<double>(roi[1]), ", ",
                    static_cast<double>(roi[2]), ", ", static_cast<double>(roi[3]), ", ",
                    static_cast<double>(roi[4]), ")");
  return static_cast<int64_t>(b);
}

// Checks of the pairwise IoU ops' inputs: [N, k] and [M, k] boxes of one dtype and device.
inline void check_box_pairs(const at::Tensor& boxes1, const at::Tensor& boxes2, int64_t k,
                            const char* op) {
  TORCH_CHECK(boxes1.dim() == 2 && boxes1.size(1) == k, op, ": boxes1 must be a Tensor[N, ", k,
              "], got ", boxes1.sizes());
  TORCH_CHECK(boxes2.dim() == 2 && boxes2.size(1) == k, op, ": boxes2 must be a Tensor[M, ", k,
              "], got ", boxes2.sizes());
  TORCH_CHECK(boxes1.scalar_type() == boxes2.scalar_type(), op,
              ": boxes1 and boxes2 must have the same dtype, got ", boxes1.scalar_type(), " and ",
              boxes2.scalar_type());
  check_same_device(boxes2, boxes1, "boxes2", "boxes1");
}

// Checks of box_iou_rotated's inputs: [N, 5] and [M, 5] float32 or float64 boxes.
inline void check_rotated_box_pairs(const at::Tensor& boxes1, const at::Tensor& boxes2) {
  check_box_pairs(boxes1, boxes2, 5, "box_iou_rotated");
  TORCH_CHECK(boxes1.scalar_type() == at::kFloat || boxes1.scalar_type() == at::kDouble,
              "box_iou_rotated: boxes must be float32 or float64, got ", boxes1.scalar_type());
}

// The format argument of box_iou as the geometry's enum.
inline geometry::AlignedFormat aligned_format(c10::string_view fmt) {
  if (fmt == "xyxy") return geometry::AlignedFormat::kXyxy;
  if (fmt == "xywh") return geometry::AlignedFormat::kXywh;
  TORCH_CHECK(fmt == "cxcywh", "box_iou: fmt must be 'xyxy', 'xywh' or 'cxcywh', got '", fmt, "'");
  return geometry::AlignedFormat::kCxcywh;
}

// The dtype box_iou returns for boxes of `dtype`.
inline at::ScalarType aligned_iou_dtype(at::ScalarType dtype) {
  return at::isFloatingType(dtype) ? dtype : at::kFloat;
}

}  // namespace vops::ops
