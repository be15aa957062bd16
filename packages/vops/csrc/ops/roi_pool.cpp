// Schemas of RoIPool and its backward. Kernels: cpu/roi_pool_kernel.cpp, cuda/roi_pool_kernel.cu.
// roi_pool returns (output, argmax); argmax (int32 pixel indices, only needed by the backward) is
// empty when with_argmax is false, which saves writing a tensor as large as the output.
#include <torch/library.h>

TORCH_LIBRARY_FRAGMENT(vops, m) {
  m.def(
      "roi_pool(Tensor input, Tensor rois, float spatial_scale, SymInt pooled_height, "
      "SymInt pooled_width, bool with_argmax=True) -> (Tensor, Tensor)");
  m.def(
      "_roi_pool_backward(Tensor grad, Tensor rois, Tensor argmax, float spatial_scale, "
      "SymInt pooled_height, SymInt pooled_width, SymInt batch_size, SymInt channels, "
      "SymInt height, SymInt width) -> Tensor");
}
