// Pairwise IoU of rotated boxes on the CPU: exact convex clipping (rotated_iou.h), rows of boxes1
// split across threads. Each box's corners are computed once, not once per pair.
#include <ATen/ATen.h>
#include <ATen/Dispatch.h>
#include <ATen/Parallel.h>
#include <torch/library.h>

#include <algorithm>
#include <vector>

#include "ops/checks.h"
#include "ops/rotated_iou.h"

namespace vops::ops {
namespace {

using geometry::RotatedRect;

// Pairs per parallel task at least: below this, threads cost more than they save.
constexpr int64_t kMinPairsPerTask = 1024;

template <typename T>
std::vector<RotatedRect> prepared_rects(const at::Tensor& boxes) {
  const T* b = boxes.data_ptr<T>();
  std::vector<RotatedRect> rects(static_cast<size_t>(boxes.size(0)));
  for (size_t i = 0; i < rects.size(); ++i) rects[i] = geometry::rotated_rect(b + 5 * i);
  return rects;
}

at::Tensor box_iou_rotated_kernel(const at::Tensor& boxes1, const at::Tensor& boxes2) {
  check_rotated_box_pairs(boxes1, boxes2);
  const int64_t n = boxes1.size(0), m = boxes2.size(0);
  at::Tensor out = at::empty({n, m}, boxes1.options().dtype(at::kFloat));
  if (n == 0 || m == 0) return out;
  std::vector<RotatedRect> rects1, rects2;
  AT_DISPATCH_FLOATING_TYPES(boxes1.scalar_type(), "box_iou_rotated", [&] {
    rects1 = prepared_rects<scalar_t>(boxes1.contiguous());
    rects2 = prepared_rects<scalar_t>(boxes2.contiguous());
  });
  float* o = out.data_ptr<float>();
  const int64_t grain = std::max<int64_t>(1, kMinPairsPerTask / m);
  at::parallel_for(0, n, grain, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      for (int64_t j = 0; j < m; ++j) {
        o[i * m + j] = static_cast<float>(geometry::rotated_iou(rects1[i], rects2[j]));
      }
    }
  });
  return out;
}

}  // namespace

TORCH_LIBRARY_IMPL(vops, CPU, m) { m.impl("box_iou_rotated", TORCH_FN(box_iou_rotated_kernel)); }

}  // namespace vops::ops
