"""Detection, instance segmentation and keypoint detection: the R-CNNs and the one-stage
detectors (RetinaNet, FCOS, SSD) of vmodels.

The model decides what is trained and evaluated: its ``target_keys()`` (``boxes`` and ``labels``,
plus ``masks`` or ``keypoints``) say which targets the datasets load, and the evaluator reports
box AP and the AP of whatever else the model predicts.
"""

import bisect
import math
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, ClassVar

import torch
from torch import Tensor, nn
from torch.utils.data import BatchSampler, Dataset, Sampler

import vmodels
from vdata.datasets import CocoDetection, Shapes, VOCDetection
from vdata.transforms import detection_collate

from ..metrics.coco import CocoEvaluator
from ..visualize import draw_detections, save_prediction_grid
from .detection_presets import TRANSFORMS, detection_transforms, detection_transforms_v2

DATASETS = ("shapes", "coco", "voc")
NUM_PICTURES = 8


def target_keys(model_name: str) -> list[str]:
    """The keys of the training targets model ``model_name`` needs, asked of one built on the
    meta device (no memory, no initialisation cost). Models without ``target_keys()`` (a
    plugin's, say) get boxes and labels."""
    with torch.device("meta"):
        model = vmodels.get_model(model_name)
    keys = getattr(model, "target_keys", None)
    return list(keys()) if callable(keys) else ["boxes", "labels"]


def _needs(model_name: str) -> tuple[bool, bool]:
    """Whether the model trains on ``(masks, keypoints)``."""
    keys = target_keys(model_name)
    return "masks" in keys, "keypoints" in keys


def _resizes_freely(model: nn.Module) -> bool:
    """Whether the model's transform takes ``min_size`` and ``max_size`` (SSD's resize every
    image to one fixed size instead)."""
    transform = getattr(model, "transform", None)
    return transform is not None and getattr(transform, "fixed_size", None) is None


def _pipeline(args) -> tuple[str, str]:
    """``(--transforms, --data-augmentation)``, checked: the joint (v1) transforms flip only."""
    transforms = getattr(args, "transforms", "v2")
    augmentation = getattr(args, "data_augmentation", "hflip")
    if transforms not in TRANSFORMS:
        raise ValueError(f"--transforms must be one of {', '.join(TRANSFORMS)}, got {transforms!r}")
    if transforms == "v1" and augmentation != "hflip":
        raise ValueError(
            f"--data-augmentation {augmentation} needs --transforms v2; the joint (v1) "
            "transforms offer hflip only"
        )
    return transforms, augmentation


def _coco_datasets(root: Path, keypoints: bool, masks: bool, target_format: str) -> list[Dataset]:
    prefix = "person_keypoints" if keypoints else "instances"
    datasets = []
    for split in ("train2017", "val2017"):
        images, annotations = root / split, root / "annotations" / f"{prefix}_{split}.json"
        if not images.is_dir() or not annotations.is_file():
            raise FileNotFoundError(
                f"--data-path {root} does not hold a COCO dataset: expected the folder {images} "
                f"and the file {annotations}"
            )
        datasets.append(
            CocoDetection(images, annotations, target_format=target_format, with_masks=masks)
        )
    return datasets


def _num_classes(dataset: Dataset) -> int:
    if isinstance(dataset, CocoDetection):
        return max((c["id"] for c in dataset.categories), default=0) + 1
    return len(dataset.classes)


def class_names(dataset: Dataset) -> list[str]:
    """The name of each label of a detection dataset, index = label (0 is the background)."""
    if isinstance(dataset, CocoDetection):
        names = [str(i) for i in range(_num_classes(dataset))]
        for category in dataset.categories:
            names[category["id"]] = category["name"]
        return names
    return list(dataset.classes)


def aspect_ratios(dataset: Dataset) -> list[float]:
    """Width / height of every image, read from the annotations where the dataset has them."""
    if isinstance(dataset, Shapes):
        height, width = dataset.image_size
        return [width / height] * len(dataset)
    if isinstance(dataset, CocoDetection):
        info = [dataset.image_info[i] for i in dataset.ids]
        return [image["width"] / image["height"] for image in info]
    if isinstance(dataset, VOCDetection):
        sizes = [dataset.parse_annotation(i)["annotation"]["size"] for i in range(len(dataset))]
        return [float(size["width"]) / float(size["height"]) for size in sizes]
    ratios = []
    for index in range(len(dataset)):
        height, width = dataset[index][0].shape[-2:]
        ratios.append(width / height)
    return ratios


def aspect_ratio_groups(ratios: Sequence[float], group_factor: int) -> list[int]:
    """The bin of each ratio among ``2 * group_factor`` log-spaced bins from 1/2 to 2 (plus the
    two open ends), so that each group holds images of similar shape."""
    edges = [2 ** (2 * i / (2 * group_factor) - 1) for i in range(2 * group_factor + 1)]
    return [bisect.bisect_right(edges, ratio) for ratio in ratios]


class GroupedBatchSampler(BatchSampler):
    """Batches of indices from ``sampler`` in which every image belongs to the same group.

    Indices are buffered per group and a batch is yielded as soon as a group has
    ``batch_size`` of them. The epoch always has ``ceil(len(sampler) / batch_size)`` batches, so
    that every distributed process takes the same number of steps: once the sampler is
    exhausted, the fullest leftover groups are completed with indices of the same group seen
    earlier in the epoch.

    Args:
        sampler: yields dataset indices (a RandomSampler, a DistributedSampler, ...).
        group_ids: the group of every dataset index.
        batch_size: indices per batch.
    """

    def __init__(self, sampler: Sampler[int], group_ids: Sequence[int], batch_size: int) -> None:
        if not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
        self.sampler = sampler
        self.group_ids = list(group_ids)
        self.batch_size = batch_size
        self.drop_last = False

    def __iter__(self) -> Iterator[list[int]]:
        buffers: dict[int, list[int]] = defaultdict(list)
        seen: dict[int, list[int]] = defaultdict(list)
        emitted = 0
        for index in self.sampler:
            group = self.group_ids[index]
            buffers[group].append(index)
            seen[group].append(index)
            if len(buffers[group]) == self.batch_size:
                yield buffers.pop(group)
                emitted += 1
        leftovers = sorted(buffers.items(), key=lambda item: -len(item[1]))
        for group, batch in leftovers[: len(self) - emitted]:
            yield (batch + seen[group])[: self.batch_size]

    def __len__(self) -> int:
        return math.ceil(len(self.sampler) / self.batch_size)


def build_batch_sampler(
    sampler: Sampler[int], dataset: Dataset, batch_size: int, group_factor: int
) -> BatchSampler:
    """Training batches grouped by aspect ratio (``group_factor`` bins per factor of two of
    ratio, as ``--aspect-ratio-group-factor``), or plain batches when ``group_factor`` <= 0."""
    if group_factor <= 0:
        return BatchSampler(sampler, batch_size, drop_last=False)
    return GroupedBatchSampler(
        sampler, aspect_ratio_groups(aspect_ratios(dataset), group_factor), batch_size
    )


def _to(value: Any, device: torch.device) -> Any:
    return value.to(device) if isinstance(value, Tensor) else value


class DetectionTask:
    """:class:`vrefs.tasks.base.Task` for the detection models of vmodels.

    Datasets: ``shapes`` (procedural, ``--image-size`` and ``--num-images``), ``coco`` (at
    ``--data-path``: ``train2017/``, ``val2017/`` and ``annotations/instances_*.json``, or
    ``person_keypoints_*.json`` for keypoint models) and ``voc`` (``VOCdevkit/VOC2012`` at
    ``--data-path``, ``train`` and ``val``). Samples go through the v2 transforms in the
    ``"tv_tensors"`` target format, or with ``--transforms v1`` through the joint transforms in
    the model format (see :mod:`vrefs.tasks.detection_presets`).
    """

    name = "detection"
    default_model = "maskrcnn_resnet18_fpn"
    # The demo's settings: Mask R-CNN from scratch on 128-pixel Shapes, 900 iterations of 4
    # images (800 reached box AP 0.67 and mask AP 0.69 in a trial run); see the README for what
    # they reach and the time they take.
    defaults: ClassVar[dict[str, Any]] = {
        "epochs": 3,
        "batch_size": 4,
        "lr": 0.02,
        "warmup_iters": 300,
        "image_size": 128,
        "num_images": 1200,
    }

    def build_datasets(self, args) -> tuple[Dataset, Dataset]:
        dataset = getattr(args, "dataset", "shapes")
        transforms, augmentation = _pipeline(args)
        target_format = "tv_tensors" if transforms == "v2" else "model"
        masks, keypoints = _needs(args.model)
        if dataset == "shapes":
            size = getattr(args, "image_size", 128)
            count = getattr(args, "num_images", None)
            train = Shapes("train", count, size, target_format=target_format)
            val_count = None if count is None else max(count // 5, 1)
            val = Shapes("val", val_count, size, target_format=target_format)
        elif dataset in ("coco", "voc") and getattr(args, "data_path", None) is None:
            raise ValueError(f"--dataset {dataset} needs --data-path, the folder holding it")
        elif dataset == "coco":
            train, val = _coco_datasets(Path(args.data_path), keypoints, masks, target_format)
        elif dataset == "voc":
            if masks or keypoints:
                raise ValueError(f"voc has boxes only; --model {args.model} needs more")
            train, val = (
                VOCDetection(args.data_path, "2012", split, target_format=target_format)
                for split in ("train", "val")
            )
        else:
            raise ValueError(f"--dataset {dataset!r} is not one of {', '.join(DATASETS)}")
        dropped = [k for k, used in (("masks", masks), ("keypoints", keypoints)) if not used]
        info = getattr(train, "keypoint_info", None) if keypoints else None
        if transforms == "v2":
            train.transforms = detection_transforms_v2(True, augmentation, info, dropped)
            val.transforms = detection_transforms_v2(False, dropped=dropped)
        else:
            train.transforms = detection_transforms(True, info, dropped)
            val.transforms = detection_transforms(False, None, dropped)
        return train, val

    def collate_fn(self) -> Callable:
        return detection_collate

    def train_batch_sampler(self, sampler: Sampler[int], dataset: Dataset, args) -> BatchSampler:
        """Training batches, grouped by aspect ratio with ``--aspect-ratio-group-factor``."""
        factor = getattr(args, "aspect_ratio_group_factor", 0) or 0
        return build_batch_sampler(sampler, dataset, args.batch_size, factor)

    def build_model(self, args, train_dataset: Dataset) -> nn.Module:
        kwargs: dict[str, Any] = {"num_classes": _num_classes(train_dataset)}
        if _needs(args.model)[1]:
            kwargs["num_keypoints"] = train_dataset.keypoint_info.num_keypoints
        if isinstance(train_dataset, Shapes):
            with torch.device("meta"):
                probe = vmodels.get_model(args.model, **kwargs)
            if _resizes_freely(probe):
                # The images are already small: keep them at their size instead of the 800 px
                # that suit COCO.
                kwargs["min_size"] = kwargs["max_size"] = max(train_dataset.image_size)
        return vmodels.get_model(args.model, **kwargs)

    def losses(self, model: nn.Module, images: Any, targets: Any) -> dict[str, Tensor]:
        device = next(model.parameters()).device
        images = [image.to(device) for image in images]
        targets = [{k: _to(v, device) for k, v in target.items()} for target in targets]
        return model(images, targets)

    def predict(self, model: nn.Module, images: Any) -> list[dict[str, Tensor]]:
        device = next(model.parameters()).device
        outputs = model([image.to(device) for image in images])
        return [{k: v.cpu() for k, v in output.items()} for output in outputs]

    def evaluator(self, args, val_dataset: Dataset, output_dir: Path | None) -> CocoEvaluator:
        info = getattr(val_dataset, "keypoint_info", None)
        return CocoEvaluator(
            annotation_file=getattr(val_dataset, "ann_file", None),
            keypoint_sigmas=None if info is None else info.sigmas,
            output_dir=output_dir,
        )

    @torch.no_grad()
    def draw_predictions(self, model: nn.Module, val_dataset: Dataset, path: Path) -> Path:
        was_training = model.training
        model.eval()
        images = [val_dataset[i][0] for i in range(min(NUM_PICTURES, len(val_dataset)))]
        outputs = self.predict(model, images)
        model.train(was_training)
        info = getattr(val_dataset, "keypoint_info", None)
        names = class_names(val_dataset)
        skeleton = None if info is None else info.skeleton
        pictures = [
            draw_detections(image, output, names, skeleton=skeleton)
            for image, output in zip(images, outputs, strict=True)
        ]
        return save_prediction_grid(pictures, path)


TASK = DetectionTask()
