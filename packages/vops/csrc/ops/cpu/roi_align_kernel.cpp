// RoIAlign forward and backward on the CPU.
//
// The feature map is read channels-last, so the four taps of a sampling point are four contiguous
// channel vectors. Forward runs RoIs in parallel. Backward gives each thread a private range of
// channels and walks RoIs in ascending order, which reproduces the serial summation order: the
// gradients are deterministic and equal to a single-threaded reference, with no atomics.
#include <ATen/ATen.h>
#include <ATen/Dispatch.h>
#include <ATen/OpMathType.h>
#include <ATen/Parallel.h>
#include <torch/library.h>

#include <algorithm>
#include <vector>

#include "ops/checks.h"
#include "ops/cpu/channel_loops.h"
#include "ops/geometry.h"

namespace vops::ops {
namespace {

struct RoiAlignParams {
  double spatial_scale;
  int64_t pooled_h, pooled_w, sampling_ratio;
  bool aligned;
};

// Batch index and sampling plan of RoI k; `roi` points at its 5 values.
template <typename T>
int64_t plan_roi(const T* roi, int64_t k, int64_t batch_size, int64_t height, int64_t width,
                 const RoiAlignParams& p, geometry::RoiAlignPlan<T>& plan, T& count) {
  const int64_t n = roi_batch_index(roi, k, batch_size, p.spatial_scale);
  geometry::RoiAlignGrid<T> grid;
  TORCH_CHECK_VALUE(geometry::roi_align_grid(roi + 1, p.spatial_scale, p.pooled_h, p.pooled_w,
                                             p.sampling_ratio, p.aligned, grid),
                    "rois[", k, "] would need more than 2^20 sampling points per bin axis ",
                    "(sampling_ratio=", p.sampling_ratio, "); pass a smaller sampling_ratio");
  plan.build(grid, height, width, p.pooled_h, p.pooled_w);
  count = grid.count;
  return n;
}

// input: [N, H, W, C] contiguous (a channels-last view), rois: [K, 5], output: [K, C, PH, PW].
template <typename T>
void roi_align_forward_impl(const T* input, int64_t batch_size, int64_t channels, int64_t height,
                            int64_t width, const T* rois, int64_t num_rois, T* output,
                            const RoiAlignParams& p) {
  const int64_t bins = p.pooled_h * p.pooled_w;
  const int64_t grain = std::max<int64_t>(1, 16384 / std::max<int64_t>(1, channels * bins));
  at::parallel_for(0, num_rois, grain, [&](int64_t begin, int64_t end) {
    geometry::RoiAlignPlan<T> plan;
    std::vector<T> pooled(static_cast<size_t>(bins * channels));  // one RoI, [bins, C]
    for (int64_t k = begin; k < end; ++k) {
      T count;
      const int64_t n = plan_roi(rois + 5 * k, k, batch_size, height, width, p, plan, count);
      const T* plane = input + n * height * width * channels;
      std::fill(pooled.begin(), pooled.end(), static_cast<T>(0));
      for (int64_t b = 0; b < bins; ++b) {
        T* acc = pooled.data() + b * channels;
        for (int64_t s = plan.bin_start[b]; s < plan.bin_start[b + 1]; ++s) {
          accumulate_taps(acc, plane, plan.taps[s], channels);
        }
        divide(acc, count, channels);
      }
      transpose_to_channels_first(pooled.data(), bins, channels, output + k * channels * bins,
                                  bins);
    }
  });
}

// grad: [K, C, PH, PW] with any strides; grad_input: [N, H, W, C] contiguous, zero-filled.
template <typename T>
void roi_align_backward_impl(const at::Tensor& grad, const T* rois, int64_t num_rois, T* grad_input,
                             int64_t batch_size, int64_t channels, int64_t height, int64_t width,
                             const RoiAlignParams& p) {
  const T* g = grad.data_ptr<T>();
  const int64_t gs_k = grad.stride(0), gs_c = grad.stride(1), gs_h = grad.stride(2),
                gs_w = grad.stride(3);
  const int64_t bins = p.pooled_h * p.pooled_w;
  // Channel blocks of at least 16 keep the vector loops full.
  at::parallel_for(0, channels, 16, [&](int64_t c_begin, int64_t c_end) {
    const int64_t block = c_end - c_begin;
    geometry::RoiAlignPlan<T> plan;
    std::vector<T> bin_grad(static_cast<size_t>(block));
    for (int64_t k = 0; k < num_rois; ++k) {
      T count;
      const int64_t n = plan_roi(rois + 5 * k, k, batch_size, height, width, p, plan, count);
      T* plane = grad_input + n * height * width * channels + c_begin;
      for (int64_t b = 0; b < bins; ++b) {
        if (plan.bin_start[b] == plan.bin_start[b + 1]) continue;
        const T* src =
            g + k * gs_k + c_begin * gs_c + (b / p.pooled_w) * gs_h + (b % p.pooled_w) * gs_w;
        for (int64_t c = 0; c < block; ++c) bin_grad[c] = src[c * gs_c];
        for (int64_t s = plan.bin_start[b]; s < plan.bin_start[b + 1]; ++s) {
          const auto& taps = plan.taps[s];
          for (int t = 0; t < 4; ++t) {
            add_weighted(plane + taps.offset[t] * channels, bin_grad.data(), taps.weight[t], count,
                         block);
          }
        }
      }
    }
  });
}

at::Tensor roi_align_forward_kernel(const at::Tensor& input, const at::Tensor& rois,
                                    double spatial_scale, int64_t pooled_height,
                                    int64_t pooled_width, int64_t sampling_ratio, bool aligned) {
  check_roi_op_inputs(input, rois, spatial_scale, pooled_height, pooled_width, "roi_align");
  const int64_t num_rois = rois.size(0), channels = input.size(1);
  const int64_t height = input.size(2), width = input.size(3);
  if (num_rois == 0 || channels == 0) {
    return at::zeros({num_rois, channels, pooled_height, pooled_width}, input.options());
  }
  const RoiAlignParams params{spatial_scale, pooled_height, pooled_width, sampling_ratio, aligned};
  at::Tensor result;
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, input.scalar_type(), "roi_align", [&] {
    using T = at::opmath_type<scalar_t>;
    constexpr auto compute_dtype = c10::CppTypeToScalarType<T>::value;
    const at::Tensor input_cl =
        input.to(compute_dtype, false, false, at::MemoryFormat::ChannelsLast);
    const at::Tensor rois_c = rois.to(compute_dtype).contiguous();
    at::Tensor output = at::empty({num_rois, channels, pooled_height, pooled_width},
                                  input.options().dtype(compute_dtype));
    roi_align_forward_impl<T>(input_cl.data_ptr<T>(), input.size(0), channels, height, width,
                              rois_c.data_ptr<T>(), num_rois, output.data_ptr<T>(), params);
    result = output.to(input.scalar_type());
  });
  return result;
}

at::Tensor roi_align_backward_kernel(const at::Tensor& grad, const at::Tensor& rois,
                                     double spatial_scale, int64_t pooled_height,
                                     int64_t pooled_width, int64_t batch_size, int64_t channels,
                                     int64_t height, int64_t width, int64_t sampling_ratio,
                                     bool aligned) {
  check_roi_backward_inputs(grad, rois, spatial_scale, pooled_height, pooled_width, batch_size,
                            channels, height, width, "roi_align backward");
  const int64_t num_rois = rois.size(0);
  if (num_rois == 0 || channels == 0 || height == 0 || width == 0) {
    return at::zeros({batch_size, channels, height, width}, grad.options());
  }
  const RoiAlignParams params{spatial_scale, pooled_height, pooled_width, sampling_ratio, aligned};
  at::Tensor result;
  AT_DISPATCH_FLOATING_TYPES_AND2(
      at::kHalf, at::kBFloat16, grad.scalar_type(), "roi_align_backward", [&] {
        using T = at::opmath_type<scalar_t>;
        constexpr auto compute_dtype = c10::CppTypeToScalarType<T>::value;
        const at::Tensor grad_c = grad.to(compute_dtype);
        const at::Tensor rois_c = rois.to(compute_dtype).contiguous();
        at::Tensor grad_input_cl =
            at::zeros({batch_size, height, width, channels}, grad.options().dtype(compute_dtype));
        roi_align_backward_impl<T>(grad_c, rois_c.data_ptr<T>(), num_rois,
                                   grad_input_cl.data_ptr<T>(), batch_size, channels, height, width,
                                   params);
        result = grad_input_cl.permute({0, 3, 1, 2}).to(grad.scalar_type()).contiguous();
      });
  return result;
}

}  // namespace

TORCH_LIBRARY_IMPL(vops, CPU, m) {
  m.impl("roi_align", TORCH_FN(roi_align_forward_kernel));
  m.impl("_roi_align_backward", TORCH_FN(roi_align_backward_kernel));
}

}  // namespace vops::ops
