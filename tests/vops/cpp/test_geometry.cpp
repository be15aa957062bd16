// Unit tests of ops/geometry.h against hand-computed cases. Exit status 0 when every check passes.
#include <cmath>
#include <cstdio>
#include <limits>

#include "check.h"
#include "ops/geometry.h"

namespace g = vops::geometry;

static bool near(double a, double b) { return std::abs(a - b) < 1e-12; }

static void test_bilinear_interior_point() {
  g::BilinearTaps<double> t;
  CHECK(g::bilinear_taps<double>(4, 5, 1.25, 2.5, t));
  // (y, x) = (1.25, 2.5): rows 1-2, columns 2-3 of a 5-wide plane.
  CHECK(t.offset[0] == 1 * 5 + 2 && t.offset[1] == 1 * 5 + 3);
  CHECK(t.offset[2] == 2 * 5 + 2 && t.offset[3] == 2 * 5 + 3);
  CHECK(near(t.weight[0], 0.75 * 0.5) && near(t.weight[1], 0.75 * 0.5));
  CHECK(near(t.weight[2], 0.25 * 0.5) && near(t.weight[3], 0.25 * 0.5));
}

static void test_bilinear_clamps_near_edges() {
  g::BilinearTaps<double> t;
  // Within one pixel outside the top-left corner: clamped to pixel (0, 0) with full weight.
  CHECK(g::bilinear_taps<double>(3, 3, -0.5, -0.9, t));
  CHECK(t.offset[0] == 0 && near(t.weight[0], 1.0));
  CHECK(near(t.weight[1] + t.weight[2] + t.weight[3], 0.0));
  // Past the last row/column: every tap is the bottom-right pixel.
  CHECK(g::bilinear_taps<double>(3, 3, 2.7, 3.0, t));
  for (int i = 0; i < 4; ++i) CHECK(t.offset[i] == 8);
  CHECK(near(t.weight[0], 1.0));
}

static void test_bilinear_rejects_far_and_nan_points() {
  g::BilinearTaps<float> t;
  CHECK(!g::bilinear_taps<float>(3, 3, -1.01f, 1.f, t));
  CHECK(!g::bilinear_taps<float>(3, 3, 1.f, 3.01f, t));
  CHECK(!g::bilinear_taps<float>(3, 3, std::nanf(""), 1.f, t));
}

static void test_iou_edge_cases() {
  const auto a = g::make_box(0.0, 0.0, 2.0, 2.0);
  const auto touching = g::make_box(2.0, 0.0, 4.0, 2.0);
  const auto half = g::make_box(1.0, 0.0, 3.0, 2.0);  // IoU = 2 / 6
  const auto degenerate = g::make_box(1.0, 1.0, 1.0, 1.0);
  CHECK(g::iou_exceeds(a, a, 0.999));
  CHECK(!g::iou_exceeds(a, a, 1.0));  // strict >
  CHECK(!g::iou_exceeds(a, touching, 0.0));
  CHECK(g::iou_exceeds(a, half, 0.33) && !g::iou_exceeds(a, half, 1.0 / 3.0 + 1e-9));
  CHECK(!g::iou_exceeds(degenerate, degenerate, 0.0));  // 0 / 0 is NaN, never above
}

static void test_roi_align_grid_adaptive_and_aligned() {
  const double corners[4] = {0.0, 0.0, 14.0, 7.0};
  g::RoiAlignGrid<double> grid;
  CHECK(g::roi_align_grid(corners, 0.5, 2, 2, -1, true, grid));
  // Scaled corners (0, 0)-(7, 3.5), shifted by -0.5: bins 3.5 x 1.75 wide, 4 x 2 samples.
  CHECK(near(grid.start_x, -0.5) && near(grid.start_y, -0.5));
  CHECK(near(grid.bin_w, 3.5) && near(grid.bin_h, 1.75));
  CHECK(grid.samples_x == 4 && grid.samples_y == 2 && near(grid.count, 8.0));
  // Legacy (not aligned) mode forces a degenerate RoI to 1x1.
  const double point[4] = {3.0, 3.0, 3.0, 3.0};
  CHECK(g::roi_align_grid(point, 1.0, 1, 1, 2, false, grid));
  CHECK(near(grid.bin_w, 1.0) && near(grid.bin_h, 1.0) && near(grid.count, 4.0));
}

static void test_scale_is_rounded_to_the_compute_type_first() {
  // 45 * 0.7 is 31.4999... in double but 45 * 0.7f is exactly 31.5f, which rounds to 32: the
  // reference scales float32 corners by float(0.7).
  const float corners[4] = {45.f, 0.f, 50.f, 5.f};
  const g::RoiPoolGrid<float> grid(corners, 0.7, 1, 1, 100, 100);
  CHECK(grid.window(0, 0).w_begin == 32);
  g::RoiAlignGrid<float> align;
  CHECK(g::roi_align_grid(corners, 0.7, 1, 1, 1, false, align));
  CHECK(align.start_x == 45.f * 0.7f);
}

static void test_sample_coordinates_are_bin_centres_of_sub_cells() {
  // Bin 1 of width 2 starting at 0.5, with 2 samples: sub-cells [2.5, 3.5) and [3.5, 4.5).
  CHECK(near(g::sample_coordinate(0.5, 1, 2.0, 0, 2), 3.0));
  CHECK(near(g::sample_coordinate(0.5, 1, 2.0, 1, 2), 4.0));
}

// sample_range must return exactly the indices whose coordinate lies in [-1, limit].
template <typename T>
static void check_sample_range_against_scan(T start, int64_t bin, T bin_size, int64_t samples,
                                            int64_t limit) {
  int64_t first, last;
  g::sample_range(start, bin, bin_size, samples, limit, first, last);
  for (int64_t i = 0; i < samples; ++i) {
    const T c = g::sample_coordinate(start, bin, bin_size, i, samples);
    const bool on_map = c >= static_cast<T>(-1) && c <= static_cast<T>(limit);
    CHECK(on_map == (i >= first && i < last));
  }
}

static void test_sample_range_finds_exactly_the_points_on_the_map() {
  check_sample_range_against_scan<double>(-3.2, 0, 7.9, 40, 5);      // crosses both edges
  check_sample_range_against_scan<double>(-30.0, 1, 4.0, 10, 5);     // wholly before the map
  check_sample_range_against_scan<float>(2.0f, 2, -1.5f, 25, 6);     // negative bin (aligned)
  check_sample_range_against_scan<float>(-1e6f, 3, 1e6f, 4096, 63);  // huge RoI, small map
  check_sample_range_against_scan<float>(0.f, 0, 0.f, 3, 4);         // zero-size bin
}

static void test_roi_align_plan_skips_points_off_the_map() {
  const double corners[4] = {-10.0, -10.0, 2.0, 2.0};
  g::RoiAlignGrid<double> grid;
  CHECK(g::roi_align_grid(corners, 1.0, 2, 2, 1, false, grid));
  g::RoiAlignPlan<double> plan;
  plan.build(grid, 4, 4, 2, 2);
  // Sample centres at -7 and -1: only the bottom-right bin's (-1, -1) lies within a pixel.
  CHECK(plan.bin_start.size() == 5);
  CHECK(plan.bin_start[3] == 0 && plan.bin_start[4] == 1);
}

static void test_roi_corners_usable() {
  const double ok[4] = {0, 0, 10, 10};
  const double nan[4] = {0, std::nan(""), 10, 10};
  const double huge[4] = {0, 0, 1e300, 10};
  CHECK(g::roi_corners_usable(ok, 1.0));
  CHECK(!g::roi_corners_usable(nan, 1.0));
  CHECK(!g::roi_corners_usable(huge, 1.0));
}

static void test_roi_pool_windows() {
  // RoI (1, 1)-(4, 4) -> 4x4 pixels split into 2x2 bins of 2x2 pixels.
  const double corners[4] = {1.0, 1.0, 4.0, 4.0};
  const g::RoiPoolGrid<double> grid(corners, 1.0, 2, 2, 10, 10);
  const auto w = grid.window(1, 0);
  CHECK(w.h_begin == 3 && w.h_end == 5 && w.w_begin == 1 && w.w_end == 3 && !w.empty());
  // A RoI entirely right of a 4-pixel-wide map yields empty windows.
  const double outside[4] = {6.0, 0.0, 8.0, 2.0};
  const g::RoiPoolGrid<double> off(outside, 1.0, 1, 1, 4, 4);
  CHECK(off.window(0, 0).empty());
}

int main() {
  test_bilinear_interior_point();
  test_bilinear_clamps_near_edges();
  test_bilinear_rejects_far_and_nan_points();
  test_iou_edge_cases();
  test_roi_align_grid_adaptive_and_aligned();
  test_scale_is_rounded_to_the_compute_type_first();
  test_sample_coordinates_are_bin_centres_of_sub_cells();
  test_sample_range_finds_exactly_the_points_on_the_map();
  test_roi_align_plan_skips_points_off_the_map();
  test_roi_corners_usable();
  test_roi_pool_windows();
  if (check_failures() == 0) std::printf("all geometry checks passed\n");
  return check_failures() == 0 ? 0 : 1;
}
