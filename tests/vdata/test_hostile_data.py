"""Hostile image files: decompression bombs are refused naming the file, in the main process and
in DataLoader workers, under PIL's own pixel limit."""

import struct
import warnings
import zlib

import pytest
import torch
from PIL import Image

from vdata.datasets import ImageFolder
from vdata.datasets._io import load_image


def png_header_claiming(path, width, height):
    """A PNG whose header claims ``width x height`` RGB pixels (the pixel data is a stub: PIL
    checks the size when it opens the file, before it decodes anything)."""

    def chunk(kind, data):
        crc = zlib.crc32(kind + data)
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 4))
        + chunk(b"IEND", b"")
    )
    return path


def test_load_image_names_a_decompression_bomb_as_pils_error(tmp_path):
    path = png_header_claiming(tmp_path / "bomb.png", 100_000, 100_000)
    with pytest.raises(Image.DecompressionBombError, match=f"{path}: Image size"):
        load_image(path)


def test_decompression_bomb_is_named_through_dataloader_workers(tmp_path, write_image):
    write_image(tmp_path / "cat" / "a.png")
    bomb = png_header_claiming(tmp_path / "cat" / "b.png", 100_000, 100_000)
    loader = torch.utils.data.DataLoader(ImageFolder(tmp_path), batch_size=None, num_workers=1)
    with pytest.raises(Image.DecompressionBombError, match=str(bomb)):
        list(loader)


def test_load_image_follows_pils_pixel_limit_as_it_is_set(tmp_path, write_image, monkeypatch):
    path = write_image(tmp_path / "a.png", size=(6, 4))  # 24 pixels
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 11)  # refused above 2 x 11 pixels
    with pytest.raises(Image.DecompressionBombError, match=f"{path}: Image size"):
        load_image(path)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 12)  # between the limits PIL only warns
    with pytest.warns(Image.DecompressionBombWarning):
        assert load_image(path).size == (6, 4)
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        with pytest.raises(Image.DecompressionBombWarning, match=f"{path}: Image size"):
            load_image(path)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", None)  # PIL's switch to turn the check off
    assert load_image(path).size == (6, 4)
