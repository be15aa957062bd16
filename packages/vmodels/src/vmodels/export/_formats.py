"""Writing each export format from one exported program, and running the written artefact.

Every format starts from the same ``torch.export`` capture (non-strict, without autograd), so
that the dynamic dimensions and any capture error are the same whichever format is asked for:

- ``"torch.export"``: ``torch.export.save`` (a ``.pt2`` archive), run by ``torch.export.load``.
- ``"aoti"``: an AOTInductor package compiled to C++ (needs a C++ compiler, takes a while), run by
  ``torch._inductor.aoti_load_package``.
- ``"onnx"``: ``torch.onnx.export(..., dynamo=True)`` with vops' translations
  (:mod:`vops.onnx`), run by ONNX Runtime on the CPU.
"""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from ._check import flat_tensors

FORMATS = ("onnx", "torch.export", "aoti")
# AOTInductor insists on the .pt2 suffix for the package it writes.
SUFFIXES = {"onnx": ".onnx", "torch.export": ".pt2", "aoti": ".pt2"}

Runner = Callable[..., list[Tensor]]


def capture(model: nn.Module, inputs: tuple, dynamic_shapes: Any) -> torch.export.ExportedProgram:
    """The inference graph of ``model`` on ``inputs``, with ``dynamic_shapes`` dynamic."""
    with torch.no_grad():
        return torch.export.export(model, inputs, dynamic_shapes=dynamic_shapes, strict=False)


def write(
    format: str, program: torch.export.ExportedProgram, path: Path, opset_version: int | None
) -> None:
    """Write ``program`` to ``path`` in ``format``."""
    if format == "torch.export":
        torch.export.save(program, path)
    elif format == "aoti":
        torch._inductor.aoti_compile_and_package(program, package_path=str(path))
    else:
        _write_onnx(program, path, opset_version)


def _write_onnx(
    program: torch.export.ExportedProgram, path: Path, opset_version: int | None
) -> None:
    _require_onnx()
    from vops.onnx import translation_table

    onnx_program = torch.onnx.export(
        program,
        (),
        dynamo=True,
        custom_translation_table={**translation_table(), **_aten_translations()},
        opset_version=opset_version,
        optimize=True,
        verbose=False,
    )
    # One self-contained file; protobuf limits it to 2 GB, which every vmodels model but
    # vit_h_14 stays below.
    onnx_program.save(path, external_data=False)


def _aten_translations() -> dict:
    """Lowerings of aten ops that the exporter's own get wrong for vmodels' graphs."""
    return {torch.ops.aten.remainder.Scalar: _remainder_scalar}


def _remainder_scalar(self: Any, other: Any) -> Any:
    """``aten::remainder.Scalar`` (Python's ``%``: the sign of the divisor), where the divisor
    may be a size known only at run time (``x % tensor.item()``), which the exporter's lowering
    cannot take."""
    from onnxscript import opset18 as op

    other = op.CastLike(other, self)
    if self.dtype.is_integer():
        return op.Mod(self, other)  # fmod=0: the sign of the divisor
    return op.Sub(self, op.Mul(op.Floor(op.Div(self, other)), other))


def load(format: str, path: Path) -> Runner:
    """A callable running the artefact at ``path`` on the model's positional arguments and
    returning its output tensors, flattened in pytree order."""
    if format == "torch.export":
        with open(path, "rb") as file:  # by name, torch.export.load wants the .pt2 suffix
            module = torch.export.load(file).module()
        return lambda *inputs: flat_tensors(module(*inputs))
    if format == "aoti":
        package = torch._inductor.aoti_load_package(str(path))
        return lambda *inputs: flat_tensors(package(*inputs))
    return _onnx_runner(path)


def _onnx_runner(path: Path) -> Runner:
    _require_onnx()
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.log_severity_level = 3  # errors only: ORT warns about initializers it folds
    session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    names = [i.name for i in session.get_inputs()]

    def run(*inputs: Any) -> list[Tensor]:
        tensors = flat_tensors(inputs)
        if len(tensors) != len(names):
            raise RuntimeError(
                f"the ONNX model takes {len(names)} inputs ({names}), the model's arguments hold "
                f"{len(tensors)} tensors"
            )
        feed = {
            n: t.detach().cpu().contiguous().numpy() for n, t in zip(names, tensors, strict=True)
        }
        return [torch.from_numpy(output) for output in session.run(None, feed)]

    return run


def _require_onnx() -> None:
    missing = []
    for module in ("onnx", "onnxscript", "onnxruntime"):
        try:
            __import__(module)
        except ImportError:
            missing.append(module)
    if missing:
        raise ModuleNotFoundError(
            f"format='onnx' needs {', '.join(missing)}, which are not installed: "
            "pip install 'vmodels[export]'"
        )
