// RoIPool forward and backward on the CPU.
//
// Forward reads the map channels-last and runs RoIs in parallel, taking a per-channel running
// maximum over each bin's pixels (the first maximum in row-major order wins, as in the reference).
// Backward routes each output gradient to its argmax pixel; threads own disjoint channel planes
// and walk RoIs in ascending order, so sums are deterministic and match the serial reference.
#include <ATen/ATen.h>
#include <ATen/Dispatch.h>
#include <ATen/OpMathType.h>
#include <ATen/Parallel.h>
#include <torch/library.h>

#include <algorithm>
#include <limits>
#include <tuple>
#include <vector>

#include "ops/checks.h"
#include "ops/cpu/channel_loops.h"
#include "ops/geometry.h"

namespace vops::ops {
namespace {

struct RoiPoolParams {
  double spatial_scale;
  int64_t pooled_h, pooled_w;
};

// input: [N, H, W, C] contiguous (a channels-last view); output, argmax: [K, C, PH, PW]; argmax
// may be null.
template <typename T>
void roi_pool_forward_impl(const T* input, int64_t batch_size, int64_t channels, int64_t height,
                           int64_t width, const T* rois, int64_t num_rois, T* output,
                           int32_t* argmax, const RoiPoolParams& p) {
  const int64_t bins = p.pooled_h * p.pooled_w;
  const int64_t grain = std::max<int64_t>(1, 16384 / std::max<int64_t>(1, channels * bins));
  at::parallel_for(0, num_rois, grain, [&](int64_t begin, int64_t end) {
    // One RoI's maxima and their pixels, [bins, C].
    std::vector<T> best_all(static_cast<size_t>(bins * channels));
    std::vector<int32_t> where_all(static_cast<size_t>(bins * channels));
    for (int64_t k = begin; k < end; ++k) {
      const T* roi = rois + 5 * k;
      const int64_t n = roi_batch_index(roi, k, batch_size, p.spatial_scale);
      const geometry::RoiPoolGrid<T> grid(roi + 1, p.spatial_scale, p.pooled_h, p.pooled_w, height,
                                          width);
      const T* plane = input + n * height * width * channels;
      for (int64_t b = 0; b < bins; ++b) {
        const geometry::PoolWindow win = grid.window(b / p.pooled_w, b % p.pooled_w);
        T* best = best_all.data() + b * channels;
        int32_t* where = where_all.data() + b * channels;
        std::fill(best, best + channels,
                  win.empty() ? static_cast<T>(0) : std::numeric_limits<T>::lowest());
        std::fill(where, where + channels, -1);
        for (int64_t h = win.h_begin; h < win.h_end; ++h) {
          for (int64_t w = win.w_begin; w < win.w_end; ++w) {
            const int64_t pixel = h * width + w;
            update_max(best, where, plane + pixel * channels, static_cast<int32_t>(pixel),
                       channels);
          }
        }
      }
      transpose_to_channels_first(best_all.data(), bins, channels, output + k * channels * bins,
                                  bins);
      if (argmax != nullptr) {
        transpose_to_channels_first(where_all.data(), bins, channels, argmax + k * channels * bins,
                                    bins);
      }
    }
  });
}

// grad, argmax: [K, C, PH, PW] with any strides; grad_input: [N, C, H, W] contiguous, zeroed.
template <typename T>
void roi_pool_backward_impl(const at::Tensor& grad, const at::Tensor& argmax, const T* rois,
                            int64_t num_rois, T* grad_input, int64_t batch_size, int64_t channels,
                            int64_t height, int64_t width, const RoiPoolParams& p) {
  const T* g = grad.data_ptr<T>();
  const int32_t* a = argmax.data_ptr<int32_t>();
  const int64_t plane_size = height * width;
  at::parallel_for(0, channels, 1, [&](int64_t c_begin, int64_t c_end) {
    for (int64_t k = 0; k < num_rois; ++k) {
      const int64_t n = roi_batch_index(rois + 5 * k, k, batch_size, p.spatial_scale);
      for (int64_t c = c_begin; c < c_end; ++c) {
        T* plane = grad_input + (n * channels + c) * plane_size;
        for (int64_t ph = 0; ph < p.pooled_h; ++ph) {
          for (int64_t pw = 0; pw < p.pooled_w; ++pw) {
            const int32_t pixel = a[k * argmax.stride(0) + c * argmax.stride(1) +
                                    ph * argmax.stride(2) + pw * argmax.stride(3)];
            if (pixel == -1) continue;
            TORCH_CHECK_INDEX(pixel >= 0 && pixel < plane_size, "roi_pool backward: argmax[", k,
                              ", ", c, ", ", ph, ", ", pw, "] = ", pixel, " is not a pixel of a ",
                              height, "x", width, " map");
            plane[pixel] += g[k * grad.stride(0) + c * grad.stride(1) + ph * grad.stride(2) +
                              pw * grad.stride(3)];
          }
        }
      }
    }
  });
}

std::tuple<at::Tensor, at::Tensor> roi_pool_forward_kernel(const at::Tensor& input,
                                                           const at::Tensor& rois,
                                                           double spatial_scale,
                                                           int64_t pooled_height,
                                                           int64_t pooled_width, bool with_argmax) {
  check_roi_op_inputs(input, rois, spatial_scale, pooled_height, pooled_width, "roi_pool");
  const int64_t num_rois = rois.size(0), channels = input.size(1);
  const int64_t height = input.size(2), width = input.size(3);
  TORCH_CHECK(height * width < std::numeric_limits<int32_t>::max(),
              "roi_pool: feature maps above 2^31 pixels are not supported, got ", height, "x",
              width);
  // argmax only feeds the backward pass: int32 halves its memory traffic, and inference skips it.
  at::Tensor argmax = with_argmax ? at::empty({num_rois, channels, pooled_height, pooled_width},
                                              input.options().dtype(at::kInt))
                                  : at::empty({0}, input.options().dtype(at::kInt));
  if (num_rois == 0 || channels == 0) {
    return {at::zeros({num_rois, channels, pooled_height, pooled_width}, input.options()), argmax};
  }
  const RoiPoolParams params{spatial_scale, pooled_height, pooled_width};
  at::Tensor result;
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, input.scalar_type(), "roi_pool", [&] {
    using T = at::opmath_type<scalar_t>;
    constexpr auto compute_dtype = c10::CppTypeToScalarType<T>::value;
    const at::Tensor input_cl =
        input.to(compute_dtype, false, false, at::MemoryFormat::ChannelsLast);
    const at::Tensor rois_c = rois.to(compute_dtype).contiguous();
    at::Tensor output = at::empty({num_rois, channels, pooled_height, pooled_width},
                                  input.options().dtype(compute_dtype));
    roi_pool_forward_impl<T>(input_cl.data_ptr<T>(), input.size(0), channels, height, width,
                             rois_c.data_ptr<T>(), num_rois, output.data_ptr<T>(),
                             with_argmax ? argmax.data_ptr<int32_t>() : nullptr, params);
    result = output.to(input.scalar_type());
  });
  return {result, argmax};
}

at::Tensor roi_pool_backward_kernel(const at::Tensor& grad, const at::Tensor& rois,
                                    const at::Tensor& argmax, double spatial_scale,
                                    int64_t pooled_height, int64_t pooled_width, int64_t batch_size,
                                    int64_t channels, int64_t height, int64_t width) {
  check_roi_backward_inputs(grad, rois, spatial_scale, pooled_height, pooled_width, batch_size,
                            channels, height, width, "roi_pool backward");
  const int64_t num_rois = rois.size(0);
  const std::vector<int64_t> pooled_shape{num_rois, channels, pooled_height, pooled_width};
  TORCH_CHECK(argmax.sizes() == pooled_shape && argmax.scalar_type() == at::kInt,
              "roi_pool backward: argmax must be an int32 Tensor", at::IntArrayRef(pooled_shape),
              ", got ", argmax.scalar_type(), " ", argmax.sizes());
  if (num_rois == 0 || channels == 0 || height == 0 || width == 0) {
    return at::zeros({batch_size, channels, height, width}, grad.options());
  }
  const RoiPoolParams params{spatial_scale, pooled_height, pooled_width};
  at::Tensor result;
  AT_DISPATCH_FLOATING_TYPES_AND2(
      at::kHalf, at::kBFloat16, grad.scalar_type(), "roi_pool_backward", [&] {
        using T = at::opmath_type<scalar_t>;
        constexpr auto compute_dtype = c10::CppTypeToScalarType<T>::value;
        const at::Tensor grad_c = grad.to(compute_dtype);
        const at::Tensor rois_c = rois.to(compute_dtype).contiguous();
        at::Tensor grad_input =
            at::zeros({batch_size, channels, height, width}, grad.options().dtype(compute_dtype));
        roi_pool_backward_impl<T>(grad_c, argmax, rois_c.data_ptr<T>(), num_rois,
                                  grad_input.data_ptr<T>(), batch_size, channels, height, width,
                                  params);
        result = grad_input.to(grad.scalar_type());
      });
  return result;
}

}  // namespace

TORCH_LIBRARY_IMPL(vops, CPU, m) {
  m.impl("roi_pool", TORCH_FN(roi_pool_forward_kernel));
  m.impl("_roi_pool_backward", TORCH_FN(roi_pool_backward_kernel));
}

}  // namespace vops::ops
