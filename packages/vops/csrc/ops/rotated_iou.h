// IoU of rotated rectangles by exact convex clipping, shared by the CPU and CUDA
// box_iou_rotated kernels and the C++ unit tests. No torch dependency.
//
// A box is (cx, cy, w, h, angle) in image coordinates (y pointing down), the angle in degrees,
// counter-clockwise as seen on the image: the corner at (+w/2, +h/2) from the centre lies at
// (cx + w/2 cos + h/2 sin, cy - w/2 sin + h/2 cos). The intersection of two rectangles is one
// rectangle clipped by the four edge half-planes of the other (Sutherland-Hodgman; a convex
// polygon of at most 8 vertices), its area the shoelace formula. Everything is computed in double,
// relative to the first box's centre, whatever the boxes' type.
#pragma once

#include <cmath>
#include <limits>

#include "ops/geometry.h"

namespace vops::geometry {

// A rotated rectangle prepared for clipping: its centre and its corners relative to the centre,
// counter-clockwise in the (x, y) plane (so the inside is left of every edge).
struct RotatedRect {
  double cx, cy;
  double dx[4], dy[4];
  double area;    // w * h; rectangles without positive area intersect nothing
  double radius;  // half the diagonal: no overlap beyond twice this between centres
  bool nan;       // some coordinate is NaN: the IoU is NaN
};

template <typename T>
VOPS_HOST_DEVICE RotatedRect rotated_rect(const T* box) {
  RotatedRect r;
  r.cx = static_cast<double>(box[0]);
  r.cy = static_cast<double>(box[1]);
  const double w = static_cast<double>(box[2]), h = static_cast<double>(box[3]);
  const double angle = static_cast<double>(box[4]);
  r.nan = r.cx != r.cx || r.cy != r.cy || w != w || h != h || angle != angle;
  r.area = w * h;
  // Both sides negative describe the same rectangle as their absolute values.
  const double hw = std::abs(w) / 2, hh = std::abs(h) / 2;
  r.radius = std::sqrt(hw * hw + hh * hh);
  const double theta = angle * (3.14159265358979323846 / 180.0);
  const double c = std::cos(theta), s = std::sin(theta);
  const double u[4] = {-hw, hw, hw, -hw}, v[4] = {-hh, -hh, hh, hh};
  for (int k = 0; k < 4; ++k) {
    r.dx[k] = u[k] * c + v[k] * s;
    r.dy[k] = v[k] * c - u[k] * s;
  }
  return r;
}

inline constexpr int kMaxClipVertices = 12;  // 8 suffice: each half-plane adds at most one

// Clips the convex polygon (px, py)[n] by the half-plane left of the line a -> b into (qx, qy);
// returns the new vertex count.
VOPS_HOST_DEVICE inline int clip_left_of(const double* px, const double* py, int n, double ax,
                                         double ay, double bx, double by, double* qx, double* qy) {
  const double ex = bx - ax, ey = by - ay;
  int m = 0;
  for (int k = 0; k < n; ++k) {
    const int l = k + 1 == n ? 0 : k + 1;
    const double dk = ex * (py[k] - ay) - ey * (px[k] - ax);
    const double dl = ex * (py[l] - ay) - ey * (px[l] - ax);
    if (dk >= 0) {
      qx[m] = px[k];
      qy[m] = py[k];
      ++m;
    }
    if ((dk >= 0) != (dl >= 0)) {  // the edge k -> l crosses the line
      const double t = dk / (dk - dl);
      qx[m] = px[k] + t * (px[l] - px[k]);
      qy[m] = py[k] + t * (py[l] - py[k]);
      ++m;
    }
  }
  return m;
}

// Area of the intersection of two prepared rectangles with positive areas.
VOPS_HOST_DEVICE inline double rotated_intersection_area(const RotatedRect& a,
                                                         const RotatedRect& b) {
  const double ox = b.cx - a.cx, oy = b.cy - a.cy;
  const double reach = a.radius + b.radius;
  // The circumscribed circles are apart (with a margin for rounding): nothing to clip.
  if (ox * ox + oy * oy > reach * reach * (1 + 1e-9)) return 0;
  double px[kMaxClipVertices], py[kMaxClipVertices], qx[kMaxClipVertices], qy[kMaxClipVertices];
  int n = 4;
  for (int k = 0; k < 4; ++k) {
    px[k] = b.dx[k] + ox;
    py[k] = b.dy[k] + oy;
  }
  for (int e = 0; e < 4 && n > 0; ++e) {
    const int f = e == 3 ? 0 : e + 1;
    n = clip_left_of(px, py, n, a.dx[e], a.dy[e], a.dx[f], a.dy[f], qx, qy);
    for (int k = 0; k < n; ++k) {
      px[k] = qx[k];
      py[k] = qy[k];
    }
  }
  double twice_area = 0;
  for (int k = 0; k < n; ++k) {
    const int l = k + 1 == n ? 0 : k + 1;
    twice_area += px[k] * py[l] - px[l] * py[k];
  }
  return twice_area > 0 ? twice_area / 2 : 0.0;
}

// IoU of two prepared rectangles, in [0, 1]; 0 when either has no positive area, NaN when either
// has a NaN coordinate.
VOPS_HOST_DEVICE inline double rotated_iou(const RotatedRect& a, const RotatedRect& b) {
  if (a.nan || b.nan) return std::numeric_limits<double>::quiet_NaN();
  if (!(a.area > 0 && b.area > 0)) return 0;
  const double inter = rotated_intersection_area(a, b);
  const double iou = inter / (a.area + b.area - inter);
  return iou < 0 ? 0.0 : (iou > 1 ? 1.0 : iou);
}

}  // namespace vops::geometry
