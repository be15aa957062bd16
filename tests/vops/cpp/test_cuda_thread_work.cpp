// The per-thread work of the CUDA kernels (ops/cuda/*_thread.h, nms_blocks.h), run on the CPU with
// the kernels' grids emulated by loops, against naive references written here. This checks the
// CUDA code paths on machines without a GPU; the CUDA tests in tests/vops/test_cuda_ops.py compare
// the real kernels with the CPU kernels where a GPU is present.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <random>
#include <stdexcept>
#include <vector>

#include "check.h"
#include "ops/cuda/nms_blocks.h"
#include "ops/cuda/roi_align_thread.h"
#include "ops/cuda/roi_pool_thread.h"

namespace g = vops::geometry;
namespace cu = vops::ops::cuda;

namespace {

std::mt19937_64 rng(20261125);

double uniform(double lo, double hi) { return std::uniform_real_distribution<double>(lo, hi)(rng); }
int64_t integer(int64_t lo, int64_t hi) {  // in [lo, hi]
  return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
}

const auto plain_add = [](auto* address, auto value) { *address += value; };

// ---------------------------------------------------------------------------------------------
// NMS

// Boxes [n, 4] already in score order, crowded enough that many pairs overlap.
template <typename T>
std::vector<T> crowded_boxes(int64_t n) {
  std::vector<T> boxes;
  for (int64_t i = 0; i < n; ++i) {
    const double x = uniform(0, 60), y = uniform(0, 60), w = uniform(2, 30), h = uniform(2, 30);
    for (double v : {x, y, x + w, y + h}) boxes.push_back(static_cast<T>(v));
  }
  return boxes;
}

// Textbook greedy NMS: keep the best remaining box, drop every later box of its class whose IoU
// with it is above the threshold.
template <typename T>
std::vector<bool> greedy_nms(const std::vector<T>& b, const std::vector<int64_t>& classes,
                             double threshold) {
  const size_t n = b.size() / 4;
  std::vector<bool> keep(n, false), dropped(n, false);
  for (size_t i = 0; i < n; ++i) {
    if (dropped[i]) continue;
    keep[i] = true;
    for (size_t j = i + 1; j < n; ++j) {
      if (!classes.empty() && classes[i] != classes[j]) continue;
      const T area_i = (b[4 * i + 2] - b[4 * i]) * (b[4 * i + 3] - b[4 * i + 1]);
      const T area_j = (b[4 * j + 2] - b[4 * j]) * (b[4 * j + 3] - b[4 * j + 1]);
      const T w =
          std::max(T(0), std::min(b[4 * i + 2], b[4 * j + 2]) - std::max(b[4 * i], b[4 * j]));
      const T h = std::max(
          T(0), std::min(b[4 * i + 3], b[4 * j + 3]) - std::max(b[4 * i + 1], b[4 * j + 1]));
      const T inter = w * h;
      if (static_cast<double>(inter / (area_i + area_j - inter)) > threshold) dropped[j] = true;
    }
  }
  return keep;
}

// nms_kernel.cu's two launches with their grids as loops: the mask kernel's (column block, row
// block) thread blocks of kBoxesPerBlock threads, then the sweep's one block of `lanes` threads.
template <typename T>
std::vector<bool> emulated_cuda_nms(const std::vector<T>& boxes,
                                    const std::vector<int64_t>& classes, double threshold,
                                    int64_t lanes) {
  const int64_t n = static_cast<int64_t>(boxes.size() / 4);
  const int64_t words = (n + cu::kBoxesPerBlock - 1) / cu::kBoxesPerBlock;
  const int64_t* class_ptr = classes.empty() ? nullptr : classes.data();
  // Words the kernel leaves unwritten hold whatever at::empty's memory held.
  std::vector<uint64_t> mask(static_cast<size_t>(n * words), ~uint64_t{0});
  for (int64_t row_block = 0; row_block < words; ++row_block) {
    for (int64_t col_block = row_block; col_block < words; ++col_block) {
      g::Box<T> cols[cu::kBoxesPerBlock];
      int64_t col_classes[cu::kBoxesPerBlock];
      const int64_t col_count = cu::boxes_in_block(n, col_block);
      for (int64_t t = 0; t < col_count; ++t) {
        cols[t] = cu::sorted_box(boxes.data(), col_block * cu::kBoxesPerBlock + t);
        col_classes[t] = cu::box_class(class_ptr, col_block * cu::kBoxesPerBlock + t);
      }
      for (int64_t t = 0; t < cu::boxes_in_block(n, row_block); ++t) {
        const int64_t i = row_block * cu::kBoxesPerBlock + t;
        mask[i * words + col_block] =
            cu::overlap_word(i, cu::sorted_box(boxes.data(), i), cu::box_class(class_ptr, i),
                             col_block, cols, col_classes, col_count, threshold);
      }
    }
  }
  std::vector<uint64_t> removed(static_cast<size_t>(words), 0);
  std::vector<bool> keep(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    keep[i] = cu::box_is_kept(removed.data(), i);
    if (!keep[i]) continue;
    for (int64_t lane = 0; lane < lanes; ++lane) {
      cu::remove_overlapped(i, words, mask.data(), removed.data(), lane, lanes);
    }
  }
  return keep;
}

template <typename T>
void test_nms_blocks_match_greedy_nms() {
  int64_t cases = 0, kept_total = 0, boxes_total = 0;
  for (int64_t n : {1, 2, 63, 64, 65, 128, 129, 300}) {
    const std::vector<T> boxes = crowded_boxes<T>(n);
    std::vector<int64_t> classes(static_cast<size_t>(n));
    for (auto& c : classes) c = integer(0, 3);
    for (const auto& cls : {std::vector<int64_t>{}, classes}) {
      for (double threshold : {-0.1, 0.0, 0.3, 0.7}) {
        const std::vector<bool> expected = greedy_nms(boxes, cls, threshold);
        for (int64_t lanes : {1, 3, 1024}) {
          CHECK(emulated_cuda_nms(boxes, cls, threshold, lanes) == expected);
          ++cases;
        }
        kept_total += std::count(expected.begin(), expected.end(), true);
        boxes_total += n;
      }
    }
  }
  // The cases must exercise suppression, not keep everything.
  CHECK(cases == 8 * 2 * 4 * 3);
  CHECK(kept_total > boxes_total / 10 && kept_total < boxes_total * 9 / 10);
}

// ---------------------------------------------------------------------------------------------
// RoIAlign and RoIPool

struct Map {  // [N, C, H, W] contiguous
  int64_t batch, channels, height, width;
  std::vector<double> values;
  double at(int64_t n, int64_t c, int64_t y, int64_t x) const {
    return values[static_cast<size_t>(((n * channels + c) * height + y) * width + x)];
  }
};

Map random_map(int64_t batch, int64_t channels, int64_t height, int64_t width) {
  Map m{batch, channels, height, width, {}};
  m.values.resize(static_cast<size_t>(batch * channels * height * width));
  for (auto& v : m.values) v = std::round(uniform(-8, 8)) / 8;  // ties: the first maximum wins
  return m;
}

// RoIs [K, 5] in image coordinates around a map of `extent` pixels: inside, across the border,
// degenerate (zero width), reversed corners and far larger than the map.
std::vector<double> varied_rois(int64_t batch, double extent) {
  std::vector<double> rois;
  const auto add = [&](double b, double x1, double y1, double x2, double y2) {
    for (double v : {b, x1, y1, x2, y2}) rois.push_back(v);
  };
  for (int i = 0; i < 12; ++i) {
    const double x = uniform(-0.3, 1.0) * extent, y = uniform(-0.3, 1.0) * extent;
    add(static_cast<double>(integer(0, batch - 1)), x, y, x + uniform(0.5, 0.6) * extent,
        y + uniform(0.5, 0.6) * extent);
  }
  add(0, 3, 3, 3, 7);
  add(batch - 1, 9, 8, 2, 1);
  add(0, -4 * extent, -3 * extent, 5 * extent, 4 * extent);
  return rois;
}

// Textbook bilinear interpolation of plane (n, c), zero more than one pixel off the map.
double bilinear(const Map& m, int64_t n, int64_t c, double y, double x) {
  if (y < -1 || y > static_cast<double>(m.height) || x < -1 || x > static_cast<double>(m.width)) {
    return 0;
  }
  y = std::min(std::max(y, 0.0), static_cast<double>(m.height - 1));
  x = std::min(std::max(x, 0.0), static_cast<double>(m.width - 1));
  const auto y0 = static_cast<int64_t>(std::floor(y)), x0 = static_cast<int64_t>(std::floor(x));
  const int64_t y1 = std::min(y0 + 1, m.height - 1), x1 = std::min(x0 + 1, m.width - 1);
  const double ly = y - static_cast<double>(y0), lx = x - static_cast<double>(x0);
  return (1 - ly) * (1 - lx) * m.at(n, c, y0, x0) + (1 - ly) * lx * m.at(n, c, y0, x1) +
         ly * (1 - lx) * m.at(n, c, y1, x0) + ly * lx * m.at(n, c, y1, x1);
}

// RoIAlign as the Mask R-CNN paper and Detectron define it, one output element at a time.
std::vector<double> naive_roi_align(const Map& m, const std::vector<double>& rois, double scale,
                                    int64_t ph_count, int64_t pw_count, int64_t sampling_ratio,
                                    bool aligned) {
  std::vector<double> out;
  const double offset = aligned ? 0.5 : 0.0;
  for (size_t k = 0; k < rois.size() / 5; ++k) {
    const double* r = &rois[5 * k];
    const double x1 = r[1] * scale - offset, y1 = r[2] * scale - offset;
    double w = r[3] * scale - offset - x1, h = r[4] * scale - offset - y1;
    if (!aligned) w = std::max(w, 1.0), h = std::max(h, 1.0);
    const double bin_w = w / static_cast<double>(pw_count),
                 bin_h = h / static_cast<double>(ph_count);
    const auto sy = static_cast<int64_t>(sampling_ratio > 0 ? sampling_ratio : std::ceil(bin_h));
    const auto sx = static_cast<int64_t>(sampling_ratio > 0 ? sampling_ratio : std::ceil(bin_w));
    for (int64_t c = 0; c < m.channels; ++c) {
      for (int64_t ph = 0; ph < ph_count; ++ph) {
        for (int64_t pw = 0; pw < pw_count; ++pw) {
          double sum = 0;
          for (int64_t iy = 0; iy < sy; ++iy) {
            for (int64_t ix = 0; ix < sx; ++ix) {
              const double y = y1 + static_cast<double>(ph) * bin_h +
                               (static_cast<double>(iy) + 0.5) * bin_h / static_cast<double>(sy);
              const double x = x1 + static_cast<double>(pw) * bin_w +
                               (static_cast<double>(ix) + 0.5) * bin_w / static_cast<double>(sx);
              sum += bilinear(m, static_cast<int64_t>(r[0]), c, y, x);
            }
          }
          out.push_back(sum / static_cast<double>(std::max<int64_t>(sy * sx, 1)));
        }
      }
    }
  }
  return out;
}

double dot(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}

bool close(double a, double b, double tolerance) {
  return std::abs(a - b) <= tolerance * std::max(1.0, std::abs(b));
}

// A [K, C, PH, PW] gradient stored channels-last ([K, PH, PW, C]), to exercise the strides.
struct ChannelsLastGrad {
  std::vector<double> storage;
  cu::PooledStrides strides;
  int64_t k_count, channels, ph_count, pw_count;
  double at(int64_t index) const {  // index into the logical [K, C, PH, PW]
    const cu::PooledPosition p(index, channels, ph_count, pw_count);
    return storage[static_cast<size_t>(p.k * strides.k + p.c * strides.c + p.ph * strides.ph +
                                       p.pw * strides.pw)];
  }
};

ChannelsLastGrad random_grad(int64_t k_count, int64_t channels, int64_t ph, int64_t pw) {
  ChannelsLastGrad g{{}, {ph * pw * channels, 1, pw * channels, channels}, k_count, channels, ph,
                     pw};
  g.storage.resize(static_cast<size_t>(k_count * channels * ph * pw));
  for (auto& v : g.storage) v = uniform(-1, 1);
  return g;
}

void test_roi_align_thread_work_matches_naive_roi_align() {
  const Map m = random_map(2, 3, 7, 9);
  int64_t checked = 0;
  for (double scale : {1.0, 0.5}) {
    const std::vector<double> rois = varied_rois(m.batch, 9 / scale);
    const int64_t k_count = static_cast<int64_t>(rois.size() / 5);
    for (int64_t sampling_ratio : {-1, 2}) {
      for (bool aligned : {false, true}) {
        const int64_t ph = 3, pw = 4;
        const cu::RoiAlignParams p{m.batch, m.channels, m.height,       m.width, ph,
                                   pw,      scale,      sampling_ratio, aligned};
        const int64_t total = k_count * m.channels * ph * pw;
        std::vector<double> out(static_cast<size_t>(total));
        for (int64_t index = 0; index < total; ++index) {
          cu::roi_align_forward_element(index, m.values.data(), rois.data(), p, out.data());
        }
        const std::vector<double> expected =
            naive_roi_align(m, rois, scale, ph, pw, sampling_ratio, aligned);
        for (int64_t index = 0; index < total; ++index) {
          CHECK(close(out[index], expected[index], 1e-12));
          checked += out[index] != 0;
        }
        // Backward is forward's adjoint: <grad, forward(x)> = <backward(grad), x>.
        const ChannelsLastGrad grad = random_grad(k_count, m.channels, ph, pw);
        std::vector<double> grad_input(m.values.size(), 0.0), grad_logical;
        for (int64_t index = 0; index < total; ++index) {
          cu::roi_align_backward_element(index, grad.storage.data(), grad.strides, rois.data(), p,
                                         grad_input.data(), plain_add);
          grad_logical.push_back(grad.at(index));
        }
        CHECK(close(dot(grad_logical, out), dot(grad_input, m.values), 1e-12));
      }
    }
  }
  CHECK(checked > 1000);  // the cases sample the map, not only empty space
}

void test_roi_align_thread_work_on_unusable_and_misplaced_rois() {
  const Map m = random_map(1, 2, 4, 4);
  const double inf = std::numeric_limits<double>::infinity();
  const std::vector<double> rois{0, 1, 1, inf, 3};
  const cu::RoiAlignParams p{1, 2, 4, 4, 2, 2, 1.0, -1, true};
  std::vector<double> out(8, 0.0), grad(8, 1.0), grad_input(m.values.size(), 0.0);
  for (int64_t index = 0; index < 8; ++index) {
    cu::roi_align_forward_element(index, m.values.data(), rois.data(), p, out.data());
    cu::roi_align_backward_element(index, grad.data(), cu::PooledStrides{8, 4, 2, 1}, rois.data(),
                                   p, grad_input.data(), plain_add);
  }
  for (double v : out) CHECK(std::isnan(v));
  for (double v : grad_input) CHECK(v == 0.0);
  const std::vector<double> wrong_image{1, 0, 0, 2, 2};  // batch index 1 of a batch of 1
  bool thrown = false;
  try {
    cu::roi_align_forward_element(0, m.values.data(), wrong_image.data(), p, out.data());
  } catch (const std::out_of_range&) {
    thrown = true;
  }
  CHECK(thrown);
}

// RoIPool as Fast R-CNN defines it: corners rounded to pixels, bins split with floor and ceil, the
// first maximum in row-major order (argmax -1 and value 0 for an empty bin).
void naive_roi_pool(const Map& m, const std::vector<double>& rois, double scale, int64_t ph_count,
                    int64_t pw_count, std::vector<double>& out, std::vector<int32_t>& argmax) {
  for (size_t k = 0; k < rois.size() / 5; ++k) {
    const double* r = &rois[5 * k];
    const auto x1 = static_cast<int64_t>(std::round(r[1] * scale));
    const auto y1 = static_cast<int64_t>(std::round(r[2] * scale));
    const auto x2 = static_cast<int64_t>(std::round(r[3] * scale));
    const auto y2 = static_cast<int64_t>(std::round(r[4] * scale));
    const double bin_h = static_cast<double>(std::max<int64_t>(y2 - y1 + 1, 1)) / ph_count;
    const double bin_w = static_cast<double>(std::max<int64_t>(x2 - x1 + 1, 1)) / pw_count;
    const auto clip = [](double v, int64_t hi) {
      return std::min<int64_t>(std::max<int64_t>(static_cast<int64_t>(v), 0), hi);
    };
    for (int64_t c = 0; c < m.channels; ++c) {
      for (int64_t ph = 0; ph < ph_count; ++ph) {
        for (int64_t pw = 0; pw < pw_count; ++pw) {
          const int64_t h0 = clip(std::floor(ph * bin_h) + y1, m.height);
          const int64_t h1 = clip(std::ceil((ph + 1) * bin_h) + y1, m.height);
          const int64_t w0 = clip(std::floor(pw * bin_w) + x1, m.width);
          const int64_t w1 = clip(std::ceil((pw + 1) * bin_w) + x1, m.width);
          double best = h1 > h0 && w1 > w0 ? -std::numeric_limits<double>::infinity() : 0.0;
          int32_t where = -1;
          for (int64_t y = h0; y < h1; ++y) {
            for (int64_t x = w0; x < w1; ++x) {
              if (m.at(static_cast<int64_t>(r[0]), c, y, x) > best) {
                best = m.at(static_cast<int64_t>(r[0]), c, y, x);
                where = static_cast<int32_t>(y * m.width + x);
              }
            }
          }
          out.push_back(best);
          argmax.push_back(where);
        }
      }
    }
  }
}

void test_roi_pool_thread_work_matches_naive_roi_pool() {
  const Map m = random_map(2, 3, 7, 9);
  int64_t filled = 0, empty = 0;
  for (double scale : {1.0, 0.5}) {
    const std::vector<double> rois = varied_rois(m.batch, 9 / scale);
    const int64_t k_count = static_cast<int64_t>(rois.size() / 5), ph = 3, pw = 2;
    const cu::RoiPoolParams p{m.batch, m.channels, m.height, m.width, ph, pw, scale};
    const int64_t total = k_count * m.channels * ph * pw;
    std::vector<double> out(static_cast<size_t>(total)), expected;
    std::vector<int32_t> argmax(static_cast<size_t>(total)), expected_argmax;
    for (int64_t index = 0; index < total; ++index) {
      cu::roi_pool_forward_element(index, m.values.data(), rois.data(), p, out.data(),
                                   argmax.data());
    }
    naive_roi_pool(m, rois, scale, ph, pw, expected, expected_argmax);
    CHECK(out == expected && argmax == expected_argmax);
    for (int32_t a : argmax) (a == -1 ? empty : filled) += 1;
    // Backward adds each gradient to the pixel its maximum came from.
    std::vector<double> grad(static_cast<size_t>(total)), grad_input(m.values.size(), 0.0);
    std::vector<double> scattered(m.values.size(), 0.0);
    for (int64_t index = 0; index < total; ++index) {
      grad[index] = uniform(-1, 1);
      cu::roi_pool_backward_element(index, grad.data(), argmax.data(), rois.data(), p,
                                    grad_input.data(), plain_add);
      if (argmax[index] == -1) continue;
      const cu::PooledPosition pos(index, m.channels, ph, pw);
      const auto n = static_cast<int64_t>(rois[5 * pos.k]);
      scattered[static_cast<size_t>((n * m.channels + pos.c) * m.height * m.width +
                                    argmax[index])] += grad[index];
    }
    CHECK(grad_input == scattered);
  }
  CHECK(filled > 100 && empty > 0);
}

void test_roi_pool_thread_work_on_unusable_rois_and_bad_argmax() {
  const Map m = random_map(1, 1, 4, 4);
  const std::vector<double> rois{0, std::nan(""), 0, 2, 2};
  const cu::RoiPoolParams p{1, 1, 4, 4, 1, 1, 1.0};
  double out = 0;
  int32_t argmax = 0;
  cu::roi_pool_forward_element(0, m.values.data(), rois.data(), p, &out, &argmax);
  CHECK(std::isnan(out) && argmax == -1);
  const std::vector<double> usable{0, 0, 0, 2, 2};
  const int32_t off_the_map = 16;
  double grad = 1, grad_input[16] = {};
  bool thrown = false;
  try {
    cu::roi_pool_backward_element(0, &grad, &off_the_map, usable.data(), p, grad_input, plain_add);
  } catch (const std::out_of_range&) {
    thrown = true;
  }
  CHECK(thrown);
}

}  // namespace

int main() {
  test_nms_blocks_match_greedy_nms<float>();
  test_nms_blocks_match_greedy_nms<double>();
  test_roi_align_thread_work_matches_naive_roi_align();
  test_roi_align_thread_work_on_unusable_and_misplaced_rois();
  test_roi_pool_thread_work_matches_naive_roi_pool();
  test_roi_pool_thread_work_on_unusable_rois_and_bad_argmax();
  if (check_failures() == 0) std::printf("all CUDA thread-work checks passed\n");
  return check_failures() == 0 ? 0 : 1;
}
