"""Comparing an exported artefact's outputs with eager ones, and the report of the comparison.

Outputs are compared leaf by leaf in pytree order (the order ONNX, torch.export and AOTInductor
give them). A detector's output, a list of per-image dicts with ``"boxes"``, is compared by
detection: each eager detection is paired with the artefact's detection of the same label that
overlaps it most (IoU at least :data:`MATCH_IOU`), so that two equal scores listed in the other
order do not count as a mismatch, and then boxes, scores, labels, masks and keypoints of the
pairs are compared; a detection without a partner is a mismatch. Masks, pasted into the image,
are compared by their mean difference per mask.
"""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import Tensor
from torch.utils import _pytree as pytree

import vops

# Detections overlapping less than this are not the same detection.
MATCH_IOU = 0.5


@dataclass(frozen=True)
class ExportReport:
    """What :func:`vmodels.export` wrote and how the artefact compared with eager.

    Attributes:
        format: ``"onnx"``, ``"torch.export"`` or ``"aoti"``.
        path: the artefact.
        sizes: one entry per run of the check: the shape of each input tensor, the example
            inputs first. Empty when the artefact was not checked.
        deviations: per output (``"output"``, ``"['out']"``, ``"[0]['boxes']"``), the largest
            ``|artefact - eager|`` over all runs (for detections, over matched pairs; for masks
            the largest mean over a mask's pixels, ``"[0]['masks'] (mean per mask)"``).
        atol, rtol: the tolerance: an element passes when
            ``|artefact - eager| <= atol + rtol * |eager|``; integer and bool outputs must be equal.
        problems: what failed, one line each (tolerance exceeded, shapes or detections that
            differ, a run that raised).
        passed: whether the check passed; None when it was not run (``check=False``).
    """

    format: str
    path: Path
    sizes: tuple[tuple[tuple[int, ...], ...], ...] = ()
    deviations: dict[str, float] = field(default_factory=dict)
    atol: float = 0.0
    rtol: float = 0.0
    problems: tuple[str, ...] = ()
    passed: bool | None = None

    def __str__(self) -> str:
        verdict = {True: "passed", False: "FAILED", None: "not checked"}[self.passed]
        lines = [f"vmodels.export {self.format} -> {self.path}: {verdict}"]
        if self.passed is None:
            return lines[0]
        lines[0] += f" (tolerance {self.atol:g} + {self.rtol:g} * |eager|)"
        lines.append("  sizes tried: " + "; ".join(shapes_text(s) for s in self.sizes))
        if self.deviations:
            width = max(len(name) for name in self.deviations)
            lines.append(f"  {'output':<{width}}  max |artefact - eager|")
            lines += [f"  {name:<{width}}  {value:.3g}" for name, value in self.deviations.items()]
        lines += [f"  problem: {problem}" for problem in self.problems]
        return "\n".join(lines)


class ExportCheckError(RuntimeError):
    """The exported artefact disagrees with eager (or failed to run); ``report`` says how."""

    def __init__(self, report: ExportReport) -> None:
        super().__init__(f"the exported artefact does not match eager:\n{report}")
        self.report = report


def shapes_text(shapes: tuple[tuple[int, ...], ...]) -> str:
    """``((2, 3, 64, 64), (5,))`` as ``"2x3x64x64, 5"``."""
    return ", ".join("x".join(map(str, shape)) for shape in shapes)


class Comparison:
    """Accumulates the deviations and problems of several runs."""

    def __init__(self, atol: float, rtol: float) -> None:
        self.atol, self.rtol = atol, rtol
        self.deviations: dict[str, float] = {}
        self.problems: list[str] = []

    def add_run(self, eager: Any, artefact: list[Tensor], shapes: str) -> None:
        """Compare one run: ``eager`` the model's output, ``artefact`` the flat list of tensors
        the artefact gave for the same inputs (of shapes ``shapes``)."""
        named = named_tensors(eager)
        if len(artefact) != len(named):
            self.problems.append(
                f"at {shapes}: the artefact gave {len(artefact)} outputs, eager {len(named)}"
            )
            return
        if _is_detections(eager):
            start = 0
            for image, detections in enumerate(eager):
                count = sum(isinstance(v, Tensor) for v in pytree.tree_leaves(detections))
                got = artefact[start : start + count]
                start += count
                self._add_detections(image, detections, got, shapes)
            return
        for (name, expected), actual in zip(named, artefact, strict=True):
            self._add_tensor(name, expected, actual, shapes)

    def _add_tensor(self, name: str, expected: Tensor, actual: Tensor, shapes: str) -> None:
        expected, actual = expected.detach().cpu(), actual.detach().cpu()
        if expected.shape != actual.shape:
            self.problems.append(
                f"at {shapes}: {name} has shape {list(actual.shape)}, eager {list(expected.shape)}"
            )
            return
        deviation, close = self._deviation(expected, actual)
        self._record(name, deviation)
        if not close:
            self.problems.append(
                f"at {shapes}: {name} differs by up to {deviation:.3g}, beyond the tolerance"
            )

    def _deviation(self, expected: Tensor, actual: Tensor) -> tuple[float, bool]:
        if expected.numel() == 0:
            return 0.0, True
        if not expected.is_floating_point():
            difference = (expected.double() - actual.double()).abs()
            return difference.max().item(), bool((expected == actual.to(expected.dtype)).all())
        expected, actual = expected.double(), actual.double()
        close = torch.isclose(actual, expected, rtol=self.rtol, atol=self.atol, equal_nan=True)
        difference = (actual - expected).abs().nan_to_num(nan=float("inf"))
        same = (expected == actual) | (expected.isnan() & actual.isnan())  # infinities too
        return difference.masked_fill(same, 0).max().item(), bool(close.all())

    def _record(self, name: str, deviation: float) -> None:
        self.deviations[name] = max(self.deviations.get(name, 0.0), deviation)

    def _add_detections(
        self, image: int, expected: dict[str, Tensor], actual: list[Tensor], shapes: str
    ) -> None:
        keys = [key for key, value in expected.items() if isinstance(value, Tensor)]
        actual_by_key = dict(zip(keys, actual, strict=True))
        count, got = expected["boxes"].size(0), actual_by_key["boxes"].size(0)
        pairs = self._pair_detections(expected, actual_by_key, keys)
        unmatched_eager, unmatched_artefact = count - len(pairs), got - len(pairs)
        if unmatched_eager or unmatched_artefact:
            self.problems.append(
                f"at {shapes}: image {image}: {count} eager detections, {got} from the artefact; "
                f"{unmatched_eager} eager and {unmatched_artefact} of the artefact's unmatched"
            )
        rows = torch.tensor([p[0] for p in pairs], dtype=torch.long)
        cols = torch.tensor([p[1] for p in pairs], dtype=torch.long)
        for key in keys:
            name = f"[{image}][{key!r}]"
            if not (
                _per_detection(expected[key], count) and _per_detection(actual_by_key[key], got)
            ):
                self._add_tensor(name, expected[key], actual_by_key[key], shapes)
            elif key == "masks":
                self._add_masks(name, expected[key][rows], actual_by_key[key][cols], shapes)
            else:
                self._add_tensor(name, expected[key][rows], actual_by_key[key][cols], shapes)

    def _add_masks(self, name: str, expected: Tensor, actual: Tensor, shapes: str) -> None:
        """Pasted masks by their mean difference: the slightest change of a box moves a pixel on
        its border in or out of the pasted mask, so the largest pixel difference says little."""
        if expected.shape != actual.shape:
            self._add_tensor(name, expected, actual, shapes)
            return
        expected, actual = expected.detach().cpu().double(), actual.detach().cpu().double()
        difference = (actual - expected).abs().flatten(1).mean(1)
        allowed = self.atol + self.rtol * expected.abs().flatten(1).mean(1)
        name = f"{name} (mean per mask)"
        self._record(name, difference.max().item() if difference.numel() else 0.0)
        if not bool((difference <= allowed).all()):
            self.problems.append(
                f"at {shapes}: {name} differs by up to {difference.max().item():.3g}, "
                "beyond the tolerance"
            )

    def _pair_detections(
        self, expected: dict[str, Tensor], actual: dict[str, Tensor], keys: list[str]
    ) -> list[tuple[int, int]]:
        """Index pairs (eager, artefact): in order when both list the same detections within the
        tolerance, else matched greedily by decreasing eager score."""
        count, got = expected["boxes"].size(0), actual["boxes"].size(0)
        if count == got:
            in_order = all(
                expected[key].shape == actual[key].shape
                and self._deviation(expected[key].detach().cpu(), actual[key].detach().cpu())[1]
                for key in keys
            )
            if in_order:
                return [(i, i) for i in range(count)]
        if count == 0 or got == 0:
            return []
        iou = vops.box_iou(expected["boxes"].detach().cpu(), actual["boxes"].detach().cpu())
        if "labels" in expected and "labels" in actual:
            same_label = expected["labels"].cpu()[:, None] == actual["labels"].cpu()[None, :]
            iou = iou.masked_fill(~same_label, -1.0)
        order = range(count)
        if "scores" in expected:
            order = expected["scores"].detach().cpu().argsort(descending=True, stable=True).tolist()
        pairs, taken = [], torch.zeros(got, dtype=torch.bool)
        for row in order:
            overlaps = iou[row].masked_fill(taken, -1.0)
            best = int(overlaps.argmax())
            if overlaps[best] >= MATCH_IOU:
                pairs.append((row, best))
                taken[best] = True
        return sorted(pairs)

    def report(self, format: str, path: Path, sizes: list) -> ExportReport:
        return ExportReport(
            format=format,
            path=path,
            sizes=tuple(sizes),
            deviations=dict(self.deviations),
            atol=self.atol,
            rtol=self.rtol,
            problems=tuple(self.problems),
            passed=not self.problems,
        )


def named_tensors(output: Any) -> list[tuple[str, Tensor]]:
    """The tensors of ``output`` in pytree order, each named by its place (``"['out']"``)."""
    leaves, _ = pytree.tree_flatten_with_path(output)
    return [
        (pytree.keystr(path) or "output", leaf) for path, leaf in leaves if isinstance(leaf, Tensor)
    ]


def flat_tensors(output: Any) -> list[Tensor]:
    """The tensors of ``output`` in pytree order."""
    return [leaf for leaf in pytree.tree_leaves(output) if isinstance(leaf, Tensor)]


def _is_detections(output: Any) -> bool:
    return (
        isinstance(output, (list, tuple))
        and bool(output)
        and all(isinstance(item, dict) and isinstance(item.get("boxes"), Tensor) for item in output)
    )


def _per_detection(tensor: Tensor, count: int) -> bool:
    return tensor.dim() >= 1 and tensor.size(0) == count
