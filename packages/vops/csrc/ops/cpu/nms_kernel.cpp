// Exact greedy non-maximum suppression on the CPU.
//
// Boxes are visited by decreasing score; a box is kept unless a kept box of its class overlaps it
// with IoU > threshold. Only boxes that intersect can exceed a threshold >= 0, so each candidate
// is tested against the kept boxes found in the cells of a uniform grid that it touches, instead
// of against every kept box. The result is the same as the quadratic algorithm's, bit for bit.
#include <ATen/ATen.h>
#include <ATen/Dispatch.h>
#include <ATen/OpMathType.h>
#include <torch/library.h>

#include <algorithm>
#include <vector>

#include "ops/checks.h"
#include "ops/geometry.h"

namespace vops::ops {
namespace {

using geometry::Box;

// Kept boxes of each class, indexed by the grid cells they cover. Boxes whose cell span is
// unbounded (non-finite corners, or wider than kMaxCellsPerBox cells) are kept in a per-class
// list that every query scans; with `exhaustive` every box is, which is the quadratic algorithm.
template <typename T>
class KeptBoxIndex {
 public:
  KeptBoxIndex(const std::vector<Box<T>>& boxes, const std::vector<int64_t>& classes,
               int64_t num_classes, bool exhaustive)
      : boxes_(boxes),
        classes_(classes),
        unbounded_(num_classes),
        all_kept_(num_classes),
        last_query_(boxes.size(), -1) {
    if (!exhaustive) lay_out_grid(num_classes);
  }

  // Calls suppresses(j) for kept boxes j of box i's class that may intersect box i, until one
  // returns true. Returns whether one did.
  template <typename Pred>
  bool any_suppressor(int64_t i, Pred&& suppresses) {
    // Kept boxes are scanned newest first: similar scores tend to come with overlapping boxes.
    const auto any_in = [&](const std::vector<int64_t>& list) {
      return std::any_of(list.rbegin(), list.rend(), suppresses);
    };
    CellSpan span;
    if (!cell_span(boxes_[i], span)) return any_in(all_kept_[classes_[i]]);
    if (any_in(unbounded_[classes_[i]])) return true;
    for (int64_t cy = span.y0; cy <= span.y1; ++cy) {
      for (int64_t cx = span.x0; cx <= span.x1; ++cx) {
        const auto& cell = cells_[cell_id(classes_[i], cx, cy)];
        for (auto it = cell.rbegin(); it != cell.rend(); ++it) {
          // A box spanning several cells of the query is met once per cell; test it once.
          if (last_query_[*it] == i) continue;
          last_query_[*it] = i;
          if (suppresses(*it)) return true;
        }
      }
    }
    return false;
  }

  void insert(int64_t i) {
    const int64_t c = classes_[i];
    all_kept_[c].push_back(i);
    CellSpan span;
    if (!cell_span(boxes_[i], span)) {
      unbounded_[c].push_back(i);
      return;
    }
    for (int64_t cy = span.y0; cy <= span.y1; ++cy) {
      for (int64_t cx = span.x0; cx <= span.x1; ++cx) cells_[cell_id(c, cx, cy)].push_back(i);
    }
  }

 private:
  static constexpr int64_t kMaxCellsPerBox = 64;

  struct CellSpan {
    int64_t x0, x1, y0, y1;
  };

  void lay_out_grid(int64_t num_classes) {
    double min_x = INFINITY, min_y = INFINITY, max_x = -INFINITY, max_y = -INFINITY;
    double side_sum = 0;
    int64_t counted = 0;
    for (const auto& b : boxes_) {
      const double x1 = b.x1, y1 = b.y1, x2 = b.x2, y2 = b.y2;
      if (!(std::isfinite(x1) && std::isfinite(y1) && std::isfinite(x2) && std::isfinite(y2))) {
        continue;
      }
      min_x = std::min({min_x, x1, x2});
      min_y = std::min({min_y, y1, y2});
      max_x = std::max({max_x, x1, x2});
      max_y = std::max({max_y, y1, y2});
      if (x2 > x1 && y2 > y1) {
        side_sum += 0.5 * ((x2 - x1) + (y2 - y1));
        ++counted;
      }
    }
    if (counted == 0) return;  // nothing can overlap: no grid needed
    const double extent_x = max_x - min_x, extent_y = max_y - min_y;
    // Cells about one typical box wide, coarsened until all classes' grids together hold at
    // most a few cells per box (a long thin strip or thousands of classes stay small).
    const double budget = std::max<double>(64, 4.0 * static_cast<double>(boxes_.size()));
    double cell =
        std::max(side_sum / static_cast<double>(counted), std::max(extent_x, extent_y) / 4096.0);
    if (!(cell > 0 && std::isfinite(cell))) return;
    const auto cells_along = [&](double extent) { return static_cast<int64_t>(extent / cell) + 1; };
    while (static_cast<double>(num_classes) * static_cast<double>(cells_along(extent_x)) *
                   static_cast<double>(cells_along(extent_y)) >
               budget &&
           (cells_along(extent_x) > 1 || cells_along(extent_y) > 1)) {
      cell *= 2;
    }
    origin_x_ = min_x;
    origin_y_ = min_y;
    inv_cell_ = 1.0 / cell;
    grid_w_ = cells_along(extent_x);
    grid_h_ = cells_along(extent_y);
    cells_.resize(static_cast<size_t>(num_classes * grid_w_ * grid_h_));
  }

  bool cell_span(const Box<T>& b, CellSpan& span) const {
    if (cells_.empty()) return false;
    const double x1 = b.x1, y1 = b.y1, x2 = b.x2, y2 = b.y2;
    if (!(std::isfinite(x1) && std::isfinite(y1) && std::isfinite(x2) && std::isfinite(y2))) {
      return false;
    }
    // Monotonic in the coordinate, so two boxes whose intervals overlap share a cell.
    const auto cell_of = [](double v, double origin, double inv, int64_t n) {
      const double f = std::min(std::max((v - origin) * inv, 0.0), static_cast<double>(n - 1));
      return static_cast<int64_t>(f);
    };
    span.x0 = cell_of(std::min(x1, x2), origin_x_, inv_cell_, grid_w_);
    span.x1 = cell_of(std::max(x1, x2), origin_x_, inv_cell_, grid_w_);
    span.y0 = cell_of(std::min(y1, y2), origin_y_, inv_cell_, grid_h_);
    span.y1 = cell_of(std::max(y1, y2), origin_y_, inv_cell_, grid_h_);
    return (span.x1 - span.x0 + 1) * (span.y1 - span.y0 + 1) <= kMaxCellsPerBox;
  }

  int64_t cell_id(int64_t c, int64_t cx, int64_t cy) const {
    return (c * grid_h_ + cy) * grid_w_ + cx;
  }

  const std::vector<Box<T>>& boxes_;
  const std::vector<int64_t>& classes_;
  std::vector<std::vector<int64_t>> unbounded_;  // per class
  std::vector<std::vector<int64_t>> all_kept_;   // per class
  std::vector<std::vector<int64_t>> cells_;
  std::vector<int64_t> last_query_;
  double origin_x_ = 0, origin_y_ = 0, inv_cell_ = 0;
  int64_t grid_w_ = 0, grid_h_ = 0;
};

// Positions (in score order) of the boxes greedy NMS keeps.
template <typename T>
std::vector<int64_t> greedy_nms(const std::vector<Box<T>>& boxes,
                                const std::vector<int64_t>& classes, int64_t num_classes,
                                double iou_threshold) {
  // With a negative (or NaN) threshold, boxes that do not intersect can suppress each other, so
  // spatial pruning would be wrong: fall back to testing every kept box.
  const bool exhaustive = !(iou_threshold >= 0);
  KeptBoxIndex<T> index(boxes, classes, num_classes, exhaustive);
  std::vector<int64_t> kept;
  for (int64_t i = 0; i < static_cast<int64_t>(boxes.size()); ++i) {
    const Box<T>& box = boxes[i];
    // Without positive width and height a box intersects nothing: it is never suppressed and
    // suppresses nothing (the negations also catch NaN corners).
    if (!exhaustive && !(box.x2 > box.x1 && box.y2 > box.y1)) {
      kept.push_back(i);
      continue;
    }
    const bool suppressed = index.any_suppressor(
        i, [&](int64_t j) { return geometry::iou_exceeds(boxes[j], box, iou_threshold); });
    if (!suppressed) {
      kept.push_back(i);
      index.insert(i);
    }
  }
  return kept;
}

// Shared body of nms and batched_nms: `dense_classes` holds class ids in [0, num_classes).
at::Tensor nms_by_class(const at::Tensor& boxes, const at::Tensor& scores,
                        const at::Tensor& dense_classes, int64_t num_classes,
                        double iou_threshold) {
  if (boxes.size(0) == 0) return at::empty({0}, boxes.options().dtype(at::kLong));
  const at::Tensor order =
      std::get<1>(scores.sort(/*stable=*/true, /*dim=*/0, /*descending=*/true));
  const at::Tensor classes_sorted = dense_classes.index_select(0, order).to(at::kLong).contiguous();
  std::vector<int64_t> classes(classes_sorted.data_ptr<int64_t>(),
                               classes_sorted.data_ptr<int64_t>() + classes_sorted.numel());
  std::vector<int64_t> kept;
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, boxes.scalar_type(), "nms", [&] {
    using T = at::opmath_type<scalar_t>;
    const at::Tensor sorted =
        boxes.index_select(0, order).to(c10::CppTypeToScalarType<T>::value).contiguous();
    const T* c = sorted.data_ptr<T>();
    std::vector<Box<T>> sorted_boxes(static_cast<size_t>(sorted.size(0)));
    for (size_t i = 0; i < sorted_boxes.size(); ++i) {
      sorted_boxes[i] = geometry::make_box(c[4 * i], c[4 * i + 1], c[4 * i + 2], c[4 * i + 3]);
    }
    kept = greedy_nms(sorted_boxes, classes, num_classes, iou_threshold);
  });
  const at::Tensor positions = at::tensor(kept, at::TensorOptions().dtype(at::kLong));
  return order.index_select(0, positions);
}

at::Tensor nms_kernel(const at::Tensor& boxes, const at::Tensor& scores, double iou_threshold) {
  check_nms_inputs(boxes, scores);
  const at::Tensor classes = at::zeros({boxes.size(0)}, boxes.options().dtype(at::kLong));
  return nms_by_class(boxes, scores, classes, 1, iou_threshold);
}

at::Tensor batched_nms_kernel(const at::Tensor& boxes, const at::Tensor& scores,
                              const at::Tensor& idxs, double iou_threshold) {
  check_nms_inputs(boxes, scores);
  check_batched_nms_idxs(idxs, boxes);
  if (boxes.size(0) == 0) return at::empty({0}, boxes.options().dtype(at::kLong));
  const auto [unique_ids, dense] = at::_unique(idxs, /*sorted=*/true, /*return_inverse=*/true);
  return nms_by_class(boxes, scores, dense, unique_ids.numel(), iou_threshold);
}

}  // namespace

TORCH_LIBRARY_IMPL(vops, CPU, m) {
  m.impl("nms", TORCH_FN(nms_kernel));
  m.impl("batched_nms", TORCH_FN(batched_nms_kernel));
}

}  // namespace vops::ops
