"""The detection backbones from :mod:`vmodels.backbones`, where torchvision keeps them
(``torchvision.models.detection.backbone_utils``)."""

from ..backbones import BackboneWithFPN, mobilenet_backbone, resnet_fpn_backbone

__all__ = ["BackboneWithFPN", "mobilenet_backbone", "resnet_fpn_backbone"]
