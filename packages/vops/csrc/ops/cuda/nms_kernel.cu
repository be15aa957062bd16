// Greedy non-maximum suppression on CUDA, blocked-bitmask algorithm (thread work in nms_blocks.h).
//
// Boxes sorted by score are split into blocks of 64. One thread block compares a row block with a
// column block and records, per row box, a 64-bit mask of the later boxes it overlaps (IoU above
// the threshold, same class). One more thread block then sweeps the boxes in score order on the
// device, keeping a box unless a kept box's mask marked it. The only device-to-host
// synchronisation sizes the result.
#include <ATen/ATen.h>
#include <ATen/OpMathType.h>
#include <ATen/cuda/CUDAContext.h>
#include <c10/cuda/CUDAGuard.h>
#include <torch/library.h>

#include "ops/checks.h"
#include "ops/cuda/nms_blocks.h"
#include "ops/geometry.h"

namespace vops::ops::cuda {
namespace {

// One thread block per (row block, column block) pair with row <= column: thread t writes
// mask[row block's box t, column block].
template <typename T>
__global__ void overlap_mask_kernel(int64_t n, const T* boxes, const int64_t* classes,
                                    double iou_threshold, int64_t words, uint64_t* mask) {
  const int64_t row_block = blockIdx.y, col_block = blockIdx.x;
  if (row_block > col_block) return;
  __shared__ geometry::Box<T> cols[kBoxesPerBlock];
  __shared__ int64_t col_classes[kBoxesPerBlock];
  const int64_t col_count = boxes_in_block(n, col_block);
  if (threadIdx.x < col_count) {
    const int64_t j = col_block * kBoxesPerBlock + threadIdx.x;
    cols[threadIdx.x] = sorted_box(boxes, j);
    col_classes[threadIdx.x] = box_class(classes, j);
  }
  __syncthreads();
  if (threadIdx.x >= boxes_in_block(n, row_block)) return;
  const int64_t i = row_block * kBoxesPerBlock + threadIdx.x;
  mask[i * words + col_block] =
      overlap_word(i, sorted_box(boxes, i), box_class(classes, i), col_block, cols, col_classes,
                   col_count, iou_threshold);
}

// Sequential greedy pass over the masks by one thread block; `removed` has `words` words, in
// shared memory when it fits, else in global memory.
__global__ void sweep_kernel(int64_t n, int64_t words, const uint64_t* mask, uint64_t* removed,
                             bool* keep) {
  extern __shared__ uint64_t shared_removed[];
  uint64_t* flags = removed == nullptr ? shared_removed : removed;
  for (int64_t w = threadIdx.x; w < words; w += blockDim.x) flags[w] = 0;
  __syncthreads();
  for (int64_t i = 0; i < n; ++i) {
    const bool kept = box_is_kept(flags, i);
    __syncthreads();  // everyone has read the word before anyone updates it
    if (threadIdx.x == 0) keep[i] = kept;
    if (kept) remove_overlapped(i, words, mask, flags, threadIdx.x, blockDim.x);
    __syncthreads();
  }
}

at::Tensor nms_cuda(const at::Tensor& boxes, const int64_t* classes_ptr, const at::Tensor& order,
                    double iou_threshold) {
  const int64_t n = boxes.size(0);
  const int64_t words = (n + kBoxesPerBlock - 1) / kBoxesPerBlock;
  TORCH_CHECK(words <= 65535, "nms on CUDA supports at most ", 65535 * kBoxesPerBlock,
              " boxes, got ", n);
  const auto stream = at::cuda::getCurrentCUDAStream();
  at::Tensor mask = at::empty({n, words}, boxes.options().dtype(at::kLong));
  at::Tensor keep = at::empty({n}, boxes.options().dtype(at::kBool));
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, boxes.scalar_type(), "nms_cuda", [&] {
    using T = at::opmath_type<scalar_t>;
    const at::Tensor sorted =
        boxes.index_select(0, order).to(c10::CppTypeToScalarType<T>::value).contiguous();
    const dim3 grid(static_cast<unsigned int>(words), static_cast<unsigned int>(words));
    overlap_mask_kernel<T><<<grid, kBoxesPerBlock, 0, stream>>>(
        n, sorted.data_ptr<T>(), classes_ptr, iou_threshold, words,
        reinterpret_cast<uint64_t*>(mask.data_ptr<int64_t>()));
    C10_CUDA_KERNEL_LAUNCH_CHECK();
  });
  constexpr int64_t kMaxSharedWords = 32 * 1024 / sizeof(uint64_t);
  at::Tensor removed;
  size_t shared_bytes = 0;
  if (words <= kMaxSharedWords) {
    shared_bytes = static_cast<size_t>(words) * sizeof(uint64_t);
  } else {
    removed = at::empty({words}, boxes.options().dtype(at::kLong));
  }
  sweep_kernel<<<1, 1024, shared_bytes, stream>>>(
      n, words, reinterpret_cast<const uint64_t*>(mask.data_ptr<int64_t>()),
      removed.defined() ? reinterpret_cast<uint64_t*>(removed.data_ptr<int64_t>()) : nullptr,
      keep.data_ptr<bool>());
  C10_CUDA_KERNEL_LAUNCH_CHECK();
  return order.index_select(0, at::nonzero(keep).squeeze(1));
}

at::Tensor sorted_order(const at::Tensor& scores) {
  return std::get<1>(scores.sort(/*stable=*/true, /*dim=*/0, /*descending=*/true));
}

at::Tensor nms_kernel(const at::Tensor& boxes, const at::Tensor& scores, double iou_threshold) {
  check_nms_inputs(boxes, scores);
  if (boxes.size(0) == 0) return at::empty({0}, boxes.options().dtype(at::kLong));
  const c10::cuda::CUDAGuard device_guard(boxes.device());
  return nms_cuda(boxes, nullptr, sorted_order(scores), iou_threshold);
}

at::Tensor batched_nms_kernel(const at::Tensor& boxes, const at::Tensor& scores,
                              const at::Tensor& idxs, double iou_threshold) {
  check_nms_inputs(boxes, scores);
  check_batched_nms_idxs(idxs, boxes);
  if (boxes.size(0) == 0) return at::empty({0}, boxes.options().dtype(at::kLong));
  const c10::cuda::CUDAGuard device_guard(boxes.device());
  const at::Tensor order = sorted_order(scores);
  const at::Tensor classes = idxs.index_select(0, order).to(at::kLong).contiguous();
  return nms_cuda(boxes, classes.data_ptr<int64_t>(), order, iou_threshold);
}

}  // namespace

TORCH_LIBRARY_IMPL(vops, CUDA, m) {
  m.impl("nms", TORCH_FN(nms_kernel));
  m.impl("batched_nms", TORCH_FN(batched_nms_kernel));
}

}  // namespace vops::ops::cuda
