// RoIPool forward and backward on CUDA: one thread per pooled output element, doing the work of
// roi_pool_thread.h. Backward adds into the input gradient with atomics, so it is not
// deterministic; with torch.use_deterministic_algorithms(True) it raises torch's usual error.
#include <ATen/ATen.h>
#include <ATen/Dispatch.h>
#include <ATen/OpMathType.h>
#include <ATen/cuda/CUDAContext.h>
#include <c10/cuda/CUDAGuard.h>
#include <torch/library.h>

#include <limits>
#include <tuple>
#include <vector>

#include "ops/checks.h"
#include "ops/cuda/launch.cuh"
#include "ops/cuda/roi_pool_thread.h"

namespace vops::ops::cuda {
namespace {

template <typename scalar_t, typename T>
__global__ void roi_pool_forward_cuda(int64_t total, const scalar_t* input, const T* rois,
                                      RoiPoolParams p, scalar_t* output, int32_t* argmax) {
  for (int64_t index = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; index < total;
       index += int64_t{blockDim.x} * gridDim.x) {
    roi_pool_forward_element(index, input, rois, p, output, argmax);
  }
}

// grad_input: [N, C, H, W] in the compute type T, zero-filled.
template <typename scalar_t, typename T>
__global__ void roi_pool_backward_cuda(int64_t total, const scalar_t* grad, const int32_t* argmax,
                                       const T* rois, RoiPoolParams p, T* grad_input) {
  for (int64_t index = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; index < total;
       index += int64_t{blockDim.x} * gridDim.x) {
    roi_pool_backward_element(index, grad, argmax, rois, p, grad_input, AtomicAdd{});
  }
}

std::tuple<at::Tensor, at::Tensor> roi_pool_forward_kernel(const at::Tensor& input,
                                                           const at::Tensor& rois,
                                                           double spatial_scale,
                                                           int64_t pooled_height,
                                                           int64_t pooled_width, bool with_argmax) {
  check_roi_op_inputs(input, rois, spatial_scale, pooled_height, pooled_width, "roi_pool");
  TORCH_CHECK(input.size(2) * input.size(3) < std::numeric_limits<int32_t>::max(),
              "roi_pool: feature maps above 2^31 pixels are not supported, got ", input.sizes());
  const c10::cuda::CUDAGuard device_guard(input.device());
  const RoiPoolParams p{input.size(0), input.size(1), input.size(2), input.size(3),
                        pooled_height, pooled_width,  spatial_scale};
  const std::vector<int64_t> shape{rois.size(0), p.channels, pooled_height, pooled_width};
  at::Tensor output = at::empty(shape, input.options());
  at::Tensor argmax = with_argmax ? at::empty(shape, input.options().dtype(at::kInt))
                                  : at::empty({0}, input.options().dtype(at::kInt));
  const int64_t total = output.numel();
  if (total == 0) return {output, argmax};
  const at::Tensor input_c = input.contiguous();
  AT_DISPATCH_FLOATING_TYPES_AND2(
      at::kHalf, at::kBFloat16, input.scalar_type(), "roi_pool_cuda", [&] {
        using T = at::opmath_type<scalar_t>;
        const at::Tensor rois_c = rois.to(c10::CppTypeToScalarType<T>::value).contiguous();
        roi_pool_forward_cuda<scalar_t, T>
            <<<blocks_for(total), kThreadsPerBlock, 0, at::cuda::getCurrentCUDAStream()>>>(
                total, input_c.data_ptr<scalar_t>(), rois_c.data_ptr<T>(), p,
                output.data_ptr<scalar_t>(), with_argmax ? argmax.data_ptr<int32_t>() : nullptr);
        C10_CUDA_KERNEL_LAUNCH_CHECK();
      });
  return {output, argmax};
}

at::Tensor roi_pool_backward_kernel(const at::Tensor& grad, const at::Tensor& rois,
                                    const at::Tensor& argmax, double spatial_scale,
                                    int64_t pooled_height, int64_t pooled_width, int64_t batch_size,
                                    int64_t channels, int64_t height, int64_t width) {
  check_roi_backward_inputs(grad, rois, spatial_scale, pooled_height, pooled_width, batch_size,
                            channels, height, width, "roi_pool backward");
  TORCH_CHECK(argmax.sizes() == grad.sizes() && argmax.scalar_type() == at::kInt,
              "roi_pool backward: argmax must be an int32 Tensor", grad.sizes(), ", got ",
              argmax.scalar_type(), " ", argmax.sizes());
  check_same_device(argmax, grad, "argmax", "grad");
  const c10::cuda::CUDAGuard device_guard(grad.device());
  const RoiPoolParams p{batch_size,    channels,     height,       width,
                        pooled_height, pooled_width, spatial_scale};
  const int64_t total = grad.numel();
  if (total == 0 || height == 0 || width == 0) {
    return at::zeros({batch_size, channels, height, width}, grad.options());
  }
  at::globalContext().alertNotDeterministic("vops::roi_pool backward on CUDA");
  at::Tensor result;
  AT_DISPATCH_FLOATING_TYPES_AND2(
      at::kHalf, at::kBFloat16, grad.scalar_type(), "roi_pool_backward_cuda", [&] {
        using T = at::opmath_type<scalar_t>;
        constexpr auto compute_dtype = c10::CppTypeToScalarType<T>::value;
        const at::Tensor grad_c = grad.contiguous();
        const at::Tensor argmax_c = argmax.contiguous();
        const at::Tensor rois_c = rois.to(compute_dtype).contiguous();
        at::Tensor grad_input =
            at::zeros({batch_size, channels, height, width}, grad.options().dtype(compute_dtype));
        roi_pool_backward_cuda<scalar_t, T>
            <<<blocks_for(total), kThreadsPerBlock, 0, at::cuda::getCurrentCUDAStream()>>>(
                total, grad_c.data_ptr<scalar_t>(), argmax_c.data_ptr<int32_t>(),
                rois_c.data_ptr<T>(), p, grad_input.data_ptr<T>());
        C10_CUDA_KERNEL_LAUNCH_CHECK();
        result = grad_input.to(grad.scalar_type());
      });
  return result;
}

}  // namespace

TORCH_LIBRARY_IMPL(vops, CUDA, m) {
  m.impl("roi_pool", TORCH_FN(roi_pool_forward_kernel));
  m.impl("_roi_pool_backward", TORCH_FN(roi_pool_backward_kernel));
}

}  // namespace vops::ops::cuda
