"""The detector's input and output transform: resize, normalise and batch differently sized images,
and map predictions back to the sizes the images came in."""

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from vops.symbolic import float_min, size_float, size_max, size_min

from .mask_paste import paste_masks_in_image


class ImageList:
    """Images padded into one batch, with the size of each before padding.

    Attributes:
        tensors: ``Tensor[N, C, H, W]``.
        image_sizes: ``(height, width)`` of each image inside ``tensors``.
    """

    def __init__(self, tensors: Tensor, image_sizes: list[tuple[int, int]]) -> None:
        self.tensors = tensors
        self.image_sizes = image_sizes

    def to(self, device: torch.device) -> "ImageList":
        return ImageList(self.tensors.to(device), self.image_sizes)


def resize_boxes(boxes: Tensor, original_size: list[int], new_size: list[int]) -> Tensor:
    """Scale ``Tensor[K, 4]`` xyxy boxes from an image of ``original_size`` ``(h, w)`` to one of
    ``new_size``."""
    ratio_h = size_float(new_size[0]) / size_float(original_size[0])
    ratio_w = size_float(new_size[1]) / size_float(original_size[1])
    corners = boxes.reshape(-1, 2, 2)  # [[x1, y1], [x2, y2]]
    return torch.stack((corners[..., 0] * ratio_w, corners[..., 1] * ratio_h), dim=2).view(-1, 4)


def resize_keypoints(keypoints: Tensor, original_size: list[int], new_size: list[int]) -> Tensor:
    """Scale the ``x, y`` of ``Tensor[K, P, 3]`` keypoints like :func:`resize_boxes`; the
    visibility column is kept."""
    ratio_h = size_float(new_size[0]) / size_float(original_size[0])
    ratio_w = size_float(new_size[1]) / size_float(original_size[1])
    resized = keypoints.clone()
    resized[..., 0] *= ratio_w
    resized[..., 1] *= ratio_h
    return resized


class GeneralizedRCNNTransform(nn.Module):
    """Normalise, resize and batch images (and their targets) for an R-CNN; map its
    predictions back.

    Each image is scaled (bilinear) so that its shorter side is ``min_size`` unless its longer side
    would then exceed ``max_size``, in which case the longer side is ``max_size``. In training
    ``min_size`` may be a tuple, one drawn per image (scale augmentation); evaluation uses its
    last value. Boxes, keypoints (scaled) and masks (nearest neighbour) follow their image.
    Images are padded with zeros at the bottom and right into one ``Tensor[N, C, H, W]`` with
    ``H`` and ``W`` multiples of ``size_divisible``.

    Args:
        min_size: target length of the shorter side, or a tuple to draw from in training.
        max_size: bound on the longer side.
        image_mean: per-channel mean subtracted from ``[0, 1]`` images.
        image_std: per-channel standard deviation they are divided by.
        size_divisible: batch height and width are rounded up to a multiple of this.
        fixed_size: ``(height, width)`` every image is resized to instead, if given.
        _skip_resize: in training, keep the images' sizes (their data pipeline already resized
            them, as torchvision's SSD recipes do); evaluation still resizes.
    """

    def __init__(
        self,
        min_size: int | tuple[int, ...],
        max_size: int,
        image_mean: list[float],
        image_std: list[float],
        size_divisible: int = 32,
        fixed_size: tuple[int, int] | None = None,
        _skip_resize: bool = False,
    ) -> None:
        super().__init__()
        min_sizes = (min_size,) if isinstance(min_size, int) else tuple(min_size)
        if not min_sizes or any(s <= 0 for s in min_sizes) or max_size <= 0:
            raise ValueError(
                f"min_size and max_size must be positive, got min_size={min_size!r}, "
                f"max_size={max_size!r}"
            )
        if len(image_mean) != len(image_std):
            raise ValueError(
                f"image_mean and image_std must have one value per channel, got "
                f"{len(image_mean)} and {len(image_std)}"
            )
        self.min_size = min_sizes
        self.max_size = max_size
        self.image_mean = list(image_mean)
        self.image_std = list(image_std)
        self.size_divisible = size_divisible
        self.fixed_size = fixed_size
        self._skip_resize = _skip_resize

    def forward(
        self, images: list[Tensor], targets: list[dict[str, Tensor]] | None = None
    ) -> tuple[ImageList, list[dict[str, Tensor]] | None]:
        """Resize, normalise and batch ``images`` (each ``Tensor[C, H, W]``); the targets, if any,
        are copied and resized with them."""
        resized_targets: list[dict[str, Tensor]] | None = None
        if targets is not None:
            resized_targets = [{k: v for k, v in t.items()} for t in targets]
        resized: list[Tensor] = []
        for i, image in enumerate(images):
            if image.dim() != 3 or image.size(0) != len(self.image_mean):
                raise ValueError(
                    f"images[{i}] must be a Tensor[C, H, W] with C = {len(self.image_mean)}, "
                    f"got Tensor{list(image.shape)}"
                )
            target: dict[str, Tensor] | None = None
            if resized_targets is not None:
                target = resized_targets[i]
            image, target = self.resize(self.normalize(image), target)
            resized.append(image)
            if resized_targets is not None and target is not None:
                resized_targets[i] = target
        image_sizes: list[tuple[int, int]] = []
        for image in resized:
            image_sizes.append((image.shape[-2], image.shape[-1]))
        return ImageList(self.batch_images(resized), image_sizes), resized_targets

    def normalize(self, image: Tensor) -> Tensor:
        if not image.is_floating_point():
            raise TypeError(
                f"images must be float tensors with values in [0, 1], got dtype {image.dtype}"
            )
        mean = torch.as_tensor(self.image_mean, dtype=image.dtype, device=image.device)
        std = torch.as_tensor(self.image_std, dtype=image.dtype, device=image.device)
        return (image - mean[:, None, None]) / std[:, None, None]

    def _draw_min_size(self) -> int:
        if not self.training:
            return self.min_size[-1]
        index = int(torch.empty(1).uniform_(0.0, float(len(self.min_size))).item())
        return self.min_size[min(index, len(self.min_size) - 1)]

    def resize(
        self, image: Tensor, target: dict[str, Tensor] | None = None
    ) -> tuple[Tensor, dict[str, Tensor] | None]:
        """Resize one ``Tensor[C, H, W]`` image and its target."""
        if self.training and self._skip_resize:
            return image, target
        height, width = image.shape[-2:]
        if self.fixed_size is not None:
            size = [self.fixed_size[0], self.fixed_size[1]]
            image = F.interpolate(image[None], size=size, mode="bilinear", align_corners=False)[0]
        else:
            min_side = size_float(size_min(height, width))
            max_side = size_float(size_max(height, width))
            scale = float_min(
                float(self._draw_min_size()) / min_side, float(self.max_size) / max_side
            )
            image = F.interpolate(
                image[None],
                scale_factor=scale,
                mode="bilinear",
                recompute_scale_factor=True,
                align_corners=False,
            )[0]
        if target is None:
            return image, target
        new_size = [image.shape[-2], image.shape[-1]]
        target["boxes"] = resize_boxes(target["boxes"], [height, width], new_size)
        if "masks" in target:
            masks = target["masks"]
            if masks.numel() == 0:
                target["masks"] = masks.new_zeros((masks.size(0), new_size[0], new_size[1]))
            else:
                target["masks"] = F.interpolate(masks[:, None].float(), size=new_size)[:, 0].byte()
        if "keypoints" in target:
            target["keypoints"] = resize_keypoints(target["keypoints"], [height, width], new_size)
        return image, target

    def batch_images(self, images: list[Tensor]) -> Tensor:
        """Pad ``images`` with zeros into one ``Tensor[N, C, H, W]``, ``H`` and ``W`` rounded up
        to multiples of ``size_divisible``."""
        max_h, max_w = images[0].shape[-2], images[0].shape[-1]
        for image in images[1:]:
            max_h = size_max(max_h, image.shape[-2])
            max_w = size_max(max_w, image.shape[-1])
        stride = self.size_divisible
        max_h = (max_h + stride - 1) // stride * stride
        max_w = (max_w + stride - 1) // stride * stride
        # Padding, not copying into a zero batch: under torch.export, slicing a slot to the
        # traced image's size would fix the sizes whose padding is empty at trace time.
        padded = [
            F.pad(image, (0, max_w - image.shape[-1], 0, max_h - image.shape[-2]))
            for image in images
        ]
        return torch.stack(padded)

    def postprocess(
        self,
        detections: list[dict[str, Tensor]],
        image_sizes: list[tuple[int, int]],
        original_sizes: list[tuple[int, int]],
    ) -> list[dict[str, Tensor]]:
        """Map each image's predictions from its resized size back to its original size; masks
        are pasted into full images."""
        if self.training:
            return detections
        for i, (prediction, size, original) in enumerate(
            zip(detections, image_sizes, original_sizes, strict=True)
        ):
            resized_size = [size[0], size[1]]
            original_size = [original[0], original[1]]
            boxes = resize_boxes(prediction["boxes"], resized_size, original_size)
            detections[i]["boxes"] = boxes
            if "masks" in prediction:
                detections[i]["masks"] = paste_masks_in_image(
                    prediction["masks"], boxes, original_size
                )
            if "keypoints" in prediction:
                detections[i]["keypoints"] = resize_keypoints(
                    prediction["keypoints"], resized_size, original_size
                )
        return detections

    def extra_repr(self) -> str:
        return (
            f"min_size={self.min_size}, max_size={self.max_size}, mean={self.image_mean}, "
            f"std={self.image_std}, size_divisible={self.size_divisible}"
        )
