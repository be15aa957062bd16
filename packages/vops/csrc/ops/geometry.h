// Scalar geometry shared by the CPU and CUDA kernels and the C++ unit tests. No torch dependency.
//
// The arithmetic follows Detectron's RoIAlign/RoIPool and greedy NMS operation by operation, so
// that results match the published implementations bit for bit in float32 and float64.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#if defined(__CUDACC__)
#define VOPS_HOST_DEVICE __host__ __device__
#else
#define VOPS_HOST_DEVICE
#endif

namespace vops::geometry {

// An axis-aligned box with its area, in the precision the kernel computes in.
template <typename T>
struct Box {
  T x1, y1, x2, y2, area;
};

template <typename T>
VOPS_HOST_DEVICE Box<T> make_box(T x1, T y1, T x2, T y2) {
  return {x1, y1, x2, y2, (x2 - x1) * (y2 - y1)};
}

// True when IoU(kept, candidate) > threshold, with the reference's order of operations
// (the kept, higher-scoring box's area comes first in the union).
template <typename T>
VOPS_HOST_DEVICE bool iou_exceeds(const Box<T>& kept, const Box<T>& candidate, double threshold) {
  const T xx1 = std::max(kept.x1, candidate.x1);
  const T yy1 = std::max(kept.y1, candidate.y1);
  const T xx2 = std::min(kept.x2, candidate.x2);
  const T yy2 = std::min(kept.y2, candidate.y2);
  const T w = std::max(static_cast<T>(0), xx2 - xx1);
  const T h = std::max(static_cast<T>(0), yy2 - yy1);
  const T inter = w * h;
  const T iou = inter / (kept.area + candidate.area - inter);
  return static_cast<double>(iou) > threshold;
}

// The four pixels around a sample point and their bilinear weights. Pixel offsets are y * width + x
// inside one feature plane.
template <typename T>
struct BilinearTaps {
  int64_t offset[4];  // (y_low, x_low), (y_low, x_high), (y_high, x_low), (y_high, x_high)
  T weight[4];
};

// Bilinear taps for the point (y, x) of a height x width plane. Returns false for points more than
// one pixel outside the plane (they contribute nothing), for NaN coordinates and empty planes.
template <typename T>
VOPS_HOST_DEVICE bool bilinear_taps(int64_t height, int64_t width, T y, T x,
                                    BilinearTaps<T>& taps) {
  if (height <= 0 || width <= 0) return false;
  if (!(y >= static_cast<T>(-1) && y <= static_cast<T>(height) && x >= static_cast<T>(-1) &&
        x <= static_cast<T>(width))) {
    return false;
  }
  y = std::max(y, static_cast<T>(0));
  x = std::max(x, static_cast<T>(0));
  int64_t y_low = static_cast<int64_t>(y);
  int64_t x_low = static_cast<int64_t>(x);
  int64_t y_high = y_low + 1;
  int64_t x_high = x_low + 1;
  if (y_low >= height - 1) {
    y_high = y_low = height - 1;
    y = static_cast<T>(y_low);
  }
  if (x_low >= width - 1) {
    x_high = x_low = width - 1;
    x = static_cast<T>(x_low);
  }
  const T ly = y - static_cast<T>(y_low);
  const T lx = x - static_cast<T>(x_low);
  const T hy = static_cast<T>(1) - ly;
  const T hx = static_cast<T>(1) - lx;
  taps.offset[0] = y_low * width + x_low;
  taps.offset[1] = y_low * width + x_high;
  taps.offset[2] = y_high * width + x_low;
  taps.offset[3] = y_high * width + x_high;
  taps.weight[0] = hy * hx;
  taps.weight[1] = hy * lx;
  taps.weight[2] = ly * hx;
  taps.weight[3] = ly * lx;
  return true;
}

// Where one RoI's bins and sampling points lie on the feature map.
template <typename T>
struct RoiAlignGrid {
  T start_y, start_x, bin_h, bin_w;
  int64_t samples_y, samples_x;  // sampling points per bin along each axis
  T count;                       // samples_y * samples_x, at least 1: the average's divisor
};

// True when every scaled corner of a RoI (x1, y1, x2, y2) is finite and small enough to address
// pixels with 64-bit integers; kernels reject other RoIs instead of computing garbage offsets.
template <typename T>
VOPS_HOST_DEVICE bool roi_corners_usable(const T* corners, double spatial_scale) {
  for (int i = 0; i < 4; ++i) {
    if (!(std::abs(static_cast<double>(corners[i]) * spatial_scale) < 1e15)) return false;
  }
  return true;
}

// Most sampling points per bin along one axis (fixed or adaptive): beyond it a RoI or a
// sampling_ratio is almost surely a corrupted value, and the point count would overflow.
inline constexpr int64_t kMaxSamples = int64_t{1} << 20;

// The sampling grid of a RoI given as (x1, y1, x2, y2) in image coordinates. As in the reference,
// `spatial_scale` is first rounded to T, so the scaled corners round the same way. Returns false
// when the grid would exceed kMaxSamples per axis. Corners must pass roi_corners_usable.
template <typename T>
VOPS_HOST_DEVICE bool roi_align_grid(const T* corners, double spatial_scale, int64_t pooled_h,
                                     int64_t pooled_w, int64_t sampling_ratio, bool aligned,
                                     RoiAlignGrid<T>& grid) {
  const T scale = static_cast<T>(spatial_scale);
  const T offset = static_cast<T>(aligned ? 0.5 : 0.0);
  grid.start_x = corners[0] * scale - offset;
  grid.start_y = corners[1] * scale - offset;
  const T end_x = corners[2] * scale - offset;
  const T end_y = corners[3] * scale - offset;
  T roi_w = end_x - grid.start_x;
  T roi_h = end_y - grid.start_y;
  if (!aligned) {  // legacy behaviour: force malformed RoIs to be 1x1
    roi_w = std::max(roi_w, static_cast<T>(1));
    roi_h = std::max(roi_h, static_cast<T>(1));
  }
  grid.bin_h = roi_h / static_cast<T>(pooled_h);
  grid.bin_w = roi_w / static_cast<T>(pooled_w);
  if (sampling_ratio > 0) {
    if (sampling_ratio > kMaxSamples) return false;
    grid.samples_y = grid.samples_x = sampling_ratio;
  } else {
    const double sy = std::ceil(static_cast<double>(roi_h / static_cast<T>(pooled_h)));
    const double sx = std::ceil(static_cast<double>(roi_w / static_cast<T>(pooled_w)));
    if (!(sy <= kMaxSamples && sx <= kMaxSamples)) return false;
    grid.samples_y = static_cast<int64_t>(sy);
    grid.samples_x = static_cast<int64_t>(sx);
  }
  grid.count = static_cast<T>(std::max<int64_t>(grid.samples_y * grid.samples_x, 1));
  return true;
}

// Coordinate of sampling point `i` (of `samples`) along one axis of output bin `bin`.
template <typename T>
VOPS_HOST_DEVICE T sample_coordinate(T start, int64_t bin, T bin_size, int64_t i, int64_t samples) {
  return start + static_cast<T>(bin) * bin_size +
         static_cast<T>(i + .5f) * bin_size / static_cast<T>(samples);
}

// The sample indices [first, last) along one axis whose coordinates lie in [-1, limit], the only
// ones bilinear_taps accepts. sample_coordinate is monotonic in the index (each rounding step is),
// increasing for bin_size >= 0 and decreasing otherwise, so they are contiguous and two binary
// searches find them exactly: a RoI far larger than the map costs its overlap, not its size.
template <typename T>
VOPS_HOST_DEVICE void sample_range(T start, int64_t bin, T bin_size, int64_t samples, int64_t limit,
                                   int64_t& first, int64_t& last) {
  const bool increasing = bin_size >= static_cast<T>(0);
  // Smallest index in [0, samples] at which `past(coordinate)` holds (it holds from there on).
  const auto search = [&](auto past) {
    int64_t lo = 0, hi = samples;
    while (lo < hi) {
      const int64_t mid = lo + (hi - lo) / 2;
      if (past(sample_coordinate(start, bin, bin_size, mid, samples))) {
        hi = mid;
      } else {
        lo = mid + 1;
      }
    }
    return lo;
  };
  const T low = static_cast<T>(-1), high = static_cast<T>(limit);
  if (increasing) {
    first = search([&](T c) { return c >= low; });
    last = search([&](T c) { return c > high; });
  } else {
    first = search([&](T c) { return c <= high; });
    last = search([&](T c) { return c < low; });
  }
  last = last < first ? first : last;
}

// The bilinear taps of every sampling point of a RoI that falls on the map, bin by bin (row-major
// over the pooled output), points in row-major order inside a bin. Bin b's taps are
// taps[bin_start[b]] .. taps[bin_start[b + 1] - 1].
template <typename T>
struct RoiAlignPlan {
  std::vector<BilinearTaps<T>> taps;
  std::vector<int64_t> bin_start;

  void build(const RoiAlignGrid<T>& grid, int64_t height, int64_t width, int64_t pooled_h,
             int64_t pooled_w) {
    taps.clear();
    bin_start.assign(1, 0);
    BilinearTaps<T> t;
    for (int64_t ph = 0; ph < pooled_h; ++ph) {
      int64_t y_first, y_last;
      sample_range(grid.start_y, ph, grid.bin_h, grid.samples_y, height, y_first, y_last);
      for (int64_t pw = 0; pw < pooled_w; ++pw) {
        int64_t x_first, x_last;
        sample_range(grid.start_x, pw, grid.bin_w, grid.samples_x, width, x_first, x_last);
        for (int64_t iy = y_first; iy < y_last; ++iy) {
          const T y = sample_coordinate(grid.start_y, ph, grid.bin_h, iy, grid.samples_y);
          for (int64_t ix = x_first; ix < x_last; ++ix) {
            const T x = sample_coordinate(grid.start_x, pw, grid.bin_w, ix, grid.samples_x);
            if (bilinear_taps(height, width, y, x, t)) taps.push_back(t);
          }
        }
        bin_start.push_back(static_cast<int64_t>(taps.size()));
      }
    }
  }
};

// One RoIPool bin: the half-open pixel window [h_begin, h_end) x [w_begin, w_end) on the map.
struct PoolWindow {
  int64_t h_begin, h_end, w_begin, w_end;
  VOPS_HOST_DEVICE bool empty() const { return h_end <= h_begin || w_end <= w_begin; }
};

// RoIPool's quantized geometry: corners rounded to pixels, bins split with floor/ceil, clipped.
// Corners must pass roi_corners_usable.
template <typename T>
class RoiPoolGrid {
 public:
  VOPS_HOST_DEVICE RoiPoolGrid(const T* corners, double spatial_scale, int64_t pooled_h,
                               int64_t pooled_w, int64_t height, int64_t width)
      : height_(height), width_(width) {
    const T scale = static_cast<T>(spatial_scale);  // rounded to T first, as in the reference
    start_x_ = static_cast<int64_t>(std::round(corners[0] * scale));
    start_y_ = static_cast<int64_t>(std::round(corners[1] * scale));
    const auto end_x = static_cast<int64_t>(std::round(corners[2] * scale));
    const auto end_y = static_cast<int64_t>(std::round(corners[3] * scale));
    const int64_t roi_w = std::max<int64_t>(end_x - start_x_ + 1, 1);
    const int64_t roi_h = std::max<int64_t>(end_y - start_y_ + 1, 1);
    bin_h_ = static_cast<T>(roi_h) / static_cast<T>(pooled_h);
    bin_w_ = static_cast<T>(roi_w) / static_cast<T>(pooled_w);
  }

  VOPS_HOST_DEVICE PoolWindow window(int64_t ph, int64_t pw) const {
    const auto clip = [](int64_t v, int64_t hi) { return std::min(std::max<int64_t>(v, 0), hi); };
    const auto h0 = static_cast<int64_t>(std::floor(static_cast<T>(ph) * bin_h_));
    const auto w0 = static_cast<int64_t>(std::floor(static_cast<T>(pw) * bin_w_));
    const auto h1 = static_cast<int64_t>(std::ceil(static_cast<T>(ph + 1) * bin_h_));
    const auto w1 = static_cast<int64_t>(std::ceil(static_cast<T>(pw + 1) * bin_w_));
    return {clip(h0 + start_y_, height_), clip(h1 + start_y_, height_), clip(w0 + start_x_, width_),
            clip(w1 + start_x_, width_)};
  }

 private:
  int64_t height_, width_, start_x_, start_y_;
  T bin_h_, bin_w_;
};

}  // namespace vops::geometry
