"""COCO evaluation of detections, instance masks and keypoints with pycocotools.

The ground truth is either a COCO annotation file (a :class:`vdata.datasets.CocoDetection`
validation set) or, for any other dataset, built in memory from the detection targets that pass
through :meth:`CocoEvaluator.update`. The numbers are pycocotools' own: this module only converts
model outputs to COCO results, gathers them across processes and runs ``COCOeval``.
"""

import contextlib
import io
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pycocotools.mask as mask_utils
import torch
import torch.distributed as dist
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval
from torch import Tensor

from vdata.utils import atomic_path

# The output key whose presence asks for an evaluation, the COCOeval iouType and the metric prefix.
KINDS = (
    ("boxes", "bbox", "box"),
    ("masks", "segm", "mask"),
    ("keypoints", "keypoints", "keypoint"),
)
_STATS = {
    "bbox": (
        "AP",
        "AP50",
        "AP75",
        "APs",
        "APm",
        "APl",
        "AR1",
        "AR10",
        "AR100",
        "ARs",
        "ARm",
        "ARl",
    ),
    "keypoints": ("AP", "AP50", "AP75", "APm", "APl", "AR", "AR50", "AR75", "ARm", "ARl"),
}
_STATS["segm"] = _STATS["bbox"]
MASK_THRESHOLD = 0.5


def _xywh(boxes: Tensor) -> list[list[float]]:
    boxes = boxes.detach().cpu().float()
    return torch.cat([boxes[:, :2], boxes[:, 2:] - boxes[:, :2]], dim=1).tolist()


def _rles(masks: Tensor) -> list[dict[str, Any]]:
    """Compressed RLEs (string counts, JSON-ready) of binary ``Tensor[N, H, W]`` masks."""
    if len(masks) == 0:
        return []
    array = np.asfortranarray(masks.detach().cpu().numpy().astype(np.uint8).transpose(1, 2, 0))
    rles = mask_utils.encode(array)
    return [{"size": r["size"], "counts": r["counts"].decode("ascii")} for r in rles]


def target_to_coco(target: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The COCO ``images`` entry and ``annotations`` (ids left out) of one detection target.

    Args:
        target: ``"boxes"`` ``Tensor[N, 4]`` xyxy, ``"labels"`` ``Tensor[N]``, ``"image_id"``;
            optionally ``"area"``, ``"iscrowd"``, ``"masks"`` ``Tensor[N, H, W]`` and
            ``"keypoints"`` ``Tensor[N, K, 3]``. Without ``"area"`` the mask area is used, else
            the box area.
    """
    image_id = int(target["image_id"])
    image: dict[str, Any] = {"id": image_id}
    boxes = _xywh(target["boxes"])
    labels = target["labels"].tolist()
    masks = target.get("masks")
    if masks is not None:
        image["height"], image["width"] = masks.shape[-2:]
    if "area" in target:
        areas = target["area"].tolist()
    elif masks is not None:
        areas = masks.flatten(1).sum(1).tolist()
    else:
        areas = [w * h for _, _, w, h in boxes]
    crowd = target.get("iscrowd", torch.zeros(len(labels), dtype=torch.int64)).tolist()
    annotations = [
        {
            "image_id": image_id,
            "category_id": int(c),
            "bbox": b,
            "area": float(a),
            "iscrowd": int(z),
        }
        for b, c, a, z in zip(boxes, labels, areas, crowd, strict=True)
    ]
    if masks is not None:
        for annotation, rle in zip(annotations, _rles(masks), strict=True):
            annotation["segmentation"] = rle
    if "keypoints" in target:
        for annotation, points in zip(annotations, target["keypoints"].tolist(), strict=True):
            annotation["keypoints"] = [v for x, y, vis in points for v in (x, y, int(vis))]
            annotation["num_keypoints"] = sum(vis > 0 for _, _, vis in points)
    return image, annotations


def output_to_coco(output: dict[str, Tensor], image_id: int) -> dict[str, list[dict[str, Any]]]:
    """COCO results of one image's detections, by iouType (``"bbox"``, ``"segm"``,
    ``"keypoints"``) for each kind of output present; masks are thresholded at 0.5."""
    scores = output["scores"].tolist()
    labels = output["labels"].tolist()
    common = [
        {"image_id": image_id, "category_id": int(c), "score": float(s)}
        for c, s in zip(labels, scores, strict=True)
    ]
    results: dict[str, list[dict[str, Any]]] = {}
    for key, iou_type, _ in KINDS:
        if key not in output:
            continue
        if key == "boxes":
            values = [{"bbox": b} for b in _xywh(output["boxes"])]
        elif key == "masks":
            values = [{"segmentation": r} for r in _rles(output["masks"][:, 0] > MASK_THRESHOLD)]
        else:
            values = [
                {"keypoints": [v for x, y, _ in points for v in (x, y, 1)]}
                for points in output["keypoints"].tolist()
            ]
        results[iou_type] = [dict(c, **v) for c, v in zip(common, values, strict=True)]
    return results


def _gather(records: dict[int, Any]) -> dict[int, Any]:
    """Merge per-image records of every process (an image seen twice, as distributed samplers
    pad with repeats, counts once)."""
    if not (dist.is_available() and dist.is_initialized()):
        return records
    gathered: list[Any] = [None] * dist.get_world_size()
    dist.all_gather_object(gathered, records)
    merged: dict[int, Any] = {}
    for part in gathered:
        for image_id, record in part.items():
            merged.setdefault(image_id, record)
    return merged


def _quiet(function, *args):
    """Call pycocotools without its progress prints."""
    with contextlib.redirect_stdout(io.StringIO()):
        return function(*args)


def evaluate(
    ground_truth: COCO,
    results: list[dict[str, Any]],
    iou_type: str,
    image_ids: Sequence[int],
    keypoint_sigmas: Sequence[float] | None = None,
) -> dict[str, float]:
    """``COCOeval`` of ``results`` against ``ground_truth`` on ``image_ids``: its summary stats
    by name (``AP``, ``AP50``, ...). No results give zeros (pycocotools cannot load none)."""
    names = _STATS[iou_type]
    if not results:
        return dict.fromkeys(names, 0.0)
    detections = _quiet(ground_truth.loadRes, results)
    coco_eval = COCOeval(ground_truth, detections, iou_type)
    coco_eval.params.imgIds = sorted(image_ids)
    if iou_type == "keypoints":
        if keypoint_sigmas is None:
            raise ValueError("keypoint_sigmas are needed to evaluate keypoints, got None")
        coco_eval.params.kpt_oks_sigmas = np.asarray(keypoint_sigmas, dtype=np.float64)
    for step in (coco_eval.evaluate, coco_eval.accumulate, coco_eval.summarize):
        _quiet(step)
    # pycocotools reports -1 where a statistic has no ground truth (e.g. no small objects).
    return {name: float(value) for name, value in zip(names, coco_eval.stats, strict=True)}


class CocoEvaluator:
    """Collects detections of one evaluation pass and scores them with pycocotools.

    Implements :class:`vrefs.tasks.base.Evaluator`. Each kind of output a model gives is
    evaluated: ``boxes`` (``box_AP``, ``box_AP50``, ...), ``masks`` (``mask_*``, thresholded at
    0.5) and ``keypoints`` (``keypoint_*``, OKS with ``keypoint_sigmas``).

    Args:
        annotation_file: a COCO annotation file holding the ground truth; None builds it from
            the targets given to :meth:`update`.
        keypoint_sigmas: per-keypoint OKS sigmas (a dataset's ``keypoint_info.sigmas``).
        output_dir: where rank 0 writes the raw results, ``coco_results_<iouType>.json``.
    """

    def __init__(
        self,
        annotation_file: str | os.PathLike | None = None,
        keypoint_sigmas: Sequence[float] | None = None,
        output_dir: str | os.PathLike | None = None,
    ) -> None:
        self.annotation_file = None if annotation_file is None else Path(annotation_file)
        if self.annotation_file is not None and not self.annotation_file.is_file():
            raise FileNotFoundError(
                f"annotation_file {self.annotation_file} does not exist; expected a COCO "
                "annotation json"
            )
        self.keypoint_sigmas = None if keypoint_sigmas is None else tuple(keypoint_sigmas)
        self.output_dir = None if output_dir is None else Path(output_dir)
        # image id -> (COCO image entry, its annotations, its results by iouType)
        self._records: dict[int, tuple[dict, list[dict], dict[str, list[dict]]]] = {}

    def update(self, outputs: Sequence[dict[str, Tensor]], targets: Sequence[dict]) -> None:
        """Add a batch: the model's eval outputs and the targets of the same images (their
        ``image_id`` names the image; the rest is the ground truth unless from a file)."""
        if len(outputs) != len(targets):
            raise ValueError(
                f"outputs and targets must pair up, got {len(outputs)} outputs and "
                f"{len(targets)} targets"
            )
        for output, target in zip(outputs, targets, strict=True):
            if self.annotation_file is None:
                image, annotations = target_to_coco(target)
            else:
                image, annotations = {"id": int(target["image_id"])}, []
            self._records[image["id"]] = (image, annotations, output_to_coco(output, image["id"]))

    def summary(self) -> dict[str, float]:
        """The metrics of everything seen by every process, evaluated on rank 0 and shared."""
        records = _gather(self._records)
        rank0 = not (dist.is_available() and dist.is_initialized()) or dist.get_rank() == 0
        metrics = [self._evaluate(records) if rank0 else None]
        if dist.is_available() and dist.is_initialized():
            dist.broadcast_object_list(metrics, src=0)
        return metrics[0]

    def _evaluate(self, records: dict[int, tuple]) -> dict[str, float]:
        ground_truth = self._ground_truth(records)
        image_ids = sorted(records)
        metrics: dict[str, float] = {}
        for _, iou_type, prefix in KINDS:
            seen = [r[2][iou_type] for r in records.values() if iou_type in r[2]]
            if not seen:
                continue
            results = [result for part in seen for result in part]
            if self.output_dir is not None:
                self._save(results, f"coco_results_{iou_type}.json")
            stats = evaluate(ground_truth, results, iou_type, image_ids, self.keypoint_sigmas)
            metrics.update({f"{prefix}_{name}": value for name, value in stats.items()})
        return metrics

    def _ground_truth(self, records: dict[int, tuple]) -> COCO:
        if self.annotation_file is not None:
            return _quiet(COCO, str(self.annotation_file))
        images, annotations, labels = [], [], set()
        for image, image_annotations, _ in records.values():
            images.append(image)
            for annotation in image_annotations:
                annotations.append(dict(annotation, id=len(annotations) + 1))
                labels.add(annotation["category_id"])
        for record in records.values():
            labels.update(r["category_id"] for part in record[2].values() for r in part)
        ground_truth = COCO()
        ground_truth.dataset = {
            "images": images,
            "annotations": annotations,
            "categories": [{"id": label} for label in sorted(labels)],
        }
        _quiet(ground_truth.createIndex)
        return ground_truth

    def _save(self, results: list[dict[str, Any]], name: str) -> None:
        self.output_dir.mkdir(parents=True, exist_ok=True)
        with atomic_path(self.output_dir / name) as temporary:
            temporary.write_text(json.dumps(results))
