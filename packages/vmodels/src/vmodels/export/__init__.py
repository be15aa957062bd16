"""Export a model to ONNX, torch.export or AOTInductor, and check the artefact against eager.

``vmodels.export(model, (images,), "onnx", path="model.onnx")`` writes the artefact and runs it
(ONNX Runtime for ONNX, the loaded program or AOTInductor package otherwise) on the example
inputs and on inputs of other sizes along the dynamic dimensions, compares every output with the
eager model's, prints the report and returns it; a mismatch raises :class:`ExportCheckError`.
From the shell: ``python -m vmodels.export resnet18 --format onnx``.

ONNX needs the ``export`` extra: ``pip install 'vmodels[export]'``.
"""

import os
import secrets
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import torch
from torch import nn

from . import _formats, _shapes
from ._check import Comparison, ExportCheckError, ExportReport, shapes_text
from ._formats import FORMATS

__all__ = ["FORMATS", "ExportCheckError", "ExportReport", "export"]


def export(
    model: nn.Module,
    example_inputs: tuple,
    format: str = "onnx",
    *,
    path: str | os.PathLike,
    dynamic: bool = True,
    dynamic_shapes: Any = None,
    check: bool = True,
    check_inputs: Iterable[tuple] | None = None,
    atol: float = 1e-3,
    rtol: float = 1e-3,
    opset_version: int | None = None,
    verbose: bool = True,
) -> ExportReport:
    """Export ``model`` for inference and check that the artefact computes what it does.

    The artefact is written to a temporary file next to ``path`` and moved there when complete,
    so ``path`` never holds half a file.

    Args:
        model: the model, in eval mode.
        example_inputs: the positional arguments of one call, as ``torch.export`` takes them:
            ``(images,)`` with ``images`` a ``Tensor[N, C, H, W]`` for classification and
            segmentation, ``([image],)`` with ``image`` a ``Tensor[C, H, W]`` for detection.
        format: ``"onnx"`` (run with ONNX Runtime), ``"torch.export"`` (a ``.pt2`` archive) or
            ``"aoti"`` (an AOTInductor package; needs a C++ compiler).
        path: where to write the artefact; its folder must exist.
        dynamic: leave sizes dynamic: the batch of each tensor argument and the height and
            width of each image in a list argument (a detector's images). A batch of one is
            traced as a batch of two, since ``torch.export`` would fix a size of 1.
        dynamic_shapes: instead of that default, a ``torch.export`` ``dynamic_shapes`` spec
            (``({0: Dim.DYNAMIC, 2: Dim.DYNAMIC, 3: Dim.DYNAMIC},)``).
        check: run the artefact and compare it with eager (below); without it the report
            says only what was written.
        check_inputs: argument tuples to check on besides ``example_inputs``; by default the
            example resized along the dynamic dimensions (batches of 1 and N + 1; image sides
            scaled by 3/4 and 5/4, changing their aspect ratio).
        atol, rtol: the tolerance: ``|artefact - eager| <= atol + rtol * |eager|`` for every
            element of every floating-point output; integer and bool outputs must be equal.
            The default allows for other kernels summing in another order: a ResNet-50 in
            float32 differs by about 1e-4 under ONNX Runtime.
        opset_version: the ONNX opset (default: torch's); 16 at least, for ``RoiAlign``.
        verbose: print the report.

    Returns:
        The :class:`ExportReport`: format, path, the input sizes tried, per output the largest
        deviation from eager, and whether the check passed.

    Raises:
        ExportCheckError: the artefact disagrees with eager beyond the tolerance, gives other
            shapes or detections, or fails on inputs of another size; ``error.report`` holds
            the report.
        ModuleNotFoundError: ``format="onnx"`` without onnx, onnxscript and onnxruntime.
    """
    _check_arguments(model, example_inputs, format, dynamic, dynamic_shapes, atol, rtol)
    path = Path(path)
    if not path.parent.is_dir():
        raise FileNotFoundError(f"path's folder {str(path.parent)!r} does not exist")
    if opset_version is not None and (not isinstance(opset_version, int) or opset_version < 16):
        raise ValueError(f"opset_version must be an int >= 16 (RoiAlign), got {opset_version!r}")
    if format == "onnx":
        _formats._require_onnx()
    if not dynamic:
        spec = None
    elif dynamic_shapes is not None:
        spec = dynamic_shapes
    else:
        spec = _shapes.default_dynamic_shapes(example_inputs)
    dims = _shapes.dynamic_dims(example_inputs, spec)
    if spec is not None and not dims:
        spec = None  # nothing to leave dynamic (no tensor arguments)

    program = _formats.capture(model, _shapes.traceable(example_inputs, dims), spec)

    def write(temporary: Path) -> None:
        _formats.write(format, program, temporary, opset_version)

    _write_atomically(path, _formats.SUFFIXES[format], write)
    if not check:
        report = ExportReport(format=format, path=path)
        if verbose:
            print(report)
        return report

    if check_inputs is None:
        others = _shapes.other_sizes(example_inputs, dims)
    else:
        others = list(check_inputs)
    runs = [example_inputs, *others]
    report = _check(model, _formats.load(format, path), runs, format, path, atol, rtol)
    if not report.passed:
        raise ExportCheckError(report)  # its message is the report
    if verbose:
        print(report)
    return report


def _check(
    model: nn.Module,
    runner: _formats.Runner,
    runs: list[tuple],
    format: str,
    path: Path,
    atol: float,
    rtol: float,
) -> ExportReport:
    comparison = Comparison(atol, rtol)
    sizes = []
    for inputs in runs:
        if not isinstance(inputs, tuple):
            raise TypeError(
                f"check_inputs must hold tuples of positional arguments, got {type(inputs)}"
            )
        shapes = _shapes.tensor_shapes(inputs)
        sizes.append(shapes)
        where = shapes_text(shapes)
        with torch.no_grad():
            eager = model(*inputs)
            try:
                artefact = runner(*inputs)
            except Exception as error:  # a failure on other sizes is what the check reports
                comparison.problems.append(
                    f"at {where}: the artefact raised {type(error).__name__}: "
                    + str(error).strip().splitlines()[0][:300]
                )
                continue
        comparison.add_run(eager, artefact, where)
    return comparison.report(format, path, sizes)


def _check_arguments(
    model: Any,
    example_inputs: Any,
    format: Any,
    dynamic: Any,
    dynamic_shapes: Any,
    atol: Any,
    rtol: Any,
) -> None:
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if model.training:
        raise ValueError(
            "model must be in eval mode (export is for inference): call model.eval() first"
        )
    if not isinstance(example_inputs, tuple):
        raise TypeError(
            "example_inputs must be a tuple of positional arguments, such as (images,) or "
            f"([image],) for a detector, got {type(example_inputs).__name__}"
        )
    if format not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}, got {format!r}")
    if not isinstance(dynamic, bool):
        raise TypeError(f"dynamic must be a bool, got {dynamic!r}")
    if dynamic_shapes is not None and not dynamic:
        raise ValueError("dynamic_shapes was given with dynamic=False; pass one or the other")
    for name, value in (("atol", atol), ("rtol", rtol)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
            raise ValueError(f"{name} must be a non-negative number, got {value!r}")


def _write_atomically(path: Path, suffix: str, write: Callable[[Path], None]) -> None:
    # The writers create the file (so it gets the usual permissions); a unique name in the same
    # folder makes the final rename atomic.
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp{suffix}")
    try:
        write(temporary)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
