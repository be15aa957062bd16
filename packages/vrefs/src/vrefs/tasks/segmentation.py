"""Semantic segmentation: any registered segmentation model, per-pixel cross-entropy (plus half
the auxiliary head's), pixel accuracy and IoU from a confusion matrix.

Datasets (``--dataset``): ``shapes`` (background and three shapes), ``voc`` (``VOCdevkit/VOC2012``
at ``--data-path``) and ``sbd`` (the SBD ``cls``/``img`` folders at ``--data-path``). Photographs
train on random rescales and ``--image-size`` crops and are evaluated on the centre
``--image-size`` crop after resizing their shorter side to it.
"""

from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.utils.data import Dataset

import vmodels
from vdata.datasets import VOC_CLASSES
from vdata.transforms import joint as J
from vdata.utils import draw_segmentation_masks

from ..data import SEGMENTATION_DATASETS, build_datasets
from ..metrics.segmentation import IGNORE_INDEX, ConfusionMatrix
from ..visualize import save_prediction_grid, to_uint8
from .classification import MEAN, STD

AUX_WEIGHT = 0.5
NUM_PICTURES = 8
# Random rescaling of photographs in training, relative to --image-size.
SCALE_RANGE = (0.5, 2.0)


def transforms(dataset: str, image_size: int, train: bool) -> Callable:
    """Joint transforms to a normalized image and an int64 ``Tensor[H, W]`` mask."""
    steps: list[Callable] = []
    if dataset != "shapes":
        if train:
            low, high = (round(image_size * s) for s in SCALE_RANGE)
            steps += [J.RandomResize(low, high), J.RandomCrop(image_size, pad_if_needed=True)]
        else:
            steps += [J.Resize(image_size), J.CenterCrop(image_size)]
    if train:
        steps.append(J.RandomHorizontalFlip())
    return J.Compose([*steps, J.ToTensor(), J.Normalize(MEAN, STD)])


def class_names(dataset: Dataset) -> tuple[str, ...]:
    """The name of each class of a segmentation dataset, background first."""
    names = getattr(dataset, "classes", None)
    return tuple(names) if names else ("background", *VOC_CLASSES)


class SegmentationTask:
    """:class:`vrefs.tasks.base.Task` for the segmentation models of vmodels."""

    name = "segmentation"
    default_model = "fpn_resnet18"
    # About 2.5 minutes of training on Shapes on a free 2-core CPU; figures in the README.
    defaults: ClassVar[dict[str, Any]] = {
        "epochs": 6,
        "batch_size": 16,
        "opt": "adamw",
        "lr": 0.001,
        "image_size": 64,
        "num_images": 2000,
        "warmup_epochs": 0.3,
    }

    def build_datasets(self, args) -> tuple[Dataset, Dataset]:
        return build_datasets(
            SEGMENTATION_DATASETS,
            args,
            transforms(args.dataset, args.image_size, train=True),
            transforms(args.dataset, args.image_size, train=False),
        )

    def collate_fn(self) -> Callable | None:
        return None

    def build_model(self, args, train_dataset: Dataset) -> nn.Module:
        return vmodels.get_model(args.model, num_classes=len(class_names(train_dataset)))

    def losses(self, model: nn.Module, images: Tensor, targets: Tensor) -> dict[str, Tensor]:
        device = next(model.parameters()).device
        outputs = model(images.to(device, non_blocking=True))
        targets = targets.to(device)
        losses = {"loss_out": F.cross_entropy(outputs["out"], targets, ignore_index=IGNORE_INDEX)}
        if "aux" in outputs:
            aux = F.cross_entropy(outputs["aux"], targets, ignore_index=IGNORE_INDEX)
            losses["loss_aux"] = AUX_WEIGHT * aux
        return losses

    def predict(self, model: nn.Module, images: Tensor) -> Tensor:
        device = next(model.parameters()).device
        return model(images.to(device, non_blocking=True))["out"].float()

    def evaluator(self, args, val_dataset: Dataset, output_dir: Path | None) -> ConfusionMatrix:
        names = class_names(val_dataset)
        return ConfusionMatrix(len(names), names)

    @torch.no_grad()
    def draw_predictions(self, model: nn.Module, val_dataset: Dataset, path: Path) -> Path:
        """Each image twice: with its ground-truth classes painted, then with the predicted
        ones, two images to a row."""
        was_training = model.training
        model.eval()
        samples = [val_dataset[i] for i in range(min(NUM_PICTURES, len(val_dataset)))]
        images = torch.stack([image for image, _ in samples])
        predictions = self.predict(model, images).argmax(1).cpu()
        model.train(was_training)
        mean, std = torch.tensor(MEAN)[:, None, None], torch.tensor(STD)[:, None, None]
        pictures = []
        for (image, target), prediction in zip(samples, predictions, strict=True):
            plain = to_uint8(image * std + mean)
            for labels in (target, prediction):
                classes = torch.arange(1, len(class_names(val_dataset)))
                masks = labels[None] == classes[:, None, None]
                pictures.append(draw_segmentation_masks(plain, masks, alpha=0.5))
        return save_prediction_grid(pictures, path)


TASK = SegmentationTask()
