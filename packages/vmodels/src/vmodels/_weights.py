"""Pretrained weights: what a checkpoint is (:class:`Weights`), where it is cached, and loading it
with its integrity checked.

Files are cached under ``$VMODELS_HOME/checkpoints`` (default ``~/.cache/vmodels``). A download is
checked against the entry's sha256 before it is moved into place (atomically), and a cached file
is checked again when loaded. Without network access the error names the file to fetch and where
to put it. Checkpoints load with ``torch.load(weights_only=True)``, or from ``.safetensors``.
"""

import hashlib
import os
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from ._torch_files import CheckpointError, read_torch_file

_CHUNK = 1 << 20


@dataclass(frozen=True)
class Weights:
    """A pretrained checkpoint of one model.

    Attributes:
        name: registry name, ``"<model>.<tag>"`` (e.g. ``"fcn_resnet101.coco_voc"``).
        url: where the file is downloaded from; its file name is the cache file's name.
        sha256: hex digest of the file. Entries of files published with only a digest prefix
            (the first hex digits, as in ``name-<prefix>.pth``) carry that prefix.
        categories: class names, in output order.
        transforms: the input transform the weights expect (resize, crop, mean, std, ...).
        metrics: what the weights score, by metric name.
        recipe: how they were trained (a command or a reference).
    """

    name: str
    url: str
    sha256: str
    categories: tuple[str, ...]
    transforms: dict = field(default_factory=dict)
    metrics: dict = field(default_factory=dict)
    recipe: str = ""

    @property
    def model(self) -> str:
        return self.name.split(".", 1)[0]

    @property
    def file_name(self) -> str:
        return self.url.rsplit("/", 1)[-1]


_registered: dict[str, Weights] = {}
_defaults: dict[str, str] = {}


def register_weights(weights: Weights, *, default: bool = False) -> Weights:
    """Register a weights entry; ``default=True`` makes it what ``pretrained=True`` loads."""
    if weights.name in _registered and _registered[weights.name] != weights:
        raise ValueError(f"weights {weights.name!r} are already registered differently")
    _registered[weights.name] = weights
    if default:
        _defaults[weights.model] = weights.name
    return weights


def list_weights(model: str | None = None) -> list[str]:
    """Names of the registered weights, optionally of one model."""
    return sorted(n for n, w in _registered.items() if model is None or w.model == model)


def get_weights(name: str) -> Weights:
    """The registered weights entry ``name``."""
    if name not in _registered:
        raise ValueError(f"unknown weights {name!r}; registered: {list_weights()}")
    return _registered[name]


def registered_entry(model: str, weights, pretrained: bool) -> Weights | None:
    """The registered entry a builder of ``model`` will load for ``weights=`` /
    ``pretrained=``, or None (no weights, or a checkpoint file path)."""
    if weights is None and pretrained:
        default = _defaults.get(model)
        return None if default is None else get_weights(default)
    if isinstance(weights, Weights):
        return weights
    if isinstance(weights, str) and weights in _registered:
        return get_weights(weights)
    return None


def vmodels_home() -> Path:
    """Cache root: ``$VMODELS_HOME``, default ``~/.cache/vmodels``."""
    return Path(os.environ.get("VMODELS_HOME", "~/.cache/vmodels")).expanduser()


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _check_digest(actual: str, weights: Weights, path: Path) -> None:
    if not actual.startswith(weights.sha256.lower()):
        raise ValueError(
            f"{path} does not match weights {weights.name!r}: its sha256 is {actual}, expected "
            f"{weights.sha256}. The file is corrupt or not the published one: delete it and "
            f"download {weights.url} again"
        )


def _download(weights: Weights, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        response = urllib.request.urlopen(weights.url, timeout=60)
    except (urllib.error.URLError, OSError) as error:
        raise RuntimeError(
            f"cannot download weights {weights.name!r} from {weights.url} ({error}). Without "
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
        _check_digest(digest.hexdigest(), weights, Path(weights.url))
    except ValueError:
        os.unlink(tmp.name)
        raise
    os.replace(tmp.name, path)  # atomic: a cached file is always complete


def fetch(weights: Weights) -> Path:
    """Path of the verified checkpoint file of ``weights``, downloading it if not cached."""
    path = vmodels_home() / "checkpoints" / weights.file_name
    if not path.exists():
        _download(weights, path)
    _check_digest(file_sha256(path), weights, path)
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


def load_weights(model: str, weights, pretrained: bool = False) -> dict | None:
    """The state dict a builder of ``model`` should load, or None for random initialisation.

    Args:
        model: the model's registry name.
        weights: None, a registered weights name or :class:`Weights`, or a checkpoint path.
        pretrained: the 2019 API: True means the model's default weights.
    """
    if weights is None and pretrained:
        if model not in _defaults:
            raise ValueError(f"{model} has no default pretrained weights; pass weights=")
        weights = _defaults[model]
    if weights is None:
        return None
    if isinstance(weights, str) and weights in _registered:
        weights = _registered[weights]
    if isinstance(weights, Weights):
        if weights.model != model:
            raise ValueError(f"weights {weights.name!r} belong to {weights.model}, not {model}")
        return load_checkpoint(fetch(weights))
    if isinstance(weights, (str, os.PathLike)) and Path(weights).is_file():
        return load_checkpoint(weights)
    raise ValueError(
        f"weights must be None, one of {list_weights(model)} or an existing checkpoint file, "
        f"got {weights!r}"
    )
