"""Image classification: any registered classifier, cross-entropy, top-1/top-5 accuracy.

Datasets (``--dataset``): ``shapes`` (the dominant shape of each image, 3 classes),
``imagefolder`` (``--data-path``/{train,val}/<class>/<image>), ``imagenet``, ``cifar10`` and
``cifar100`` (``--data-path`` holds the extracted python archive; the test set validates),
``caltech101``, ``caltech256`` (a fixed 20% held out for validation) and ``celeba`` (whether the
face is smiling; see :data:`vrefs.data.CELEBA_ATTRIBUTE`).

CIFAR trains at its own 32x32 with He et al.'s augmentation (4-pixel padding, random 32x32 crop,
flip) and CIFAR-10's channel statistics; their ResNet-20 recipe, which reports 91.25% top-1
(8.75% error), is ``--model cifar_resnet20 --opt sgd --lr 0.1 --weight-decay 1e-4 --batch-size
128 --epochs 164 --lr-schedule multistep-with-warmup --lr-steps 82 123 --warmup-epochs 0``.
"""

from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import torch.nn.functional as F
from torch import Tensor, nn
from torch.utils.data import Dataset

import vmodels
from vdata import transforms as T

from ..data import CLASSIFICATION_DATASETS, build_datasets
from ..metrics.classification import TopKAccuracy

MEAN, STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
# CIFAR-10's training-set channel statistics; CIFAR-100's differ in the second decimal.
CIFAR_MEAN, CIFAR_STD = (0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)
CIFAR_DATASETS = ("cifar10", "cifar100")
# Resize to 1/0.875 of the crop before the centre crop, as ImageNet evaluation does.
CROP_RATIO = 0.875


def transforms(dataset: str, image_size: int, train: bool) -> Callable:
    """Shapes images at their drawn size (flipped in training); CIFAR at 32x32, padded by 4 and
    randomly cropped back in training; photographs through a random resized crop (training) or
    a resize and centre crop (validation) to ``image_size``."""
    steps: list[Callable] = []
    if dataset in CIFAR_DATASETS:
        if train:
            steps += [T.RandomCrop(32, padding=4), T.RandomHorizontalFlip()]
        return T.Compose([*steps, T.ToTensor(), T.Normalize(CIFAR_MEAN, CIFAR_STD)])
    if dataset != "shapes":
        if train:
            steps.append(T.RandomResizedCrop(image_size))
        else:
            steps += [T.Resize(round(image_size / CROP_RATIO)), T.CenterCrop(image_size)]
    if train:
        steps.append(T.RandomHorizontalFlip())
    return T.Compose([*steps, T.ToTensor(), T.Normalize(MEAN, STD)])


def num_classes(dataset: Dataset) -> int:
    """Classes of a classification dataset (Shapes counts its background, the others not)."""
    count = getattr(dataset, "num_classes", None)
    return count if isinstance(count, int) else len(dataset.classes)  # type: ignore[attr-defined]


class ClassificationTask:
    """:class:`vrefs.tasks.base.Task` for the classification models of vmodels."""

    name = "classification"
    default_model = "cifar_resnet20"
    # About 1.5 minutes of training on Shapes on a free 2-core CPU; figures in the README.
    defaults: ClassVar[dict[str, Any]] = {
        "epochs": 8,
        "batch_size": 32,
        "opt": "adamw",
        "lr": 0.001,
        "image_size": 32,
        "num_images": 4000,
        "warmup_epochs": 0.3,
    }

    def build_datasets(self, args) -> tuple[Dataset, Dataset]:
        return build_datasets(
            CLASSIFICATION_DATASETS,
            args,
            transforms(args.dataset, args.image_size, train=True),
            transforms(args.dataset, args.image_size, train=False),
        )

    def collate_fn(self) -> Callable | None:
        return None

    def build_model(self, args, train_dataset: Dataset) -> nn.Module:
        return vmodels.get_model(args.model, num_classes=num_classes(train_dataset))

    def losses(self, model: nn.Module, images: Tensor, targets: Tensor) -> dict[str, Tensor]:
        device = next(model.parameters()).device
        logits = model(images.to(device, non_blocking=True))
        return {"loss_classifier": F.cross_entropy(logits, targets.to(device))}

    def predict(self, model: nn.Module, images: Tensor) -> Tensor:
        device = next(model.parameters()).device
        return model(images.to(device, non_blocking=True)).float()

    def evaluator(self, args, val_dataset: Dataset, output_dir: Path | None) -> TopKAccuracy:
        return TopKAccuracy(num_classes(val_dataset))

    def draw_predictions(self, model: nn.Module, val_dataset: Dataset, path: Path) -> None:
        return None


TASK = ClassificationTask()
