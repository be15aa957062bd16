"""vmodels.export: each format written and checked against eager, the report, a planted
mismatch caught by check=True, atomic writes, argument errors and `python -m vmodels.export`.

One export per model, on small inputs: a ResNet, a MobileNet, a ViT, an FCN and a Mask R-CNN to
ONNX (each run again here by ONNX Runtime on a size the check did not try), and the
smallest model through torch.export and through AOTInductor. Random weights get batch-norm
statistics measured on images, so that outputs vary with the image and scores do not tie."""

import subprocess
import sys

import pytest
import torch
from torch import nn
from torch.export import Dim

import vmodels
from vmodels.export import ExportCheckError, ExportReport, _formats, _shapes
from vmodels.export import __main__ as export_main
from vmodels.export._check import Comparison

onnx = pytest.importorskip("onnx")
onnxruntime = pytest.importorskip("onnxruntime")
pytest.importorskip("onnxscript")

# name -> (builder arguments, image side)
ONNX_MODELS = {
    "resnet18": ({"num_classes": 10}, 32),
    "mobilenet_v3_small": ({"num_classes": 10}, 32),
    "vit_b_32": ({"num_classes": 10, "image_size": 64}, 64),  # 2x2 patches
    "fcn_resnet50": ({"num_classes": 4, "aux_loss": True}, 32),
}
# fcn_resnet50 takes any image size: its sides are left dynamic too.
SEGMENTATION_SHAPES = ({0: Dim.DYNAMIC, 2: Dim.DYNAMIC, 3: Dim.DYNAMIC},)


def _model(name: str, *inputs, **kwargs) -> nn.Module:
    """``name`` with random weights, a random head (ViT's starts at zero) and batch-norm
    statistics (torch's and vops' frozen ones) measured on ``inputs``, each norm's on its own
    input in the order they run, so that every output depends on the image through every layer."""
    torch.manual_seed(0)
    model = vmodels.get_model(name, **kwargs).eval()

    def measure(norm: nn.Module, arguments: tuple) -> None:
        dims = [0, *range(2, arguments[0].dim())]
        norm.running_mean.copy_(arguments[0].mean(dims))
        norm.running_var.copy_(arguments[0].var(dims, correction=0))

    norms = [m for m in model.modules() if "BatchNorm" in type(m).__name__]
    hooks = [norm.register_forward_pre_hook(measure) for norm in norms]
    with torch.no_grad():
        model(*inputs)
        for parameter in getattr(model, "heads", nn.Identity()).parameters():
            parameter.normal_(0.0, 0.1)
    for hook in hooks:
        hook.remove()
    return model


def _images(n: int, side: int, seed: int = 0) -> torch.Tensor:
    return torch.rand(n, 3, side, side, generator=torch.Generator().manual_seed(seed))


def _run_onnx(path, images: torch.Tensor) -> list[torch.Tensor]:
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (name,) = [i.name for i in session.get_inputs()]
    return [torch.from_numpy(o) for o in session.run(None, {name: images.numpy()})]


@pytest.mark.parametrize("name", ONNX_MODELS)
def test_model_exports_to_onnx_with_a_dynamic_batch_and_matches_eager(name, tmp_path):
    kwargs, side = ONNX_MODELS[name]
    model = _model(name, _images(8, side, seed=5), **kwargs)
    segmentation = name.startswith("fcn")
    path = tmp_path / f"{name}.onnx"
    report = vmodels.export(
        model,
        (_images(2, side),),
        "onnx",
        path=path,
        dynamic_shapes=SEGMENTATION_SHAPES if segmentation else None,
    )

    assert report.passed and report.problems == ()
    assert report.format == "onnx" and report.path == path and path.is_file()
    batches = [shapes[0][0] for shapes in report.sizes]
    assert batches == [2, 1, 3]
    if segmentation:  # other sides too, in another aspect ratio
        assert report.sizes[1][0][2:] == (24, 40)
        assert set(report.deviations) == {"['out']", "['aux']"}
    else:
        assert set(report.deviations) == {"output"}
    assert all(0 <= d <= 1e-3 for d in report.deviations.values())
    (graph_input,) = onnx.load(path).graph.input
    assert graph_input.type.tensor_type.shape.dim[0].dim_param  # a symbolic batch

    # Independently of the check: ONNX Runtime on a batch it did not try gives eager's outputs.
    images = _images(5, 40 if segmentation else side, seed=1)
    with torch.no_grad():
        expected = model(images)
    expected = list(expected.values()) if segmentation else [expected]
    got = _run_onnx(path, images)
    assert len(got) == len(expected)
    for g, e in zip(got, expected, strict=True):
        assert (e[0] - e[1]).abs().max() > 0.05  # outputs that depend on the image
        torch.testing.assert_close(g, e, atol=1e-3, rtol=1e-3)


def test_torch_export_format_saves_a_program_that_loads_and_matches_eager(tmp_path):
    model = _model("cifar_resnet20", _images(8, 32, seed=5))
    path = tmp_path / "cifar_resnet20.pt2"
    report = vmodels.export(model, (_images(2, 32),), "torch.export", path=path)
    assert report.passed and report.format == "torch.export"
    assert report.deviations["output"] <= 1e-5
    loaded = torch.export.load(path).module()
    images = _images(4, 32, seed=1)
    with torch.no_grad():
        expected = model(images)
    assert (expected[0] - expected[1]).abs().max() > 0.05
    torch.testing.assert_close(loaded(images), expected, atol=1e-5, rtol=1e-5)


@pytest.mark.slow  # compiling the generated C++ takes about 30 s on two cores
def test_aoti_format_compiles_a_package_that_loads_and_matches_eager(tmp_path):
    model = _model("cifar_resnet20", _images(8, 32, seed=5))
    path = tmp_path / "cifar_resnet20.pt2"
    report = vmodels.export(model, (_images(1, 32),), "aoti", path=path)
    # A batch of one is traced as two, so that the batch stays dynamic.
    assert report.passed and [s[0][0] for s in report.sizes] == [1, 3]
    package = torch._inductor.aoti_load_package(str(path))
    images = _images(5, 32, seed=1)
    with torch.no_grad():
        torch.testing.assert_close(package(images), model(images), atol=1e-4, rtol=1e-4)


# Faster R-CNN's parts and the mask head: RoIAlign, NMS, pasted masks. (One export of a detector
# costs 20 to 50 s here; ssdlite320_mobilenet_v3_large, 20 s, checks out the same way.)
FEW_ROIS = {"rpn_pre_nms_top_n_test": 100, "rpn_post_nms_top_n_test": 50}
DETECTORS = {
    "maskrcnn_resnet18_fpn": {
        **{"num_classes": 3, "min_size": 128, "max_size": 160, **FEW_ROIS},
        **{"box_detections_per_img": 10, "box_score_thresh": 0.0},
    },
}


@pytest.mark.slow  # about 50 s on two cores
@pytest.mark.parametrize("name", DETECTORS)
def test_detector_exports_to_onnx_with_dynamic_sides_and_matches_eager(name, tmp_path):
    generator = torch.Generator().manual_seed(1)
    image = torch.rand(3, 120, 150, generator=generator)
    model = _model(name, [image], **DETECTORS[name])
    path = tmp_path / f"{name}.onnx"
    report = vmodels.export(model, ([image],), "onnx", path=path)

    assert report.passed and report.sizes == (((3, 120, 150),), ((3, 90, 188),))
    keys = ["boxes", "labels", "scores"] + (["masks"] if name.startswith("mask") else [])
    names = {f"[0][{k!r}]" + (" (mean per mask)" if k == "masks" else "") for k in keys}
    assert set(report.deviations) == names
    assert report.deviations["[0]['labels']"] == 0

    # Independently of the check: ONNX Runtime on an image of a third size.
    other = torch.rand(3, 100, 130, generator=generator)
    with torch.no_grad():
        (expected,) = model([other])
    got = dict(zip(expected, _run_onnx(path, other), strict=True))
    assert expected["scores"].unique().numel() == 10  # ten detections, no ties to hide behind
    torch.testing.assert_close(got["boxes"], expected["boxes"], atol=0.05, rtol=1e-3)
    torch.testing.assert_close(got["scores"], expected["scores"], atol=1e-4, rtol=1e-3)
    assert torch.equal(got["labels"], expected["labels"])
    if "masks" in expected:
        assert got["masks"].shape == expected["masks"].shape == (10, 1, 100, 130)
        assert (got["masks"] - expected["masks"]).abs().mean() < 1e-4


def test_remainder_by_a_size_known_at_run_time_lowers_with_python_semantics(tmp_path):
    """``x % tensor.item()``, as Keypoint R-CNN's heatmap peaks compute it: the exporter's own
    lowering refuses a divisor that is not a constant."""

    class Remainder(nn.Module):
        def forward(self, x: torch.Tensor, sizes: torch.Tensor) -> tuple[torch.Tensor, ...]:
            divisor = sizes.max().item()
            torch._check(divisor >= 1)
            return x % divisor, x.float() % divisor

    x = torch.arange(-7, 8)
    report = vmodels.export(
        Remainder().eval(),
        (x, torch.tensor([3, 2])),
        path=tmp_path / "remainder.onnx",
        dynamic=False,
        check_inputs=[(x, torch.tensor([5, 4]))],
    )
    assert report.passed and report.deviations == {"[0]": 0.0, "[1]": 0.0}
    assert report.sizes == (((15,), (2,)), ((15,), (2,)))


class ExportsSomethingElse(nn.Module):
    """Its exported graph adds 0.01 to its second output: a mismatch planted in the artefact."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        pooled = self.conv(x).mean((2, 3))
        drifted = pooled
        if torch.compiler.is_exporting():
            drifted = pooled + 0.01
        return {"kept": pooled, "drifted": drifted}


@pytest.mark.parametrize("format", ["onnx", "torch.export"])
def test_check_raises_with_a_report_naming_the_output_that_differs(format, tmp_path):
    path = tmp_path / "planted.bin"
    with pytest.raises(ExportCheckError, match=r"\['drifted'\] differs by up to 0.01,") as caught:
        vmodels.export(ExportsSomethingElse().eval(), (_images(2, 8),), format, path=path)
    report = caught.value.report
    assert report.passed is False and report.format == format and report.path == path
    assert report.sizes == (((2, 3, 8, 8),), ((1, 3, 8, 8),), ((3, 3, 8, 8),))
    assert report.deviations["['kept']"] <= 1e-5
    assert report.deviations["['drifted']"] == pytest.approx(0.01, rel=1e-3)
    assert len(report.problems) == 3  # one per size tried
    assert "FAILED" in str(caught.value) and path.is_file()  # the artefact stays for a look


def test_a_looser_tolerance_passes_the_same_artefact(tmp_path):
    report = vmodels.export(
        ExportsSomethingElse().eval(), (_images(2, 8),), path=tmp_path / "m.onnx", atol=0.02
    )
    assert report.passed and report.atol == 0.02 and "passed" in str(report)


def test_roi_align_lowered_in_the_wrong_coordinate_mode_is_caught(monkeypatch, tmp_path):
    vops_onnx = pytest.importorskip("vops.onnx")
    import vops

    class Pool(nn.Module):
        def forward(self, features: torch.Tensor, rois: torch.Tensor) -> torch.Tensor:
            return vops.roi_align(features, rois, (2, 2), 0.5, 2, aligned=False)

    generator = torch.Generator().manual_seed(0)
    features = torch.randn(1, 3, 12, 12, generator=generator)
    corners = torch.rand(5, 2, generator=generator) * 12
    rois = torch.cat([torch.zeros(5, 1), corners, corners + 6], 1)
    arguments = (features, rois)
    report = vmodels.export(Pool().eval(), arguments, path=tmp_path / "right.onnx", dynamic=False)
    assert report.passed and report.sizes == (((1, 3, 12, 12), (5, 5)),)

    monkeypatch.setattr(vops_onnx, "coordinate_transformation_mode", lambda aligned: "half_pixel")
    with pytest.raises(ExportCheckError) as caught:
        vmodels.export(Pool().eval(), arguments, path=tmp_path / "wrong.onnx", dynamic=False)
    assert caught.value.report.deviations["output"] > 0.01


def test_check_false_writes_without_running(monkeypatch, tmp_path, capsys):
    def fail(*args):
        raise AssertionError("the artefact was run")

    monkeypatch.setattr(_formats, "load", fail)
    path = tmp_path / "m.onnx"
    report = vmodels.export(ExportsSomethingElse().eval(), (_images(2, 8),), path=path, check=False)
    assert report == ExportReport(format="onnx", path=path) and report.passed is None
    assert path.is_file() and "not checked" in capsys.readouterr().out


def test_a_failed_write_leaves_the_previous_file_and_no_temporary(monkeypatch, tmp_path):
    path = tmp_path / "m.onnx"
    path.write_text("previous")

    def write_half(format, program, target, opset_version):
        target.write_text("half")
        raise OSError("disk full")

    monkeypatch.setattr(_formats, "write", write_half)
    with pytest.raises(OSError, match="disk full"):
        vmodels.export(ExportsSomethingElse().eval(), (_images(2, 8),), path=path)
    assert path.read_text() == "previous"
    assert [p.name for p in tmp_path.iterdir()] == ["m.onnx"]


def test_comparison_takes_equal_infinities_and_nans_as_equal_and_integers_exactly():
    comparison = Comparison(atol=1e-3, rtol=1e-3)
    eager = {"x": torch.tensor([1.0, float("inf"), float("nan")]), "n": torch.tensor([1, 2])}
    artefact = [torch.tensor([1.0005, float("inf"), float("nan")]), torch.tensor([1, 3])]
    comparison.add_run(eager, artefact, "3, 2")
    assert comparison.deviations == {"['x']": pytest.approx(5e-4, rel=1e-3), "['n']": 1.0}
    assert comparison.problems == ["at 3, 2: ['n'] differs by up to 1, beyond the tolerance"]


def _detections(boxes: list, scores: list, labels: list) -> dict[str, torch.Tensor]:
    return {
        "boxes": torch.tensor(boxes, dtype=torch.float32),
        "scores": torch.tensor(scores),
        "labels": torch.tensor(labels),
    }


def test_comparison_pairs_detections_listed_in_another_order_and_flags_a_missing_one():
    boxes = [[0, 0, 10, 10], [20, 20, 30, 30], [0, 20, 10, 30]]
    eager = [_detections(boxes, [0.9, 0.5, 0.5], [1, 2, 1])]
    # The two equal scores in the other order, a box moved by 0.001: the same detections.
    swapped = _detections([boxes[0], boxes[2], [20, 20, 30, 30.001]], [0.9, 0.5, 0.5], [1, 1, 2])
    comparison = Comparison(atol=1e-2, rtol=0)
    comparison.add_run(eager, list(swapped.values()), "s")
    assert comparison.problems == []
    assert comparison.deviations["[0]['boxes']"] == pytest.approx(1e-3, rel=1e-2)
    # The second box labelled otherwise is another detection: one unmatched on each side.
    relabelled = _detections(boxes, [0.9, 0.5, 0.5], [1, 3, 1])
    comparison.add_run(eager, list(relabelled.values()), "s")
    (problem,) = comparison.problems
    assert "1 eager and 1 of the artefact's unmatched" in problem


def test_detector_inputs_get_dynamic_sides_and_other_sizes_change_the_aspect():
    images = ([torch.rand(3, 120, 160)],)
    spec = _shapes.default_dynamic_shapes(images)
    assert spec == ([{1: Dim.DYNAMIC, 2: Dim.DYNAMIC}],)
    dims = _shapes.dynamic_dims(images, spec)
    assert [(d.dim, d.batch) for d in dims] == [(1, False), (2, False)]
    (other,) = _shapes.other_sizes(images, dims)
    assert other[0][0].shape == (3, 90, 200)
    # Nearest-index resampling: the resized image holds the original's pixels.
    assert torch.equal(other[0][0][:, 0, 0], images[0][0][:, 0, 0])


def test_a_batch_of_one_is_traced_as_two_distinct_images():
    images = (_images(1, 8),)
    dims = _shapes.dynamic_dims(images, _shapes.default_dynamic_shapes(images))
    (traced,) = _shapes.traceable(images, dims)
    assert traced.shape == (2, 3, 8, 8)
    assert torch.equal(traced[0], images[0][0]) and torch.equal(traced[1], images[0][0].flip(-1))


DYNAMIC_BATCH = ({0: Dim.DYNAMIC},)
BAD_ARGUMENTS = [
    ({"model": "resnet18"}, TypeError, r"model must be a torch.nn.Module, got str"),
    ({"train": True}, ValueError, r"model must be in eval mode"),
    ({"example_inputs": torch.rand(1, 3, 8, 8)}, TypeError, r"must be a tuple.*got Tensor"),
    ({"format": "tflite"}, ValueError, r"format must be one of .*'onnx'.*got 'tflite'"),
    ({"path": "/nonexistent/m.onnx"}, FileNotFoundError, r"path's folder '/nonexistent'"),
    ({"atol": -1.0}, ValueError, r"atol must be a non-negative number, got -1.0"),
    ({"dynamic": False, "dynamic_shapes": DYNAMIC_BATCH}, ValueError, r"dynamic_shapes.*=False"),
    ({"dynamic_shapes": (*DYNAMIC_BATCH, None)}, ValueError, r"dynamic_shapes must mirror"),
    ({"opset_version": 11}, ValueError, r"opset_version must be an int >= 16"),
]


@pytest.mark.parametrize(("change", "error", "message"), BAD_ARGUMENTS)
def test_bad_arguments_raise_errors_naming_them(change, error, message, tmp_path):
    change = dict(change)
    model = ExportsSomethingElse().train(change.pop("train", False))
    arguments = {"model": model, "example_inputs": (_images(2, 8),), "path": tmp_path / "m.onnx"}
    arguments.update(change)
    with pytest.raises(error, match=message):
        vmodels.export(**arguments)


def test_python_m_vmodels_export_checks_a_registered_model(tmp_path):
    path = tmp_path / "cifar_resnet20.onnx"
    command = [sys.executable, "-m", "vmodels.export", "cifar_resnet20", "--format", "onnx"]
    command += ["--size", "32", "--output", str(path)]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert f"vmodels.export onnx -> {path}: passed" in result.stdout
    assert "sizes tried: 2x3x32x32; 1x3x32x32; 3x3x32x32" in result.stdout
    assert path.is_file()


def test_the_command_line_names_an_unknown_model(capsys):
    with pytest.raises(SystemExit) as caught:
        export_main.main(["resnet_18", "--format", "onnx"])
    assert caught.value.code == 2 and "unknown model 'resnet_18'" in capsys.readouterr().err


def test_importing_vmodels_and_vops_onnx_loads_no_onnx_package():
    code = "import sys, vmodels, vops.onnx; print([m for m in sys.modules if m.startswith('onnx')])"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
