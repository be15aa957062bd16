// Pairwise IoU of rotated boxes on CUDA: one thread per output element, doing rotated_iou.h's
// clipping (the CPU kernel's).
#include <ATen/ATen.h>
#include <ATen/Dispatch.h>
#include <ATen/cuda/CUDAContext.h>
#include <c10/cuda/CUDAGuard.h>
#include <torch/library.h>

#include "ops/checks.h"
#include "ops/cuda/launch.cuh"
#include "ops/rotated_iou.h"

namespace vops::ops::cuda {
namespace {

template <typename T>
__global__ void box_iou_rotated_cuda(int64_t n, int64_t m, const T* boxes1, const T* boxes2,
                                     float* out) {
  for (int64_t index = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; index < n * m;
       index += int64_t{blockDim.x} * gridDim.x) {
    const geometry::RotatedRect a = geometry::rotated_rect(boxes1 + 5 * (index / m));
    const geometry::RotatedRect b = geometry::rotated_rect(boxes2 + 5 * (index % m));
    out[index] = static_cast<float>(geometry::rotated_iou(a, b));
  }
}

at::Tensor box_iou_rotated_kernel(const at::Tensor& boxes1, const at::Tensor& boxes2) {
  check_rotated_box_pairs(boxes1, boxes2);
  const int64_t n = boxes1.size(0), m = boxes2.size(0);
  at::Tensor out = at::empty({n, m}, boxes1.options().dtype(at::kFloat));
  if (n == 0 || m == 0) return out;
  const c10::cuda::CUDAGuard device_guard(boxes1.device());
  const at::Tensor b1 = boxes1.contiguous(), b2 = boxes2.contiguous();
  const auto stream = at::cuda::getCurrentCUDAStream();
  AT_DISPATCH_FLOATING_TYPES(boxes1.scalar_type(), "box_iou_rotated_cuda", [&] {
    box_iou_rotated_cuda<scalar_t><<<blocks_for(n * m), kThreadsPerBlock, 0, stream>>>(
        n, m, b1.data_ptr<scalar_t>(), b2.data_ptr<scalar_t>(), out.data_ptr<float>());
    C10_CUDA_KERNEL_LAUNCH_CHECK();
  });
  return out;
}

}  // namespace

TORCH_LIBRARY_IMPL(vops, CUDA, m) { m.impl("box_iou_rotated", TORCH_FN(box_iou_rotated_kernel)); }

}  // namespace vops::ops::cuda
