"""Datasets in the on-disk layouts their official distributions unpack to."""

from ._download import DownloadError, RemoteFile, download, extract_archive
from ._io import DatasetArgumentError, DatasetNotFoundError
from .caltech import Caltech101, Caltech256
from .celeba import CelebA
from .cifar import CIFAR10, CIFAR100
from .coco import CocoCaptions, CocoDetection, coco_to_model_target
from .fakedata import FakeData
from .folder import IMG_EXTENSIONS, DatasetFolder, ImageFolder
from .imagenet import ImageNet
from .kitti import Kitti, parse_kitti_labels
from .mnist import EMNIST, KMNIST, MNIST, QMNIST, FashionMNIST
from .sbd import SBDataset
from .shapes import Shapes
from .vision import DEFAULT_OKS_SIGMA, KeypointInfo, VisionDataset
from .voc import VOC_CLASSES, VOCDetection, VOCSegmentation, voc_to_model_target
from .widerface import WIDERFace, parse_widerface_annotations

__all__ = [
    "CIFAR10",
    "CIFAR100",
    "DEFAULT_OKS_SIGMA",
    "EMNIST",
    "IMG_EXTENSIONS",
    "KMNIST",
    "MNIST",
    "QMNIST",
    "VOC_CLASSES",
    "Caltech101",
    "Caltech256",
    "CelebA",
    "CocoCaptions",
    "CocoDetection",
    "DatasetArgumentError",
    "DatasetFolder",
    "DatasetNotFoundError",
    "DownloadError",
    "FakeData",
    "FashionMNIST",
    "ImageFolder",
    "ImageNet",
    "KeypointInfo",
    "Kitti",
    "RemoteFile",
    "SBDataset",
    "Shapes",
    "VOCDetection",
    "VOCSegmentation",
    "VisionDataset",
    "WIDERFace",
    "coco_to_model_target",
    "download",
    "extract_archive",
    "parse_kitti_labels",
    "parse_widerface_annotations",
    "voc_to_model_target",
]
