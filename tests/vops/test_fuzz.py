"""Seeded, bounded fuzzing of the vops box and RoI ops.

Each group of cases runs in one subprocess (this file run as a script), since a kernel crash on
hostile input would otherwise take pytest down with it. Every case must either raise an error
whose message names one of the op's arguments, or, when all its inputs are finite, agree with
a slow pure-PyTorch reference written here.

Excluded: huge ``output_size`` (an allocation of K * C * h * w) is checked in the raw C++
kernels (packages/vops/csrc, the "output_size too large" check), not here.
"""

import math
import random
import subprocess
import sys

import pytest
import torch

ARGUMENT_NAMES = (
    "boxes", "scores", "idxs", "iou_threshold", "fmt", "in_fmt", "out_fmt", "input", "rois",
    "output_size", "spatial_scale", "sampling_ratio", "x[", "image_shapes", "featmap_names",
)  # fmt: skip
DTYPES = (
    torch.float16, torch.bfloat16, torch.float32, torch.float64, torch.int32, torch.int64,
    torch.uint8, torch.bool, torch.complex64,
)  # fmt: skip
ADVERSARIAL = (float("nan"), float("inf"), -float("inf"), 1e30, -1e30, 0.0, -5.0)


def _random_boxes(rng: random.Random, n: int, extent: float = 20.0) -> torch.Tensor:
    rows = []
    for _ in range(n):
        x1, y1 = rng.randint(0, int(extent)), rng.randint(0, int(extent))
        rows.append([x1, y1, x1 + rng.randint(0, 10), y1 + rng.randint(0, 10)])
    return torch.tensor(rows, dtype=torch.float64).reshape(n, 4)


def _poison(rng: random.Random, t: torch.Tensor) -> torch.Tensor:
    t = t.clone()
    if t.numel():
        t.view(-1)[rng.randrange(t.numel())] = rng.choice(ADVERSARIAL)
    return t


def _odd_layout(rng: random.Random, t: torch.Tensor) -> torch.Tensor:
    """The same values, sometimes as a non-contiguous view."""
    if rng.random() < 0.5 and t.dim() >= 1:
        wide = torch.zeros((*t.shape[:-1], 2 * t.shape[-1]), dtype=t.dtype)
        wide[..., ::2] = t
        return wide[..., ::2]
    return t


# --- references --------------------------------------------------------------------------------


def _iou(a: list[float], b: list[float]) -> float:
    area_a = (a[2] - a[0]) * (a[3] - a[1])
    area_b = (b[2] - b[0]) * (b[3] - b[1])
    w = max(min(a[2], b[2]) - max(a[0], b[0]), 0.0)
    h = max(min(a[3], b[3]) - max(a[1], b[1]), 0.0)
    inter = w * h
    union = area_a + area_b - inter
    # Two empty boxes: 0 / 0, NaN as in torchvision.
    return inter / union if union > 0 else float("nan")


def _ref_nms(boxes: torch.Tensor, scores: torch.Tensor, threshold: float) -> list[int]:
    b = boxes.double().tolist()
    kept: list[int] = []
    for i in sorted(range(len(b)), key=lambda i: -float(scores[i])):
        # "not >": a NaN IoU (two empty boxes) suppresses nothing.
        if not any(_iou(b[i], b[k]) > threshold for k in kept):
            kept.append(i)
    return kept


def _ref_batched_nms(boxes, scores, idxs, threshold) -> list[int]:
    kept: list[int] = []
    for c in set(idxs.tolist()):
        members = [i for i in range(len(idxs)) if idxs[i] == c]
        kept += [members[k] for k in _ref_nms(boxes[members], scores[members], threshold)]
    return sorted(kept, key=lambda i: -float(scores[i]))


def _bilinear(v: torch.Tensor, y: float, x: float) -> torch.Tensor:
    h, w = v.shape[-2:]
    if y < -1 or y > h or x < -1 or x > w:
        return v.new_zeros(v.shape[0])
    y, x = max(y, 0.0), max(x, 0.0)
    y0, x0 = int(y), int(x)
    y1, x1 = min(y0 + 1, h - 1), min(x0 + 1, w - 1)
    if y0 >= h - 1:
        y0 = y1 = h - 1
        y = float(y0)
    if x0 >= w - 1:
        x0 = x1 = w - 1
        x = float(x0)
    ly, lx = y - y0, x - x0
    return (
        (1 - ly) * (1 - lx) * v[:, y0, x0] + (1 - ly) * lx * v[:, y0, x1]
        + ly * (1 - lx) * v[:, y1, x0] + ly * lx * v[:, y1, x1]
    )  # fmt: skip


def _ref_roi_align(input, rois, size, scale, ratio, aligned) -> torch.Tensor:
    ph, pw = size
    out = input.new_zeros((rois.size(0), input.size(1), ph, pw), dtype=torch.float64)
    offset = 0.5 if aligned else 0.0
    for k, (b, x1, y1, x2, y2) in enumerate(rois.double().tolist()):
        v = input[int(b)].double()
        x1, y1, x2, y2 = (c * scale - offset for c in (x1, y1, x2, y2))
        w, h = x2 - x1, y2 - y1
        if not aligned:
            w, h = max(w, 1.0), max(h, 1.0)
        gh = ratio if ratio > 0 else math.ceil(h / ph)
        gw = ratio if ratio > 0 else math.ceil(w / pw)
        for i in range(ph):
            for j in range(pw):
                acc = v.new_zeros(v.shape[0])
                for iy in range(gh):
                    for ix in range(gw):
                        y = y1 + i * h / ph + (iy + 0.5) * h / ph / gh
                        x = x1 + j * w / pw + (ix + 0.5) * w / pw / gw
                        acc += _bilinear(v, y, x)
                out[k, :, i, j] = acc / max(gh * gw, 1)
    return out


def _round_half_away(v: float) -> int:
    return int(math.copysign(math.floor(abs(v) + 0.5), v))


def _ref_roi_pool(input, rois, size, scale) -> torch.Tensor:
    ph, pw = size
    height, width = input.shape[-2:]
    out = input.new_zeros((rois.size(0), input.size(1), ph, pw))
    for k, (b, *corners) in enumerate(rois.double().tolist()):
        x1, y1, x2, y2 = (_round_half_away(c * scale) for c in corners)
        bin_h, bin_w = max(y2 - y1 + 1, 1) / ph, max(x2 - x1 + 1, 1) / pw
        for i in range(ph):
            ys = min(max(math.floor(i * bin_h) + y1, 0), height)
            ye = min(max(math.ceil((i + 1) * bin_h) + y1, 0), height)
            for j in range(pw):
                xs = min(max(math.floor(j * bin_w) + x1, 0), width)
                xe = min(max(math.ceil((j + 1) * bin_w) + x1, 0), width)
                if ye > ys and xe > xs:
                    out[k, :, i, j] = input[int(b), :, ys:ye, xs:xe].amax(dim=(1, 2))
    return out


# --- cases -------------------------------------------------------------------------------------


def _finite(*tensors) -> bool:
    return all(
        not (t.is_floating_point() or t.is_complex()) or bool(torch.isfinite(t).all())
        for t in tensors
    )


def _box_cases(rng: random.Random):
    import vops

    for _ in range(60):
        n = rng.choice([0, 1, 2, 5, 12])
        boxes, dtype = _random_boxes(rng, n), rng.choice(DTYPES)
        scores = torch.tensor(rng.sample(range(n), n), dtype=torch.float64)
        threshold = rng.choice([0.0, 0.3, 0.5, 0.7, 1.0, float("nan"), -1.0])
        if rng.random() < 0.3:
            boxes = _poison(rng, boxes)
        b, s = _odd_layout(rng, boxes.to(dtype)), scores.to(dtype)
        args = (boxes, scores, threshold, dtype)

        def check_nms(out, b=b, s=s, threshold=threshold, dtype=dtype, args=args):
            if dtype == torch.float64 and _finite(b):
                assert out.tolist() == _ref_nms(b, s, threshold), args

        yield "nms", lambda b=b, s=s, t=threshold: vops.nms(b, s, t), check_nms

        idxs = torch.tensor([rng.randrange(3) for _ in range(n)], dtype=torch.int64)

        def check_batched(out, b=b, s=s, idxs=idxs, threshold=threshold, dtype=dtype):
            if dtype == torch.float64 and _finite(b):
                assert out.tolist() == _ref_batched_nms(b, s, idxs, threshold)

        yield (
            "batched_nms",
            lambda b=b, s=s, i=idxs, t=threshold: vops.batched_nms(b, s, i, t),
            check_batched,
        )
        other = _random_boxes(rng, rng.choice([0, 1, 3])).to(rng.choice(DTYPES))

        def check_iou(out, b=b, other=other):
            if _finite(b, other) and b.dtype in (torch.float32, torch.float64):
                ref = [[_iou(p, q) for q in other.double().tolist()] for p in b.double().tolist()]
                expected = torch.tensor(ref, dtype=torch.float64).reshape(len(b), len(other))
                torch.testing.assert_close(
                    out.double(), expected, rtol=1e-5, atol=1e-6, equal_nan=True
                )

        yield "box_iou", lambda b=b, o=other: vops.box_iou(b, o), check_iou
        out_fmt = rng.choice(["xyxy", "xywh", "cxcywh", "xywhr", "bad"])

        def check_convert(out, b=b, out_fmt=out_fmt):
            if _finite(b) and b.dtype == torch.float64:
                x1, y1, x2, y2 = b.unbind(-1)
                expected = {
                    "xyxy": b,
                    "xywh": torch.stack((x1, y1, x2 - x1, y2 - y1), -1),
                    "cxcywh": torch.stack(((x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1), -1),
                }[out_fmt]
                torch.testing.assert_close(out, expected)

        yield "box_convert", lambda b=b, f=out_fmt: vops.box_convert(b, "xyxy", f), check_convert

        rotated = torch.cat(
            [
                vops.box_convert(boxes.double(), "xyxy", "cxcywh"),
                torch.rand(n, 1, dtype=torch.float64) * 360,
            ],
            dim=1,
        )
        if rng.random() < 0.3:
            rotated = _poison(rng, rotated)
        rotated = rotated.to(rng.choice((torch.float32, torch.float64, torch.int64, torch.bool)))

        def check_rotated(out, r=rotated):
            # A box overlaps itself completely (when it has an area); IoU is symmetric.
            if _finite(r) and r.is_floating_point():
                torch.testing.assert_close(out, out.T, atol=1e-4, rtol=0)
                full = (r[:, 2] * r[:, 3]) > 1e-3
                diagonal = out.diagonal()[full]
                torch.testing.assert_close(diagonal, torch.ones_like(diagonal), atol=1e-4, rtol=0)

        yield "box_iou", lambda r=rotated: vops.box_iou(r, r, fmt="cxcywhr"), check_rotated


def _roi_cases(rng: random.Random):
    import vops

    for _ in range(40):
        n, c = rng.choice([1, 2]), rng.choice([1, 3])
        h, w = rng.choice([(0, 0), (1, 1), (5, 7), (8, 8)])
        dtype = rng.choice((torch.float32, torch.float64, torch.float16, torch.int64))
        input = _odd_layout(rng, torch.rand(n, c, h, w, dtype=torch.float64)).to(dtype)
        k = rng.choice([0, 1, 4])
        boxes = _random_boxes(rng, k, extent=10.0)
        batch = torch.tensor([rng.choice([0, n - 1, n, -1]) for _ in range(k)]).double()
        rois = torch.cat([batch.reshape(k, 1), boxes], dim=1)
        if rng.random() < 0.3:
            rois = _poison(rng, rois)
        rois = rois.to(dtype if rng.random() < 0.9 else torch.float32)
        size = (rng.choice([1, 2, 3, 7]), rng.choice([1, 2, 3]))
        if rng.random() < 0.1:
            size = (rng.choice([0, -1]), 2)
        scale = rng.choice([1.0, 0.5, 0.25, 2.0, 0.0, -1.0, float("nan"), float("inf")])
        ratio, aligned = rng.choice([-1, 0, 1, 2]), rng.random() < 0.5

        def check_align(
            out, input=input, rois=rois, size=size, scale=scale, ratio=ratio, aligned=aligned
        ):
            if _finite(input, rois):
                expected = _ref_roi_align(input, rois, size, scale, ratio, aligned)
                torch.testing.assert_close(out.double(), expected, rtol=1e-2, atol=1e-2)

        yield (
            "roi_align",
            lambda i=input, r=rois, s=size, sc=scale, ra=ratio, al=aligned: vops.roi_align(
                i, r, s, sc, ra, al
            ),
            check_align,
        )

        def check_pool(out, input=input, rois=rois, size=size, scale=scale):
            if _finite(input, rois):
                torch.testing.assert_close(out, _ref_roi_pool(input, rois, size, scale))

        yield (
            "roi_pool",
            lambda i=input, r=rois, s=size, sc=scale: vops.roi_pool(i, r, s, sc),
            check_pool,
        )
        pooler = vops.MultiScaleRoIAlign(["f"], size if size[0] > 0 else 2, ratio)
        image = (rng.choice([0, 8, 16]), rng.choice([8, 16]))
        listed = [_poison(rng, boxes) if rng.random() < 0.3 else boxes] * n
        listed = [b.to(dtype) for b in listed]

        def check_pooler(out, input=input, listed=listed, image=image, pooler=pooler):
            if _finite(input, *listed) and input.numel() > 0 and min(image) > 0:
                stride = 2.0 ** -round(math.log2(max(image) / input.size(-1)))
                rois = vops._validation.to_rois(listed)
                expected = _ref_roi_align(
                    input, rois, pooler.output_size, stride, pooler.sampling_ratio, False
                )
                torch.testing.assert_close(out.double(), expected, rtol=1e-2, atol=1e-2)

        yield (
            "MultiScaleRoIAlign",
            lambda i=input, b=listed, im=image, p=pooler: p({"f": i}, b, [im]),
            check_pooler,
        )


GROUPS = {"boxes": _box_cases, "rois": _roi_cases}


def _run_group(group: str) -> None:
    """Worker: run every case of ``group``; print one line per failure."""
    import warnings

    warnings.simplefilter("ignore")
    rng = random.Random(f"vops-fuzz-{group}")
    torch.manual_seed(0)
    count = 0
    for name, call, check in GROUPS[group](rng):
        count += 1
        try:
            out = call()
        except (ValueError, RuntimeError, TypeError, IndexError, NotImplementedError) as error:
            message = str(error)
            if not any(arg in message for arg in ARGUMENT_NAMES):
                print(f"FAIL {name} #{count}: error names no argument: {message!r}")
            continue
        try:
            check(out)
        except AssertionError as error:
            print(f"FAIL {name} #{count}: disagrees with the reference: {error}")
    print(f"RAN {count}")


@pytest.mark.parametrize("group", sorted(GROUPS))
def test_fuzzed_calls_never_crash_name_an_argument_or_match_the_reference(group):
    result = subprocess.run(
        [sys.executable, __file__, group], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, f"worker crashed ({result.returncode}): {result.stderr[-2000:]}"
    lines = result.stdout.splitlines()
    failures = [line for line in lines if line.startswith("FAIL")]
    assert not failures, "\n".join(failures[:20])
    assert lines[-1].startswith("RAN ") and int(lines[-1].split()[1]) >= 100


if __name__ == "__main__":
    _run_group(sys.argv[1])
