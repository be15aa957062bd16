"""Swin Transformer V1 and V2: sizes, shapes at any input size (padding to whole windows), the
shifted-window attention against a direct per-window computation, patch merging, relative
positions, training behaviour, initialisation, weights entries, arguments, scripting and
torch.compile."""

import math

import pytest
import torch
import torch.nn.functional as F
from torch import Tensor

import vmodels
import vops
from vmodels.classification import swin_transformer as swin
from vmodels.classification.swin_transformer import (
    PatchMerging,
    PatchMergingV2,
    ShiftedWindowAttention,
    ShiftedWindowAttentionV2,
    SwinTransformer,
    SwinTransformerBlockV2,
)
from vmodels.presets import InterpolationMode

# torchvision's published num_params (num_classes=1000).
PARAMETERS = {
    "swin_t": 28_288_354,
    "swin_s": 49_606_258,
    "swin_b": 87_768_224,
    "swin_v2_t": 28_351_570,
    "swin_v2_s": 49_737_442,
    "swin_v2_b": 87_930_848,
}
# Two stages, 4x4 windows: 32x32 inputs give 8x8 then 4x4 maps (a shifted stage, then one
# window covering the map).
TINY = {
    "patch_size": [4, 4],
    "embed_dim": 16,
    "depths": [2, 2],
    "num_heads": [2, 4],
    "window_size": [4, 4],
    "num_classes": 5,
}
V2 = {"block": SwinTransformerBlockV2, "downsample_layer": PatchMergingV2}


def _image(n: int, height: int, width: int | None = None, seed: int = 0) -> Tensor:
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(n, 3, height, width or height, generator=generator)


@pytest.mark.parametrize("name", sorted(PARAMETERS))
def test_parameter_count_is_torchvisions(name):
    with torch.device("meta"):
        model = vmodels.get_model(name)
    assert sum(p.numel() for p in model.parameters()) == PARAMETERS[name]
    assert model.head.out_features == 1000


@pytest.mark.parametrize("name", ["swin_t", "swin_v2_t"])
def test_tiny_models_classify_small_images(name):
    torch.manual_seed(0)
    model = vmodels.get_model(name, num_classes=7).eval()
    with torch.no_grad():
        out = model(_image(2, 32))
    assert out.shape == (2, 7) and torch.isfinite(out).all()


@pytest.mark.parametrize("name", ["swin_s", "swin_b", "swin_v2_s", "swin_v2_b"])
def test_larger_models_give_logits_on_the_meta_device(name):
    with torch.device("meta"):
        model = vmodels.get_model(name).eval()
        assert model(torch.empty(2, 3, 224, 224)).shape == (2, 1000)


@pytest.mark.parametrize("version", [{}, V2], ids=["v1", "v2"])
@pytest.mark.parametrize(("height", "width"), [(32, 32), (36, 52), (30, 17), (4, 4)])
def test_any_input_size_works(version, height, width):
    torch.manual_seed(0)
    model = SwinTransformer(**TINY, **version).eval()
    with torch.no_grad():
        assert model(_image(2, height, width)).shape == (2, 5)


def _reference_window_attention(attn: ShiftedWindowAttention, x: Tensor) -> Tensor:
    """The module's output computed window by window with explicit softmax(q kᵀ + bias + mask) v;
    shifted windows mask the pairs where one token wrapped around the border and the other not."""
    n, height, width, channels = x.shape
    (wh, ww), heads = attn.window_size, attn.num_heads
    head_dim = channels // heads
    ph, pw = math.ceil(height / wh) * wh, math.ceil(width / ww) * ww
    padded = x.new_zeros(n, ph, pw, channels)
    padded[:, :height, :width] = x
    sh = 0 if wh >= ph else attn.shift_size[0]
    sw = 0 if ww >= pw else attn.shift_size[1]
    rolled = torch.roll(padded, (-sh, -sw), (1, 2))

    cells = [(r, c) for r in range(wh) for c in range(ww)]
    v2 = isinstance(attn, ShiftedWindowAttentionV2)
    if v2:
        table = 16 * torch.sigmoid(attn.cpb_mlp(attn.relative_coords_table)[0])
    bias = x.new_zeros(heads, wh * ww, wh * ww)
    for i, (ri, ci) in enumerate(cells):
        for j, (rj, cj) in enumerate(cells):
            dr, dc = ri - rj + wh - 1, ci - cj + ww - 1
            if v2:
                bias[:, i, j] = table[dr, dc]
            else:
                bias[:, i, j] = attn.relative_position_bias_table[dr * (2 * ww - 1) + dc]
    qkv_bias = attn.qkv.bias.clone()
    if v2:
        qkv_bias[channels : 2 * channels] = 0

    out = torch.empty_like(rolled)
    for top in range(0, ph, wh):
        for left in range(0, pw, ww):
            wrapped = torch.tensor(
                [[top + r + sh >= ph, left + c + sw >= pw] for r, c in cells], dtype=torch.long
            )
            mask = (wrapped[:, None, :] != wrapped[None, :, :]).any(-1) * -100.0
            tokens = rolled[:, top : top + wh, left : left + ww].reshape(n, -1, channels)
            q, k, v = F.linear(tokens, attn.qkv.weight, qkv_bias).chunk(3, dim=-1)
            heads_out = []
            for h in range(heads):
                part = slice(h * head_dim, (h + 1) * head_dim)
                qh, kh, vh = q[..., part], k[..., part], v[..., part]
                if v2:
                    scale = attn.logit_scale[h].clamp(max=math.log(100.0)).exp()
                    logits = F.normalize(qh, dim=-1) @ F.normalize(kh, dim=-1).mT * scale
                else:
                    logits = qh @ kh.mT / math.sqrt(head_dim)
                weights = torch.softmax(logits + bias[h] + mask, dim=-1)
                heads_out.append(weights @ vh)
            window = attn.proj(torch.cat(heads_out, dim=-1))
            out[:, top : top + wh, left : left + ww] = window.view(n, wh, ww, channels)
    return torch.roll(out, (sh, sw), (1, 2))[:, :height, :width]


@pytest.mark.parametrize("attention", [ShiftedWindowAttention, ShiftedWindowAttentionV2])
@pytest.mark.parametrize(
    ("window", "shift", "size"),
    [
        ([3, 4], [1, 2], (7, 10)),  # padded on both axes, rectangular windows
        ([4, 4], [2, 2], (8, 8)),
        ([4, 4], [0, 0], (6, 5)),
        ([4, 3], [2, 1], (4, 9)),  # one window high: only the columns shift
    ],
)
@torch.no_grad()
def test_shifted_window_attention_equals_the_direct_computation(attention, window, shift, size):
    torch.manual_seed(0)
    attn = attention(8, window, shift, num_heads=2).double().eval()
    for parameter in attn.parameters():  # unit-scale values, so that every term matters
        parameter.copy_(torch.randn_like(parameter))
    x = torch.randn(2, *size, 8, dtype=torch.float64)
    torch.testing.assert_close(attn(x), _reference_window_attention(attn, x))


def test_patch_merging_concatenates_2x2_neighbours_column_major():
    x = torch.arange(3 * 5, dtype=torch.float32).view(1, 3, 5, 1)  # odd sides are zero-padded
    merged = swin._patch_merging_pad(x)
    assert merged.shape == (1, 2, 3, 4)
    assert merged[0, 0, 0].tolist() == [0, 5, 1, 6]  # top-left, bottom-left, top-right, ...
    assert merged[0, 1, 2].tolist() == [14, 0, 0, 0]
    assert PatchMerging(6)(torch.randn(2, 5, 4, 6)).shape == (2, 3, 2, 12)
    v2 = PatchMergingV2(6)
    assert v2.norm.normalized_shape == (12,) and v2(torch.randn(5, 4, 6)).shape == (3, 2, 12)


def test_relative_positions():
    # Window 2x2: positions (0, 0), (0, 1), (1, 0), (1, 1); offset (dy, dx) is row
    # (dy + 1) * 3 + dx + 1 of the table.
    index = ShiftedWindowAttention(4, [2, 2], [0, 0], 2).relative_position_index
    assert index.tolist() == [4, 3, 1, 0, 5, 4, 2, 1, 7, 6, 4, 3, 8, 7, 5, 4]
    coords = ShiftedWindowAttentionV2(4, [3, 5], [0, 0], 2).relative_coords_table
    assert coords.shape == (1, 5, 9, 2) and coords.dtype == torch.float32
    # Offsets scaled to [-8, 8] by the window, then sign(x) * log2(|x| + 1) / 3.
    torch.testing.assert_close(coords[0, 4, 0], torch.tensor([math.log2(9) / 3, -math.log2(9) / 3]))
    torch.testing.assert_close(coords[0, 2, 6], torch.tensor([0.0, math.log2(5) / 3]))


def test_stochastic_depth_grows_linearly_and_is_off_in_eval():
    model = SwinTransformer(**{**TINY, "depths": [2, 3]}, stochastic_depth_prob=0.4)
    drops = [m.p for m in model.modules() if isinstance(m, vops.StochasticDepth)]
    assert drops == pytest.approx([0.0, 0.1, 0.2, 0.3, 0.4])
    assert [m.mode for m in model.modules() if isinstance(m, vops.StochasticDepth)] == ["row"] * 5
    assert [b.attn.shift_size for b in model.features[3]] == [[0, 0], [2, 2], [0, 0]]
    with torch.device("meta"):
        swin_b = vmodels.get_model("swin_b")
    assert swin_b.features[7][1].stochastic_depth.p == pytest.approx(0.5)
    assert swin_b.features[5][0].stochastic_depth.p == pytest.approx(0.5 * 4 / 23)


@pytest.mark.parametrize("version", [{}, V2], ids=["v1", "v2"])
@pytest.mark.parametrize(
    "kwargs",
    [
        {"stochastic_depth_prob": 0.5},
        {"stochastic_depth_prob": 0.0, "dropout": 0.5},
        {"stochastic_depth_prob": 0.0, "attention_dropout": 0.5},
    ],
)
@torch.no_grad()
def test_stochastic_depth_and_dropout_act_in_training_only(version, kwargs):
    torch.manual_seed(0)
    model = SwinTransformer(**TINY, **version, **kwargs).train()
    image = _image(4, 32)
    torch.manual_seed(1)
    first = model(image)
    torch.manual_seed(2)
    assert not torch.allclose(first, model(image))
    model.eval()
    torch.testing.assert_close(model(image), model(image))


def test_initialisation_is_torchvisions():
    torch.manual_seed(0)
    model = vmodels.get_model("swin_v2_t")
    block = model.features[5][0]
    for linear in (block.attn.qkv, block.mlp[0], model.head):
        assert abs(linear.weight.std().item() - 0.02) < 0.002
        assert not linear.bias.any()
    torch.testing.assert_close(block.attn.logit_scale, torch.full((12, 1, 1), math.log(10.0)))
    norm = model.features[0][2]
    assert norm.eps == 1e-5 and (norm.weight == 1).all() and not norm.bias.any()
    table = SwinTransformer(**{**TINY, "window_size": [7, 7]}).features[1][0].attn
    table = table.relative_position_bias_table
    assert table.shape == (13 * 13, 2) and abs(table.std().item() - 0.02) < 0.004
    # A block on its own keeps its MLP's Xavier initialisation; V2 attention no key bias.
    alone = SwinTransformerBlockV2(64, 2, [4, 4], [0, 0])
    assert abs(alone.mlp[0].weight.std().item() - math.sqrt(2 / (64 + 256))) < 0.005
    assert not alone.attn.qkv.bias[64:128].any() and alone.attn.qkv.bias[:64].any()


@pytest.mark.parametrize(
    ("name", "crop", "resize"),
    [
        ("swin_t", 224, 232),
        ("swin_s", 224, 246),
        ("swin_b", 224, 238),
        ("swin_v2_t", 256, 260),
        ("swin_v2_s", 256, 260),
        ("swin_v2_b", 256, 272),
    ],
)
def test_weights_entries(name, crop, resize):
    enum = vmodels.get_model_weights(name)
    assert enum.__name__ == f"Swin_{name[5:].upper()}_Weights"
    weights = enum.DEFAULT
    assert weights is enum.IMAGENET1K_V1 and len(enum) == 1
    assert weights.meta["num_params"] == PARAMETERS[name]
    assert weights.meta["min_size"] == (crop, crop)
    assert weights.url.startswith(f"https://download.pytorch.org/models/{name}-")
    preset = weights.transforms()
    assert (preset.crop_size, preset.resize_size) == ([crop], [resize])
    assert preset.interpolation == InterpolationMode.BICUBIC


def test_weights_fix_the_classes():
    with pytest.raises(ValueError, match="num_classes=10 does not match weights"):
        swin.swin_t(weights="DEFAULT", num_classes=10)


def test_no_feature_map_backbone():
    # Stage outputs are channels-last (N, H, W, C); FeatureMaps gives channels-first maps.
    with pytest.raises(ValueError, match="swin_t does not build as a feature-map backbone"):
        vmodels.get_model("swin_t", features_only=True)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"patch_size": [4]}, r"patch_size must be a list of 2 ints >= 1, got \[4\]"),
        ({"window_size": [7, 0]}, r"window_size must be a list of 2 ints >= 1"),
        ({"embed_dim": 0}, "embed_dim must be a positive int, got 0"),
        ({"depths": []}, "depths must be a non-empty list of positive ints"),
        ({"num_heads": [2]}, r"num_heads must be a list of 2 ints \(one per stage\)"),
        ({"num_heads": [2, 3]}, r"num_heads\[1\] must be a positive int dividing the stage's 32"),
        ({"mlp_ratio": 0}, "mlp_ratio must be a positive number, got 0"),
        ({"dropout": 1.5}, r"dropout must be a probability in \[0, 1\], got 1.5"),
        ({"attention_dropout": -0.1}, r"attention_dropout must be a probability"),
        ({"stochastic_depth_prob": 2}, r"stochastic_depth_prob must be a probability"),
        ({"num_classes": 0}, "num_classes must be a positive int, got 0"),
    ],
)
def test_bad_arguments_are_named(kwargs, message):
    with torch.device("meta"), pytest.raises(ValueError, match=message):
        SwinTransformer(**{**TINY, **kwargs})


def test_bad_attention_arguments_are_named():
    with pytest.raises(ValueError, match=r"shift_size must be a list of 2 ints >= 0, got \[1\]"):
        ShiftedWindowAttention(8, [4, 4], [1], 2)
    with pytest.raises(ValueError, match="num_heads must be a positive int dividing dim=8, got 3"):
        ShiftedWindowAttention(8, [4, 4], [0, 0], 3)


@pytest.mark.filterwarnings("ignore::FutureWarning")  # torch.jit.script is deprecated in 2.14
@pytest.mark.parametrize("version", [{}, V2], ids=["v1", "v2"])
def test_scripted_model_agrees(version):
    torch.manual_seed(0)
    model = SwinTransformer(**TINY, **version).eval()
    scripted = torch.jit.script(model)
    with torch.no_grad():
        for height, width in ((32, 32), (20, 36)):
            image = _image(2, height, width)
            torch.testing.assert_close(scripted(image), model(image))


def test_compiles_to_one_graph():
    torch.manual_seed(0)
    model = SwinTransformer(**TINY, **V2).eval()
    image = _image(2, 32)
    torch._dynamo.reset()
    try:
        compiled = torch.compile(model, fullgraph=True, backend="aot_eager")
        with torch.no_grad():
            torch.testing.assert_close(compiled(image), model(image))
    finally:
        torch._dynamo.reset()


def test_gradients_reach_every_parameter():
    torch.manual_seed(0)
    model = SwinTransformer(**TINY, **V2, stochastic_depth_prob=0.0)
    model(_image(2, 32)).square().sum().backward()
    missing = [n for n, p in model.named_parameters() if p.grad is None or not p.grad.any()]
    assert missing == []
