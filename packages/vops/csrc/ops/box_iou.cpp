// Schemas of the pairwise IoU ops. Kernels: cpu/box_iou_kernel.cpp, cpu/box_iou_rotated_kernel.cpp,
// cuda/box_iou_kernel.cu, cuda/box_iou_rotated_kernel.cu.
#include <torch/library.h>

TORCH_LIBRARY_FRAGMENT(vops, m) {
  // Axis-aligned boxes [N, 4] and [M, 4] in fmt "xyxy", "xywh" or "cxcywh"; float32, float64,
  // int32 or int64. Result [N, M]: the boxes' dtype when floating, else float32.
  m.def("box_iou(Tensor boxes1, Tensor boxes2, str fmt) -> Tensor");
  // Rotated boxes [N, 5] and [M, 5] as (cx, cy, w, h, angle in degrees); float32 or float64.
  // Result [N, M] float32.
  m.def("box_iou_rotated(Tensor boxes1, Tensor boxes2) -> Tensor");
}
