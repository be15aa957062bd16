"""torch.fx.symbolic_trace through models that use vops' RoI ops, NMS, box helpers, pooler and
FPN: each op becomes one graph node that runs the whole op (argument checks included) when the
traced module runs, so the traced module equals the eager one on inputs of any size. Also: the
box helpers compile with torch.jit.script."""

from collections import OrderedDict

import pytest
import torch
from torch import fx, nn

import vops

_g = torch.Generator().manual_seed(0)
X = torch.rand(2, 3, 16, 16, generator=_g)
ROIS = torch.tensor([[0, 1.0, 1, 9, 7], [1, 0, 2, 14, 6], [1, -2, -2, 4, 4]])
MORE_ROIS = torch.cat([ROIS, torch.tensor([[0, 3.0, 3, 15, 15], [0, 5, 5, 5, 5]])])
BOXES = torch.tensor(
    [[0, 0, 10, 10.0], [1, 1, 11, 11], [20, 20, 30, 30], [0, 0, 10, 10], [2, 3, 4, 5]]
)
SCORES = torch.tensor([0.9, 0.8, 0.7, 0.95, 0.5])
IDXS = torch.tensor([0, 0, 1, 1, 0])


class FunctionalRoI(nn.Module):
    def forward(self, x, rois):
        per_image = [rois[rois[:, 0] == i, 1:] for i in range(2)]
        aligned = vops.roi_align(x * 2, rois, (2, 3), 0.5, 2, True)
        return aligned, vops.roi_pool(x + 1, per_image, 2, 0.5)


class ModuleRoI(nn.Module):
    def __init__(self):
        super().__init__()
        self.align = vops.RoIAlign(2, 0.5, -1)
        self.pool = vops.RoIPool((3, 2), 1.0)

    def forward(self, x, rois):
        return self.align(x + 1, rois), self.pool(x - 1, rois)


class Pooler(nn.Module):
    def __init__(self):
        super().__init__()
        self.pooler = vops.MultiScaleRoIAlign(["0", "1"], 3, 2)

    def forward(self, x, rois):
        features = {"0": x, "1": x[:, :, ::2, ::2]}
        boxes = [rois[rois[:, 0] == i, 1:] * 4 for i in range(2)]
        return self.pooler(features, boxes, [(64, 64), (64, 60)])


class Suppression(nn.Module):
    def forward(self, boxes, scores, idxs):
        boxes = vops.clip_boxes_to_image(boxes, (15, 12))
        keep = vops.remove_small_boxes(boxes, 1.0)
        boxes, scores, idxs = boxes[keep], scores[keep], idxs[keep]
        return keep, vops.nms(boxes, scores, 0.5), vops.batched_nms(boxes, scores, idxs, 0.3)


class Pyramid(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 3, 3, padding=1)
        self.fpn = vops.FeaturePyramidNetwork([3, 3], 4, vops.LastLevelMaxPool())

    def forward(self, x):
        c = self.stem(x)
        return self.fpn(OrderedDict([("c2", c), ("c3", c[:, :, ::2, ::2])]))


# id -> (model, its inputs, other inputs of other sizes, the vops functions it calls as nodes)
MODELS = {
    "roi-functions": (FunctionalRoI, (X, ROIS), (X[:, :, :9], MORE_ROIS)),
    "roi-modules": (ModuleRoI, (X, ROIS), (X, MORE_ROIS)),
    "multiscale-pooler": (Pooler, (X, ROIS), (X, MORE_ROIS)),
    "nms-and-box-helpers": (Suppression, (BOXES, SCORES, IDXS), (BOXES[:3], SCORES[:3], IDXS[:3])),
    "fpn": (Pyramid, (X,), (X[:, :, :12, :8],)),
}
NODES = {
    "roi-functions": {"roi_align", "roi_pool"},
    "roi-modules": {"roi_align", "roi_pool"},
    "multiscale-pooler": {"_multiscale_roi_align"},
    "nms-and-box-helpers": {"clip_boxes_to_image", "remove_small_boxes", "nms", "batched_nms"},
    "fpn": {"_check_pyramid"},
}


def _assert_equal(result, expected):
    if isinstance(expected, torch.Tensor):
        assert result.dtype == expected.dtype
        torch.testing.assert_close(result, expected, rtol=0, atol=0)
    elif isinstance(expected, dict):
        assert list(result) == list(expected)
        for key in expected:
            _assert_equal(result[key], expected[key])
    else:
        assert len(result) == len(expected)
        for a, b in zip(result, expected, strict=True):
            _assert_equal(a, b)


@pytest.mark.parametrize("case", list(MODELS))
def test_traced_model_equals_eager_on_inputs_of_other_sizes_too(case):
    make, inputs, other_inputs = MODELS[case]
    torch.manual_seed(0)
    model = make().eval()
    traced = fx.symbolic_trace(model)
    for args in (inputs, other_inputs):
        _assert_equal(traced(*args), model(*args))


@pytest.mark.parametrize("case", list(MODELS))
def test_each_vops_op_is_one_node_calling_the_whole_op(case):
    make, _, _ = MODELS[case]
    graph = fx.symbolic_trace(make()).graph
    targets = [node.target for node in graph.nodes if node.op == "call_function"]
    ops = {t.__name__ for t in targets if getattr(t, "__module__", "").startswith("vops.")}
    assert ops == NODES[case]
    # Nothing of the ops' insides (their checks, the custom op calls) leaks into the graph.
    assert not any(isinstance(t, torch._ops.OpOverloadPacket) for t in targets)


@pytest.mark.parametrize(
    ("module", "args"),
    [
        (vops.RoIAlign((2, 2), 1.0, 2, True), (X, ROIS)),
        (vops.RoIPool(3, 0.5), (X, ROIS)),
        (
            vops.MultiScaleRoIAlign(["0"], 2, -1),
            ({"0": X}, [ROIS[:2, 1:], ROIS[2:, 1:]], [(32, 32)]),
        ),
    ],
    ids=["RoIAlign", "RoIPool", "MultiScaleRoIAlign"],
)
def test_op_module_traced_as_the_root_equals_eager(module, args):
    _assert_equal(fx.symbolic_trace(module)(*args), module(*args))


@pytest.mark.parametrize(
    ("case", "bad_args", "error", "message"),
    [
        ("roi-modules", (X, ROIS[:, 1:]), AssertionError, r"rois must be a Tensor\[K, 5\]"),
        ("roi-functions", (X.double(), ROIS), RuntimeError, r"rois and input must have the same"),
        (
            "nms-and-box-helpers",
            (BOXES[:, :3], SCORES, IDXS),
            IndexError,
            r"boxes must be a Tensor\[\.\.\., 4\]",
        ),
        ("fpn", (X[:, :2],), RuntimeError, r"expected input\[2, 2, 16, 16\] to have 3 channels"),
    ],
)
def test_traced_model_still_checks_arguments_when_run(case, bad_args, error, message):
    make, _, _ = MODELS[case]
    with pytest.raises(error, match=message):
        fx.symbolic_trace(make())(*bad_args)


def test_traced_fpn_checks_its_input_maps_when_run():
    class Direct(nn.Module):
        def __init__(self):
            super().__init__()
            self.fpn = vops.FeaturePyramidNetwork([3, 5], 4)

        def forward(self, a, b):
            return self.fpn({"a": a, "b": b})

    traced = fx.symbolic_trace(Direct())
    with pytest.raises(ValueError, match=r"x\['b'\] must be a Tensor\[N, 5, H, W\]"):
        traced(X, X[:, :, ::2, ::2])


@pytest.mark.filterwarnings("ignore::FutureWarning")  # torch.jit.script is deprecated in 2.14
@pytest.mark.parametrize("dtype", [torch.float32, torch.int64])
def test_box_helpers_script_and_match_eager(dtype):
    boxes = (BOXES * 1.5 - 3).to(dtype)
    clip = torch.jit.script(vops.clip_boxes_to_image)
    remove_small = torch.jit.script(vops.remove_small_boxes)
    clipped = clip(boxes, (12, 15))
    assert clipped.dtype == dtype
    assert torch.equal(clipped, vops.clip_boxes_to_image(boxes, (12, 15)))
    assert torch.equal(remove_small(boxes, 3.0), vops.remove_small_boxes(boxes, 3.0))
    assert clipped.tolist()[2] == [15 if dtype == torch.int64 else 15.0, 12, 15, 12]
