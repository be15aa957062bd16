"""Tiny Cityscapes trees in the official layout."""

import json

import numpy as np
from PIL import Image

FRAMES = {
    "aachen": ["aachen_000001_000019", "aachen_000000_000019"],
    "bonn": ["bonn_000000_000019"],
}


def write_city(root, mode="gtFine", split="train", frames=FRAMES):
    """Frames of 8x4 pixels: image k of a city is (k, len(city), 7); class ids 26 (car) with
    7 + k at the top left; instance ids 26001 + k; a colour picture; a polygon file."""
    for city, stems in frames.items():
        for k, stem in enumerate(stems):
            image_dir = root / "leftImg8bit" / split / city
            target_dir = root / mode / split / city
            image_dir.mkdir(parents=True, exist_ok=True)
            target_dir.mkdir(parents=True, exist_ok=True)
            Image.new("RGB", (8, 4), (k, len(city), 7)).save(image_dir / f"{stem}_leftImg8bit.png")
            ids = np.full((4, 8), 26, np.uint8)
            ids[0, 0] = 7 + k
            Image.fromarray(ids).save(target_dir / f"{stem}_{mode}_labelIds.png")
            instances = np.full((4, 8), 26001 + k, np.uint16)  # a 16-bit PNG, as released
            Image.fromarray(instances).save(target_dir / f"{stem}_{mode}_instanceIds.png")
            Image.new("RGBA", (8, 4), (0, 0, 142, 255)).save(
                target_dir / f"{stem}_{mode}_color.png"
            )
            polygons = {"imgHeight": 4, "imgWidth": 8, "objects": [{"label": "car", "k": k}]}
            (target_dir / f"{stem}_{mode}_polygons.json").write_text(json.dumps(polygons))
