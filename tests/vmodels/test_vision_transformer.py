"""Vision Transformers: published parameter counts, output shapes, training-time dropout, the
initialisation, argument errors, position-embedding resizing on loading, scripting and
torch.compile.

The builders' models (86M to 632M parameters) are built on the meta device, except one B/16 and
one B/32 at the smallest image (a single patch); behaviour is checked on small custom models."""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import vmodels
from vmodels import _builder
from vmodels.classification import vision_transformer as vit

PARAMS = {
    "vit_b_16": 86567656,
    "vit_b_32": 88224232,
    "vit_l_16": 304326632,
    "vit_l_32": 306535400,
    "vit_h_14": 632045800,
}
PATCH = {"vit_b_16": 16, "vit_b_32": 32, "vit_l_16": 16, "vit_l_32": 32, "vit_h_14": 14}


def _small(**kwargs) -> vit.VisionTransformer:
    """Two blocks of 16 features over 8x8 patches of 32x32 images."""
    args = {
        "image_size": 32,
        "patch_size": 8,
        "num_layers": 2,
        "num_heads": 2,
        "hidden_dim": 16,
        "mlp_dim": 32,
        "num_classes": 5,
    }
    return vit.VisionTransformer(**{**args, **kwargs})


def _randomize_head(model: nn.Module, generator: torch.Generator) -> None:
    """The head starts at zero: give it values, so outputs depend on the whole network."""
    with torch.no_grad():
        for parameter in model.heads.parameters():
            parameter.copy_(0.1 * torch.randn(parameter.shape, generator=generator))


@pytest.mark.parametrize(("name", "count"), PARAMS.items())
def test_parameter_count_is_torchvisions(name, count):
    with torch.device("meta"):
        model = vmodels.get_model(name)
    assert sum(p.numel() for p in model.parameters()) == count
    assert model.image_size == 224 and model.patch_size == PATCH[name]


@pytest.mark.parametrize("name", ["vit_l_16", "vit_l_32", "vit_h_14"])
def test_large_models_give_logits_on_meta(name):
    with torch.device("meta"):
        model = vmodels.get_model(name, num_classes=7, image_size=2 * PATCH[name])
        images = torch.empty(2, 3, 2 * PATCH[name], 2 * PATCH[name])
    assert model.eval()(images).shape == (2, 7)
    assert model.encoder.pos_embedding.shape[1] == 5


@pytest.mark.parametrize("name", ["vit_b_16", "vit_b_32"])
@torch.no_grad()
def test_base_models_give_logits_at_the_smallest_image(name):
    patch = PATCH[name]
    model = vmodels.get_model(name, num_classes=3, image_size=patch).eval()
    out = model(torch.randn(2, 3, patch, patch))
    assert out.shape == (2, 3)
    assert torch.equal(out, torch.zeros(2, 3))  # the head starts at zero, as torchvision's


def test_representation_size_and_conv_stem_shapes():
    stem = [vit.ConvStemConfig(4, 3, 2), vit.ConvStemConfig(8, 3, 4)]
    model = _small(representation_size=6, conv_stem_configs=stem).eval()
    assert [name for name, _ in model.heads.named_children()] == ["pre_logits", "act", "head"]
    assert list(model.conv_proj.named_children())[-1][0] == "conv_last"
    with torch.no_grad():
        assert model(torch.randn(2, 3, 32, 32)).shape == (2, 5)


def test_initialisation_follows_torchvision():
    torch.manual_seed(0)
    model = _small(hidden_dim=64, mlp_dim=128, num_heads=4, representation_size=8)
    assert torch.equal(model.class_token, torch.zeros_like(model.class_token))
    assert not model.heads.head.weight.any() and not model.heads.head.bias.any()
    assert not model.heads.pre_logits.bias.any() and not model.conv_proj.bias.any()
    assert 0.015 < model.encoder.pos_embedding.std() < 0.025
    fan_in = 3 * 8 * 8
    assert abs(model.conv_proj.weight.std() * fan_in**0.5 - 1) < 0.1  # LeCun normal
    block = model.encoder.layers.encoder_layer_0
    assert not block.self_attention.in_proj_bias.any()
    assert not block.self_attention.out_proj.bias.any()
    assert block.mlp[0].bias.abs().max() < 1e-5
    bound = (6 / (64 + 128)) ** 0.5  # Xavier uniform
    assert block.mlp[0].weight.abs().max() <= bound
    assert isinstance(block.mlp[1], nn.GELU)
    assert block.ln_1.eps == 1e-6


@torch.no_grad()
def test_dropout_acts_in_training_only():
    for kwargs in ({"dropout": 0.2}, {"attention_dropout": 0.5}):
        torch.manual_seed(0)
        model = _small(**kwargs)
        _randomize_head(model, torch.Generator().manual_seed(1))
        x = torch.randn(2, 3, 32, 32)
        model.train()
        assert not torch.equal(model(x), model(x)), kwargs
        model.eval()
        torch.testing.assert_close(model(x), model(x), rtol=0, atol=0)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"image_size": 30}, r"image_size must be a multiple of patch_size.*image_size=30.*=8"),
        ({"num_heads": 3}, r"hidden_dim must be a multiple of num_heads.*=16.*num_heads=3"),
        ({"dropout": 1.5}, r"dropout must be a probability in \[0, 1\], got 1.5"),
        ({"attention_dropout": -0.1}, r"attention_dropout must be a probability"),
        ({"num_classes": 0}, r"num_classes must be a positive int, got 0"),
        ({"patch_size": 0}, r"patch_size must be a positive int, got 0"),
        ({"representation_size": 0}, r"representation_size must be a positive int, got 0"),
        (
            {"conv_stem_configs": [vit.ConvStemConfig(4, 3, 2)]},
            r"strides of conv_stem_configs must multiply to patch_size=8, got \[2\]",
        ),
    ],
)
def test_bad_arguments_raise_value_error_naming_them(kwargs, message):
    with pytest.raises(ValueError, match=message):
        _small(**kwargs)


def test_builder_checks_the_image_size_and_has_no_feature_maps():
    with pytest.raises(ValueError, match=r"image_size=100 and patch_size=16"):
        vit.vit_b_16(image_size=100)
    with pytest.raises(ValueError, match="does not build as a feature-map backbone"):
        vmodels.get_model("vit_b_32", features_only=True)
    assert "vit_b_16" not in vmodels.list_models(features_only=True)


def test_images_of_another_size_are_refused():
    with pytest.raises(AssertionError, match="expected height 32, got 40"):
        _small(image_size=32)(torch.randn(1, 3, 40, 32))


def _reference_resize(pos_embedding: torch.Tensor, side: int) -> torch.Tensor:
    """By hand: the class token's row kept, the rest laid out as a grid and resized."""
    old_side = int((pos_embedding.shape[1] - 1) ** 0.5)
    dim = pos_embedding.shape[2]
    grid = pos_embedding[0, 1:].T.reshape(1, dim, old_side, old_side)
    grid = F.interpolate(grid, size=(side, side), mode="bicubic", align_corners=False)
    return torch.cat([pos_embedding[:, :1], grid.reshape(dim, side * side).T[None]], dim=1)


def test_position_embedding_resizes_bicubically_keeping_the_class_token():
    pos_embedding = torch.randn(1, 1 + 7 * 7, 6, generator=torch.Generator().manual_seed(0))
    for side in (3, 10):
        resized = vit.interpolate_position_embedding(pos_embedding, side * side)
        assert resized.shape == (1, 1 + side * side, 6)
        torch.testing.assert_close(resized, _reference_resize(pos_embedding, side))
        assert torch.equal(resized[:, 0], pos_embedding[:, 0])
    assert vit.interpolate_position_embedding(pos_embedding, 49) is pos_embedding
    with pytest.raises(ValueError, match="must be a square number, got 8"):
        vit.interpolate_position_embedding(pos_embedding, 8)
    with pytest.raises(ValueError, match=r"a square grid of patches\), got shape \(1, 7, 6\)"):
        vit.interpolate_position_embedding(pos_embedding[:, :7], 4)


@torch.no_grad()
def test_loading_a_state_dict_of_another_image_size_resizes_its_position_embeddings():
    torch.manual_seed(0)
    trained = _small(image_size=56)  # a 7x7 grid
    _randomize_head(trained, torch.Generator().manual_seed(1))
    state = trained.state_dict()
    model = _small(image_size=32)  # a 4x4 grid
    model.load_state_dict(state, strict=True)
    assert state["encoder.pos_embedding"].shape == (1, 50, 16)  # the caller's dict is untouched
    expected = _reference_resize(state["encoder.pos_embedding"], 4)
    torch.testing.assert_close(model.encoder.pos_embedding, expected)
    # Everything else loads as it is: the model is the trained one with resized embeddings.
    x = torch.randn(2, 3, 32, 32)
    trained_at_32 = _small(image_size=32)
    trained_at_32.load_state_dict({**state, "encoder.pos_embedding": expected})
    torch.testing.assert_close(model.eval()(x), trained_at_32.eval()(x), rtol=0, atol=0)
    # Loading a state dict of the same size changes nothing.
    same = _small(image_size=32)
    same.load_state_dict(model.state_dict())
    assert torch.equal(same.encoder.pos_embedding, model.encoder.pos_embedding)


def test_registered_weights_load_at_another_image_size(monkeypatch):
    loaded = []

    def fake_state_dict_of(weights):
        loaded.append(weights)
        size = weights.meta["min_size"][0]
        with torch.device("meta"):
            return vit.VisionTransformer(size, 16, 12, 12, 768, 3072).state_dict()

    monkeypatch.setattr(_builder, "state_dict_of", fake_state_dict_of)
    swag = vit.ViT_B_16_Weights.IMAGENET1K_SWAG_E2E_V1
    with torch.device("meta"):
        default = vit.vit_b_16(weights=swag)
        resized = vit.vit_b_16(weights=swag, image_size=224)
        small = vit.vit_b_16(weights="IMAGENET1K_V1", image_size=64)
    assert loaded == [swag, swag, vit.ViT_B_16_Weights.IMAGENET1K_V1]
    assert default.image_size == 384 and default.encoder.pos_embedding.shape == (1, 577, 768)
    assert resized.image_size == 224 and resized.encoder.pos_embedding.shape == (1, 197, 768)
    assert small.encoder.pos_embedding.shape == (1, 17, 768)
    assert small.heads.head.out_features == 1000
    with pytest.raises(ValueError, match="num_classes=10 does not match"):
        vit.vit_b_16(weights=swag, num_classes=10)


@torch.no_grad()
def test_checkpoints_with_the_legacy_mlp_names_load():
    torch.manual_seed(0)
    source = _small()
    _randomize_head(source, torch.Generator().manual_seed(1))
    legacy = {
        k.replace("mlp.0.", "mlp.linear_1.").replace("mlp.3.", "mlp.linear_2."): v
        for k, v in source.state_dict().items()
    }
    assert "encoder.layers.encoder_layer_1.mlp.linear_2.bias" in legacy
    model = _small()
    model.load_state_dict(legacy, strict=True)
    x = torch.randn(1, 3, 32, 32)
    torch.testing.assert_close(model.eval()(x), source.eval()(x), rtol=0, atol=0)


@pytest.mark.filterwarnings("ignore::FutureWarning")  # torch.jit.script is deprecated in 2.14
@torch.no_grad()
def test_scripted_model_matches_eager():
    torch.manual_seed(0)
    model = _small(representation_size=6).eval()
    _randomize_head(model, torch.Generator().manual_seed(1))
    x = torch.randn(2, 3, 32, 32)
    torch.testing.assert_close(torch.jit.script(model)(x), model(x))


def test_compiles_fullgraph_and_matches_eager():
    torch.manual_seed(0)
    model = _small(attention_dropout=0.1, dropout=0.1).eval()
    _randomize_head(model, torch.Generator().manual_seed(1))
    x = torch.randn(2, 3, 32, 32)
    torch._dynamo.reset()
    try:
        compiled = torch.compile(model, fullgraph=True, backend="aot_eager")
        with torch.no_grad():
            expected = model(x)
            actual = compiled(x)
    finally:
        torch._dynamo.reset()
    torch.testing.assert_close(actual, expected)
