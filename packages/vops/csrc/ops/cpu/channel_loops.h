// Loops over the channels of one pixel in a channels-last map. Each is compiled for AVX-512,
// AVX2 and baseline x86-64 and picked at load time (GCC/Clang function multiversioning), so a
// portable wheel still runs 16 float lanes wide where the CPU allows. The build disables FMA
// contraction, so every lane computes exactly what the scalar loop would.
#pragma once

#include <cstdint>

#include "ops/geometry.h"

#if defined(__x86_64__) && defined(__GNUC__)
#define VOPS_CHANNEL_LOOP __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define VOPS_CHANNEL_LOOP
#endif

namespace vops::ops {

// acc[c] += w0*p0[c] + w1*p1[c] + w2*p2[c] + w3*p3[c], summed left to right, for one sample whose
// four taps lie in `plane` (channels-last, `channels` values per pixel).
template <typename T>
VOPS_CHANNEL_LOOP void accumulate_taps(T* __restrict acc, const T* __restrict plane,
                                       const geometry::BilinearTaps<T>& taps, int64_t channels) {
  const T* p0 = plane + taps.offset[0] * channels;
  const T* p1 = plane + taps.offset[1] * channels;
  const T* p2 = plane + taps.offset[2] * channels;
  const T* p3 = plane + taps.offset[3] * channels;
  const T w0 = taps.weight[0], w1 = taps.weight[1], w2 = taps.weight[2], w3 = taps.weight[3];
  for (int64_t c = 0; c < channels; ++c) {
    acc[c] += ((w0 * p0[c] + w1 * p1[c]) + w2 * p2[c]) + w3 * p3[c];
  }
}

// values[c] /= divisor
template <typename T>
VOPS_CHANNEL_LOOP void divide(T* __restrict values, T divisor, int64_t n) {
  for (int64_t c = 0; c < n; ++c) values[c] /= divisor;
}

// Writes a pixel-major [pixels, channels] block as channel-major [channels, pixels] rows of
// `out_stride` elements: contiguous stores into the NCHW output, strided loads from cache.
template <typename T, typename U>
void transpose_to_channels_first(const T* __restrict block, int64_t pixels, int64_t channels,
                                 U* __restrict out, int64_t out_stride) {
  for (int64_t c = 0; c < channels; ++c) {
    for (int64_t p = 0; p < pixels; ++p) {
      out[c * out_stride + p] = static_cast<U>(block[p * channels + c]);
    }
  }
}

// dst[c] += src[c] * weight / divisor
template <typename T>
VOPS_CHANNEL_LOOP void add_weighted(T* __restrict dst, const T* __restrict src, T weight, T divisor,
                                    int64_t n) {
  for (int64_t c = 0; c < n; ++c) dst[c] += src[c] * weight / divisor;
}

// Running per-channel maximum: where pixel[c] > best[c], take it and record `index`.
template <typename T>
VOPS_CHANNEL_LOOP void update_max(T* __restrict best, int32_t* __restrict where,
                                  const T* __restrict pixel, int32_t index, int64_t n) {
  for (int64_t c = 0; c < n; ++c) {
    const bool greater = pixel[c] > best[c];
    best[c] = greater ? pixel[c] : best[c];
    where[c] = greater ? index : where[c];
  }
}

}  // namespace vops::ops
