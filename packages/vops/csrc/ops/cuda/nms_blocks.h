// The per-thread work of the blocked-bitmask NMS in cuda/nms_kernel.cu. Torch-free and callable on
// the host, so the C++ tests run the algorithm on the CPU with an emulated grid.
//
// Boxes sorted by score form blocks of kBoxesPerBlock. mask[i, b] (`words` words per box) has bit
// j set when box i overlaps box kBoxesPerBlock * b + j, a later box of the same class. Only words
// b >= block(i) are written; the sweep reads no others.
#pragma once

#include <algorithm>
#include <cstdint>

#include "ops/geometry.h"

namespace vops::ops::cuda {

inline constexpr int kBoxesPerBlock = 64;

// Boxes in block `block` of `n` sorted boxes.
VOPS_HOST_DEVICE inline int64_t boxes_in_block(int64_t n, int64_t block) {
  return std::min<int64_t>(n - block * kBoxesPerBlock, kBoxesPerBlock);
}

// Sorted box i of `boxes` ([n, 4] contiguous) and its class (0 for all when `classes` is null).
template <typename T>
VOPS_HOST_DEVICE geometry::Box<T> sorted_box(const T* boxes, int64_t i) {
  return geometry::make_box(boxes[4 * i], boxes[4 * i + 1], boxes[4 * i + 2], boxes[4 * i + 3]);
}
VOPS_HOST_DEVICE inline int64_t box_class(const int64_t* classes, int64_t i) {
  return classes == nullptr ? 0 : classes[i];
}

// mask[i, col_block] for box i (class `row_class`) given the column block's `col_count` boxes
// and classes; col_block must not precede box i's block.
template <typename T>
VOPS_HOST_DEVICE uint64_t overlap_word(int64_t i, const geometry::Box<T>& row, int64_t row_class,
                                       int64_t col_block, const geometry::Box<T>* cols,
                                       const int64_t* col_classes, int64_t col_count,
                                       double iou_threshold) {
  const int64_t first = col_block == i / kBoxesPerBlock ? i % kBoxesPerBlock + 1 : 0;
  uint64_t bits = 0;
  for (int64_t j = first; j < col_count; ++j) {
    if (col_classes[j] == row_class && geometry::iou_exceeds(row, cols[j], iou_threshold)) {
      bits |= uint64_t{1} << j;
    }
  }
  return bits;
}

// Whether box i survives the greedy sweep so far; `removed` has a bit per box.
VOPS_HOST_DEVICE inline bool box_is_kept(const uint64_t* removed, int64_t i) {
  return !((removed[i / kBoxesPerBlock] >> (i % kBoxesPerBlock)) & 1);
}

// Removes the later boxes that kept box i overlaps: lane `lane` of `lanes` merges every lanes-th
// word from box i's own block on.
VOPS_HOST_DEVICE inline void remove_overlapped(int64_t i, int64_t words, const uint64_t* mask,
                                               uint64_t* removed, int64_t lane, int64_t lanes) {
  for (int64_t w = i / kBoxesPerBlock + lane; w < words; w += lanes) {
    removed[w] |= mask[i * words + w];
  }
}

}  // namespace vops::ops::cuda
