"""Images per second through vdata's ImageFolder and ImageNet training transforms in a
DataLoader, beside torchvision's when installed.

    python benchmarks/data.py [--root DIR] [--images 512] [--workers 0 2] [--batch-size 32]
                              [--repeat 3] [--threads 1] [--shapes] [--detection-v2]
                              [--classification-v2]

The folder holds ``--images`` generated JPEGs of about 500x375 in 8 classes: written to a
temporary folder, or to ``--root`` (reused when it already holds them). The transforms are
RandomResizedCrop(224), RandomHorizontalFlip, ToTensor and Normalize; batches of
``--batch-size``, shuffled. Each case runs one epoch to warm up (file cache), then ``--repeat``
timed epochs over the whole folder, vdata's and torchvision's in turn. Figures are the median
images per second; ratio = vdata / torchvision (above 1 is faster). ``--shapes`` also times the
procedural Shapes dataset (detection targets, joint flip and tensor conversion,
detection_collate), which has no torchvision counterpart.

``--detection-v2`` times the training pipeline of torchvision's detection reference with the
v2 transforms ("ssd" augmentation, PIL backend): RandomPhotometricDistort, RandomZoomOut,
RandomIoUCrop, RandomHorizontalFlip, PILToTensor, ToDtype(float, scale), ConvertBoundingBoxFormat,
SanitizeBoundingBoxes, ToPureTensor, on ``--images`` COCO-like samples held in memory: a 640x480
image with 10 boxes and their masks (uint8 [10, 480, 640]) and labels, typed with each
library's tv_tensors; batches of 2 (lists). vdata.transforms.v2 and torchvision.transforms.v2
alternate epoch by epoch; samples per second, median of ``--repeat`` epochs after one warm-up.

``--classification-v2`` times the classification reference's training pipeline at 224:
RandomResizedCrop, RandomHorizontalFlip, TrivialAugmentWide, PILToTensor, ToDtype(float, scale),
Normalize, RandomErasing per image and MixUp on each batch of ``--batch-size`` (in the collate
function), on ``--images`` in-memory PIL images of about 500x375: vdata's v2, torchvision's v2,
and torchvision's v1 transforms (the same steps but MixUp, which v1 lacks) in turn.
"""

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch.utils.data import DataLoader, Dataset

import vdata
import vdata.datasets
import vdata.transforms as T
from vdata.transforms import joint

try:
    import torchvision
    import torchvision.transforms as tv_transforms
except ImportError:
    torchvision = None

MEAN, STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
NUM_CLASSES = 8


def write_jpegs(root: Path, count: int, seed: int = 0) -> None:
    """``count`` JPEGs of smooth random content, 460-540 x 345-405 pixels, in class folders."""
    existing = list(root.glob("class_*/*.jpg"))
    if len(existing) == count:
        return
    if existing:
        raise SystemExit(f"{root} holds {len(existing)} JPEGs, not {count}: pick another --root")
    rng = np.random.default_rng(seed)
    for index in range(count):
        folder = root / f"class_{index % NUM_CLASSES}"
        folder.mkdir(parents=True, exist_ok=True)
        width, height = int(rng.integers(460, 541)), int(rng.integers(345, 406))
        coarse = rng.integers(0, 256, (12, 16, 3), dtype=np.uint8)
        image = Image.fromarray(coarse).resize((width, height), Image.Resampling.BICUBIC)
        grain = rng.integers(-12, 13, (height, width, 3))
        pixels = np.clip(np.asarray(image, dtype=np.int64) + grain, 0, 255).astype(np.uint8)
        Image.fromarray(pixels).save(folder / f"{index:05d}.jpg", quality=90)


def imagenet_train_transform(transforms) -> Callable:
    """The standard ImageNet training pipeline, built from a torchvision-like namespace."""
    return transforms.Compose(
        [
            transforms.RandomResizedCrop(224),
            transforms.RandomHorizontalFlip(),
            transforms.ToTensor(),
            transforms.Normalize(MEAN, STD),
        ]
    )


def epoch_timer(dataset: Dataset, workers: int, batch_size: int, collate_fn=None):
    """A function timing one shuffled epoch of ``dataset`` through a DataLoader, in seconds."""
    loader = DataLoader(
        dataset, batch_size=batch_size, shuffle=True, num_workers=workers, collate_fn=collate_fn
    )

    def epoch() -> float:
        start = time.perf_counter()
        for _ in loader:
            pass
        return time.perf_counter() - start

    return epoch


def images_per_second(
    datasets: list[Dataset], repeat: int, collate_fns: list | None = None, **loader_options
) -> list[float]:
    """Median images per second of each dataset (with its collate function, if given), epochs
    taken in turn so that a change in the machine's load falls on all of them alike."""
    collate_fns = collate_fns or [loader_options.pop("collate_fn", None)] * len(datasets)
    timers = [
        epoch_timer(dataset, collate_fn=collate, **loader_options)
        for dataset, collate in zip(datasets, collate_fns, strict=True)
    ]
    for timer in timers:
        timer()  # warm-up
    times = [[] for _ in timers]
    for _ in range(repeat):
        for timer, measured in zip(timers, times, strict=True):
            measured.append(timer())
    return [
        len(dataset) / statistics.median(measured)
        for dataset, measured in zip(datasets, times, strict=True)
    ]


def run(args: argparse.Namespace, root: Path) -> None:
    write_jpegs(root, args.images)
    ours = vdata.datasets.ImageFolder(root, transform=imagenet_train_transform(T))
    theirs = None
    if torchvision is not None:
        theirs = torchvision.datasets.ImageFolder(
            str(root), transform=imagenet_train_transform(tv_transforms)
        )
    versions = f"vdata {vdata.__version__}, torch {torch.__version__}"
    if torchvision is not None:
        versions += f", torchvision {torchvision.__version__}"
    print(f"{versions}; {len(ours)} JPEGs in {root}")
    print(
        f"{torch.get_num_threads()} threads, batch {args.batch_size}, "
        f"median of {args.repeat} epochs"
    )
    header = f"{'case':<28}{'vdata img/s':>13}"
    if theirs is not None:
        header += f"{'torchvision img/s':>19}{'ratio':>8}"
    print(header)
    datasets = [ours] if theirs is None else [ours, theirs]
    for workers in args.workers:
        torch.manual_seed(0)
        rates = images_per_second(
            datasets, args.repeat, workers=workers, batch_size=args.batch_size
        )
        line = f"{f'ImageFolder, {workers} workers':<28}{rates[0]:>13.1f}"
        if theirs is not None:
            line += f"{rates[1]:>19.1f}{rates[0] / rates[1]:>8.3f}"
        print(line, flush=True)
    if args.shapes:
        time_shapes(args)


def time_shapes(args: argparse.Namespace) -> None:
    shapes_class = getattr(vdata.datasets, "Shapes", None)
    if shapes_class is None:
        print("Shapes: skipped, vdata.datasets.Shapes is not available")
        return
    flip = joint.RandomHorizontalFlip(flip_map=shapes_class.keypoint_info)
    transforms = joint.Compose([flip, joint.PILToTensor(), joint.ConvertImageDtype()])
    dataset = shapes_class(
        num_images=args.images, image_size=128, target_type="detection", transforms=transforms
    )
    for workers in args.workers:
        (rate,) = images_per_second(
            [dataset],
            args.repeat,
            workers=workers,
            batch_size=args.batch_size,
            collate_fn=T.detection_collate,
        )
        print(f"{f'Shapes 128px, {workers} workers':<28}{rate:>13.1f}", flush=True)


class DetectionSamples(Dataset):
    """COCO-like samples held in memory, typed with ``tv_tensors`` (vdata's or torchvision's)
    and passed through ``transforms``."""

    def __init__(self, count: int, tv_tensors, transforms: Callable, seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        self.tv_tensors, self.transforms, self.samples = tv_tensors, transforms, []
        for _ in range(count):
            coarse = rng.integers(0, 256, (12, 16, 3), dtype=np.uint8)
            image = Image.fromarray(coarse).resize((640, 480), Image.Resampling.BICUBIC)
            corner = rng.uniform(0, [560, 400], (10, 2))
            boxes = np.concatenate([corner, corner + rng.uniform(16, 80, (10, 2))], 1)
            masks = np.zeros((10, 480, 640), dtype=np.uint8)
            for k, (x1, y1, x2, y2) in enumerate(boxes.astype(int)):
                masks[k, y1:y2, x1:x2] = 1
            labels = rng.integers(1, 91, 10)
            self.samples.append((image, boxes.astype(np.float32), masks, labels))

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index: int):
        image, boxes, masks, labels = self.samples[index]
        tv = self.tv_tensors
        target = {
            "boxes": tv.BoundingBoxes(
                torch.from_numpy(boxes), format="XYXY", canvas_size=(480, 640)
            ),
            "masks": tv.Mask(torch.from_numpy(masks)),
            "labels": torch.from_numpy(labels),
        }
        return self.transforms(image, target)


def detection_reference_pipeline(v2, tv_tensors) -> Callable:
    """torchvision's detection reference training transforms, "ssd" augmentation, PIL."""
    mean = (123.0, 117.0, 104.0)
    return v2.Compose(
        [
            v2.RandomPhotometricDistort(p=1.0),
            v2.RandomZoomOut(fill={Image.Image: mean, tv_tensors.Image: mean, "others": 0}),
            v2.RandomIoUCrop(),
            v2.RandomHorizontalFlip(p=0.5),
            v2.PILToTensor(),
            v2.ToDtype(torch.float, scale=True),
            v2.ConvertBoundingBoxFormat("XYXY"),
            v2.SanitizeBoundingBoxes(),
            v2.ToPureTensor(),
        ]
    )


def time_detection_v2(args: argparse.Namespace) -> None:
    from vdata import tv_tensors as ours_tv
    from vdata.transforms import v2 as ours_v2

    datasets = [
        DetectionSamples(args.images, ours_tv, detection_reference_pipeline(ours_v2, ours_tv))
    ]
    if torchvision is not None:
        from torchvision import tv_tensors as theirs_tv
        from torchvision.transforms import v2 as theirs_v2

        pipeline = detection_reference_pipeline(theirs_v2, theirs_tv)
        datasets.append(DetectionSamples(args.images, theirs_tv, pipeline))
    collate = T.detection_collate
    for workers in args.workers:
        torch.manual_seed(0)
        rates = images_per_second(
            datasets, args.repeat, workers=workers, batch_size=2, collate_fn=collate
        )
        line = f"{f'detection v2, {workers} workers':<28}{rates[0]:>13.1f}"
        if len(rates) > 1:
            line += f"{rates[1]:>19.1f}{rates[0] / rates[1]:>8.3f}"
        print(line, flush=True)


class InMemoryImages(Dataset):
    """``count`` PIL images of about 500x375 with a class label, through ``transform``."""

    def __init__(self, count: int, transform: Callable, seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        self.transform, self.samples = transform, []
        for index in range(count):
            width, height = int(rng.integers(460, 541)), int(rng.integers(345, 406))
            coarse = rng.integers(0, 256, (12, 16, 3), dtype=np.uint8)
            image = Image.fromarray(coarse).resize((width, height), Image.Resampling.BICUBIC)
            self.samples.append((image, index % NUM_CLASSES))

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index: int):
        image, label = self.samples[index]
        return self.transform(image), label


def classification_reference_pipeline(transforms, v2: bool) -> Callable:
    """torchvision's classification reference training transforms (TrivialAugment, random
    erasing), with v2's ToDtype or v1's ConvertImageDtype."""
    to_float = (
        transforms.ToDtype(torch.float, scale=True)
        if v2
        else transforms.ConvertImageDtype(torch.float)
    )
    return transforms.Compose(
        [
            transforms.RandomResizedCrop(224, antialias=True),
            transforms.RandomHorizontalFlip(),
            transforms.TrivialAugmentWide(),
            transforms.PILToTensor(),
            to_float,
            transforms.Normalize(MEAN, STD),
            transforms.RandomErasing(p=0.25),
        ]
    )


class MixUpCollate:
    """Stack a batch, then mix it with ``mixup`` (a v2 MixUp); picklable for workers."""

    def __init__(self, mixup: Callable | None) -> None:
        self.mixup = mixup

    def __call__(self, batch):
        images, labels = torch.utils.data.default_collate(batch)
        return (images, labels) if self.mixup is None else self.mixup(images, labels)


def time_classification_v2(args: argparse.Namespace) -> None:
    from vdata.transforms import v2 as ours_v2

    cases = [("vdata v2", ours_v2, True)]
    if torchvision is not None:
        from torchvision.transforms import v2 as theirs_v2

        cases += [("torchvision v2", theirs_v2, True), ("torchvision v1", tv_transforms, False)]
    datasets, collates = [], []
    for _, library, is_v2 in cases:
        datasets.append(
            InMemoryImages(args.images, classification_reference_pipeline(library, is_v2))
        )
        mixup = library.MixUp(alpha=0.2, num_classes=NUM_CLASSES) if is_v2 else None
        collates.append(MixUpCollate(mixup))
    print("case".ljust(28) + "".join(f"{name + ' img/s':>22}" for name, _, _ in cases))
    for workers in args.workers:
        torch.manual_seed(0)
        rates = images_per_second(
            datasets, args.repeat, collates, workers=workers, batch_size=args.batch_size
        )
        line = f"{f'classification v2, {workers} workers':<28}" + "".join(
            f"{r:>22.1f}" for r in rates
        )
        if len(rates) > 1:
            line += f"   ratio to v2 {rates[0] / rates[1]:.3f}, to v1 {rates[0] / rates[2]:.3f}"
        print(line, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, help="folder for the JPEGs (default: a temp dir)")
    parser.add_argument("--images", type=int, default=512)
    parser.add_argument("--workers", type=int, nargs="+", default=[0, 2])
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--repeat", type=int, default=3)
    # DataLoader workers compute with one thread each; give the main process the same, since
    # its extra intra-op threads only contend with the workers over per-image work this small.
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--shapes", action="store_true", help="also time vdata's Shapes dataset")
    parser.add_argument(
        "--detection-v2", action="store_true", help="only time the detection v2 pipeline"
    )
    parser.add_argument(
        "--classification-v2", action="store_true", help="only time the classification v2 pipeline"
    )
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.detection_v2 or args.classification_v2:
        if args.detection_v2:
            time_detection_v2(args)
        if args.classification_v2:
            time_classification_v2(args)
        return
    if args.root is not None:
        run(args, args.root)
        return
    with tempfile.TemporaryDirectory(prefix="vdata-bench-") as folder:
        run(args, Path(folder))


if __name__ == "__main__":
    main()
