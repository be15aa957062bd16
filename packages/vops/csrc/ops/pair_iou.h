// IoU of one pair of axis-aligned boxes, shared by the CPU and CUDA box_iou kernels and the C++
// unit tests. No torch dependency.
//
// The arithmetic is the tensor formula's, operation by operation and type by type: corners in the
// corner type C, areas in the area type A, intersection sides clamped at zero after subtracting,
// union = (area1 + area2) - intersection, then one division. Floating boxes use their own type for
// everything. Integer boxes keep integer corners and areas (wrapping on overflow, as tensors do),
// except that "cxcywh" halves the sides into float corners; the IoU of integer boxes is a float.
// min/max propagate NaN like torch.minimum/maximum.
#pragma once

#include <cstdint>
#include <type_traits>

#include "ops/geometry.h"

namespace vops::geometry {

enum class AlignedFormat : int { kXyxy = 0, kXywh = 1, kCxcywh = 2 };

// Integer arithmetic that wraps modulo 2^bits, as integer tensors do; plain for floating types.
template <typename T>
VOPS_HOST_DEVICE T wrapping_add(T a, T b) {
  if constexpr (std::is_integral_v<T>) {
    using U = std::make_unsigned_t<T>;
    return static_cast<T>(static_cast<U>(a) + static_cast<U>(b));
  } else {
    return a + b;
  }
}
template <typename T>
VOPS_HOST_DEVICE T wrapping_sub(T a, T b) {
  if constexpr (std::is_integral_v<T>) {
    using U = std::make_unsigned_t<T>;
    return static_cast<T>(static_cast<U>(a) - static_cast<U>(b));
  } else {
    return a - b;
  }
}
template <typename T>
VOPS_HOST_DEVICE T wrapping_mul(T a, T b) {
  if constexpr (std::is_integral_v<T>) {
    using U = std::make_unsigned_t<T>;
    return static_cast<T>(static_cast<U>(a) * static_cast<U>(b));
  } else {
    return a * b;
  }
}

// NaN-propagating max and min (a NaN operand wins), like torch.maximum / torch.minimum.
template <typename T>
VOPS_HOST_DEVICE T nan_max(T a, T b) {
  return (a > b || a != a) ? a : b;
}
template <typename T>
VOPS_HOST_DEVICE T nan_min(T a, T b) {
  return (a < b || a != a) ? a : b;
}

// The type of the IoU of boxes of scalar type S.
template <typename S>
using AlignedIouResult = std::conditional_t<std::is_floating_point_v<S>, S, float>;

template <typename C, typename A>
struct AlignedBox {
  C x1, y1, x2, y2;
  A area;
};

// Box `b` (4 values) in format `fmt` as corners and area. Integer "cxcywh" boxes go through
// aligned_box_cxcywh instead, since their corners are not integers.
template <typename S>
VOPS_HOST_DEVICE AlignedBox<S, S> aligned_box(const S* b, AlignedFormat fmt) {
  switch (fmt) {
    case AlignedFormat::kXywh:
      return {b[0], b[1], wrapping_add(b[0], b[2]), wrapping_add(b[1], b[3]),
              wrapping_mul(b[2], b[3])};
    case AlignedFormat::kCxcywh: {
      const S half_w = b[2] / static_cast<S>(2), half_h = b[3] / static_cast<S>(2);
      return {b[0] - half_w, b[1] - half_h, b[0] + half_w, b[1] + half_h, b[2] * b[3]};
    }
    default:
      return {b[0], b[1], b[2], b[3],
              wrapping_mul(wrapping_sub(b[2], b[0]), wrapping_sub(b[3], b[1]))};
  }
}

// An integer (cx, cy, w, h) box: float corners (the halved sides are floats), integer area.
template <typename S>
VOPS_HOST_DEVICE AlignedBox<float, S> aligned_box_cxcywh(const S* b) {
  const float half_w = static_cast<float>(b[2]) / 2.0f, half_h = static_cast<float>(b[3]) / 2.0f;
  const float cx = static_cast<float>(b[0]), cy = static_cast<float>(b[1]);
  return {cx - half_w, cy - half_h, cx + half_w, cy + half_h, wrapping_mul(b[2], b[3])};
}

// IoU of two prepared boxes, as the type R.
template <typename R, typename C, typename A>
VOPS_HOST_DEVICE R aligned_iou(const AlignedBox<C, A>& a, const AlignedBox<C, A>& b) {
  C w = wrapping_sub(nan_min(a.x2, b.x2), nan_max(a.x1, b.x1));
  C h = wrapping_sub(nan_min(a.y2, b.y2), nan_max(a.y1, b.y1));
  w = w < static_cast<C>(0) ? static_cast<C>(0) : w;
  h = h < static_cast<C>(0) ? static_cast<C>(0) : h;
  const C inter = wrapping_mul(w, h);
  const A areas = wrapping_add(a.area, b.area);
  if constexpr (std::is_same_v<C, A>) {
    const C uni = wrapping_sub(areas, inter);
    return static_cast<R>(inter) / static_cast<R>(uni);
  } else {
    return static_cast<R>(inter / (static_cast<C>(areas) - inter));
  }
}

}  // namespace vops::geometry
