// RoIAlign forward and backward on CUDA: one thread per pooled output element. Backward adds
// into the input gradient with atomics, so it is not deterministic; with
// torch.use_deterministic_algorithms(True) it raises torch's usual error. A RoI with non-finite
// (or absurdly large) corners pools to NaN and passes no gradient: raising, as the CPU kernel
// does, would need a device synchronisation, and a device-side assertion would end the process's
// use of CUDA.
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
struct PooledPosition {
  int64_t k, c, ph, pw;
  __device__ PooledPosition(int64_t index, const RoiAlignParams& p)
      : k(index / (p.pooled_w * p.pooled_h * p.channels)),
        c(index / (p.pooled_w * p.pooled_h) % p.channels),
        ph(index / p.pooled_w % p.pooled_h),
        pw(index % p.pooled_w) {}
};

// The sampling points of one output bin that fall on the map, and their divisor.
template <typename T>
struct BinSamples {
  geometry::RoiAlignGrid<T> grid;
  int64_t y_first, y_last, x_first, x_last;

  // False when RoI k's corners are unusable or it needs more than kMaxSamples points per axis.
  __device__ bool plan(const T* rois, const PooledPosition& pos, const RoiAlignParams& p) {
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
  __device__ void for_each(const PooledPosition& pos, const RoiAlignParams& p, Visit visit) const {
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

template <typename scalar_t, typename T>
__global__ void roi_align_forward_cuda(int64_t total, const scalar_t* input, const T* rois,
                                       RoiAlignParams p, scalar_t* output) {
  for (int64_t index = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; index < total;
       index += int64_t{blockDim.x} * gridDim.x) {
    const PooledPosition pos(index, p);
    const int64_t n = checked_batch_index(rois + 5 * pos.k, p.batch_size);
    BinSamples<T> bin;
    if (!bin.plan(rois, pos, p)) {
      output[index] = static_cast<scalar_t>(NAN);
      continue;
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
}

// grad_input: [N, C, H, W] in the compute type T, zero-filled.
template <typename scalar_t, typename T>
__global__ void roi_align_backward_cuda(int64_t total, const scalar_t* grad, int64_t gs_k,
                                        int64_t gs_c, int64_t gs_h, int64_t gs_w, const T* rois,
                                        RoiAlignParams p, T* grad_input) {
  for (int64_t index = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; index < total;
       index += int64_t{blockDim.x} * gridDim.x) {
    const PooledPosition pos(index, p);
    const int64_t n = checked_batch_index(rois + 5 * pos.k, p.batch_size);
    BinSamples<T> bin;
    if (!bin.plan(rois, pos, p)) continue;
    const T g = static_cast<T>(grad[pos.k * gs_k + pos.c * gs_c + pos.ph * gs_h + pos.pw * gs_w]);
    T* plane = grad_input + (n * p.channels + pos.c) * p.height * p.width;
    bin.for_each(pos, p, [&](const geometry::BilinearTaps<T>& t) {
      for (int i = 0; i < 4; ++i) {
        gpuAtomicAdd(plane + t.offset[i], g * t.weight[i] / bin.grid.count);
      }
    });
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
      at::empty({rois.size(0), p.channels, pooled_height, pooled_width}, input.options());
  const int64_t total = output.numel();
  if (total == 0) return output;
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
  const c10::cuda::CUDAGuard device_guard(grad.device());
  const RoiAlignParams p{batch_size,   channels,      height,         width,  pooled_height,
                         pooled_width, spatial_scale, sampling_ratio, aligned};
  const int64_t total = grad.numel();
  if (total == 0 || height == 0 || width == 0) {
    return at::zeros({batch_size, channels, height, width}, grad.options());
  }
  at::globalContext().alertNotDeterministic("vops::roi_align backward on CUDA");
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
