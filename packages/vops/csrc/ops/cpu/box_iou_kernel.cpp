// Pairwise IoU of axis-aligned boxes on the CPU, in one pass (the pair arithmetic is pair_iou.h's).
//
// The tensor formula builds several [N, M] and [N, M, 2] temporaries; here each row of boxes1 is
// met against boxes2 laid out as columns (structure of arrays, so the inner loop vectorizes), and
// rows are split across threads. Every output element is written once, in the formula's order of
// operations, so the result does not depend on the thread count.
#include <ATen/ATen.h>
#include <ATen/Dispatch_v2.h>
#include <ATen/Parallel.h>
#include <torch/library.h>

#include <algorithm>
#include <type_traits>
#include <vector>

#include "ops/checks.h"
#include "ops/pair_iou.h"

namespace vops::ops {
namespace {

using geometry::AlignedBox;
using geometry::AlignedFormat;

// Pairs per parallel task at least: below this, threads cost more than they save.
constexpr int64_t kMinPairsPerTask = 16384;

// Columns of prepared boxes.
template <typename C, typename A>
struct BoxColumns {
  std::vector<C> x1, y1, x2, y2;
  std::vector<A> area;

  explicit BoxColumns(int64_t n) : x1(n), y1(n), x2(n), y2(n), area(n) {}

  void set(int64_t j, const AlignedBox<C, A>& b) {
    x1[j] = b.x1;
    y1[j] = b.y1;
    x2[j] = b.x2;
    y2[j] = b.y2;
    area[j] = b.area;
  }
};

// out[N, M] = IoU of every pair; `prepare(const S* box)` gives an AlignedBox<C, A>.
template <typename R, typename C, typename A, typename S, typename Prepare>
void pairwise_iou(const S* boxes1, int64_t n, const S* boxes2, int64_t m, Prepare prepare,
                  R* out) {
  BoxColumns<C, A> cols(m);
  for (int64_t j = 0; j < m; ++j) cols.set(j, prepare(boxes2 + 4 * j));
  const int64_t grain = std::max<int64_t>(1, kMinPairsPerTask / std::max<int64_t>(m, 1));
  at::parallel_for(0, n, grain, [&](int64_t begin, int64_t end) {
    const C* x1 = cols.x1.data();
    const C* y1 = cols.y1.data();
    const C* x2 = cols.x2.data();
    const C* y2 = cols.y2.data();
    const A* area = cols.area.data();
    for (int64_t i = begin; i < end; ++i) {
      const AlignedBox<C, A> a = prepare(boxes1 + 4 * i);
      R* row = out + i * m;
#pragma omp simd
      for (int64_t j = 0; j < m; ++j) {
        row[j] = geometry::aligned_iou<R>(a, AlignedBox<C, A>{x1[j], y1[j], x2[j], y2[j], area[j]});
      }
    }
  });
}

// out = IoU of boxes1 [n, 4] and boxes2 [m, 4] of scalar type S in `format`.
template <typename S>
void box_iou_typed(const S* boxes1, int64_t n, const S* boxes2, int64_t m, AlignedFormat format,
                   at::Tensor& out) {
  using R = geometry::AlignedIouResult<S>;
  if constexpr (std::is_integral_v<S>) {
    if (format == AlignedFormat::kCxcywh) {
      pairwise_iou<R, float, S>(
          boxes1, n, boxes2, m, [](const S* b) { return geometry::aligned_box_cxcywh(b); },
          out.data_ptr<R>());
      return;
    }
  }
  pairwise_iou<R, S, S>(
      boxes1, n, boxes2, m, [format](const S* b) { return geometry::aligned_box(b, format); },
      out.data_ptr<R>());
}

at::Tensor box_iou_kernel(const at::Tensor& boxes1, const at::Tensor& boxes2,
                          c10::string_view fmt) {
  check_box_pairs(boxes1, boxes2, 4, "box_iou");
  const AlignedFormat format = aligned_format(fmt);
  const at::ScalarType dtype = boxes1.scalar_type();
  const int64_t n = boxes1.size(0), m = boxes2.size(0);
  at::Tensor out = at::empty({n, m}, boxes1.options().dtype(aligned_iou_dtype(dtype)));
  if (n == 0 || m == 0) return out;
  const at::Tensor b1 = boxes1.contiguous(), b2 = boxes2.contiguous();
  AT_DISPATCH_V2(
      dtype, "box_iou", AT_WRAP([&] {
        box_iou_typed(b1.data_ptr<scalar_t>(), n, b2.data_ptr<scalar_t>(), m, format, out);
      }),
      AT_EXPAND(AT_FLOATING_TYPES), at::kInt, at::kLong);
  return out;
}

}  // namespace

TORCH_LIBRARY_IMPL(vops, CPU, m) { m.impl("box_iou", TORCH_FN(box_iou_kernel)); }

}  // namespace vops::ops
