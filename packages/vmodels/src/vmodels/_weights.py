"""Pretrained weights as torchvision 0.29 describes them (:class:`Weights`, :class:`WeightsEnum`),
where their files are cached, and loading them with their integrity checked.

Each model family declares its checkpoints as a :class:`WeightsEnum` (``ResNet50_Weights``) whose
members carry the file's ``url``, the evaluation ``transforms`` and ``meta`` (categories,
parameter count, metrics, recipe). Registering a builder with its enum
(``register_model(..., weights=ResNet50_Weights)``) also registers every member under the name
``"<model>.<member>"`` in lower case (``"resnet50.imagenet1k_v2"``).

Files are cached under ``$VMODELS_HOME/checkpoints`` (default ``~/.cache/vmodels``). A download is
checked against the entry's sha256 (or the digest prefix its file name carries) before it is moved
into place, atomically, and a cached file is checked again every time it is loaded. Without network
access the error names the file to fetch and where to put it. Checkpoints load with
``torch.load(weights_only=True)``, or from ``.safetensors``.
"""

from __future__ import annotations

import enum
import hashlib
import os
import re
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Union

from ._torch_files import CheckpointError, read_torch_file

_CHUNK = 1 << 20
# torch.hub's convention: a published file is named "<name>-<first hex digits of its sha256>.<ext>".
_DIGEST_IN_FILE_NAME = re.compile(r"-([0-9a-f]{6,64})\.")


@dataclass(frozen=True)
class Weights:
    """One published checkpoint.

    Attributes:
        url: where the file is downloaded from; its file name is the cache file's name.
        transforms: builds the evaluation transform the weights expect
            (``weights.transforms()``, e.g. resize, crop and normalise).
        meta: facts about the weights: ``categories`` (class names in output order, or None for
            feature-only weights), ``num_params``, ``min_size``, ``recipe``, ``_metrics``,
            ``_ops`` (GFLOPS), ``_file_size`` (MB), ``_docs``, as torchvision names them.
        sha256: the file's hex digest or a prefix of it; by default the prefix in the file name
            (``resnet50-11ad3fa6.pth``), which is what torchvision checks.
    """

    url: str
    transforms: Callable[..., Any]
    meta: dict[str, Any] = field(default_factory=dict)
    sha256: str | None = None

    @property
    def digest(self) -> str:
        """The expected sha256 (or prefix) of the file, lower case."""
        if self.sha256 is not None:
            return self.sha256.lower()
        match = _DIGEST_IN_FILE_NAME.search(self.file_name)
        if match is None:
            raise ValueError(
                f"{self.url}: the file name carries no sha256 prefix ('<name>-<hex>.pth'), so "
                "the Weights entry must give sha256="
            )
        return match.group(1)

    @property
    def file_name(self) -> str:
        return self.url.rsplit("/", 1)[-1]


class WeightsEnum(enum.Enum):
    """The checkpoints of one model, as members; ``DEFAULT`` is an alias of the best one.

    ``ResNet50_Weights.IMAGENET1K_V2.url``, ``.transforms()``, ``.meta["categories"]`` and
    ``.get_state_dict()`` work as in torchvision.
    """

    @classmethod
    def verify(cls, obj: Any) -> WeightsEnum | None:
        """``obj`` as a member of this enum: a member, its name (``"IMAGENET1K_V1"``,
        ``"DEFAULT"``), ``"<Enum>.<NAME>"``, or None.

        Raises:
            ValueError: a string that names no member, listing the members.
            TypeError: a member of another weights enum, or another type.
        """
        if obj is None or isinstance(obj, cls):
            return obj
        if isinstance(obj, str):
            member_name = obj.removeprefix(cls.__name__ + ".")
            if member_name in cls.__members__:
                return cls.__members__[member_name]
            raise ValueError(
                f"{obj!r} is not a member of {cls.__name__}; its members are "
                f"{list(cls.__members__)}"
            )
        raise TypeError(
            f"weights must be a {cls.__name__} member or its name, got {type(obj).__name__} {obj!r}"
        )

    @property
    def url(self) -> str:
        return self.value.url

    @property
    def transforms(self) -> Callable[..., Any]:
        return self.value.transforms

    @property
    def meta(self) -> dict[str, Any]:
        return self.value.meta

    def get_state_dict(self, progress: bool = True, check_hash: bool = True) -> dict:
        """The checkpoint's state dict, downloaded into the cache if needed. The digest is
        checked whatever ``check_hash`` says (both are accepted for torchvision's signature)."""
        del progress, check_hash
        return load_checkpoint(fetch(self))

    def __repr__(self) -> str:
        return f"{type(self).__name__}.{self._name_}"

    def __reduce_ex__(self, protocol: int) -> tuple:
        # By name: Enum's default looks the value up, and a Weights holding a functools.partial
        # never equals its unpickled copy.
        return getattr, (type(self), self._name_)


WeightsArg = Union[WeightsEnum, str, os.PathLike, None]  # noqa: UP007 (a runtime alias)

_models: dict[str, type[WeightsEnum]] = {}  # model name -> its weights enum
_owners: dict[WeightsEnum, str] = {}  # member -> model name


def register_weights(model: str, weights: type[WeightsEnum]) -> None:
    """Record ``weights`` as the checkpoints of ``model`` (done by ``register_model``)."""
    if not (isinstance(weights, type) and issubclass(weights, WeightsEnum)):
        raise TypeError(f"weights of {model!r} must be a WeightsEnum subclass, got {weights!r}")
    existing = _models.get(model)
    if existing is not None and existing is not weights:
        raise ValueError(
            f"model {model!r} already has weights {existing.__name__}, not {weights.__name__}"
        )
    for member in weights:
        owner = _owners.get(member, model)
        if owner != model:
            raise ValueError(f"{member!r} already belongs to model {owner!r}, not {model!r}")
    _models[model] = weights
    _owners.update(dict.fromkeys(weights, model))


def weights_snapshot() -> tuple[dict, dict]:
    """The weights tables, to put back with :func:`restore_weights` (after a failed plugin)."""
    return dict(_models), dict(_owners)


def restore_weights(snapshot: tuple[dict, dict]) -> None:
    models, owners = snapshot
    _models.clear()
    _models.update(models)
    _owners.clear()
    _owners.update(owners)


def registered_name(member: WeightsEnum) -> str:
    """``"<model>.<member in lower case>"``, e.g. ``"resnet50.imagenet1k_v2"``."""
    return f"{_owners[member]}.{member.name.lower()}"


def weights_of(model: str) -> type[WeightsEnum] | None:
    """The weights enum registered for ``model``, or None."""
    return _models.get(model)


def list_weights(model: str | None = None) -> list[str]:
    """Registry names of the registered weights (``"resnet50.imagenet1k_v1"``, ...), optionally
    of one model."""
    return sorted(registered_name(m) for m, owner in _owners.items() if model in (None, owner))


def find_weights(name: str) -> WeightsEnum | None:
    """The member a registry name (``"resnet50.imagenet1k_v2"``) or a qualified enum name
    (``"ResNet50_Weights.IMAGENET1K_V2"``) denotes, or None."""
    for member, model in _owners.items():
        if name == f"{model}.{member.name.lower()}":
            return member
    enum_name, _, member_name = name.partition(".")
    for weights in _models.values():
        if weights.__name__ == enum_name and member_name in weights.__members__:
            return weights.__members__[member_name]
    return None


def resolve_weights(model: str, weights: WeightsArg, pretrained: bool) -> WeightsEnum | Path | None:
    """What a builder of ``model`` loads for ``weights=`` / ``pretrained=``: a registered member,
    a checkpoint file, or None for random initialisation.

    ``weights`` may be a member of the model's enum, its name (``"IMAGENET1K_V2"``,
    ``"DEFAULT"``, ``"ResNet50_Weights.IMAGENET1K_V2"``), a registry name
    (``"resnet50.imagenet1k_v2"``), a checkpoint file or None. ``pretrained=True`` (the 2019 API)
    means the model's first (V1) entry, as torchvision's legacy flag does.
    """
    enum_class = _models.get(model)
    if pretrained not in (True, False):
        raise ValueError(f"pretrained must be True or False, got {pretrained!r}")
    if pretrained and weights is not None:
        raise ValueError(
            f"{model}: pass weights= or pretrained=True, not both (got weights={weights!r})"
        )
    if pretrained:
        if enum_class is None:
            raise ValueError(
                f"{model} has no published weights, so pretrained=True cannot load any"
            )
        return next(iter(enum_class))
    if weights is None:
        return None
    if isinstance(weights, WeightsEnum):
        owner = _owners.get(weights)
        if owner != model:
            raise ValueError(
                f"weights {weights!r} belong to {owner or 'no registered model'}, not {model}"
            )
        return weights
    if isinstance(weights, str):
        member = find_weights(weights)
        if member is None and enum_class is not None and weights in enum_class.__members__:
            member = enum_class.__members__[weights]
        if member is not None:
            return resolve_weights(model, member, False)
    if isinstance(weights, (str, os.PathLike)) and Path(weights).is_file():
        return Path(weights)
    choices = [] if enum_class is None else [*enum_class.__members__, *list_weights(model)]
    raise ValueError(
        f"weights of {model} must be None, one of {choices} or an existing checkpoint file, "
        f"got {weights!r}"
    )


def vmodels_home() -> Path:
    """Cache root: ``$VMODELS_HOME``, default ``~/.cache/vmodels``."""
    return Path(os.environ.get("VMODELS_HOME", "~/.cache/vmodels")).expanduser()


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _check_digest(actual: str, weights: WeightsEnum, path: Path, advice: str) -> None:
    if not actual.startswith(weights.value.digest):
        raise ValueError(
            f"{path} does not match weights {weights!r}: its sha256 is {actual}, expected "
            f"{weights.value.digest}. The file is corrupt or not the published one: {advice}"
        )


def _download(weights: WeightsEnum, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        response = urllib.request.urlopen(weights.url, timeout=60)
    except (urllib.error.URLError, OSError) as error:
        if isinstance(error, urllib.error.HTTPError):
            error.close()  # it holds the server's error page open
        raise RuntimeError(
            f"cannot download weights {weights!r} from {weights.url} ({error}). Without "
            f"network access, fetch that file elsewhere and put it at {path}"
        ) from error
    with response:
        content_type = response.headers.get("Content-Type", "")
        if content_type.startswith("text/html"):
            raise RuntimeError(
                f"{weights.url} returned an HTML page instead of a checkpoint; the link may have "
                f"moved. Fetch the file by hand and put it at {path}"
            )
        digest = hashlib.sha256()
        with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as tmp:
            try:
                while chunk := response.read(_CHUNK):
                    digest.update(chunk)
                    tmp.write(chunk)
            except BaseException:
                os.unlink(tmp.name)
                raise
    try:
        _check_digest(
            digest.hexdigest(),
            weights,
            Path(weights.url),
            f"nothing was saved; put the file at {path}",
        )
    except ValueError:
        os.unlink(tmp.name)
        raise
    os.replace(tmp.name, path)  # atomic: a cached file is always complete


def fetch(weights: WeightsEnum) -> Path:
    """Path of the verified checkpoint file of ``weights``, downloading it if not cached."""
    path = vmodels_home() / "checkpoints" / weights.value.file_name
    if not path.exists():
        _download(weights, path)
    _check_digest(
        file_sha256(path), weights, path, f"delete {path} and download {weights.url} again"
    )
    return path


def load_checkpoint(path: str | os.PathLike) -> dict:
    """A state dict from a ``.pth``/``.pt`` file (loaded with ``weights_only=True``) or a
    ``.safetensors`` file. Checkpoints that wrap it as ``{"model": ...}`` or
    ``{"state_dict": ...}`` are unwrapped."""
    path = Path(path)
    if path.suffix == ".safetensors":
        try:
            from safetensors.torch import load_file
        except ImportError as error:
            raise ImportError(f"loading {path} needs the safetensors package") from error
        return load_file(path)
    checkpoint = read_torch_file(path)
    for key in ("model", "state_dict"):
        if isinstance(checkpoint, dict) and isinstance(checkpoint.get(key), dict):
            checkpoint = checkpoint[key]
    if not isinstance(checkpoint, dict):
        raise CheckpointError(f"{path} holds a {type(checkpoint).__name__}, expected a state dict")
    return checkpoint


def state_dict_of(weights: WeightsEnum | Path | None) -> dict | None:
    """The state dict of resolved weights (fetched and checked), or None."""
    if weights is None:
        return None
    if isinstance(weights, WeightsEnum):
        return weights.get_state_dict()
    return load_checkpoint(weights)


def load_weights(model: str, weights: WeightsArg, pretrained: bool = False) -> dict | None:
    """The state dict a builder of ``model`` should load, or None for random initialisation
    (:func:`resolve_weights`, then fetch and load)."""
    return state_dict_of(resolve_weights(model, weights, pretrained))
