"""RoI test cases shared by tests/vops/test_roi_align.py and test_roi_pool.py."""

import struct

import torch

HEIGHT, WIDTH = 10, 12
OUTPUT_SIZE = (2, 3)

# (batch index, x1, y1, x2, y2) in feature-map coordinates; divided by spatial_scale before use.
ROIS = [
    [0, 1.3, 2.1, 7.8, 6.6],  # inside
    [1, 0.0, 0.0, 11.0, 9.0],  # the whole map
    [1, -3.2, -2.5, 4.4, 3.7],  # partly outside, top left
    [0, 8.6, 6.3, 15.1, 13.9],  # partly outside, bottom right
    [0, -9.0, -8.0, -3.0, -2.5],  # wholly outside, above and left
    [1, 13.5, 2.0, 20.0, 5.0],  # wholly outside, right
    [0, 4.0, 5.0, 4.0, 5.0],  # zero-size point
    [1, 2.5, 3.0, 2.5, 8.0],  # zero width
    [0, 6.0, 2.0, 3.0, 7.5],  # x2 < x1
    [1, 0.25, 0.75, 1.0, 1.25],  # smaller than a pixel
]


def float32(value: float) -> float:
    """Round to the nearest float32 (one rounding of the exact double result, as float math)."""
    return struct.unpack("f", struct.pack("f", value))[0]


def rounding(dtype: torch.dtype):
    """Geometry precision of the kernels: double for float64, float32 for everything else."""
    return float if dtype == torch.float64 else float32


def make_rois(dtype=torch.float64, spatial_scale=1.0, rows=ROIS):
    rois = torch.tensor(rows, dtype=torch.float64)
    rois[:, 1:] /= spatial_scale
    return rois.to(dtype)


def random_rois(count, batch_size=2, dtype=torch.float64, seed=1):
    g = torch.Generator().manual_seed(seed)
    corner = torch.rand(count, 2, generator=g, dtype=torch.float64) * 16 - 4
    size = torch.rand(count, 2, generator=g, dtype=torch.float64) * 9
    index = torch.randint(0, batch_size, (count, 1), generator=g).double()
    return torch.cat([index, corner, corner + size], dim=1).to(dtype)


# Bad arguments shared by roi_align and roi_pool, as (changes to valid arguments, the error type,
# error match). Each type is also what torchvision raises for the same mistake (see vops._errors).
BAD_ROI_ARGUMENTS = [
    (
        {"boxes": torch.zeros(3, 4)},
        AssertionError,
        r"rois must be a Tensor\[K, 5\].*Tensor\[3, 4\]",
    ),
    ({"boxes": torch.zeros(3)}, IndexError, r"rois must be a Tensor\[K, 5\]"),
    (
        {"boxes": [torch.zeros(2, 5), torch.zeros(0, 4)]},
        AssertionError,
        r"boxes\[0\] must be .*\[L, 4\]",
    ),
    ({"boxes": [torch.zeros(4)]}, IndexError, r"boxes\[0\] must be .*\[L, 4\], got Tensor\[4\]"),
    (
        {"boxes": [torch.zeros(2, 4)] * 3},
        IndexError,
        r"boxes must hold at most one Tensor\[L, 4\] per",
    ),
    ({"boxes": []}, ValueError, r"boxes must hold one Tensor\[L, 4\] per image, got an empty list"),
    ({"boxes": None}, AssertionError, r"boxes must be a Tensor\[K, 5\] or a list .*got NoneType"),
    ({"boxes": [[1.0, 1.0, 3.0, 3.0]]}, AttributeError, r"boxes\[0\] must be a float Tensor"),
    (
        {"input": torch.zeros(3, HEIGHT, WIDTH)},
        RuntimeError,
        r"input must be a float Tensor\[N, C, H, W\]",
    ),
    ({"input": torch.zeros(2, 3, 4, 4, dtype=torch.int64)}, RuntimeError, r"input must be a float"),
    (
        {"input": [torch.zeros(2, 3, 4, 4)]},
        AttributeError,
        r"input must be a float Tensor.*got list",
    ),
    ({"boxes": make_rois(torch.float64)}, RuntimeError, r"rois and input must have the same dtype"),
    (
        {"boxes": [torch.zeros(1, 4, dtype=torch.float64)] * 2},
        RuntimeError,
        r"boxes\[0\] and input",
    ),
    ({"output_size": 0}, ValueError, r"output_size must be positive"),
    ({"output_size": (2, -1)}, RuntimeError, r"output_size must be positive"),
    ({"output_size": (-2, 3)}, RuntimeError, r"output_size must be positive"),
    ({"output_size": (2, 3, 4)}, ValueError, r"output_size must be positive \(height, width\)"),
    ({"output_size": [2]}, IndexError, r"output_size must be one int or a pair"),
    ({"output_size": 2.0}, RuntimeError, r"output_size must be an int or a pair of ints"),
    ({"output_size": torch.tensor(2)}, TypeError, r"output_size must be an int or a pair of ints"),
    ({"spatial_scale": -0.5}, ValueError, r"spatial_scale must be positive"),
    ({"spatial_scale": 0.0}, ValueError, r"spatial_scale must be positive"),
]
