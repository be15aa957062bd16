"""The peak of each heatmap resized (bicubic, ``align_corners=False``) to its own size, for all
heatmaps at once and without building the resized maps.

Each output pixel reads the 4x4 source cells around its source coordinate, with the cubic
convolution weights (A = -0.75) of its fractional offset; the pixels whose source coordinates
share a floor (a "cell") read the same 4x4 patch. The weights bound each cell's values from the
patch alone (:func:`_cell_bounds`), so only the cells whose bound reaches the value of one known
pixel can hold the peak: those cells' pixels are evaluated exactly, and the first maximum in
row-major order is kept, as ``argmax`` over the resized map would.
"""

import torch
from torch import Tensor


# TorchScript reads no module-level numbers: the constants are spelled where they are used.
def _near_weight(x: Tensor) -> Tensor:
    a = -0.75  # the cubic convolution constant A of torch's bicubic interpolation
    return ((a + 2) * x - (a + 3)) * x * x + 1


def _far_weight(x: Tensor) -> Tensor:
    a = -0.75
    return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a


def _cubic_weights(offset: Tensor) -> Tensor:
    """``Tensor[..., 4]``: the cubic convolution weights of taps ``-1, 0, 1, 2`` at ``offset``."""
    return torch.stack(
        [
            _far_weight(offset + 1),
            _near_weight(offset),
            _near_weight(1 - offset),
            _far_weight(2 - offset),
        ],
        -1,
    )


def _source_coordinate(pixels: Tensor, scale: Tensor) -> Tensor:
    return scale * (pixels.to(scale.dtype) + 0.5) - 0.5


def _axis(
    cells: Tensor, scale: Tensor, size: Tensor, block: int, source: int
) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """For candidate ``cells`` along one axis: the first pixel of each block, the 4 source taps,
    the weights ``Tensor[N, block, 4]`` (zero for pixels outside the cell or the map)."""
    first = (((cells.to(scale.dtype) + 0.5) / scale - 0.5).floor().long() - 1).clamp(min=0)
    pixels = first[:, None] + torch.arange(block, device=cells.device)
    coordinate = _source_coordinate(pixels, scale[:, None])
    floor = coordinate.floor()
    inside = (floor.long() == cells[:, None]) & (pixels < size[:, None])
    weights = _cubic_weights(coordinate - floor) * inside[..., None]
    taps = (cells[:, None] + torch.arange(-1, 3, device=cells.device)).clamp(0, source - 1)
    return first, taps, weights, inside


def _block_peaks(
    heatmaps: Tensor,
    rows: Tensor,
    cols: Tensor,
    map_id: Tensor,
    roi: Tensor,
    scales: tuple[Tensor, Tensor],
    sizes: tuple[Tensor, Tensor],
    blocks: tuple[int, int],
) -> tuple[Tensor, Tensor]:
    """The maximum of each candidate cell's pixels and its flat row-major index in its map."""
    source = heatmaps.size(-1)
    first_y, taps_y, weights_y, inside_y = _axis(
        rows, scales[0][roi], sizes[0][roi], blocks[0], source
    )
    first_x, taps_x, weights_x, inside_x = _axis(
        cols, scales[1][roi], sizes[1][roi], blocks[1], source
    )
    flat = heatmaps.reshape(-1, source, source)
    patches = flat[map_id[:, None, None], taps_y[:, :, None], taps_x[:, None, :]]
    values = torch.bmm(torch.bmm(weights_y, patches), weights_x.transpose(1, 2))
    inside = inside_y[:, :, None] & inside_x[:, None, :]
    values = values.masked_fill(~inside, float("-inf")).flatten(1)
    position = values.argmax(dim=1)
    peak = values.gather(1, position[:, None])[:, 0]
    y = first_y + torch.div(position, blocks[1], rounding_mode="floor")
    x = first_x + position % blocks[1]
    return peak, y * sizes[1][roi] + x


def resized_heatmap_peaks(
    heatmaps: Tensor, heights: Tensor, widths: Tensor
) -> tuple[Tensor, Tensor, Tensor]:
    """Where each heatmap peaks once resized to its own height and width.

    Args:
        heatmaps: ``Tensor[K, P, S, S]``.
        heights, widths: int64 ``Tensor[K]``, each at least 1: the resized size of map ``k``.

    Returns:
        ``(y, x, value)``: ``Tensor[K, P]`` each, the pixel of the first maximum (row-major) of
        ``interpolate(heatmaps[k], size=(heights[k], widths[k]), mode="bicubic")`` and its value,
        up to float rounding of the interpolation.
    """
    count, num_maps, source, _ = heatmaps.shape
    heatmaps = heatmaps.float()
    # A true division, as torch's kernels compute it: `source / tensor` multiplies by a reciprocal.
    scale_y = torch.full_like(heights, source).float() / heights.float()
    scale_x = torch.full_like(widths, source).float() / widths.float()
    block_h = _block_side(heights, source)
    block_w = _block_side(widths, source)
    scales = (scale_y, scale_x)
    sizes = (heights, widths)
    blocks = (block_h, block_w)
    maps = count * num_maps
    roi_of_map = torch.arange(count, device=heatmaps.device).repeat_interleave(num_maps)

    # A lower bound on each peak: the pixel nearest the source maximum, evaluated exactly.
    source_peak = heatmaps.reshape(maps, source * source).argmax(dim=1)
    pixel_y = _nearest_pixel(
        torch.div(source_peak, source, rounding_mode="floor"), scale_y, roi_of_map, heights
    )
    pixel_x = _nearest_pixel(source_peak % source, scale_x, roi_of_map, widths)
    cell_y = _source_coordinate(pixel_y, scale_y[roi_of_map]).floor().long()
    cell_x = _source_coordinate(pixel_x, scale_x[roi_of_map]).floor().long()
    all_maps = torch.arange(maps, device=heatmaps.device)
    known, _ = _block_peaks(heatmaps, cell_y, cell_x, all_maps, roi_of_map, scales, sizes, blocks)

    bound = _cell_bounds(heatmaps.reshape(maps, source, source))
    # Room for rounding between the bound and the evaluated values.
    bound = bound + 1e-5 * (bound.abs() + known.abs()[:, None, None] + 1)
    candidate = torch.nonzero(bound >= known[:, None, None])
    map_id = candidate[:, 0]
    peaks, flat_index = _block_peaks(
        heatmaps,
        candidate[:, 1] - 1,
        candidate[:, 2] - 1,
        map_id,
        roi_of_map[map_id],
        scales,
        sizes,
        blocks,
    )

    best = heatmaps.new_full((maps,), float("-inf")).scatter_reduce(
        0, map_id, peaks, reduce="amax", include_self=True
    )
    last = heights * widths
    flat_index = torch.where(peaks == best[map_id], flat_index, last[roi_of_map[map_id]])
    first = last[roi_of_map].scatter_reduce(0, map_id, flat_index, reduce="amin", include_self=True)
    width_of_map = widths[roi_of_map]
    x = first % width_of_map
    y = torch.div(first, width_of_map, rounding_mode="floor")
    shape = (count, num_maps)
    return y.reshape(shape), x.reshape(shape), best.reshape(shape)


def _block_side(sizes: Tensor, source: int) -> int:
    """Pixels per cell along an axis are at most ``ceil(size / S) + 1``; two more for the block's
    first pixel, which is guessed one early."""
    largest = torch.cat([sizes, sizes.new_ones(1)]).max()
    cell_pixels = torch.div(largest + source - 1, source, rounding_mode="floor")
    if torch.jit.is_scripting():
        return int(cell_pixels.item()) + 3
    # Under torch.export a symbolic size, which int() would fix to the traced value.
    side = cell_pixels.item()
    torch._check(side >= 1)
    return side + 3


def _cell_bounds(heatmaps: Tensor) -> Tensor:
    """``Tensor[M, S + 1, S + 1]``: an upper bound on the resized values in cells ``-1 .. S-1``.

    Along each axis the two inner taps weigh ``1 + n`` together and the two outer ones ``-n``,
    with ``0 <= n <= 3/16``. In 2-D the inner 2x2 taps weigh
    ``(1 + n_y)(1 + n_x)``, the corners ``n_y n_x`` and the 8 edge taps ``-(n_y (1 + n_x) +
    n_x (1 + n_y))``; the bound is bilinear in ``(n_y, n_x)``, so its largest value is at a
    corner of their range.
    """
    side = heatmaps.size(-1) + 1
    padded = torch.nn.functional.pad(heatmaps[:, None], (2, 2, 2, 2), mode="replicate")[:, 0]
    # taps[dy][dx]: the tap at offset (dy - 1, dx - 1) from each cell.
    taps = [[padded[:, dy : dy + side, dx : dx + side] for dx in range(4)] for dy in range(4)]
    inner = torch.stack([taps[1][1], taps[1][2], taps[2][1], taps[2][2]]).amax(0)
    corner = torch.stack([taps[0][0], taps[0][3], taps[3][0], taps[3][3]]).amax(0)
    edges = [taps[0][1], taps[0][2], taps[1][0], taps[2][0]]
    edges += [taps[1][3], taps[2][3], taps[3][1], taps[3][2]]
    edge = torch.stack(edges).amin(0)
    # The largest sum of the two negative 1-D weights, 0.75 t (1 - t) at offset t (t = 1/2).
    n = 0.1875
    one_axis = (1 + n) * inner - n * edge
    both_axes = (1 + n) ** 2 * inner + n * n * corner - 2 * n * (1 + n) * edge
    return torch.maximum(inner, torch.maximum(one_axis, both_axes))


def _nearest_pixel(cell: Tensor, scale: Tensor, roi: Tensor, size: Tensor) -> Tensor:
    """The output pixel whose source coordinate is nearest source cell ``cell``."""
    pixel = ((cell.to(scale.dtype) + 0.5) / scale[roi] - 0.5).round().long()
    return torch.minimum(pixel.clamp(min=0), size[roi] - 1)
