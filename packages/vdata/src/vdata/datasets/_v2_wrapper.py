"""Datasets whose samples carry typed tensors, for ``vdata.transforms.v2``:
:func:`wrap_dataset_for_transforms_v2`, as torchvision's."""

from __future__ import annotations

import collections.abc
from collections import defaultdict
from collections.abc import Callable
from copy import copy
from typing import Any

import torch
from PIL import Image

from .. import tv_tensors
from .caltech import Caltech101, Caltech256
from .celeba import CelebA
from .cifar import CIFAR10, CIFAR100
from .cityscapes import Cityscapes
from .coco import CocoCaptions, CocoDetection, decode_segmentation
from .flowers102 import Flowers102
from .folder import DatasetFolder
from .food101 import Food101
from .imagenet import ImageNet
from .imagenette import Imagenette
from .kitti import Kitti
from .mnist import MNIST
from .oxford_iiit_pet import OxfordIIITPet
from .sbd import SBDataset
from .stl10 import STL10
from .svhn import SVHN
from .vision import VisionDataset
from .voc import VOC_CLASSES, VOCDetection, VOCSegmentation
from .widerface import WIDERFace

Sample = tuple[Any, Any]
Wrapper = Callable[[int, Sample], Sample]
KITTI_CATEGORIES = ("Car", "Van", "Truck", "Pedestrian", "Person_sitting", "Cyclist", "Tram")
KITTI_CATEGORIES += ("Misc", "DontCare")
_TARGET_KEY_DATASETS = (CocoDetection, VOCDetection, Kitti, WIDERFace)


def _unsupported(description: str) -> None:
    raise RuntimeError(f"{description} is not supported by wrap_dataset_for_transforms_v2")


def _keys(target_keys: Any, available: set[str], default: set[str] | str) -> set[str]:
    keys = default if target_keys is None else target_keys
    if keys == "all":
        return set(available)
    extra = set(keys) - available
    if extra:
        raise ValueError(f"Target keys {sorted(extra)} are not available")
    return set(keys)


def _by_key(objects: list[dict[str, Any]]) -> dict[str, list[Any]]:
    grouped: dict[str, list[Any]] = defaultdict(list)
    for obj in objects:
        for key, value in obj.items():
            grouped[key].append(value)
    return dict(grouped)


def _size(image: Any) -> tuple[int, int]:
    if isinstance(image, Image.Image):
        return image.height, image.width
    return tuple(image.shape[-2:])


def _xywh_boxes(boxes: Any, canvas_size: tuple[int, int]) -> tv_tensors.BoundingBoxes:
    from ..transforms.v2 import functional as F

    xywh = tv_tensors.BoundingBoxes(boxes, format="XYWH", canvas_size=canvas_size)
    return F.convert_bounding_box_format(xywh, new_format="XYXY")


def _wrap_by_type(target: Any, types: list[str], wrappers: dict[str, Callable]) -> Any:
    parts = list(target) if isinstance(target, (tuple, list)) and len(types) > 1 else [target]
    wrapped = tuple(
        wrappers.get(kind, lambda item: item)(item) for kind, item in zip(types, parts, strict=True)
    )
    return wrapped[0] if len(wrapped) == 1 else wrapped


def _identity(dataset: Any, target_keys: Any) -> Wrapper:
    return lambda index, sample: sample


def _segmentation(dataset: Any, target_keys: Any) -> Wrapper:
    if getattr(dataset, "mode", "segmentation") == "boundaries":
        _unsupported("SBDataset with mode='boundaries'")
    return lambda index, sample: (sample[0], tv_tensors.Mask(sample[1]))


def _typed_already(dataset: CocoDetection | VOCDetection, target_keys: Any) -> Wrapper | None:
    """The identity for a detection dataset whose ``target_format`` types its samples already;
    refuses the model format, whose plain tensors say nothing of what they hold."""
    name = type(dataset).__name__
    if dataset.target_format == "model":
        _unsupported(f"{name} with target_format='model' (use target_format='tv_tensors')")
    if dataset.target_format != "tv_tensors":
        return None
    if target_keys is not None:
        raise ValueError(
            f"target_keys selects among the raw annotations; {name} with "
            "target_format='tv_tensors' gives its typed targets as they are"
        )
    return _identity(dataset, target_keys)


def _caltech101(dataset: Caltech101, target_keys: Any) -> Wrapper:
    if set(dataset.target_type) - {"category"}:
        _unsupported("Caltech101 with a target_type other than 'category'")
    return _identity(dataset, target_keys)


def _coco(dataset: CocoDetection, target_keys: Any) -> Wrapper:
    typed = _typed_already(dataset, target_keys)
    if typed is not None:
        return typed
    available = {"segmentation", "area", "iscrowd", "image_id", "bbox", "category_id"}
    keys = _keys(
        target_keys, available | {"boxes", "masks", "labels"}, {"image_id", "boxes", "labels"}
    )

    def wrapper(index: int, sample: Sample) -> Sample:
        image, objects = sample
        image_id = dataset.ids[index]
        if not objects:
            return image, {"image_id": image_id}
        canvas = _size(image)
        fields = _by_key(objects)
        target: dict[str, Any] = {}
        if "image_id" in keys:
            target["image_id"] = image_id
        if "boxes" in keys:
            target["boxes"] = _xywh_boxes(fields["bbox"], canvas)
        if "masks" in keys:
            masks = [decode_segmentation(obj["segmentation"], *canvas) for obj in objects]
            target["masks"] = tv_tensors.Mask(torch.stack([torch.from_numpy(m) for m in masks]))
        if "labels" in keys:
            target["labels"] = torch.tensor(fields["category_id"], dtype=torch.int64)
        for key in keys - {"image_id", "boxes", "masks", "labels"}:
            target[key] = fields[key]
        return image, target

    return wrapper


def _voc_detection(dataset: VOCDetection, target_keys: Any) -> Wrapper:
    typed = _typed_already(dataset, target_keys)
    if typed is not None:
        return typed
    keys = _keys(target_keys, {"annotation", "boxes", "labels"}, {"boxes", "labels"})
    index_of = {name: i for i, name in enumerate(("__background__", *VOC_CLASSES))}

    def wrapper(index: int, sample: Sample) -> Sample:
        image, target = sample
        objects = target["annotation"]["object"]
        objects = objects if isinstance(objects, list) else [objects]
        fields = _by_key(objects)
        out = dict(target) if "annotation" in keys else {}
        if "boxes" in keys:
            corners = ("xmin", "ymin", "xmax", "ymax")
            boxes = [[int(box[c]) for c in corners] for box in fields["bndbox"]]
            out["boxes"] = tv_tensors.BoundingBoxes(boxes, format="XYXY", canvas_size=_size(image))
        if "labels" in keys:
            out["labels"] = torch.tensor(
                [index_of[name] for name in fields["name"]], dtype=torch.int64
            )
        return image, out

    return wrapper


def _celeba(dataset: CelebA, target_keys: Any) -> Wrapper:
    if {"attr", "landmarks"} & set(dataset.target_type):
        _unsupported("CelebA with target_type 'attr' or 'landmarks'")

    def wrapper(index: int, sample: Sample) -> Sample:
        image, target = sample
        boxes = {"bbox": lambda item: _xywh_boxes(item, _size(image))}
        return image, _wrap_by_type(target, dataset.target_type, boxes)

    return wrapper


def _kitti(dataset: Kitti, target_keys: Any) -> Wrapper:
    fields_available = {"type", "truncated", "occluded", "alpha", "bbox", "dimensions"}
    fields_available |= {"location", "rotation_y"}
    keys = _keys(target_keys, fields_available | {"boxes", "labels"}, {"boxes", "labels"})
    index_of = {name: i for i, name in enumerate(KITTI_CATEGORIES)}

    def wrapper(index: int, sample: Sample) -> Sample:
        image, objects = sample
        if objects is None:
            return image, None
        fields = _by_key(objects)
        target: dict[str, Any] = {}
        if "boxes" in keys:
            target["boxes"] = tv_tensors.BoundingBoxes(
                fields.get("bbox", torch.zeros(0, 4)), format="XYXY", canvas_size=_size(image)
            )
        if "labels" in keys:
            target["labels"] = torch.tensor(
                [index_of[t] for t in fields.get("type", [])], dtype=torch.int64
            )
        for key in keys - {"boxes", "labels"}:
            target[key] = fields.get(key, [])
        return image, target

    return wrapper


def _oxford_pet(dataset: OxfordIIITPet, target_keys: Any) -> Wrapper:
    def wrapper(index: int, sample: Sample) -> Sample:
        image, target = sample
        if target is None:
            return image, None
        masks = {"segmentation": tv_tensors.Mask}
        return image, _wrap_by_type(target, dataset.target_types, masks)

    return wrapper


def _cityscapes_instances(mask: Any) -> dict[str, Any]:
    ids = tv_tensors.Mask(mask).as_subclass(torch.Tensor)
    values = ids.unique()
    labels = torch.where(values >= 1000, torch.div(values, 1000, rounding_mode="floor"), values)
    return {"masks": tv_tensors.Mask(torch.stack([ids == v for v in values])), "labels": labels}


def _cityscapes(dataset: Cityscapes, target_keys: Any) -> Wrapper:
    if {"polygon", "color"} & set(dataset.target_type):
        _unsupported("Cityscapes with target_type 'polygon' or 'color'")
    wrappers = {"instance": _cityscapes_instances, "semantic": tv_tensors.Mask}
    return lambda index, sample: (
        sample[0],
        _wrap_by_type(sample[1], dataset.target_type, wrappers),
    )


def _widerface(dataset: WIDERFace, target_keys: Any) -> Wrapper:
    available = {"bbox", "blur", "expression", "illumination", "occlusion", "pose", "invalid"}
    keys = _keys(target_keys, available, "all")

    def wrapper(index: int, sample: Sample) -> Sample:
        image, target = sample
        if target is None:
            return image, None
        target = {key: target[key] for key in keys}
        if "bbox" in keys:
            target["bbox"] = _xywh_boxes(target["bbox"], _size(image))
        return image, target

    return wrapper


_FACTORIES: dict[type, Callable[[Any, Any], Wrapper]] = {
    CocoDetection: _coco,
    CocoCaptions: _identity,
    VOCDetection: _voc_detection,
    VOCSegmentation: _segmentation,
    SBDataset: _segmentation,
    CelebA: _celeba,
    Kitti: _kitti,
    OxfordIIITPet: _oxford_pet,
    Cityscapes: _cityscapes,
    WIDERFace: _widerface,
    Caltech101: _caltech101,
}
for _classification in (Caltech256, CIFAR10, CIFAR100, ImageNet, MNIST, DatasetFolder, Imagenette):
    _FACTORIES[_classification] = _identity
for _classification in (Flowers102, Food101, STL10, SVHN):
    _FACTORIES[_classification] = _identity


class _TVTensorDataset:
    """The wrapped dataset: its samples typed by the wrapper, then transformed by the
    transforms taken from the dataset; other attributes are the dataset's."""

    def __init__(self, dataset: VisionDataset, target_keys: Any, wrapper: Wrapper) -> None:
        self._dataset, self._target_keys, self._wrapper = dataset, target_keys, wrapper
        self.transforms, dataset.transforms = dataset.transforms, None
        self.transform, dataset.transform = dataset.transform, None
        self.target_transform, dataset.target_transform = dataset.target_transform, None

    def __getattr__(self, name: str) -> Any:
        if name == "_dataset":  # not set yet (copy, unpickling): no recursion
            raise AttributeError(name)
        return getattr(self._dataset, name)

    def __getitem__(self, index: int) -> Sample:
        image, target = self._wrapper(index, self._dataset[index])
        # The wrapped class is a VisionDataset: its apply_transforms reads the wrapper's.
        return self.apply_transforms(image, target)

    def __len__(self) -> int:
        return len(self._dataset)

    def __reduce__(self) -> tuple[Any, ...]:
        # The wrapper is a closure: pickle the dataset (with its transforms) and wrap it again.
        dataset = copy(self._dataset)
        dataset.transforms, dataset.transform = self.transforms, self.transform
        dataset.target_transform = self.target_transform
        return wrap_dataset_for_transforms_v2, (dataset, self._target_keys)


def wrap_dataset_for_transforms_v2(dataset: VisionDataset, target_keys: Any = None) -> Any:
    """``dataset`` with its samples carrying ``vdata.tv_tensors``, as torchvision's wrapper
    does for the same datasets: COCO and VOC detection, Kitti and WIDER FACE give dicts with
    ``BoundingBoxes`` in XYXY (and COCO ``Mask``\\ s with ``target_keys`` asking for
    ``"masks"``); segmentation masks become ``Mask``; CelebA's ``bbox`` becomes
    ``BoundingBoxes``; Cityscapes' ``instance`` becomes ``{"masks", "labels"}``;
    classification datasets are returned as they are, and so are COCO and VOC detection with
    ``target_format="tv_tensors"``, typed already (their model format is refused). The
    dataset's transforms are applied to the typed samples.

    The wrapped dataset is an instance of the dataset's class too, and pickles (DataLoader
    workers).

    Args:
        dataset: a vdata dataset of the kinds above.
        target_keys: for COCO, VOC, Kitti and WIDER FACE: the target keys to return (None: the
            dataset's defaults, ``"all"``: every key).

    Raises:
        TypeError: a dataset without a wrapper. ValueError: bad ``target_keys``.
        RuntimeError: a configuration the v2 transforms cannot handle (e.g. polygon targets).
    """
    if not (
        target_keys is None
        or target_keys == "all"
        or (
            isinstance(target_keys, collections.abc.Collection)
            and all(isinstance(key, str) for key in target_keys)
        )
    ):
        raise ValueError(
            "`target_keys` can be None, 'all', or a collection of strings denoting the keys to "
            f"be returned, but got {target_keys}"
        )
    if not isinstance(dataset, VisionDataset):
        raise TypeError(
            "This wrapper is meant for subclasses of vdata.datasets.VisionDataset, but got a "
            f"'{type(dataset).__name__}' instead."
        )
    factory = next((_FACTORIES[c] for c in type(dataset).__mro__ if c in _FACTORIES), None)
    if factory is None:
        raise TypeError(
            f"No wrapper exists for dataset class {type(dataset).__name__}. Please wrap the "
            "output yourself."
        )
    if target_keys is not None and not isinstance(dataset, _TARGET_KEY_DATASETS):
        raise ValueError(
            "`target_keys` is currently only supported for `CocoDetection`, `VOCDetection`, "
            f"`Kitti`, and `WIDERFace`, but got {type(dataset).__name__}."
        )
    wrapped_cls = type(f"Wrapped{type(dataset).__name__}", (_TVTensorDataset, type(dataset)), {})
    wrapped = wrapped_cls.__new__(wrapped_cls)
    _TVTensorDataset.__init__(wrapped, dataset, target_keys, factory(dataset, target_keys))
    return wrapped
