"""vops' ONNX lowerings (vops.onnx): a tiny module calling each op, exported with
torch.onnx.export(dynamo=True) and run by ONNX Runtime, against the eager op on random and
hand-made inputs, including sizes other than the traced ones."""

import pytest
import torch
from roi_cases import HEIGHT, OUTPUT_SIZE, WIDTH, make_rois
from torch import Tensor, nn
from torch.export import Dim

import vops

onnxruntime = pytest.importorskip("onnxruntime")
pytest.importorskip("onnxscript")
vops_onnx = pytest.importorskip("vops.onnx")


class RoIAlign(nn.Module):
    def __init__(self, spatial_scale: float, sampling_ratio: int, aligned: bool) -> None:
        super().__init__()
        self.spatial_scale = spatial_scale
        self.sampling_ratio = sampling_ratio
        self.aligned = aligned

    def forward(self, features: Tensor, rois: Tensor) -> Tensor:
        return vops.roi_align(
            features, rois, OUTPUT_SIZE, self.spatial_scale, self.sampling_ratio, self.aligned
        )


class RoIPool(nn.Module):
    def forward(self, features: Tensor, rois: Tensor) -> Tensor:
        return vops.roi_pool(features, rois, OUTPUT_SIZE, 0.5)


class NMS(nn.Module):
    def __init__(self, iou_threshold: float) -> None:
        super().__init__()
        self.iou_threshold = iou_threshold

    def forward(self, boxes: Tensor, scores: Tensor) -> Tensor:
        return vops.nms(boxes, scores, self.iou_threshold)


class BatchedNMS(NMS):
    def forward(self, boxes: Tensor, scores: Tensor, idxs: Tensor) -> Tensor:
        return vops.batched_nms(boxes, scores, idxs, self.iou_threshold)


def onnx_runner(module: nn.Module, args: tuple, dynamic_shapes: tuple, tmp_path):
    """Export ``module`` with vops' translations and return a function running ONNX Runtime."""
    with torch.no_grad():
        program = torch.onnx.export(
            module.eval(),
            args,
            dynamo=True,
            dynamic_shapes=dynamic_shapes,
            custom_translation_table=vops_onnx.translation_table(),
            verbose=False,
        )
    path = tmp_path / "op.onnx"
    program.save(path)
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    names = [i.name for i in session.get_inputs()]

    def run(*inputs: Tensor) -> Tensor:
        (output,) = session.run(None, {n: t.numpy() for n, t in zip(names, inputs, strict=True)})
        return torch.from_numpy(output)

    return run, program.model_proto


def random_rois(count: int, batch: int, scale: float, generator: torch.Generator) -> Tensor:
    """Boxes in feature-map coordinates / ``scale``, some reaching outside the map."""
    corner = torch.rand(count, 2, generator=generator) * torch.tensor([WIDTH, HEIGHT]) - 2
    size = torch.rand(count, 2, generator=generator) * 8
    index = torch.randint(0, batch, (count, 1), generator=generator).float()
    return torch.cat([index, corner / scale, (corner + size) / scale], 1)


# Any number of RoIs (and of boxes below); the feature map is fixed.
ROI_SHAPES = (None, {0: Dim.DYNAMIC})
BOX_SHAPES = ({0: Dim.DYNAMIC}, {0: Dim.DYNAMIC})


@pytest.mark.parametrize("aligned", [True, False])
@pytest.mark.parametrize("sampling_ratio", [-1, 2])
def test_roi_align_lowers_to_roialign_matching_eager(aligned, sampling_ratio, tmp_path):
    generator = torch.Generator().manual_seed(0)
    features = torch.randn(2, 3, HEIGHT, WIDTH, generator=generator)
    module = RoIAlign(0.5, sampling_ratio, aligned)
    traced_rois = random_rois(6, 2, 0.5, generator)
    run, proto = onnx_runner(module, (features, traced_rois), ROI_SHAPES, tmp_path)

    (node,) = [n for n in proto.graph.node if n.op_type == "RoiAlign"]
    attributes = {a.name: a for a in node.attribute}
    mode = attributes["coordinate_transformation_mode"].s.decode()
    assert mode == ("half_pixel" if aligned else "output_half_pixel")
    # The hand-made edge cases (outside the map, empty, reversed, sub-pixel) and random RoIs.
    for rois in (make_rois(torch.float32, 0.5), random_rois(9, 2, 0.5, generator)):
        if aligned:  # a reversed RoI (x2 < x1) makes ONNX Runtime's sample count negative
            rois = rois[(rois[:, 3] >= rois[:, 1]) & (rois[:, 4] >= rois[:, 2])]
        features = torch.randn(2, 3, HEIGHT, WIDTH, generator=generator)
        expected = module(features, rois)
        assert expected.abs().sum() > 0
        torch.testing.assert_close(run(features, rois), expected, atol=1e-5, rtol=1e-5)


def test_roi_align_in_the_wrong_coordinate_mode_differs_from_eager(monkeypatch, tmp_path):
    """The comparison above can fail: aligned=False lowered as half_pixel samples elsewhere."""
    monkeypatch.setattr(vops_onnx, "coordinate_transformation_mode", lambda aligned: "half_pixel")
    generator = torch.Generator().manual_seed(0)
    features = torch.randn(2, 3, HEIGHT, WIDTH, generator=generator)
    rois = random_rois(6, 2, 0.5, generator)
    module = RoIAlign(0.5, -1, aligned=False)
    run, _ = onnx_runner(module, (features, rois), ROI_SHAPES, tmp_path)
    assert (run(features, rois) - module(features, rois)).abs().max() > 0.05


def test_roi_pool_lowers_to_maxroipool_matching_eager(tmp_path):
    generator = torch.Generator().manual_seed(1)
    features = torch.randn(2, 3, HEIGHT, WIDTH, generator=generator)
    module = RoIPool()
    traced = (features, random_rois(6, 2, 0.5, generator))
    run, proto = onnx_runner(module, traced, ROI_SHAPES, tmp_path)

    assert "MaxRoiPool" in {n.op_type for n in proto.graph.node}
    for rois in (make_rois(torch.float32, 0.5), random_rois(9, 2, 0.5, generator)):
        features = torch.randn(2, 3, HEIGHT, WIDTH, generator=generator)
        expected = module(features, rois)
        assert (expected == 0).any() and (expected != 0).any()  # empty bins and real maxima
        torch.testing.assert_close(run(features, rois), expected, atol=0, rtol=0)


def test_roi_pool_lowering_refuses_the_training_form():
    with pytest.raises(ValueError, match=r"with_argmax=True.*torch.no_grad\(\)"):
        vops_onnx.roi_pool(None, None, 1.0, 2, 2, with_argmax=True)


def clustered_boxes(count: int, generator: torch.Generator) -> Tensor:
    """Boxes around a few centres, so that many overlap by all sorts of amounts."""
    centres = torch.rand(5, 2, generator=generator) * 40
    centre = centres[torch.randint(0, 5, (count,), generator=generator)]
    centre = centre + torch.randn(count, 2, generator=generator) * 3
    half = 2 + torch.rand(count, 2, generator=generator) * 6
    return torch.cat([centre - half, centre + half], 1)


@pytest.mark.parametrize("iou_threshold", [0.3, 0.7])
def test_nms_lowers_to_nonmaxsuppression_keeping_the_same_boxes_in_order(iou_threshold, tmp_path):
    generator = torch.Generator().manual_seed(2)
    module = NMS(iou_threshold)
    traced = (clustered_boxes(40, generator), torch.rand(40, generator=generator))
    run, proto = onnx_runner(module, traced, BOX_SHAPES, tmp_path)

    assert "NonMaxSuppression" in {n.op_type for n in proto.graph.node}
    for count in (200, 1):
        boxes, scores = clustered_boxes(count, generator), torch.rand(count, generator=generator)
        expected = module(boxes, scores)
        assert count == 1 or 1 < expected.numel() < count  # some suppressed, some kept
        assert torch.equal(run(boxes, scores), expected)


def test_nms_lowering_keeps_a_box_at_exactly_the_threshold_and_breaks_ties_by_index(tmp_path):
    """IoU > threshold suppresses, strictly: boxes 0 and 1 overlap by exactly 1/2, box 4 overlaps
    box 0 by 2/2.2. Of boxes 5 and 6 (equal scores, IoU 0.82) the lower index survives; boxes 2
    and 3 (equal scores, apart) come out lower index first: as in vops."""
    boxes = torch.tensor(
        [
            [0, 0, 2, 1],
            [0, 0, 1, 1],
            [10, 10, 11, 11],
            [20, 20, 21, 21],
            [0, 0, 2, 1.1],
            [30, 30, 40, 40],
            [31, 30, 41, 40],
        ]
    )
    scores = torch.tensor([0.9, 0.8, 0.5, 0.5, 0.7, 0.6, 0.6])
    module = NMS(0.5)
    run, _ = onnx_runner(module, (boxes, scores), BOX_SHAPES, tmp_path)
    expected = module(boxes, scores)
    assert expected.tolist() == [0, 1, 5, 2, 3]
    assert torch.equal(run(boxes, scores), expected)
    reversed_ties = [0, 1, 3, 2, 4, 6, 5]  # the same boxes, each tied pair in the other order
    assert torch.equal(run(boxes[reversed_ties], scores), module(boxes[reversed_ties], scores))


def test_batched_nms_lowers_per_category_and_merges_by_score(tmp_path):
    generator = torch.Generator().manual_seed(3)
    module = BatchedNMS(0.5)

    def inputs(count: int) -> tuple[Tensor, Tensor, Tensor]:
        idxs = torch.randint(0, 4, (count,), generator=generator)
        return clustered_boxes(count, generator), torch.rand(count, generator=generator), idxs

    run, _ = onnx_runner(module, inputs(40), (*BOX_SHAPES, {0: Dim.DYNAMIC}), tmp_path)
    for count in (300, 1):
        boxes, scores, idxs = inputs(count)
        expected = module(boxes, scores, idxs)
        # Boxes of other categories do not suppress each other: more survive than without them.
        assert count == 1 or expected.numel() > vops.nms(boxes, scores, 0.5).numel()
        assert torch.equal(run(boxes, scores, idxs), expected)
    empty = (torch.zeros(0, 4), torch.zeros(0), torch.zeros(0, dtype=torch.int64))
    assert run(*empty).shape == (0,)


def test_translation_table_maps_each_inference_op():
    table = vops_onnx.translation_table()
    assert set(table) == {
        torch.ops.vops.roi_align.default,
        torch.ops.vops.roi_pool.default,
        torch.ops.vops.nms.default,
        torch.ops.vops.batched_nms.default,
    }
