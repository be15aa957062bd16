// RoIAlign forward and backward on CUDA: one thread per pooled output element. Backward adds
// into the input gradient with atomics, so it is not deterministic; with
// torch.use_deterministic_algorithms(True) it raises torch's usual error.
#include <ATen/ATen.h>
#include <ATen/Dispatch.h>
#include <ATen/OpMathType.h>
#include <ATen/cuda/CUDAContext.h>
#include <c10/cuda/CUDAGuard.h>
#include <torch/library.h>

#include <ATen/cuda/Atomic.cuh>

#include "ops/checks.h"
#include "ops/cuda/launch.cuh"
#include "ops/geometry.h"

namespace vops::ops::cuda {
namespace {

struct RoiAlignParams {
  int64_t batch_size, channels, height, width, pooled_h, pooled_w;
  double spatial_scale;
  int64_t sampling_ratio;
  bool aligned;
};

// Output element `index` of [K, C, PH, PW] as (k, c, ph, pw).
struct PooledIndex {
  int64_t k, c, ph, pw;
  __device__ PooledIndex(int64_t index, const RoiAlignParams& p)
      : k(index / (p.pooled_w * p.pooled_h * p.channels)),
        c(index / (p.pooled_w * p.pooled_h) % p.channels),
        ph(index / p.pooled_w % p.pooled_h),
        pw(index % p.pooled_w) {}
};

// Batch index and sampling grid of RoI k; `rois` holds [K, 5] values in the compute type.
template <typename T>
__device__ int64_t roi_grid(const T* rois, int64_t k, const RoiAlignParams& p,
                            geometry::RoiAlignGrid<T>& grid) {
  const T* roi = rois + 5 * k;
  const int64_t n = checked_batch_index(roi, p.batch_size, p.spatial_scale);
  const bool ok = geometry::roi_align_grid(roi + 1, p.spatial_scale, p.pooled_h, p.pooled_w,
                                           p.sampling_ratio, p.aligned, grid);
  CUDA_KERNEL_ASSERT_MSG(ok, "rois too large for adaptive sampling; pass sampling_ratio > 0");
  return n;
}

template <typename scalar_t, typename T>
__global__ void roi_align_forward_cuda(int64_t total, const scalar_t* input, const T* rois,
                                       RoiAlignParams p, scalar_t* output) {
  for (int64_t index = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; index < total;
       index += int64_t{blockDim.x} * gridDim.x) {
    const PooledIndex at(index, p);
    geometry::RoiAlignGrid<T> grid;
    const int64_t n = roi_grid(rois, at.k, p, grid);
    const scalar_t* plane = input + (n * p.channels + at.c) * p.height * p.width;
    T acc = 0;
    geometry::BilinearTaps<T> t;
    for (int64_t iy = 0; iy < grid.samples_y; ++iy) {
      const T y = geometry::sample_coordinate(grid.start_y, at.ph, grid.bin_h, iy, grid.samples_y);
      for (int64_t ix = 0; ix < grid.samples_x; ++ix) {
        const T x =
            geometry::sample_coordinate(grid.start_x, at.pw, grid.bin_w, ix, grid.samples_x);
        if (!geometry::bilinear_taps(p.height, p.width, y, x, t)) continue;
        acc += ((t.weight[0] * static_cast<T>(plane[t.offset[0]]) +
                 t.weight[1] * static_cast<T>(plane[t.offset[1]])) +
                t.weight[2] * static_cast<T>(plane[t.offset[2]])) +
               t.weight[3] * static_cast<T>(plane[t.offset[3]]);
      }
    }
    output[index] = static_cast<scalar_t>(acc / grid.count);
  }
}

// grad_input: [N, C, H, W] in the compute type T, zero-filled.
template <typename scalar_t, typename T>
__global__ void roi_align_backward_cuda(int64_t total, const scalar_t* grad, int64_t gs_k,
                                        int64_t gs_c, int64_t gs_h, int64_t gs_w, const T* rois,
                                        RoiAlignParams p, T* grad_input) {
  for (int64_t index = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; index < total;
       index += int64_t{blockDim.x} * gridDim.x) {
    const PooledIndex at(index, p);
    geometry::RoiAlignGrid<T> grid;
    const int64_t n = roi_grid(rois, at.k, p, grid);
    const T g = static_cast<T>(grad[at.k * gs_k + at.c * gs_c + at.ph * gs_h + at.pw * gs_w]);
    T* plane = grad_input + (n * p.channels + at.c) * p.height * p.width;
    geometry::BilinearTaps<T> t;
    for (int64_t iy = 0; iy < grid.samples_y; ++iy) {
      const T y = geometry::sample_coordinate(grid.start_y, at.ph, grid.bin_h, iy, grid.samples_y);
      for (int64_t ix = 0; ix < grid.samples_x; ++ix) {
        const T x =
            geometry::sample_coordinate(grid.start_x, at.pw, grid.bin_w, ix, grid.samples_x);
        if (!geometry::bilinear_taps(p.height, p.width, y, x, t)) continue;
        for (int i = 0; i < 4; ++i) gpuAtomicAdd(plane + t.offset[i], g * t.weight[i] / grid.count);
      }
    }
  }
}

at::Tensor roi_align_forward_kernel(const at::Tensor& input, const at::Tensor& rois,
                                    double spatial_scale, int64_t pooled_height,
                                    int64_t pooled_width, int64_t sampling_ratio, bool aligned) {
  check_roi_op_inputs(input, rois, pooled_height, pooled_width, "roi_align");
  const c10::cuda::CUDAGuard device_guard(input.device());
  const RoiAlignParams p{input.size(0), input.size(1), input.size(2),  input.size(3), pooled_height,
                         pooled_width,  spatial_scale, sampling_ratio, aligned};
  at::Tensor output =
      at::zeros({rois.size(0), p.channels, pooled_height, pooled_width}, input.options());
  const int64_t total = output.numel();
  if (total == 0 || p.height == 0 || p.width == 0) return output;
  const at::Tensor input_c = input.contiguous();
  AT_DISPATCH_FLOATING_TYPES_AND2(
      at::kHalf, at::kBFloat16, input.scalar_type(), "roi_align_cuda", [&] {
        using T = at::opmath_type<scalar_t>;
        const at::Tensor rois_c = rois.to(c10::CppTypeToScalarType<T>::value).contiguous();
        roi_align_forward_cuda<scalar_t, T>
            <<<blocks_for(total), kThreadsPerBlock, 0, at::cuda::getCurrentCUDAStream()>>>(
                total, input_c.data_ptr<scalar_t>(), rois_c.data_ptr<T>(), p,
                output.data_ptr<scalar_t>());
        C10_CUDA_KERNEL_LAUNCH_CHECK();
      });
  return output;
}

at::Tensor roi_align_backward_kernel(const at::Tensor& grad, const at::Tensor& rois,
                                     double spatial_scale, int64_t pooled_height,
                                     int64_t pooled_width, int64_t batch_size, int64_t channels,
                                     int64_t height, int64_t width, int64_t sampling_ratio,
                                     bool aligned) {
  check_roi_backward_inputs(grad, rois, channels, pooled_height, pooled_width,
                            "roi_align backward");
  at::globalContext().alertNotDeterministic("vops::roi_align backward on CUDA");
  const c10::cuda::CUDAGuard device_guard(grad.device());
  const RoiAlignParams p{batch_size,   channels,      height,         width,  pooled_height,
                         pooled_width, spatial_scale, sampling_ratio, aligned};
  const int64_t total = grad.numel();
  if (total == 0 || height == 0 || width == 0) {
    return at::zeros({batch_size, channels, height, width}, grad.options());
  }
  at::Tensor result;
  AT_DISPATCH_FLOATING_TYPES_AND2(
      at::kHalf, at::kBFloat16, grad.scalar_type(), "roi_align_backward_cuda", [&] {
        using T = at::opmath_type<scalar_t>;
        constexpr auto compute_dtype = c10::CppTypeToScalarType<T>::value;
        const at::Tensor rois_c = rois.to(compute_dtype).contiguous();
        at::Tensor grad_input =
            at::zeros({batch_size, channels, height, width}, grad.options().dtype(compute_dtype));
        roi_align_backward_cuda<scalar_t, T>
            <<<blocks_for(total), kThreadsPerBlock, 0, at::cuda::getCurrentCUDAStream()>>>(
                total, grad.data_ptr<scalar_t>(), grad.stride(0), grad.stride(1), grad.stride(2),
                grad.stride(3), rois_c.data_ptr<T>(), p, grad_input.data_ptr<T>());
        C10_CUDA_KERNEL_LAUNCH_CHECK();
        result = grad_input.to(grad.scalar_type());
      });
  return result;
}

}  // namespace

TORCH_LIBRARY_IMPL(vops, CUDA, m) {
  m.impl("roi_align", TORCH_FN(roi_align_forward_kernel));
  m.impl("_roi_align_backward", TORCH_FN(roi_align_backward_kernel));
}

}  // namespace vops::ops::cuda
