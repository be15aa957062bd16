"""The peak of each heatmap resized (bicubic, ``align_corners=False``) to its own size, for all
heatmaps at once and without building the resized maps.

Each output pixel reads the 4x4 source cells around its source coordinate, with the cubic
convolution weights (A = -0.75) of its fractional offset; the pixels whose source coordinates
share a floor (a "cell") read the same 4x4 patch, and along each axis they are a contiguous run
(:func:`_axis_cells`). The weights bound each cell's values from its patch and the offsets of
its pixels (:func:`_cell_bounds`); the largest value at the cells' middle pixels is a lower bound
on the peak. Only the cells whose upper bound reaches it can hold the peak: their pixels are
evaluated exactly, and the first maximum in row-major order is kept, as ``argmax`` over the
resized map would. Flat maps leave many candidates, peaked ones few.
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


def _largest(values: Tensor) -> int:
    """The largest of ``values`` and 1, as a Python int (symbolic under ``torch.export``)."""
    largest = torch.cat([values.flatten(), values.new_ones(1)]).max()
    if torch.jit.is_scripting():
        return int(largest.item())
    # Under torch.export a symbolic size, which int() would fix to the traced value.
    side = largest.item()
    torch._check(side >= 1)
    return side


def _axis_cells(sizes: Tensor, source: int) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """The cells ``-1 .. S-1`` (index 0 .. S) of one axis of every map.

    Returns ``(first, weights, inside, taps)``: the first pixel of each cell ``Tensor[K, S + 1]``;
    the cubic weights of its pixels ``Tensor[K, S + 1, B, 4]``, B the most pixels any cell holds;
    which of the B slots are pixels of the cell ``Tensor[K, S + 1, B]`` (none for an empty cell);
    the source taps of each cell ``Tensor[S + 1, 4]``.
    """
    # A true division, as torch's kernels compute it: `source / tensor` multiplies by a reciprocal.
    scale = torch.full_like(sizes, source).float() / sizes.float()
    pixels = torch.arange(_largest(sizes), device=sizes.device)
    is_pixel = pixels < sizes[:, None]
    # Source coordinates lie in [-0.5, S - 0.5): every pixel's cell is one of -1 .. S-1. The
    # slots past a map's size count for nothing; clamped, they index a cell of the map.
    cell = _source_coordinate(pixels, scale[:, None]).floor().long().clamp(max=source - 1) + 1
    empty = torch.zeros(sizes.size(0), source + 1, dtype=torch.int64, device=sizes.device)
    counts = empty.scatter_add(1, cell, is_pixel.long())
    beyond = torch.full_like(pixels, pixels.size(0))  # past every pixel
    first = (empty + pixels.size(0)).scatter_reduce(
        1, cell, torch.where(is_pixel, pixels, beyond), reduce="amin", include_self=True
    )
    slots = torch.arange(_largest(counts), device=sizes.device)
    coordinate = _source_coordinate(first[..., None] + slots, scale[:, None, None])
    inside = slots < counts[..., None]
    weights = _cubic_weights(coordinate - coordinate.floor()) * inside[..., None]
    cells = torch.arange(-1, source, device=sizes.device)
    taps = (cells[:, None] + torch.arange(-1, 3, device=sizes.device)).clamp(0, source - 1)
    return first, weights, inside, taps


def _pick(table: Tensor, at: Tensor) -> Tensor:
    """``table[k, c]`` for the flat indices ``at = k * (S + 1) + c``: one index_select, far
    cheaper than indexing with two index tensors."""
    return table.flatten(0, 1).index_select(0, at)


def _cell_peaks(
    heatmaps: Tensor,
    map_id: Tensor,
    roi: Tensor,
    cell_y: Tensor,
    cell_x: Tensor,
    axis_y: tuple[Tensor, Tensor, Tensor, Tensor],
    axis_x: tuple[Tensor, Tensor, Tensor, Tensor],
) -> tuple[Tensor, Tensor, Tensor]:
    """The maximum of each given cell's pixels (cell indices 0 .. S) and its pixel ``(y, x)``."""
    first_y, weights_y, inside_y, taps_y = axis_y
    first_x, weights_x, inside_x, taps_x = axis_x
    side = heatmaps.size(-1)
    tap_index = taps_y[cell_y][:, :, None] * side + taps_x[cell_x][:, None, :]
    tap_index = tap_index + (map_id * (side * side))[:, None, None]
    patches = heatmaps.flatten().index_select(0, tap_index.flatten()).view(-1, 4, 4)
    at_y = roi * (side + 1) + cell_y
    at_x = roi * (side + 1) + cell_x
    rows = torch.bmm(_pick(weights_y, at_y), patches)
    values = torch.bmm(rows, _pick(weights_x, at_x).transpose(1, 2))
    inside = _pick(inside_y, at_y)[:, :, None] & _pick(inside_x, at_x)[:, None, :]
    values = values.masked_fill(~inside, float("-inf")).flatten(1)
    position = values.argmax(dim=1)
    peak = values.gather(1, position[:, None])[:, 0]
    block_x = inside_x.size(-1)
    y = _pick(first_y[..., None], at_y)[:, 0] + torch.div(position, block_x, rounding_mode="floor")
    x = _pick(first_x[..., None], at_x)[:, 0] + position % block_x
    return peak, y, x


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
    maps = count * num_maps
    heatmaps = heatmaps.float()
    axis_y = _axis_cells(heights, source)
    axis_x = _axis_cells(widths, source)
    # [K, 1, S + 1, S + 1], broadcast over each RoI's maps: no per-map copies of per-RoI tables.
    holds_pixels = (axis_y[2][:, :, 0, None] & axis_x[2][:, None, :, 0])[:, None]

    # A lower bound on each peak: the largest of its pixels at the middle of each cell.
    samples = _sample_cell_middles(heatmaps, axis_y, axis_x)
    known = samples.masked_fill(~holds_pixels, float("-inf")).flatten(2).amax(dim=2)
    del samples
    bound = _cell_bounds(heatmaps, _lobes(axis_y)[:, None, :, None], _lobes(axis_x)[:, None, None])
    known = known[:, :, None, None]
    # Room for rounding between the bound and the evaluated values.
    bound.add_(bound.abs().add_(known.abs() + 1).mul_(1e-5))
    # `not below` rather than `at least`: a non-finite map (NaN bound or peak) keeps its cells,
    # so its peak is the first NaN as argmax over the resized map finds it.
    candidate = torch.nonzero(~(bound < known) & holds_pixels)
    del bound
    roi = candidate[:, 0]
    map_id = roi * num_maps + candidate[:, 1]
    flat = heatmaps.reshape(maps, source, source)
    peaks, y, x = _cell_peaks(flat, map_id, roi, candidate[:, 2], candidate[:, 3], axis_y, axis_x)

    roi_of_map = torch.arange(count, device=heatmaps.device).repeat_interleave(num_maps)
    best = flat.new_full((maps,), float("-inf")).scatter_reduce(
        0, map_id, peaks, reduce="amax", include_self=True
    )
    width_of_map = widths[roi_of_map]
    last = heights[roi_of_map] * width_of_map
    at_best = (peaks == best[map_id]) | (peaks.isnan() & best[map_id].isnan())
    flat_index = torch.where(at_best, y * width_of_map[map_id] + x, last[map_id])
    first = last.scatter_reduce(0, map_id, flat_index, reduce="amin", include_self=True)
    x = first % width_of_map
    y = torch.div(first, width_of_map, rounding_mode="floor")
    shape = (count, num_maps)
    return y.reshape(shape), x.reshape(shape), best.reshape(shape)


def _lobes(axis: tuple[Tensor, Tensor, Tensor, Tensor]) -> Tensor:
    """``Tensor[K, S + 1]``: the largest total of the two (negative) outer weights, negated, of
    any pixel of each cell; 0 for an empty cell."""
    weights, inside = axis[1], axis[2]
    lobe = -(weights[..., 0] + weights[..., 3])
    return lobe.masked_fill(~inside, 0.0).amax(-1).clamp(min=0)


def _tap(padded: Tensor, dy: int, dx: int, side: int) -> Tensor:
    """The tap at offset ``(dy - 1, dx - 1)`` from each cell of the 2-padded maps (a view)."""
    return padded[..., dy : dy + side, dx : dx + side]


def _cell_bounds(heatmaps: Tensor, lobe_y: Tensor, lobe_x: Tensor) -> Tensor:
    """``Tensor[K, P, S + 1, S + 1]``: an upper bound on the resized values in cells ``-1 .. S-1``.

    Along an axis the two inner taps weigh ``1 + n`` together and the two outer ones ``-n``,
    ``0 <= n <= N``, N the cell's lobe (``lobe_y`` ``Tensor[K, 1, S + 1, 1]``, ``lobe_x``
    ``Tensor[K, 1, 1, S + 1]``, at most 3/16). In 2-D the inner 2x2 taps weigh
    ``(1 + n_y)(1 + n_x)``, the corners ``n_y n_x``, the 4 edge taps beyond the inner rows
    ``-n_y (1 + n_x)`` and the 4 beyond the inner columns ``-n_x (1 + n_y)``. With ``d_y`` the
    largest inner tap less the smallest edge tap beyond the rows (``d_x`` likewise), the bound
    is the largest inner tap plus ``n_y d_y + n_x d_x + n_y n_x (d_y + d_x + corner - inner)``,
    bilinear in ``(n_y, n_x)``: its largest value is at a corner of their range.
    """
    count, num_maps, source, _ = heatmaps.shape
    side = source + 1
    padded = torch.nn.functional.pad(
        heatmaps.reshape(count * num_maps, 1, source, source), (2, 2, 2, 2), mode="replicate"
    ).view(count, num_maps, source + 4, source + 4)
    # In place, one buffer per term: the maps' cells are the largest tensors of the search.
    inner = _tap(padded, 1, 1, side).clone().clamp_(min=_tap(padded, 1, 2, side))
    inner = inner.clamp_(min=_tap(padded, 2, 1, side)).clamp_(min=_tap(padded, 2, 2, side))
    d_y = _tap(padded, 0, 1, side).clone().clamp_(max=_tap(padded, 0, 2, side))
    d_y = d_y.clamp_(max=_tap(padded, 3, 1, side)).clamp_(max=_tap(padded, 3, 2, side))
    d_y = d_y.neg_().add_(inner)
    d_x = _tap(padded, 1, 0, side).clone().clamp_(max=_tap(padded, 2, 0, side))
    d_x = d_x.clamp_(max=_tap(padded, 1, 3, side)).clamp_(max=_tap(padded, 2, 3, side))
    d_x = d_x.neg_().add_(inner)
    both = _tap(padded, 0, 0, side).clone().clamp_(min=_tap(padded, 0, 3, side))
    both = both.clamp_(min=_tap(padded, 3, 0, side)).clamp_(min=_tap(padded, 3, 3, side))
    both = both.sub_(inner).add_(d_y).add_(d_x).mul_(lobe_y).mul_(lobe_x)
    d_y = d_y.mul_(lobe_y)
    d_x = d_x.mul_(lobe_x)
    both = both.add_(d_y).add_(d_x)
    # The four corners of (n_y, n_x): 0, n_y d_y, n_x d_x and both.
    rise = both.clamp_(min=d_y).clamp_(min=d_x).clamp_(min=0)
    return inner.add_(rise)


def _sampling_matrix(axis: tuple[Tensor, Tensor, Tensor, Tensor], source: int) -> Tensor:
    """``Tensor[K, S + 1, S]``: row ``c`` resizes a source axis at the middle pixel of cell ``c``
    (a zero row for an empty cell)."""
    weights, inside, taps = axis[1], axis[2], axis[3]
    middle = torch.div(inside.sum(-1).clamp(min=1) - 1, 2, rounding_mode="floor")
    at_middle = weights.gather(2, middle[:, :, None, None].expand(-1, -1, 1, 4))[:, :, 0]
    matrix = weights.new_zeros(weights.size(0), source + 1, source)
    # Clamped taps repeat at the borders: their weights add, as the interpolation's do.
    return matrix.scatter_add(2, taps[None].expand(weights.size(0), -1, -1), at_middle)


def _sample_cell_middles(
    heatmaps: Tensor,
    axis_y: tuple[Tensor, Tensor, Tensor, Tensor],
    axis_x: tuple[Tensor, Tensor, Tensor, Tensor],
) -> Tensor:
    """``Tensor[K, P, S + 1, S + 1]``: each map resized at the middle pixel of every cell."""
    count, num_maps, source, _ = heatmaps.shape
    # Each RoI's P maps side by side, so that one matrix product serves them all.
    side_by_side = heatmaps.transpose(1, 2).reshape(count, source, num_maps * source)
    rows = torch.bmm(_sampling_matrix(axis_y, source), side_by_side)
    rows = rows.view(count, (source + 1) * num_maps, source)
    both = torch.bmm(rows, _sampling_matrix(axis_x, source).transpose(1, 2))
    return both.view(count, source + 1, num_maps, source + 1).transpose(1, 2)
