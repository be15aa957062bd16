"""vops modules against torchvision.ops: checkpoints interchange and outputs agree."""

from collections import OrderedDict

import pytest
import torch
from torch import nn

import vops

torchvision = pytest.importorskip("torchvision")
from torchvision.ops import feature_pyramid_network as tv_fpn  # noqa: E402


def _pyramid(generator: torch.Generator) -> "OrderedDict[str, torch.Tensor]":
    return OrderedDict(
        [
            ("0", torch.randn(2, 3, 16, 16, generator=generator)),
            ("1", torch.randn(2, 5, 8, 8, generator=generator)),
            ("2", torch.randn(2, 6, 4, 4, generator=generator)),
        ]
    )


EXTRA_BLOCKS = {
    "none": (lambda: None, lambda: None),
    "maxpool": (tv_fpn.LastLevelMaxPool, vops.LastLevelMaxPool),
    "p6p7-from-c5": (lambda: tv_fpn.LastLevelP6P7(6, 4), lambda: vops.LastLevelP6P7(6, 4)),
    "p6p7-from-p5": (lambda: tv_fpn.LastLevelP6P7(4, 4), lambda: vops.LastLevelP6P7(4, 4)),
}


@pytest.mark.parametrize("norm_layer", [None, nn.BatchNorm2d], ids=["no-norm", "batch-norm"])
@pytest.mark.parametrize("extra", list(EXTRA_BLOCKS))
def test_fpn_checkpoints_interchange_and_outputs_match(extra, norm_layer):
    make_theirs, make_ours = EXTRA_BLOCKS[extra]
    torch.manual_seed(0)
    theirs = torchvision.ops.FeaturePyramidNetwork([3, 5, 6], 4, make_theirs(), norm_layer)
    if norm_layer is not None:
        for module in theirs.modules():
            if isinstance(module, nn.BatchNorm2d):
                module.running_mean.uniform_(-1, 1)
                module.running_var.uniform_(0.5, 2)
    ours = vops.FeaturePyramidNetwork([3, 5, 6], 4, make_ours(), norm_layer)
    ours.load_state_dict(theirs.state_dict(), strict=True)
    theirs.eval()
    ours.eval()

    x = _pyramid(torch.Generator().manual_seed(1))
    expected, out = theirs(x), ours(x)
    assert list(out) == list(expected)
    for key in expected:
        torch.testing.assert_close(out[key], expected[key])

    back = torchvision.ops.FeaturePyramidNetwork([3, 5, 6], 4, make_theirs(), norm_layer)
    back.load_state_dict(ours.state_dict(), strict=True)


def test_frozen_batch_norm_checkpoints_interchange_and_outputs_match():
    generator = torch.Generator().manual_seed(2)
    theirs = torchvision.ops.FrozenBatchNorm2d(4, eps=1e-3)
    for name in ["weight", "bias", "running_mean"]:
        getattr(theirs, name).copy_(torch.randn(4, generator=generator))
    theirs.running_var.copy_(torch.rand(4, generator=generator) + 0.1)
    ours = vops.FrozenBatchNorm2d(4, eps=1e-3)
    ours.load_state_dict(theirs.state_dict(), strict=True)
    x = torch.randn(2, 4, 3, 3, generator=generator)
    torch.testing.assert_close(ours(x), theirs(x))
    assert repr(ours) == repr(theirs)
    torchvision.ops.FrozenBatchNorm2d(4).load_state_dict(ours.state_dict(), strict=True)


def _random_boxes(counts, size: float, generator: torch.Generator):
    boxes = []
    for count in counts:
        xy = torch.rand(count, 2, generator=generator) * size * 0.6
        wh = 1 + torch.rand(count, 2, generator=generator) * size * 0.6
        boxes.append(torch.cat([xy, xy + wh], dim=1))
    return boxes


@pytest.mark.parametrize(
    "featmap_names, output_size, sampling_ratio, canonical",
    [
        (["0", "1", "2"], 7, 2, (224, 4)),
        (["0", "1", "2"], (3, 2), -1, (16, 3)),
        (["1"], 4, 0, (224, 4)),
    ],
)
def test_multiscale_roi_align_matches_torchvision(
    featmap_names, output_size, sampling_ratio, canonical
):
    generator = torch.Generator().manual_seed(3)
    # Strides 4, 8, 16 from images of at most 64 x 64, plus a map the poolers must ignore.
    x = {
        name: torch.randn(2, 3, size, size, generator=generator)
        for name, size in [("0", 16), ("1", 8), ("2", 4), ("pool", 2)]
    }
    image_shapes = [(64, 58), (61, 64)]
    canonical_scale, canonical_level = canonical
    kwargs = {"canonical_scale": canonical_scale, "canonical_level": canonical_level}
    theirs = torchvision.ops.MultiScaleRoIAlign(
        featmap_names, output_size, sampling_ratio, **kwargs
    )
    ours = vops.MultiScaleRoIAlign(featmap_names, output_size, sampling_ratio, **kwargs)
    for counts in [(7, 4), (0, 3), (0, 0)]:
        boxes = _random_boxes(counts, 64, generator)
        torch.testing.assert_close(
            ours(x, boxes, image_shapes), theirs(x, boxes, image_shapes), rtol=1e-5, atol=1e-6
        )
