// Pairwise IoU of axis-aligned boxes on CUDA: one thread per output element, doing pair_iou.h's
// arithmetic (the CPU kernel's, so both give the same bits).
#include <ATen/ATen.h>
#include <ATen/Dispatch_v2.h>
#include <ATen/cuda/CUDAContext.h>
#include <c10/cuda/CUDAGuard.h>
#include <torch/library.h>

#include <type_traits>

#include "ops/checks.h"
#include "ops/cuda/launch.cuh"
#include "ops/pair_iou.h"

namespace vops::ops::cuda {
namespace {

using geometry::AlignedFormat;

template <typename S>
__global__ void box_iou_cuda(int64_t n, int64_t m, const S* boxes1, const S* boxes2,
                             AlignedFormat format, geometry::AlignedIouResult<S>* out) {
  using R = geometry::AlignedIouResult<S>;
  for (int64_t index = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; index < n * m;
       index += int64_t{blockDim.x} * gridDim.x) {
    const S* a = boxes1 + 4 * (index / m);
    const S* b = boxes2 + 4 * (index % m);
    if constexpr (std::is_integral_v<S>) {
      if (format == AlignedFormat::kCxcywh) {
        out[index] = geometry::aligned_iou<R>(geometry::aligned_box_cxcywh(a),
                                              geometry::aligned_box_cxcywh(b));
        continue;
      }
    }
    out[index] =
        geometry::aligned_iou<R>(geometry::aligned_box(a, format), geometry::aligned_box(b, format));
  }
}

at::Tensor box_iou_kernel(const at::Tensor& boxes1, const at::Tensor& boxes2,
                          c10::string_view fmt) {
  check_box_pairs(boxes1, boxes2, 4, "box_iou");
  const AlignedFormat format = aligned_format(fmt);
  const at::ScalarType dtype = boxes1.scalar_type();
  const int64_t n = boxes1.size(0), m = boxes2.size(0);
  at::Tensor out = at::empty({n, m}, boxes1.options().dtype(aligned_iou_dtype(dtype)));
  if (n == 0 || m == 0) return out;
  const c10::cuda::CUDAGuard device_guard(boxes1.device());
  const at::Tensor b1 = boxes1.contiguous(), b2 = boxes2.contiguous();
  const auto stream = at::cuda::getCurrentCUDAStream();
  AT_DISPATCH_V2(
      dtype, "box_iou_cuda", AT_WRAP([&] {
        using R = geometry::AlignedIouResult<scalar_t>;
        box_iou_cuda<scalar_t><<<blocks_for(n * m), kThreadsPerBlock, 0, stream>>>(
            n, m, b1.data_ptr<scalar_t>(), b2.data_ptr<scalar_t>(), format, out.data_ptr<R>());
        C10_CUDA_KERNEL_LAUNCH_CHECK();
      }),
      AT_EXPAND(AT_FLOATING_TYPES), at::kInt, at::kLong);
  return out;
}

}  // namespace

TORCH_LIBRARY_IMPL(vops, CUDA, m) { m.impl("box_iou", TORCH_FN(box_iou_kernel)); }

}  // namespace vops::ops::cuda
