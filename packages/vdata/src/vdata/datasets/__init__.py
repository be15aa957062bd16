"""Datasets in the on-disk layouts their official distributions unpack to."""

from ._download import DownloadError, RemoteFile, download, extract_archive
from ._io import DatasetArgumentError, DatasetNotFoundError
from ._typed_targets import model_target_to_tv_tensors, tv_tensors_to_model_target
from ._v2_wrapper import wrap_dataset_for_transforms_v2
from .caltech import Caltech101, Caltech256
from .celeba import CelebA
from .cifar import CIFAR10, CIFAR100
from .cityscapes import Cityscapes
from .coco import CocoCaptions, CocoDetection, coco_to_model_target
from .fakedata import FakeData
from .flowers102 import Flowers102
from .folder import IMG_EXTENSIONS, DatasetFolder, ImageFolder
from .food101 import Food101
from .imagenet import ImageNet
from .imagenette import Imagenette
from .kitti import Kitti, parse_kitti_labels
from .mnist import EMNIST, KMNIST, MNIST, QMNIST, FashionMNIST
from .oxford_iiit_pet import OxfordIIITPet
from .sbd import SBDataset
from .shapes import Shapes
from .stl10 import STL10
from .svhn import SVHN
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
    "STL10",
    "SVHN",
    "VOC_CLASSES",
    "Caltech101",
    "Caltech256",
    "CelebA",
    "Cityscapes",
    "CocoCaptions",
    "CocoDetection",
    "DatasetArgumentError",
    "DatasetFolder",
    "DatasetNotFoundError",
    "DownloadError",
    "FakeData",
    "FashionMNIST",
    "Flowers102",
    "Food101",
    "ImageFolder",
    "ImageNet",
    "Imagenette",
    "KeypointInfo",
    "Kitti",
    "OxfordIIITPet",
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
    "model_target_to_tv_tensors",
    "parse_kitti_labels",
    "parse_widerface_annotations",
    "tv_tensors_to_model_target",
    "voc_to_model_target",
    "wrap_dataset_for_transforms_v2",
]
