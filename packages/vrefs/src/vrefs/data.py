"""Datasets by ``--dataset`` name, and the samplers and DataLoaders the engine trains with.

A dataset builder is ``builder(args, split, transform) -> Dataset`` with ``split`` ``"train"``
or ``"val"``; ``transform`` is what the task applies to each sample (an image transform for
classification, a joint ``(image, target)`` one for segmentation). Builders raise the
dataset's own error when ``--data-path`` does not have the expected layout.
"""

from collections.abc import Callable, Iterator
from pathlib import Path

import torch
from torch.utils.data import (
    BatchSampler,
    DataLoader,
    Dataset,
    DistributedSampler,
    Sampler,
    Subset,
)

from vdata.datasets import (
    CIFAR10,
    CIFAR100,
    Caltech101,
    Caltech256,
    CelebA,
    ImageFolder,
    ImageNet,
    SBDataset,
    Shapes,
    VOCSegmentation,
)

from .distributed import DistInfo
from .sample_seeds import EpochKeyedBatches, EpochSeeded

Builder = Callable[..., Dataset]
# Caltech comes as one set: a fixed share of it, drawn with a fixed seed, is held out.
HELD_OUT_FRACTION = 0.2
HELD_OUT_SEED = 0
# CelebA's 40 attributes make a multi-label problem; the classification task learns this one.
CELEBA_ATTRIBUTE = "Smiling"


def shapes(target_type: str, max_objects: int) -> Builder:
    """Builder of :class:`~vdata.datasets.Shapes` with ``target_type``, up to ``max_objects``
    shapes per image, ``--image-size`` and ``--num-images`` training images (a fifth as many
    for validation)."""

    def build(args, split: str, transform: Callable) -> Dataset:
        count = args.num_images
        if split == "val" and count is not None:
            count = max(count // 5, 1)
        dataset = Shapes(
            split, count, args.image_size, max_objects=max_objects, target_type=target_type
        )
        _set_transform(dataset, target_type, transform)
        return dataset

    return build


def _set_transform(dataset: Dataset, target_type: str, transform: Callable) -> None:
    if target_type == "classification":
        dataset.transform = transform
    else:
        dataset.transforms = transform


def _data_path(args) -> Path:
    if args.data_path is None:
        raise ValueError(f"--dataset {args.dataset} reads its files from --data-path; give one")
    return Path(args.data_path)


def _image_folder(args, split: str, transform: Callable) -> Dataset:
    folder = _data_path(args) / split
    if not folder.is_dir():
        raise FileNotFoundError(
            f"--data-path {args.data_path} does not hold an image-folder dataset: expected "
            f"{folder}/<class>/<image> (and the same under the other of train/ and val/)"
        )
    return ImageFolder(folder, transform=transform)


def _imagenet(args, split: str, transform: Callable) -> Dataset:
    return ImageNet(_data_path(args), split, transform=transform)


def _cifar(cls: type) -> Builder:
    """Builder of :class:`~vdata.datasets.CIFAR10` or ``CIFAR100`` from ``--data-path`` (the
    folder holding the extracted archive); its test set serves as validation, as in the
    papers that report CIFAR accuracy."""

    def build(args, split: str, transform: Callable) -> Dataset:
        return cls(_data_path(args), train=split == "train", transform=transform)

    return build


def _held_out_split(dataset: Dataset, split: str) -> Subset:
    order = torch.randperm(len(dataset), generator=torch.Generator().manual_seed(HELD_OUT_SEED))
    held_out = round(len(dataset) * HELD_OUT_FRACTION)
    indices = order[:held_out] if split == "val" else order[held_out:]
    subset = Subset(dataset, indices.tolist())
    subset.classes = dataset.categories  # type: ignore[attr-defined]
    return subset


def _caltech101(args, split: str, transform: Callable) -> Dataset:
    return _held_out_split(Caltech101(_data_path(args), "category", transform=transform), split)


def _caltech256(args, split: str, transform: Callable) -> Dataset:
    return _held_out_split(Caltech256(_data_path(args), transform=transform), split)


class _Attribute:
    """CelebA's attribute vector to the class (0 or 1) of one attribute."""

    def __init__(self, index: int) -> None:
        self.index = index

    def __call__(self, attributes: torch.Tensor) -> int:
        return int(attributes[self.index])


def _celeba(args, split: str, transform: Callable) -> Dataset:
    dataset = CelebA(_data_path(args), "train" if split == "train" else "valid", "attr")
    dataset.transform = transform
    dataset.target_transform = _Attribute(dataset.attr_names.index(CELEBA_ATTRIBUTE))
    dataset.classes = (f"not {CELEBA_ATTRIBUTE}", CELEBA_ATTRIBUTE)
    return dataset


def _voc(args, split: str, transforms: Callable) -> Dataset:
    return VOCSegmentation(_data_path(args), "2012", split, transforms=transforms)


def _sbd(args, split: str, transforms: Callable) -> Dataset:
    return SBDataset(_data_path(args), split, mode="segmentation", transforms=transforms)


CLASSIFICATION_DATASETS: dict[str, Builder] = {
    # One shape per image: with several, the class (the shape covering most pixels) can hinge
    # on a few pixels, and a classifier would be judged on measuring areas.
    "shapes": shapes("classification", max_objects=1),
    "imagefolder": _image_folder,
    "imagenet": _imagenet,
    "cifar10": _cifar(CIFAR10),
    "cifar100": _cifar(CIFAR100),
    "caltech101": _caltech101,
    "caltech256": _caltech256,
    "celeba": _celeba,
}
SEGMENTATION_DATASETS: dict[str, Builder] = {
    "shapes": shapes("segmentation", max_objects=4),
    "voc": _voc,
    "sbd": _sbd,
}


def build_datasets(
    table: dict[str, Builder], args, train_transform: Callable, val_transform: Callable
) -> tuple[Dataset, Dataset]:
    """``(train, val)`` of ``args.dataset`` from ``table``.

    Raises:
        ValueError: for a name not in ``table``, listing the names that are.
    """
    builder = table.get(args.dataset)
    if builder is None:
        raise ValueError(f"unknown --dataset {args.dataset!r}; choose one of: {', '.join(table)}")
    return builder(args, "train", train_transform), builder(args, "val", val_transform)


class ShardSampler(Sampler[int]):
    """Every ``world_size``-th index from ``rank``, in order and without padding, so that an
    evaluation pass sees each sample exactly once over all processes."""

    def __init__(self, length: int, rank: int, world_size: int) -> None:
        self.indices = range(rank, length, world_size)

    def __iter__(self) -> Iterator[int]:
        return iter(self.indices)

    def __len__(self) -> int:
        return len(self.indices)


def build_loaders(
    task, args, info: DistInfo, train: Dataset, val: Dataset
) -> tuple[DataLoader, DataLoader, DistributedSampler]:
    """``(train_loader, val_loader, train_sampler)``.

    The training order is a DistributedSampler's (also with one process), shuffled from
    ``--seed`` and the epoch, so a resumed run sees the same order; a task with a
    ``train_batch_sampler(sampler, dataset, args)`` method batches it itself (detection groups
    images by aspect ratio), otherwise an incomplete last batch is dropped. Training samples
    draw their augmentation from ``(--seed, epoch, index)`` (:mod:`vrefs.sample_seeds`), so the
    worker processes persist across epochs and the result depends on neither ``--workers`` nor
    a resume.
    """
    sampler = DistributedSampler(
        train, num_replicas=info.world_size, rank=info.rank, shuffle=True, seed=args.seed
    )
    common = {
        "num_workers": args.workers,
        "persistent_workers": args.workers > 0,
        "collate_fn": task.collate_fn(),
        "pin_memory": info.device.type == "cuda",
    }
    make_batches = getattr(task, "train_batch_sampler", None)
    if make_batches is not None:
        batches = make_batches(sampler, train, args)
    else:
        # A last batch of one image would break batch norm on the smallest feature maps.
        drop_last = len(sampler) >= args.batch_size
        batches = BatchSampler(sampler, args.batch_size, drop_last)
    train_loader = DataLoader(
        EpochSeeded(train, args.seed),
        batch_sampler=EpochKeyedBatches(batches, sampler),
        **common,
    )
    val_sampler = ShardSampler(len(val), info.rank, info.world_size)
    val_loader = DataLoader(val, batch_size=args.batch_size, sampler=val_sampler, **common)
    return train_loader, val_loader, sampler
