// Schemas of the non-maximum suppression ops. Kernels: cpu/nms_kernel.cpp, cuda/nms_kernel.cu.
#include <torch/library.h>

TORCH_LIBRARY_FRAGMENT(vops, m) {
  m.def("nms(Tensor boxes, Tensor scores, float iou_threshold) -> Tensor");
  m.def("batched_nms(Tensor boxes, Tensor scores, Tensor idxs, float iou_threshold) -> Tensor");
}
