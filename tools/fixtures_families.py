"""Makes the model-family fixtures: DINOv2, CLIP, SigLIP, DeiT (HF, with teacher) and MAE checkpoints written by
the libraries themselves, with an input batch and the library's own output.

Run: tools/.venv/bin/python tools/fixtures_families.py   (writes fixtures/families/)

Each case is a folder with
  the checkpoint as its users save it (a `save_pretrained` folder, a `torch.save` state dict, a timm safetensors)
  input.npy            float32 NCHW, batch 2, at the checkpoint's image size
  output.npy           the library's output on it (logits, or the embedding the library defines), eval, no_grad
  input_<px>.npy / output_<px>.npy   the same at another grid, where the library interpolates its position
                       embedding at run time (DINOv2 in each of its rules)
  case.json            convention, family, output kind, the library's parameter count, options a user must pass
Every parameter is random (LayerNorm gains, tokens, LayerScale too) so that no mapping hides behind an init value.
Sizes are tiny: D=32, 4 heads of 8, 2 blocks, MLP 64, 4x4 patches on 16x16 images (4x4 grid).

The original facebookresearch/dinov2 code is not on PyPI and torch.hub needs GitHub, so `OrigDinoV2` below is a
faithful reproduction of its module tree and forward (dinov2/models/vision_transformer.py and dinov2/layers at
the commit read for families.md): the same parameter names (`ls1.gamma`, `register_tokens`, `mask_token`,
`mlp.w12`/`mlp.w3`, `blocks.<chunk>.<i>` with Identity padding) and the same `interpolate_pos_encoding`
(`scale_factor` with the 0.1 offset without registers; `size=` with antialias with registers).
open_clip 3.3.0 builds the OpenAI-layout CLIP itself.
"""
import hashlib, json, math, os, shutil, zlib
from functools import partial

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "families")
D, HEADS, DEPTH, MLP, PATCH, IMG = 32, 4, 2, 64, 4, 16


def randomize(model, seed):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            p.copy_(torch.randn(p.shape, generator=g) * (0.5 if p.dim() > 1 else 0.3)
                    + (1.0 if name.endswith(("norm.weight", "norm1.weight", "norm2.weight", "layernorm.weight"))
                       else 0.0))
    return model.eval()


def images(seed, px=IMG, n=2):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, 3, px, px, generator=g)


def versions(*mods):
    import importlib
    out = {}
    for m in mods:
        out[m] = importlib.import_module(m.replace("-", "_")).__version__
    return out


def write_case(name, *, convention, family, checkpoint, output_kind, params, run, options=None, resize=(),
               libraries=("torch",), note=None, bf16=False, features=None, mask_token=0):
    d = os.path.join(OUT, name)
    x = images(zlib.crc32(name.encode()) % 1000)
    with torch.no_grad():
        y = run(x)
    np.save(os.path.join(d, "input.npy"), x.numpy().astype(np.float32))
    np.save(os.path.join(d, "output.npy"), y.float().numpy().astype(np.float32))
    resized = []
    for px in resize:
        xr = images(zlib.crc32(name.encode()) % 1000 + px, px)
        with torch.no_grad():
            yr = run(xr)
        np.save(os.path.join(d, f"input_{px}.npy"), xr.numpy().astype(np.float32))
        np.save(os.path.join(d, f"output_{px}.npy"), yr.float().numpy().astype(np.float32))
        resized.append(px)
    # The library's own count; a mask token (masked image modelling only) is a parameter there but takes no
    # part in inference, so ViTKit drops it and counts the rest.
    case = dict(case=name, convention=convention, family=family, checkpoint=checkpoint, output=output_kind,
                library_parameter_count=params, mask_token_parameters=mask_token,
                parameter_count=params - mask_token, options=options or {}, resized=resized, bf16=bf16,
                generated_by=dict(script="tools/fixtures_families.py", libraries=versions(*libraries)))
    if features:
        case["features"] = features
    if note:
        case["note"] = note
    with open(os.path.join(d, "case.json"), "w") as f:
        json.dump(case, f, indent=2, sort_keys=True)


def fresh(name):
    d = os.path.join(OUT, name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    return d


def count(module):
    return sum(p.numel() for p in module.parameters())


def bf16_round(model):
    """Rounds every parameter to bfloat16 (what a bf16 checkpoint holds), keeping the module in float32."""
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(p.to(torch.bfloat16).float())
    return model


# ---------------------------------------------------------------------------------------------------------------
# Hugging Face


def hf_dinov2(name, registers=0, swiglu=False, bf16=False):
    from transformers import Dinov2Config, Dinov2Model, Dinov2WithRegistersConfig, Dinov2WithRegistersModel
    kw = dict(hidden_size=D, num_hidden_layers=DEPTH, num_attention_heads=HEADS, mlp_ratio=MLP // D,
              image_size=IMG, patch_size=PATCH, layerscale_value=0.5, use_swiglu_ffn=swiglu)
    if registers:
        model = Dinov2WithRegistersModel(Dinov2WithRegistersConfig(num_register_tokens=registers, **kw))
    else:
        model = Dinov2Model(Dinov2Config(**kw))
    randomize(model, 11 + registers)
    d = fresh(name)
    if bf16:
        bf16_round(model)
        model.to(torch.bfloat16).save_pretrained(os.path.join(d, "model"))
        model.float()
    else:
        model.save_pretrained(os.path.join(d, "model"))
    write_case(name, convention="hf", family="DINOv2", checkpoint="model", output_kind="pooler_output",
               params=count(model), run=lambda x: model(pixel_values=x).pooler_output, resize=(24,), mask_token=D,
               libraries=("torch", "transformers"), bf16=bf16,
               note="HF interpolates at run time: " + ("bicubic with antialias (Dinov2WithRegisters)" if registers
                                                      else "bicubic without antialias (Dinov2)"))


def hf_dinov2_classifier(name):
    """`Dinov2WithRegistersForImageClassification`: a Linear over concat(class token, mean of the patch tokens),
    registers excluded (transformers' own forward)."""
    from transformers import Dinov2WithRegistersConfig, Dinov2WithRegistersForImageClassification
    model = Dinov2WithRegistersForImageClassification(Dinov2WithRegistersConfig(
        hidden_size=D, num_hidden_layers=DEPTH, num_attention_heads=HEADS, mlp_ratio=MLP // D, image_size=IMG,
        patch_size=PATCH, layerscale_value=0.5, num_register_tokens=4, num_labels=5))
    randomize(model, 17)
    d = fresh(name)
    model.save_pretrained(os.path.join(d, "model"))
    write_case(name, convention="hf", family="DINOv2 (classification)", checkpoint="model", output_kind="logits",
               params=count(model), run=lambda x: model(pixel_values=x).logits, mask_token=D,
               libraries=("torch", "transformers"), note="classifier over concat(cls, mean of patch tokens)")


def hf_clip(name, whole=False):
    from transformers import CLIPConfig, CLIPModel, CLIPVisionConfig, CLIPVisionModelWithProjection, CLIPTextConfig
    vc = dict(hidden_size=D, num_hidden_layers=DEPTH, num_attention_heads=HEADS, intermediate_size=MLP,
              image_size=IMG, patch_size=PATCH, projection_dim=24)
    d = fresh(name)
    if whole:
        tc = dict(hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=32, vocab_size=64,
                  max_position_embeddings=8, projection_dim=24)
        model = randomize(CLIPModel(CLIPConfig(text_config=tc, vision_config=vc, projection_dim=24)), 21)
        run = lambda x: model.visual_projection(model.vision_model(pixel_values=x).pooler_output)
        params = count(model.vision_model) + count(model.visual_projection)
    else:
        model = randomize(CLIPVisionModelWithProjection(CLIPVisionConfig(**vc)), 22)
        run = lambda x: model(pixel_values=x).image_embeds
        params = count(model)
    model.save_pretrained(os.path.join(d, "model"))
    write_case(name, convention="hf", family="CLIP", checkpoint="model", output_kind="image_embeds",
               params=params, run=run, libraries=("torch", "transformers"),
               note="the text tower is dropped" if whole else None)


def hf_siglip(name):
    from transformers import SiglipVisionConfig, SiglipVisionModel
    model = randomize(SiglipVisionModel(SiglipVisionConfig(
        hidden_size=D, num_hidden_layers=DEPTH, num_attention_heads=HEADS, intermediate_size=MLP,
        image_size=IMG, patch_size=PATCH)), 31)
    d = fresh(name)
    model.save_pretrained(os.path.join(d, "model"))
    write_case(name, convention="hf", family="SigLIP", checkpoint="model", output_kind="pooler_output (MAP head)",
               params=count(model), run=lambda x: model(pixel_values=x).pooler_output,
               libraries=("torch", "transformers"))


def hf_siglip_whole(name):
    """A whole `SiglipModel` (vision tower under `vision_model.`, text tower, logit_scale/bias)."""
    from transformers import SiglipConfig, SiglipModel
    vc = dict(hidden_size=D, num_hidden_layers=DEPTH, num_attention_heads=HEADS, intermediate_size=MLP,
              image_size=IMG, patch_size=PATCH)
    tc = dict(hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=32, vocab_size=64,
              max_position_embeddings=8)
    model = randomize(SiglipModel(SiglipConfig(text_config=tc, vision_config=vc)), 32)
    d = fresh(name)
    model.save_pretrained(os.path.join(d, "model"))
    write_case(name, convention="hf", family="SigLIP", checkpoint="model", output_kind="vision_model pooler_output (MAP head)",
               params=count(model.vision_model), run=lambda x: model.vision_model(pixel_values=x).pooler_output,
               libraries=("torch", "transformers"), note="the text tower is dropped")


def hf_deit_teacher(name):
    from transformers import DeiTConfig, DeiTForImageClassificationWithTeacher
    model = randomize(DeiTForImageClassificationWithTeacher(DeiTConfig(
        hidden_size=D, num_hidden_layers=DEPTH, num_attention_heads=HEADS, intermediate_size=MLP,
        image_size=IMG, patch_size=PATCH, num_labels=10, layer_norm_eps=1e-6)), 41)
    d = fresh(name)
    model.save_pretrained(os.path.join(d, "model"))
    write_case(name, convention="hf", family="DeiT (distilled)", checkpoint="model", output_kind="logits",
               params=count(model), run=lambda x: model(pixel_values=x).logits, libraries=("torch", "transformers"))


def hf_mae(name):
    from transformers import ViTMAEConfig, ViTMAEForPreTraining
    model = randomize(ViTMAEForPreTraining(ViTMAEConfig(
        hidden_size=D, num_hidden_layers=DEPTH, num_attention_heads=HEADS, intermediate_size=MLP,
        image_size=IMG, patch_size=PATCH, decoder_hidden_size=16, decoder_num_hidden_layers=1,
        decoder_num_attention_heads=2, decoder_intermediate_size=32, mask_ratio=0.0)), 51)
    d = fresh(name)
    model.save_pretrained(os.path.join(d, "model"))
    n = (IMG // PATCH) ** 2

    def run(x):
        # mask_ratio 0 and noise = arange: every patch kept, in order (families.md 0.7).
        noise = torch.arange(n, dtype=torch.float32).expand(x.shape[0], n)
        return model.vit(pixel_values=x, noise=noise).last_hidden_state[:, 0]
    write_case(name, convention="hf", family="MAE", checkpoint="model", output_kind="encoder class token after layernorm",
               params=count(model.vit), run=run, libraries=("torch", "transformers"), note="the decoder is dropped")


# ---------------------------------------------------------------------------------------------------------------
# open_clip (OpenAI layout)


def openclip(name, quickgelu=True):
    import open_clip
    from open_clip.model import CLIP
    model = CLIP(embed_dim=24,
                 vision_cfg=dict(image_size=IMG, patch_size=PATCH, width=D, layers=DEPTH, head_width=D // HEADS,
                                 mlp_ratio=MLP // D),
                 text_cfg=dict(context_length=8, vocab_size=64, width=16, heads=2, layers=1),
                 quick_gelu=quickgelu)
    randomize(model, 61)
    d = fresh(name)
    torch.save(model.state_dict(), os.path.join(d, "open_clip_pytorch_model.bin"))
    write_case(name, convention="openai-clip", family="CLIP", checkpoint="open_clip_pytorch_model.bin",
               output_kind="encode_image", params=count(model.visual), run=lambda x: model.encode_image(x),
               options=dict(heads=HEADS) | ({} if quickgelu else dict(activation="gelu")),
               libraries=("torch", "open_clip"),
               note="heads are not in the file (width/64 would give 0): --heads 4")


def openclip_timm_trunk(name):
    """open_clip's SigLIP layout (`CustomTextCLIP` with a timm trunk: `visual.trunk.<timm names>`, MAP pool, no
    projection; text tower under `text.`), as `ViT-B-16-SigLIP.json` builds it, with the trunk swapped for a tiny
    timm SigLIP of the same arch (timm's default erf GELU, as open_clip runs it)."""
    import timm
    from open_clip.model import CustomTextCLIP
    model = CustomTextCLIP(
        embed_dim=D, init_logit_bias=-10,
        vision_cfg=dict(image_size=IMG, timm_model_name="vit_base_patch16_siglip_224", timm_model_pretrained=False,
                        timm_pool="map", timm_proj="none"),
        text_cfg=dict(context_length=8, vocab_size=64, width=16, heads=2, layers=1, no_causal_mask=True,
                      proj_bias=True, pool_type="last"))
    model.visual.trunk = timm.create_model("vit_base_patch16_siglip_224", pretrained=False, img_size=IMG,
                                           patch_size=PATCH, embed_dim=D, depth=DEPTH, num_heads=HEADS,
                                           mlp_ratio=MLP // D, num_classes=0, global_pool="map")
    randomize(model, 63)
    d = fresh(name)
    torch.save(model.state_dict(), os.path.join(d, "open_clip_pytorch_model.bin"))
    write_case(name, convention="timm", family="SigLIP (open_clip, timm trunk)", checkpoint="open_clip_pytorch_model.bin",
               output_kind="encode_image", params=count(model.visual), run=lambda x: model.encode_image(x),
               options=dict(heads=HEADS), libraries=("torch", "open_clip", "timm"),
               note="visual.trunk.* are timm names; the text tower (text.*) and logit_scale/bias are dropped")


# ---------------------------------------------------------------------------------------------------------------
# timm


def timm_case(name, arch, seed, convention="timm", output_kind="logits", options=None, **kw):
    import timm
    from safetensors.torch import save_file
    model = randomize(timm.create_model(arch, pretrained=False, **kw), seed)
    d = fresh(name)
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, os.path.join(d, "model.safetensors"))
    write_case(name, convention=convention, family=arch, checkpoint="model.safetensors", output_kind=output_kind,
               params=count(model), run=lambda x: model(x), options=options, libraries=("torch", "timm"),
               resize=(24,) if kw.get("dynamic_img_size") else ())


# ---------------------------------------------------------------------------------------------------------------
# Original facebookresearch DINOv2 (faithful reproduction, see the module docstring)


class OrigAttention(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.num_heads = heads
        self.scale = (dim // heads) ** -0.5
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        B, N, C = x.shape
        qkv = self.qkv(x).reshape(B, N, 3, self.num_heads, C // self.num_heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0] * self.scale, qkv[1], qkv[2]
        attn = (q @ k.transpose(-2, -1)).softmax(dim=-1)
        return self.proj((attn @ v).transpose(1, 2).reshape(B, N, C))


class OrigMlp(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.fc1, self.act, self.fc2 = nn.Linear(dim, hidden), nn.GELU(), nn.Linear(hidden, dim)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class OrigSwiGLUFFNFused(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        hidden = (int(hidden * 2 / 3) + 7) // 8 * 8
        self.w12, self.w3 = nn.Linear(dim, 2 * hidden), nn.Linear(hidden, dim)

    def forward(self, x):
        x1, x2 = self.w12(x).chunk(2, dim=-1)
        return self.w3(F.silu(x1) * x2)


class OrigLayerScale(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.gamma = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        return x * self.gamma


class OrigBlock(nn.Module):
    def __init__(self, dim, heads, hidden, swiglu):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.attn = OrigAttention(dim, heads)
        self.ls1 = OrigLayerScale(dim)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = OrigSwiGLUFFNFused(dim, hidden) if swiglu else OrigMlp(dim, hidden)
        self.ls2 = OrigLayerScale(dim)

    def forward(self, x):
        x = x + self.ls1(self.attn(self.norm1(x)))
        return x + self.ls2(self.mlp(self.norm2(x)))


class OrigPatchEmbed(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.proj = nn.Conv2d(3, dim, PATCH, PATCH)

    def forward(self, x):
        return self.proj(x).flatten(2).transpose(1, 2)


class BlockChunk(nn.ModuleList):
    def forward(self, x):
        for b in self:
            x = b(x)
        return x


class OrigDinoV2(nn.Module):
    def __init__(self, registers=0, swiglu=False, block_chunks=0):
        super().__init__()
        self.patch_size = PATCH
        self.num_register_tokens = registers
        self.interpolate_antialias = registers > 0          # the hub's *_reg models: antialias, offset 0
        self.interpolate_offset = 0.0 if registers else 0.1
        self.patch_embed = OrigPatchEmbed(D)
        n = (IMG // PATCH) ** 2
        self.cls_token = nn.Parameter(torch.zeros(1, 1, D))
        self.pos_embed = nn.Parameter(torch.zeros(1, n + 1, D))
        self.register_tokens = nn.Parameter(torch.zeros(1, registers, D)) if registers else None
        blocks = [OrigBlock(D, HEADS, MLP, swiglu) for _ in range(DEPTH)]
        if block_chunks > 0:
            size = DEPTH // block_chunks
            self.blocks = nn.ModuleList([BlockChunk([nn.Identity()] * i + blocks[i:i + size])
                                         for i in range(0, DEPTH, size)])
        else:
            self.blocks = nn.ModuleList(blocks)
        self.norm = nn.LayerNorm(D, eps=1e-6)
        self.head = nn.Identity()
        self.mask_token = nn.Parameter(torch.zeros(1, D))

    def interpolate_pos_encoding(self, x, w, h):
        npatch, N = x.shape[1] - 1, self.pos_embed.shape[1] - 1
        if npatch == N and w == h:
            return self.pos_embed
        pos = self.pos_embed.float()
        cls_pos, patch_pos = pos[:, 0], pos[:, 1:]
        dim = x.shape[-1]
        w0, h0 = w // self.patch_size, h // self.patch_size
        M = int(math.sqrt(N))
        kwargs = {}
        if self.interpolate_offset:
            kwargs["scale_factor"] = (float(w0 + self.interpolate_offset) / M, float(h0 + self.interpolate_offset) / M)
        else:
            kwargs["size"] = (w0, h0)
        patch_pos = F.interpolate(patch_pos.reshape(1, M, M, dim).permute(0, 3, 1, 2), mode="bicubic",
                                  antialias=self.interpolate_antialias, **kwargs)
        assert (w0, h0) == patch_pos.shape[-2:]
        patch_pos = patch_pos.permute(0, 2, 3, 1).view(1, -1, dim)
        return torch.cat((cls_pos.unsqueeze(0), patch_pos), dim=1)

    def forward(self, x):
        B, nc, w, h = x.shape
        x = self.patch_embed(x)
        x = torch.cat((self.cls_token.expand(x.shape[0], -1, -1), x), dim=1)
        x = x + self.interpolate_pos_encoding(x, w, h)
        if self.register_tokens is not None:
            x = torch.cat((x[:, :1], self.register_tokens.expand(x.shape[0], -1, -1), x[:, 1:]), dim=1)
        for blk in self.blocks:
            x = blk(x)
        return self.norm(x)[:, 0]                          # x_norm_clstoken


def orig_dinov2(name, registers=0, swiglu=False, block_chunks=0, teacher=False):
    model = randomize(OrigDinoV2(registers, swiglu, block_chunks), 71 + registers + block_chunks)
    d = fresh(name)
    sd = model.state_dict()
    if teacher:
        sd = {"teacher.backbone." + k: v for k, v in sd.items()}
    torch.save(sd, os.path.join(d, "model.pth"))
    write_case(name, convention="dinov2", family="DINOv2 (facebookresearch)", checkpoint="model.pth",
               output_kind="x_norm_clstoken", params=count(model), run=model, resize=(24,), mask_token=D,
               options=dict(heads=HEADS),
               note=("run-time pos-embed: " + ("bicubic size= antialias (registers)" if registers
                                               else "bicubic scale_factor (w0+0.1)/M, no antialias")))


# ---------------------------------------------------------------------------------------------------------------
# big_vision SigLIP `.npz`: written from a timm SigLIP (tanh GELU, MAP head) with the names and layouts timm's
# `_load_weights` reads, and checked by loading it back with `_load_weights` into a fresh model (identical output).


def big_vision_names(model, heads):
    """The big_vision image-tower arrays (`params/img/...`) of a timm VisionTransformer with a MAP head: the
    inverse of timm's `_load_weights` (kernels (in, out), q/k/v kernels (D, H, hd), out kernel (H, hd, D))."""
    sd = {k: v.detach().float().numpy() for k, v in model.state_dict().items()}
    dim = sd["pos_embed"].shape[-1]
    hd = dim // heads
    out = {"embedding/kernel": sd["patch_embed.proj.weight"].transpose(2, 3, 1, 0),
           "embedding/bias": sd["patch_embed.proj.bias"], "pos_embedding": sd["pos_embed"],
           "Transformer/encoder_norm/scale": sd["norm.weight"], "Transformer/encoder_norm/bias": sd["norm.bias"]}

    def attention(dst, q_w, q_b, k_w, k_b, v_w, v_b, o_w, o_b):
        for n, w, b in (("query", q_w, q_b), ("key", k_w, k_b), ("value", v_w, v_b)):
            out[f"{dst}/{n}/kernel"] = w.T.reshape(dim, heads, hd)
            out[f"{dst}/{n}/bias"] = b.reshape(heads, hd)
        out[f"{dst}/out/kernel"] = o_w.reshape(dim, heads, hd).transpose(1, 2, 0)
        out[f"{dst}/out/bias"] = o_b

    def dense_mlp(dst, src):
        for r in range(2):
            out[f"{dst}/Dense_{r}/kernel"] = sd[f"{src}.fc{r + 1}.weight"].T
            out[f"{dst}/Dense_{r}/bias"] = sd[f"{src}.fc{r + 1}.bias"]

    for i in range(len(model.blocks)):
        b, dst = f"blocks.{i}", f"Transformer/encoderblock_{i}"
        for ln, src in (("LayerNorm_0", "norm1"), ("LayerNorm_1", "norm2")):
            out[f"{dst}/{ln}/scale"], out[f"{dst}/{ln}/bias"] = sd[f"{b}.{src}.weight"], sd[f"{b}.{src}.bias"]
        w, bias = sd[f"{b}.attn.qkv.weight"], sd[f"{b}.attn.qkv.bias"]
        attention(f"{dst}/MultiHeadDotProductAttention_0", w[:dim], bias[:dim], w[dim:2 * dim], bias[dim:2 * dim],
                  w[2 * dim:], bias[2 * dim:], sd[f"{b}.attn.proj.weight"], sd[f"{b}.attn.proj.bias"])
        dense_mlp(f"{dst}/MlpBlock_0", f"{b}.mlp")
    kv_w, kv_b = sd["attn_pool.kv.weight"], sd["attn_pool.kv.bias"]
    out["MAPHead_0/probe"] = sd["attn_pool.latent"]
    attention("MAPHead_0/MultiHeadDotProductAttention_0", sd["attn_pool.q.weight"], sd["attn_pool.q.bias"],
              kv_w[:dim], kv_b[:dim], kv_w[dim:], kv_b[dim:], sd["attn_pool.proj.weight"], sd["attn_pool.proj.bias"])
    out["MAPHead_0/LayerNorm_0/scale"], out["MAPHead_0/LayerNorm_0/bias"] = sd["attn_pool.norm.weight"], sd["attn_pool.norm.bias"]
    dense_mlp("MAPHead_0/MlpBlock_0", "attn_pool.mlp")
    return {"params/img/" + k: np.ascontiguousarray(v, dtype=np.float32) for k, v in out.items()}


def big_vision_siglip(name):
    import timm
    from timm.models.vision_transformer import _load_weights
    kw = dict(img_size=IMG, patch_size=PATCH, embed_dim=D, depth=DEPTH, num_heads=HEADS, mlp_ratio=MLP // D,
              num_classes=0, act_layer="gelu_tanh")
    model = randomize(timm.create_model("vit_base_patch16_siglip_224", pretrained=False, **kw), 91)
    d = fresh(name)
    arrays = big_vision_names(model, HEADS)
    # A two-tower file also holds the text tower and the logit scale/bias (a few stand-ins here).
    g = np.random.default_rng(91)
    arrays |= {"params/txt/Embed_0/embedding": g.standard_normal((64, 16)).astype(np.float32),
               "params/txt/head/kernel": g.standard_normal((16, D)).astype(np.float32),
               "params/t": np.array([2.3], np.float32), "params/b": np.array([-10.0], np.float32)}
    path = os.path.join(d, "siglip.npz")
    np.savez(path, **arrays)
    # timm's own reader must give back the same model.
    back = timm.create_model("vit_base_patch16_siglip_224", pretrained=False, **kw).eval()
    _load_weights(back, path)
    x = images(7)
    with torch.no_grad():
        assert torch.equal(back(x), model(x)), "timm _load_weights does not read the big_vision names back"
    write_case(name, convention="big-vision", family="SigLIP (big_vision)", checkpoint="siglip.npz",
               output_kind="MAP-pooled embedding (timm, act_layer gelu_tanh, weights read by _load_weights)",
               params=count(model), run=lambda x: back(x), options=dict(heads=HEADS),
               libraries=("torch", "timm"),
               note="big_vision's nn.gelu is the tanh approximation; timm reads the file with _load_weights")


# ---------------------------------------------------------------------------------------------------------------
# Hidden states (the tokens of a layer), read by the libraries from the checkpoints already in the fixture folders


def resized_outputs():
    """Adds input_24.npy / output_24.npy to HF cases that interpolate at run time only when asked
    (`interpolate_pos_encoding=True`: bicubic, no antialias): CLIP (class row kept), SigLIP (no prefix row) and
    DeiT with teacher (class and distillation rows kept). Each model is loaded from its fixture folder; its output
    at the native size is first checked against output.npy."""
    from transformers import CLIPVisionModelWithProjection, DeiTForImageClassificationWithTeacher, SiglipVisionModel
    specs = [("hf_clip_vision_projection", CLIPVisionModelWithProjection, lambda o: o.image_embeds),
             ("hf_siglip_vision", SiglipVisionModel, lambda o: o.pooler_output),
             ("hf_deit_teacher", DeiTForImageClassificationWithTeacher, lambda o: o.logits)]
    for name, cls, out in specs:
        d = os.path.join(OUT, name)
        model = cls.from_pretrained(os.path.join(d, "model")).float().eval()
        with torch.no_grad():
            ref = np.load(os.path.join(d, "output.npy"))
            y = out(model(pixel_values=torch.from_numpy(np.load(os.path.join(d, "input.npy"))))).numpy()
            assert np.abs(y - ref).max() <= 1e-5 * max(1, np.abs(ref).max()), name
            px = 24
            xr = images(zlib.crc32(name.encode()) % 1000 + px, px)
            yr = out(model(pixel_values=xr, interpolate_pos_encoding=True))
        np.save(os.path.join(d, f"input_{px}.npy"), xr.numpy().astype(np.float32))
        np.save(os.path.join(d, f"output_{px}.npy"), yr.numpy().astype(np.float32))
        with open(os.path.join(d, "case.json")) as f:
            case = json.load(f)
        case["resized"] = [px]
        case["resized_note"] = "output_24: interpolate_pos_encoding=True (bicubic, no antialias)"
        case["resized_generated_by"] = versions("torch", "transformers")
        with open(os.path.join(d, "case.json"), "w") as f:
            json.dump(case, f, indent=2, sort_keys=True)


def hidden_states():
    """Adds tokens_*.npy to a few cases: what `vit-run --features tokens --layer N` must give. Each model is
    loaded from its fixture folder by its library, whose output is first checked against output.npy."""
    from transformers import CLIPVisionModelWithProjection, Dinov2WithRegistersModel, SiglipVisionModel
    specs = [
        ("hf_clip_vision_projection", CLIPVisionModelWithProjection, lambda o: o.image_embeds,
         [("tokens_last.npy", -1, False, "last_hidden_state (HF CLIP: before post_layernorm)"),
          ("tokens_penultimate.npy", -2, False, "hidden_states[-2] (the penultimate layer VLMs read)")]),
        ("hf_dinov2_registers", Dinov2WithRegistersModel, lambda o: o.pooler_output,
         [("tokens_last.npy", -1, True, "last_hidden_state (after layernorm)")]),
        ("hf_siglip_vision", SiglipVisionModel, lambda o: o.pooler_output,
         [("tokens_last.npy", -1, True, "last_hidden_state (after post_layernorm)")]),
    ]
    for name, cls, pooled, files in specs:
        d = os.path.join(OUT, name)
        model = cls.from_pretrained(os.path.join(d, "model")).float().eval()
        x = torch.from_numpy(np.load(os.path.join(d, "input.npy")))
        with torch.no_grad():
            o = model(pixel_values=x, output_hidden_states=True)
        ref = np.load(os.path.join(d, "output.npy"))
        assert np.abs(pooled(o).numpy() - ref).max() <= 1e-5 * max(1, np.abs(ref).max()), name
        tokens = []
        for file, layer, normed, what in files:
            t = o.last_hidden_state if layer == -1 else o.hidden_states[layer]
            np.save(os.path.join(d, file), t.numpy().astype(np.float32))
            tokens.append(dict(file=file, layer=layer, final_norm=normed, what=what))
        with open(os.path.join(d, "case.json")) as f:
            case = json.load(f)
        case["tokens"] = tokens
        case["tokens_generated_by"] = versions("torch", "transformers")
        with open(os.path.join(d, "case.json"), "w") as f:
            json.dump(case, f, indent=2, sort_keys=True)


def manifest():
    files = []
    for root, _, names in sorted(os.walk(OUT)):
        for n in sorted(names):
            p = os.path.join(root, n)
            if n == "manifest.json":
                continue
            with open(p, "rb") as f:
                files.append(dict(path=os.path.relpath(p, OUT), bytes=os.path.getsize(p),
                                  sha256=hashlib.sha256(f.read()).hexdigest()))
    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        json.dump(dict(what="Model-family checkpoints written by the libraries, with inputs and the libraries' outputs",
                       regenerate="tools/.venv/bin/python tools/fixtures_families.py",
                       total_bytes=sum(x["bytes"] for x in files), files=files), f, indent=2)


def main():
    torch.manual_seed(0)
    os.makedirs(OUT, exist_ok=True)
    hf_dinov2("hf_dinov2")
    hf_dinov2("hf_dinov2_registers", registers=4)
    hf_dinov2("hf_dinov2_swiglu_bf16", swiglu=True, bf16=True)
    hf_clip("hf_clip_vision_projection")
    hf_clip("hf_clip_model", whole=True)
    hf_siglip("hf_siglip_vision")
    hf_siglip_whole("hf_siglip_model")
    hf_deit_teacher("hf_deit_teacher")
    hf_mae("hf_mae_pretraining")
    openclip("openclip_quickgelu")
    orig_dinov2("dinov2_original")
    orig_dinov2("dinov2_original_registers", registers=4)
    orig_dinov2("dinov2_original_swiglu_chunked_teacher", swiglu=True, block_chunks=2, teacher=True)
    common = dict(img_size=IMG, patch_size=PATCH, embed_dim=D, depth=DEPTH, num_heads=HEADS, mlp_ratio=MLP // D)
    timm_case("timm_clip_quickgelu", "vit_base_patch16_clip_quickgelu_224", 81, num_classes=24,
              options=dict(heads=HEADS, activation="quick_gelu"), **common)
    timm_case("timm_siglip_map", "vit_base_patch16_siglip_224", 82, num_classes=0, output_kind="pooled (attn_pool)",
              options=dict(heads=HEADS), **common)
    timm_case("timm_dinov2_reg4", "vit_small_patch14_reg4_dinov2", 83, num_classes=0, output_kind="pooled (token)",
              options=dict(heads=HEADS), dynamic_img_size=True, **common)
    big_vision_siglip("big_vision_siglip")
    openclip_timm_trunk("openclip_siglip_timm_trunk")
    hf_dinov2_classifier("hf_dinov2_registers_classifier")
    hidden_states()
    resized_outputs()
    manifest()


if __name__ == "__main__":
    import sys
    # `--add big_vision_siglip hidden_states` runs only those steps (the other cases stay as committed).
    if len(sys.argv) > 2 and sys.argv[1] == "--add":
        torch.manual_seed(0)
        for step in sys.argv[2:]:
            {"big_vision_siglip": lambda: big_vision_siglip("big_vision_siglip"), "hidden_states": hidden_states,
             "resized_outputs": resized_outputs, "hf_siglip_model": lambda: hf_siglip_whole("hf_siglip_model"),
             "openclip_siglip_timm_trunk": lambda: openclip_timm_trunk("openclip_siglip_timm_trunk"),
             "hf_dinov2_registers_classifier": lambda: hf_dinov2_classifier("hf_dinov2_registers_classifier")}[step]()
        manifest()
    else:
        main()
