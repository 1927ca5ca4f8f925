"""Fixtures of hand-written PyTorch ViTs that ViTKit must read by their structure (fixtures/handwritten/).

Usage (from the repository root):

    tools/.venv/bin/python tools/fixtures_handwritten.py              # every case + seed004_vit_b16/tensors.json
    tools/.venv/bin/python tools/fixtures_handwritten.py seed004      # only these groups (seed004, seed000,
                                                                      # variants, vitb16, tutorials)

Cases (each folder: model.safetensors [+ model.pth], input.npy, logits.npy, case.json):
- seed004_conv, seed004_unfold: seed 004's code as written (tools/fixtures_handwritten_seed004.py), small constants.
- seed000_einops, seed000_einops_block: seed 000's einops ViT, both versions (tools/fixtures_handwritten_seed000.py).
- var_modulelist_sep_qkv, var_sequential_fused_qkv_mlphead, var_torch_encoder_gray, var_relu_meanpool,
  var_nonsquare_nometa, amb_norm_order, amb_linear_roles: layouts with invented names (tools/fixtures_handwritten_variants.py).
- tut_uva_lightning: the UvA DL Course's tutorial ViT (tools/fixtures_handwritten_tutorials.py), not a seed.
- seed004_vit_b16/tensors.json: seed 004's full ViT-B/16 without weights: every tensor name, dtype and shape, the
  torchinfo total and fvcore's count.
case.json "options" names what a user must tell ViTKit that the weights cannot; "expected_result" says, per checkpoint
file, "maps", "refused_as_ambiguous" or "maps_or_refused" (either, with the right logits when it maps); "norm_order_evidence" what in the file tells the two norms of a block apart.
safetensors.torch.save_file writes its header sorted by name: the registration order survives only in model.pth
(case.json "state_dict_order" keeps it for every case). See tools/fixtures_handwritten_case.py for what is verified before a case is written.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import fixtures_conventions_common as common  # noqa: E402
from fixtures_handwritten_case import (OUT, TORCH_LIBS, block, linear, randomize, rule, versions,  # noqa: E402
                                       write_case, write_json, write_manifest)

torch.set_num_threads(1)


def cfg_of(**kw) -> dict:
    return common.vit_config(**kw)


# ------------------------------------------------------------------------------------------------ seed 004

def seed004_cases():
    import fixtures_handwritten_seed004 as s4
    for patcher, seed in (("conv", 400), ("unfold", 401)):
        consts = dict(IMAGE_SIZE=32, IN_CHANNELS=3, PATCH_SIZE=8, NUM_HEADS=2, NUM_ENCODERS=2, EMBED_DIM=16,
                      NUM_CLASSES=5)
        g = s4.configure(**consts)
        torch.manual_seed(seed)
        model = s4.ViT(patcher)
        randomize(model, seed)
        x = common.make_input(seed, 3, 32, 32)

        def per_image(m, t):  # class_token is (BATCH_SIZE=1, 1, D) and is not expanded: batch 1 only
            return torch.cat([m(t[i:i + 1]) for i in range(t.shape[0])])

        cfg = cfg_of(image_size=[32, 32], patch_size=[8, 8], embed_dim=16, depth=2, num_heads=2, attn_dim=16,
                     mlp_hidden_dim=g["MLP_SIZE"], final_norm=False, fc_norm=True, pre_logits_dim=16,
                     pre_logits_activation="gelu", patch_embed="conv" if patcher == "conv" else "linear",
                     layer_norm_eps=1e-5, num_classes=5)
        r = [rule("cls_token", "pos_embedding.class_token"), rule("pos_embed", "pos_embedding.pos_embedding")]
        if patcher == "conv":
            r += linear("patch_embed.proj", "patcher.conv")
        else:
            r += [rule("patch_embed.proj.weight", "patcher.linear_projection.weight", "linear_patch_cpp_to_conv"),
                  rule("patch_embed.proj.bias", "patcher.linear_projection.bias")]
        for i in range(2):
            p = f"transformer_encoders.{i}."
            r += block(i, norm1=p + "norm_0", norm2=p + "norm_1", mha=p + "multihead_attention", proj="",
                       fc1=p + "mlp.0", fc2=p + "mlp.3")
        r += linear("fc_norm", "mlp_head.norm") + linear("pre_logits.fc", "mlp_head.linear_0")
        r += linear("head", "mlp_head.linear_1")
        options = {"heads": 2, "act": "gelu", "head_act": "gelu", "eps": 1e-5}
        if patcher == "unfold":
            options["patch_order"] = "cpp"
        consts_s = ", ".join(f"{k}={v}" for k, v in consts.items())
        write_case(
            f"seed004_{patcher}", model, lambda: s4.ViT(patcher), seed=seed, x=x, cfg=cfg, options=options, rules=r,
            forward=per_image, pth=patcher == "conv",
            norm_order="numeric suffix: norm_0 (pre-attention) before norm_1 (pre-MLP); model.pth's registration "
                       "order agrees",
            source="../shared/seeds/004_011f347abcd8bb59.txt (code blocks 2-17)",
            constructor=f"tools/fixtures_handwritten_seed004.py configure({consts_s}); ViT({patcher!r}) "
                        f"(BATCH_SIZE=1, MLP_SIZE=EMBED_DIM*4={g['MLP_SIZE']}, DROPOUT_RATE=0.1 as in the tutorial)",
            heads_how="not in the file: nn.MultiheadAttention's in_proj_weight (3D, D) gives only D",
            facts_extra={"model_accepts_batch": 1, "class_token_shape_as_declared": "(BATCH_SIZE, 1, EMBED_DIM)"},
            notes=[
                "module code exactly as in seed 004 (names, order, defaults), print() traces left out as the "
                "tutorial advises; constants set small through configure()",
                "PosEmbedding.class_token is (BATCH_SIZE=1, 1, D) and torch.cat does not expand it: the model runs "
                "on batch 1 only; logits.npy rows are two batch-1 forwards of input.npy's two images",
                "PosEmbedding registers class_token before pos_embedding (1, T, D) with T = 16 + 1",
                "transformer_encoders.{i}: norm_0, multihead_attention (nn.MultiheadAttention, batch_first=True: "
                "in_proj_weight (3D, D) q,k,v; out_proj), norm_1, mlp Sequential (0 Linear D->4D, 1 GELU, "
                "2 Dropout, 3 Linear 4D->D, 4 Dropout)",
                "mlp_head: norm (LayerNorm on the class token) -> canonical fc_norm; linear_0 (D, D) + GELU -> "
                "pre_logits (gelu); linear_1 (K, D) -> head. For token pooling fc_norm and final_norm give the same "
                "logits",
                "every LayerNorm has PyTorch's default eps 1e-5",
            ] + (["PatcherUnfold: nn.Unfold flattens each patch in (C, p, p) order (the Conv2d kernel's order): "
                  "linear_projection.weight (D, C*p*p) reshapes to (D, C, p, p) directly"]
                 if patcher == "unfold" else []))
    s4.configure()


def vit_b16_tensors():
    """seed004_vit_b16/tensors.json: the tutorial's ViT-B/16 as it prints it (no weights committed)."""
    import fixtures_handwritten_seed004 as s4
    from fvcore.nn import FlopCountAnalysis
    from torchinfo import summary
    g = s4.configure()
    torch.manual_seed(0)
    model = s4.ViT("conv")
    sd = model.state_dict()
    info = summary(model, input_size=(1, 3, 224, 224), verbose=0)
    total = int(info.total_params)
    if total != 86_396_938:
        raise AssertionError(f"torchinfo total {total:,} != the tutorial's 86,396,938")
    x = torch.randn(1, 3, 224, 224)

    def fv(m):
        fa = FlopCountAnalysis(m, x)
        fa.unsupported_ops_warnings(False)
        fa.uncalled_modules_warnings(False)
        return {"total": int(fa.total()), "by_operator": {k: int(v) for k, v in sorted(fa.by_operator().items())},
                "unsupported_ops": {k: int(v) for k, v in sorted(fa.unsupported_ops().items())}}

    model.eval()
    fv_eval = fv(model)
    model.train()
    fv_train = fv(model)
    model.eval()
    n, t, d, h, m, k = 12, g["NUM_PATCHES"] + 1, g["EMBED_DIM"], g["NUM_HEADS"], g["MLP_SIZE"], g["NUM_CLASSES"]
    p2c = g["IN_CHANNELS"] * g["PATCH_SIZE"] ** 2
    macs_linear = (g["NUM_PATCHES"] * p2c * d + n * t * (3 * d * d + d * d + 2 * d * m) + d * d + d * k)
    macs_attention = n * 2 * t * t * d
    unfold_params = None
    s4.configure()
    unfold_params = sum(p.numel() for p in s4.ViT("unfold").parameters())
    s4.configure(NUM_CLASSES=1000)
    params_1000 = sum(p.numel() for p in s4.ViT("conv").parameters())
    s4.configure()
    counted = sum(fv_train["by_operator"].get(k, 0) for k in ("linear", "conv", "bmm", "matmul"))
    if counted != macs_linear + macs_attention:
        raise AssertionError(f"fvcore linear+conv+bmm {counted:,} != by hand {macs_linear + macs_attention:,}")
    d_out = OUT / "seed004_vit_b16"
    d_out.mkdir(parents=True, exist_ok=True)
    doc = {
        "case": "seed004_vit_b16",
        "source": "../shared/seeds/004_011f347abcd8bb59.txt, code blocks 2-19 (ViT-B/16, PatcherConv, 10 classes)",
        "generated_by": {"script": "tools/fixtures_handwritten.py vitb16",
                         "libraries": versions("torch", "torchinfo", "fvcore", "numpy")},
        "constructor": "tools/fixtures_handwritten_seed004.py configure(); ViT('conv') with the tutorial's own "
                       "constants: " + ", ".join(f"{k}={v}" for k, v in g.items()),
        "weights": "not committed (86,396,938 float32 parameters = 345.6 MB); build them with the constructor",
        "tensors": [{"name": k, "dtype": str(v.dtype).replace("torch.", ""), "shape": list(v.shape),
                     "numel": v.numel()} for k, v in sd.items()],
        "parameters": {
            "torchinfo_total_params": total,
            "torchinfo_trainable_params": int(info.trainable_params),
            "tutorial_prints": 86_396_938,
            "sum_of_state_dict_numel": sum(v.numel() for v in sd.values()),
            "with_PatcherUnfold_instead": unfold_params,
            "with_NUM_CLASSES_1000_instead": params_1000,
            "note": "the tutorial's ViT-B/16 has NUM_CLASSES = 10 (code block 2); its head linear_1 is (10, 768) + 10 "
                    "= 7,690 params, as its torchinfo table prints. With 1000 classes the total would be "
                    f"{params_1000:,}. PatcherUnfold's Linear(768, 768) has the same 590,592 params as the conv.",
        },
        "torchinfo": {
            "command": "torchinfo.summary(vit, input_size=(1, 3, 224, 224))",
            "total_mult_adds": int(info.total_mult_adds),
            "tutorial_prints_total_mult_adds": "173.06 M",
            "note": "torchinfo's total is not the forward's MAC count: it is Conv2d 115,756,032 (weights and bias "
                    "x 196 output positions) + every nn.Linear leaf counted ONCE per sample, not per token "
                    "(MLP Linears 12 x 4,722,432 + head 598,282 = 57,267,466) + LayerNorm 38,400; "
                    "nn.MultiheadAttention's projections and products add nothing",
        },
        "fvcore": {
            "command": "fvcore.nn.FlopCountAnalysis(vit, torch.randn(1, 3, 224, 224)).total()  # batch 1",
            "unit": "fvcore counts one fused multiply-add as one 'flop', i.e. these are MACs",
            "eval_mode": fv_eval,
            "train_mode": fv_train,
            "note": "fvcore traces with torch.jit, so nn.MultiheadAttention runs its Python path (no fast path) in "
                    "both modes and the totals agree: linear + conv + bmm equal macs_by_hand exactly, plus "
                    "layer_norm counted as 5 per element (25 LayerNorms: 24 x 197 x 768 + 768, x 5 = 18,159,360); "
                    "GELU, softmax, adds and scaling are uncounted (unsupported_ops)",
        },
        "macs_by_hand": {
            "linear_and_conv": macs_linear,
            "attention_scores_and_values": macs_attention,
            "total": macs_linear + macs_attention,
            "how": "patch conv 196*768*768 + per block (197 tokens): qkv 3*768*768, out 768*768, mlp 2*768*3072, "
                   "q@k^T and att@v 2*197*768 per token; head 768*768 + 768*10; LayerNorm, softmax, GELU not counted",
        },
    }
    write_json(d_out / "tensors.json", doc)
    print(f"seed004_vit_b16/tensors.json  torchinfo {total:,} params  fvcore eval {fv_eval['total']:,} "
          f"train {fv_train['total']:,}  by hand {macs_linear + macs_attention:,}")


# ------------------------------------------------------------------------------------------------ seed 000

def seed000_cases():
    import fixtures_handwritten_seed000 as s0
    libs = ("einops",) + TORCH_LIBS
    for name, seed, cls, kwargs in (
            ("seed000_einops", 500, s0.ViT, dict(image_size=32, channels=3, patch_size=8, dim=16, heads=2,
                                                  head_dim=8, mlp_dim=32, depth=2, num_class=5)),
            ("seed000_einops_block", 501, s0.ViTBlock, dict(image_size=32, channels=3, patch_size=8, dim=16,
                                                             heads=2, head_dim=12, mlp_dim=48, num_class=4))):
        torch.manual_seed(seed)
        model = cls(**kwargs)
        randomize(model, seed)
        x = common.make_input(seed, 3, 32, 32)
        depth = kwargs.get("depth", 1)
        inner = kwargs["heads"] * kwargs["head_dim"]
        cfg = cfg_of(image_size=[32, 32], patch_size=[8, 8], embed_dim=16, depth=depth, num_heads=kwargs["heads"],
                     attn_dim=inner, mlp_hidden_dim=kwargs["mlp_dim"], final_norm=False, fc_norm=True,
                     patch_embed="linear", layer_norm_eps=1e-5, num_classes=kwargs["num_class"])
        r = [rule("cls_token", "to_patch_embedding.CLS_token"),
             rule("pos_embed", "to_patch_embedding.position_embedding"),
             rule("patch_embed.proj.weight", "to_patch_embedding.linear_embedding.weight", "linear_patch_ppc_to_conv"),
             rule("patch_embed.proj.bias", "to_patch_embedding.linear_embedding.bias")]
        for i in range(depth):
            p = f"transformer.layers.{i}." if cls is s0.ViT else "transformer."
            r += block(i, norm1=p + "MHA.norm", norm2=p + "FeedForward.norm", qkv=p + "MHA.to_qkv",
                       proj=p + "MHA.to_output", fc1=p + "FeedForward.fc1", fc2=p + "FeedForward.fc2")
        r += linear("fc_norm", "MLP_head.0") + linear("head", "MLP_head.1")
        model.eval()
        with torch.no_grad():
            probs = model(torch.from_numpy(x)).numpy()
        args = ", ".join(f"{k}={v!r}" for k, v in kwargs.items())
        version = ("ViT with the Transformer(depth) the tutorial uses but never shows, reconstructed as "
                   "self.layers = nn.ModuleList([...]) (vit-pytorch's way, the tutorial's reference [1]); "
                   "nn.Sequential named layers gives the same tensor names") if cls is s0.ViT else \
                  ("ViT with self.transformer = Transformer_block(...): the classes the tutorial shows, ONE block, "
                   "tensor names without a block index (transformer.MHA.*, transformer.FeedForward.*)")
        write_case(
            name, model, lambda cls=cls, kwargs=kwargs: cls(**kwargs), seed=seed, x=x, cfg=cfg, rules=r,
            options={"heads": kwargs["heads"], "patch_order": "ppc", "act": "gelu", "eps": 1e-5},
            forward=s0.logits, libraries=libs,
            norm_order="nesting: MHA.norm sits in the module with to_qkv / to_output (pre-attention), FeedForward.norm "
                       "with fc1 / fc2 (pre-MLP). Beware: the sorted safetensors header lists FeedForward.* before "
                       "MHA.* ('F' < 'M'), and each norm after its module's Linears",
            extra_outputs={"probs.npy": probs},
            source="../shared/seeds/000_ecc97a82deb377f7.txt (pre_proces, Multihead_self_attention, FeedForward, "
                   "Transformer_block, ViT)",
            constructor=f"tools/fixtures_handwritten_seed000.py {cls.__name__}({args})",
            heads_how="not in the file: to_qkv (3*heads*head_dim, D) gives only heads*head_dim",
            facts_extra={"model_output": "softmax(MLP_head(CLS_token)) -> probs.npy; logits.npy = MLP_head(CLS_token)"},
            notes=[
                version,
                "the model's forward ends in nn.Softmax: probs.npy is its own output; logits.npy is MLP_head(CLS_token),"
                " the same forward without that softmax (probs = softmax(logits))",
                "pre_proces: rearrange 'b c (h p1) (w p2) -> b (h w) (p1 p2 c)' then linear_embedding: the patch is "
                "flattened in (p1, p2, c) order -> patch_order ppc",
                "pre_proces registers linear_embedding, position_embedding (1, T, D), CLS_token (1, 1, D); in "
                "state-dict order the two Parameters come before the Linear",
                "Multihead_self_attention registers to_qkv (WITH bias: nn.Linear's default), to_output, then its norm "
                "(the pre-attention LayerNorm, registered after the Linears it feeds); FeedForward registers fc1, "
                "fc2, then its norm (the pre-MLP LayerNorm); F.gelu is the exact GELU",
                "MLP_head = Sequential(LayerNorm, Linear) on the class token -> canonical fc_norm + head",
                "every LayerNorm has PyTorch's default eps 1e-5; image_size is square by construction "
                "(patch_num = (image_size//patch_size)**2)",
            ] + ([f"attention width heads*head_dim = {inner} != D = 16"] if inner != 16 else []))


# ------------------------------------------------------------------------------------------------ variants

def swapped_logits_diff(model, other, x: np.ndarray, renames: dict[str, str]) -> float:
    """How far the logits move when `model`'s tensors are loaded into `other` under swapped names: what a reader
    that picks the wrong roles would compute."""
    sd = {}
    for k, t in model.state_dict().items():
        for a, b in renames.items():
            if a in k:
                k = k.replace(a, b)
                break
        sd[k] = t
    other.load_state_dict(sd, strict=True)
    other.eval()
    model.eval()
    with torch.no_grad():
        xt = torch.from_numpy(x)
        return float((other(xt) - model(xt)).abs().max())


def constructor_of(cls) -> str:
    """`module Class(arg=default, ...)`: the variants are built with their defaults."""
    import inspect
    args = ", ".join(f"{k}={p.default!r}" for k, p in inspect.signature(cls).parameters.items())
    return f"tools/fixtures_handwritten_variants.py {cls.__name__}({args})"


def variant_cases():
    import fixtures_handwritten_variants as v
    libs = TORCH_LIBS
    src = "tools/fixtures_handwritten_variants.py (written for ViTKit; names invented)"

    # (a) Kestrel
    seed = 600
    torch.manual_seed(seed)
    model = v.Kestrel()
    randomize(model, seed)
    r = [rule("cls_token", "summary"), rule("pos_embed", "where")] + linear("patch_embed.proj", "slicer.carve")
    for i in range(3):
        p = f"stages.{i}."
        r += block(i, norm1=p + "prenorm1", norm2=p + "prenorm2", q=p + "mixer.q_lin", k=p + "mixer.k_lin",
                   v=p + "mixer.v_lin", proj=p + "mixer.blend", fc1=p + "widen", fc2=p + "narrow")
    r += linear("norm", "final_ln") + linear("head", "decide")
    write_case(
        "var_modulelist_sep_qkv", model, v.Kestrel, seed=seed, x=common.make_input(seed, 3, 32, 32), rules=r,
        cfg=cfg_of(image_size=[32, 32], embed_dim=16, depth=3, num_heads=2, attn_dim=24, mlp_hidden_dim=32,
                   layer_norm_eps=1e-5, num_classes=5),
        options={"heads": 2, "act": "gelu", "eps": 1e-5}, source=src, libraries=libs,
        constructor=constructor_of(v.Kestrel),
        norm_order="numeric suffix: prenorm1 (pre-attention), prenorm2 (pre-MLP)",
        heads_how="not in the file: q_lin/k_lin/v_lin (24, 16) give heads*head_dim = 24 only",
        notes=["stages = nn.ModuleList of 3 Stage blocks: prenorm1 (LayerNorm), mixer (q_lin, k_lin, v_lin: separate "
               "q, k, v Linears (24, 16) with bias; blend (16, 24)), prenorm2 (LayerNorm), widen (32, 16), narrow "
               "(16, 32); the MLP Linears sit directly in the block, not in a sub-module",
               "heads * head_dim = 2 * 12 = 24 != D = 16 (attn_dim 24)",
               "q_lin, k_lin, v_lin have the same shape: only the q / k / v in their names tells which is which "
               "(registered q, k, v; the sorted safetensors header lists k_lin, q_lin, v_lin)",
               "summary (1, 1, D) is the class token, where (1, 17, D) the position embedding; slicer.carve the "
               "Conv2d patch embedding; final_ln over all tokens, then decide on token 0"])

    # (b) Heron
    seed = 601
    torch.manual_seed(seed)
    model = v.Heron()
    randomize(model, seed)
    r = [rule("cls_token", "start"), rule("pos_embed", "grid_code")] + linear("patch_embed.proj", "lift")
    for i in range(2):
        p = f"tower.{i}."
        r += block(i, norm1=p + "attend.pre", norm2=p + "ff.0", qkv=p + "attend.triple", qkv_bias=False,
                   proj=p + "attend.squash", fc1=p + "ff.1", fc2=p + "ff.3")
    r += linear("fc_norm", "read_out.0") + linear("pre_logits.fc", "read_out.1") + linear("head", "read_out.3")
    write_case(
        "var_sequential_fused_qkv_mlphead", model, v.Heron, seed=seed, x=common.make_input(seed, 3, 32, 32), rules=r,
        cfg=cfg_of(image_size=[32, 32], embed_dim=16, depth=2, num_heads=2, attn_dim=16, mlp_hidden_dim=32,
                   qkv_bias=False, final_norm=False, fc_norm=True, pre_logits_dim=12, pre_logits_activation="tanh",
                   layer_norm_eps=1e-5, num_classes=7),
        options={"heads": 2, "act": "gelu", "head_act": "tanh", "eps": 1e-5}, source=src, libraries=libs,
        constructor=constructor_of(v.Heron),
        norm_order="nesting: attend.pre is inside the attention module (registered after its Linears), ff.0 is the "
                   "first entry of the MLP Sequential",
        notes=["tower = nn.Sequential of 2 Cell blocks: attend (triple: ONE fused Linear (3*16, 16) WITHOUT bias, "
               "q,k,v chunks in that order; squash (16, 16); pre: its LayerNorm, registered after the Linears), "
               "ff = Sequential(0 LayerNorm, 1 Linear, 2 GELU, 3 Linear): each pre-norm sits inside the module "
               "it feeds",
               "read_out = Sequential(0 LayerNorm, 1 Linear(16 -> 12), 2 Tanh, 3 Linear(12 -> 7)) on token 0 -> "
               "canonical fc_norm, pre_logits (12, tanh), head. The head's Tanh is NOT in the weights "
               "(options.head_act)",
               "32 x 32 input, patch 8: grid 4 x 4, pos grid_code (1, 17, 16)"])

    # (c) Owl
    seed = 602
    torch.manual_seed(seed)
    model = v.Owl()
    randomize(model, seed)
    r = [rule("cls_token", "lead"), rule("pos_embed", "place.weight", "unsqueeze0"),
         rule("patch_embed.proj.weight", "flat_to_width.weight", "linear_patch_cpp_to_conv"),
         rule("patch_embed.proj.bias", "flat_to_width.bias")]
    for i in range(2):
        p = f"body.layers.{i}."
        r += block(i, norm1=p + "norm1", norm2=p + "norm2", mha=p + "self_attn", proj="", fc1=p + "linear1",
                   fc2=p + "linear2")
    r += linear("norm", "body.norm") + linear("head", "verdict")
    write_case(
        "var_torch_encoder_gray", model, v.Owl, seed=seed, x=common.make_input(seed, 1, 32, 32), rules=r,
        cfg=cfg_of(image_size=[32, 32], in_channels=1, embed_dim=16, depth=2, num_heads=2, attn_dim=16,
                   mlp_hidden_dim=32, patch_embed="linear", layer_norm_eps=1e-5, num_classes=3),
        options={"heads": 2, "patch_order": "cpp", "act": "gelu", "eps": 1e-5}, source=src, libraries=libs,
        constructor=constructor_of(v.Owl),
        norm_order="numeric suffix: norm1, norm2 (nn.TransformerEncoderLayer registers both after linear2)",
        heads_how="not in the file: in_proj_weight (3D, D) gives only D",
        notes=["body = nn.TransformerEncoder(nn.TransformerEncoderLayer(16, 2, dim_feedforward=32, dropout=0.1, "
               "activation='gelu', batch_first=True, norm_first=True), num_layers=2, norm=nn.LayerNorm(16)): "
               "per layer self_attn.in_proj_weight/bias, self_attn.out_proj, linear1, linear2, norm1, norm2 (the "
               "two norms registered together AFTER the MLP, norm1 used before attention); body.norm is the final "
               "norm over all tokens",
               "patch embedding: cut = nn.Unfold(8, stride=8) (no weights) then flat_to_width Linear(1*8*8, 16): "
               "(C, p, p) order -> patch_order cpp",
               "place = nn.Embedding(17, 16): the position embedding as a (T, D) table, added for positions 0..16",
               "lead (1, 1, D) is the class token; grayscale input (1 channel)",
               "verdict: Linear head on token 0"])

    # (d) Finch
    seed = 603
    torch.manual_seed(seed)
    model = v.Finch()
    randomize(model, seed)
    r = [rule("pos_embed", "pos")] + linear("patch_embed.proj", "patchify")
    for i in range(2):
        p = f"trunk.{i}."
        r += block(i, norm1=p + "norm_mix", norm2=p + "norm_feed", qkv=p + "to_heads", proj=p + "from_heads",
                   fc1=p + "expand", fc2=p + "contract")
    r += linear("fc_norm", "closing_ln") + linear("head", "logit_layer")
    write_case(
        "var_relu_meanpool", model, v.Finch, seed=seed, x=common.make_input(seed, 3, 32, 32), rules=r,
        cfg=cfg_of(image_size=[32, 32], embed_dim=16, depth=2, num_heads=2, attn_dim=16, mlp_hidden_dim=40,
                   class_token=False, global_pool="avg", final_norm=False, fc_norm=True, layer_norm_eps=1e-6,
                   num_classes=6),
        options={"heads": 2, "act": "relu", "eps": 1e-6, "pool_norm": "after_pool",
                 "map": ["closing_ln -> fc_norm"]}, source=src, libraries=libs,
        constructor=constructor_of(v.Finch), pth=True,
        expected_result={"model.safetensors": "maps_or_refused", "model.pth": "maps"},
        norm_order="registration order: norm_mix is registered first and is the pre-attention norm (model.pth "
                   "keeps that order). No nesting, no numeric suffix; model.safetensors sorts the names "
                   "(norm_feed first), so there only the words in the names can tell (mix ~ attention, feed ~ MLP): "
                   "mapping them that way and saying so, or refusing, are both right; a silent wrong order is not",
        facts_extra={"logits_max_abs_diff_if_norms_taken_in_name_order": swapped_logits_diff(
            model, v.Finch(), common.make_input(seed, 3, 32, 32), {".norm_mix.": ".norm_feed.", ".norm_feed.": ".norm_mix."}),
            "map_lines_if_refused": ["trunk.{i}.norm_mix -> blocks.{i}.norm1",
                                     "trunk.{i}.norm_feed -> blocks.{i}.norm2"]},
        notes=["MLP activation is ReLU (F.relu between expand and contract): not in the weights -> options.act relu",
               "every LayerNorm eps 1e-6 (not in the weights)",
               "no class token: pos (1, 16, D) covers the 16 patch tokens only; pooling = mean over all tokens, "
               "then closing_ln on the pooled vector (timm's fc_norm), then logit_layer. Whether a lone end "
               "LayerNorm comes before or after a mean pool is not in the weights either (options.pool_norm)",
               "trunk = nn.ModuleList of Twig: norm_mix, to_heads (fused (3D, D) with bias, q,k,v), from_heads, "
               "norm_feed, expand, contract",
               "norm order: norm_mix (registered first) is the pre-attention norm. model.pth keeps that "
               "registration order; model.safetensors lists tensors sorted by name (norm_feed before norm_mix), "
               "and no nesting or numeric suffix tells them apart there"])

    # (e) Wren: ambiguous on purpose
    seed = 604
    torch.manual_seed(seed)
    model = v.Wren()
    randomize(model, seed)
    r = [rule("cls_token", "tok"), rule("pos_embed", "pe")] + linear("patch_embed.proj", "stem")
    for i in range(2):
        p = f"seq.{i}."
        r += block(i, norm1=p + "ln_a", norm2=p + "ln_b", mha=p + "att", proj="", fc1=p + "ffn.0", fc2=p + "ffn.2")
    r += linear("norm", "tail") + linear("head", "cls_out")
    mapping_lines = ["seq.{i}.ln_a -> blocks.{i}.norm1", "seq.{i}.ln_b -> blocks.{i}.norm2"]
    x = common.make_input(seed, 3, 32, 32)
    wrong = swapped_logits_diff(model, v.Wren(), x, {".ln_a.": ".ln_b.", ".ln_b.": ".ln_a."})
    write_case(
        "amb_norm_order", model, v.Wren, seed=seed, x=x, rules=r, pth=True,
        expected_result="refused_as_ambiguous",
        cfg=cfg_of(image_size=[32, 32], embed_dim=16, depth=2, num_heads=2, attn_dim=16, mlp_hidden_dim=32,
                   layer_norm_eps=1e-5, num_classes=4),
        options={"heads": 2, "act": "gelu", "eps": 1e-5, "map": mapping_lines}, source=src, libraries=libs,
        constructor=constructor_of(v.Wren),
        norm_order="none that holds: no nesting, no numeric suffix; registration order (model.pth) says ln_b first, "
                   "which is WRONG (the forward uses ln_a first); name order says ln_a first (right, by luck)",
        heads_how="not in the file: in_proj_weight (3D, D) gives only D",
        facts_extra={"ambiguous_roles": ["blocks.{i}.norm1", "blocks.{i}.norm2"],
                     "ambiguous_tensors": ["seq.{i}.ln_b", "seq.{i}.ln_a"],
                     "why": "two D-wide LayerNorms registered next to each other (ln_b, then ln_a) before the "
                            "attention and MLP, with nothing between them: registration order says ln_b is "
                            "the pre-attention norm, the names' order says ln_a; the forward uses ln_a first",
                     "logits_max_abs_diff_if_ln_b_taken_as_norm1": wrong,
                     "order_in_model_pth": "registration order: ln_b, ln_a",
                     "order_in_model_safetensors": "sorted by name: ln_a, ln_b (safetensors sorts its header)"},
        notes=["EXPECTED: refused as ambiguous (which LayerNorm of each block is the pre-attention one cannot be "
               "told from the file), unless a --map settles it; options.map holds the settling lines "
               "(pattern -> canonical). logits.npy are the model's true logits, to check the run with --map",
               "seq = nn.ModuleList of Knot: ln_b, ln_a (both LayerNorm(16), registered in THAT order), att "
               "(nn.MultiheadAttention batch_first=True), ffn = Sequential(0 Linear, 1 GELU, 2 Linear); forward: "
               "x + att(ln_a(x)), then x + ffn(ln_b(x))",
               "tail: LayerNorm on token 0 -> final norm; cls_out: Linear head"])

    # (g) Magpie: ambiguous on purpose (three (D, D) Linears per block)
    seed = 606
    torch.manual_seed(seed)
    model = v.Magpie()
    randomize(model, seed)
    r = [rule("cls_token", "first"), rule("pos_embed", "posn")] + linear("patch_embed.proj", "snip")
    for i in range(2):
        p = f"perches.{i}."
        r += block(i, norm1=p + "ln1", norm2=p + "ln2", qkv=p + "mix", proj=p + "lin_z", fc1=p + "lin_x",
                   fc2=p + "lin_y")
    r += linear("norm", "last_ln") + linear("head", "out")
    x = common.make_input(seed, 3, 32, 32)
    wrong = swapped_logits_diff(model, v.Magpie(), x, {".lin_x.": ".lin_z.", ".lin_y.": ".lin_x.",
                                                       ".lin_z.": ".lin_y."})
    write_case(
        "amb_linear_roles", model, v.Magpie, seed=seed, x=x, rules=r, expected_result="refused_as_ambiguous",
        cfg=cfg_of(image_size=[32, 32], embed_dim=16, depth=2, num_heads=2, attn_dim=16, mlp_hidden_dim=16,
                   layer_norm_eps=1e-5, num_classes=4),
        options={"heads": 2, "act": "gelu", "eps": 1e-5,
                 "map": ["perches.{i}.lin_z -> blocks.{i}.attn.proj", "perches.{i}.lin_x -> blocks.{i}.mlp.fc1",
                         "perches.{i}.lin_y -> blocks.{i}.mlp.fc2"]},
        source=src, libraries=libs, constructor=constructor_of(v.Magpie),
        norm_order="numeric suffix: ln1, ln2 (the norms are not the ambiguity here)",
        facts_extra={"ambiguous_roles": ["blocks.{i}.attn.proj", "blocks.{i}.mlp.fc1", "blocks.{i}.mlp.fc2"],
                     "ambiguous_tensors": ["perches.{i}.lin_x", "perches.{i}.lin_y", "perches.{i}.lin_z"],
                     "why": "MLP hidden width == D: the attention output projection and both MLP Linears are "
                            "(D, D) with a (D,) bias; registration order (lin_x, lin_y, lin_z) and name order agree "
                            "with each other but not with the roles (fc1, fc2, proj)",
                     "logits_max_abs_diff_if_taken_as_proj_fc1_fc2_in_order": wrong},
        notes=["EXPECTED: refused as ambiguous (three Linears of the same shape per block, nothing in the file "
               "tells which is the attention output and which the MLP's), unless a --map settles it; options.map "
               "holds the settling lines. logits.npy are the model's true logits",
               "perches = nn.ModuleList of Perch: ln1, ln2 (both before anything else, used in that order), mix "
               "(fused (3D, D) q,k,v with bias), lin_x, lin_y, lin_z (all (D, D)); forward: "
               "x + lin_z(attn(mix(ln1(x)))), then x + lin_y(gelu(lin_x(ln2(x))))",
               "last_ln over all tokens, then out on token 0"])

    # (f) Stork: non-square, no metadata
    seed = 605
    torch.manual_seed(seed)
    model = v.Stork()
    randomize(model, seed)
    r = [rule("cls_token", "begin"), rule("pos_embed", "spots")] + linear("patch_embed.proj", "eye")
    for i in range(2):
        p = f"levels.{i}."
        r += block(i, norm1=p + "nrm_1", norm2=p + "nrm_2", mha=p + "talk", proj="", fc1=p + "think.0",
                   fc2=p + "think.3")
    r += linear("norm", "end_ln") + linear("head", "answer")
    write_case(
        "var_nonsquare_nometa", model, v.Stork, seed=seed, x=common.make_input(seed, 3, 24, 40), rules=r,
        cfg=cfg_of(image_size=[24, 40], patch_size=[8, 8], embed_dim=16, depth=2, num_heads=2, attn_dim=16,
                   mlp_hidden_dim=32, layer_norm_eps=1e-5, num_classes=5),
        options={"heads": 2, "act": "gelu", "eps": 1e-5, "grid": "from the input: 24 x 40 -> 3 x 5",
                 "source_image_size": [24, 40]}, source=src, libraries=libs,
        constructor=constructor_of(v.Stork),
        norm_order="numeric suffix: nrm_1, nrm_2",
        heads_how="not in the file: in_proj_weight (3D, D) gives only D",
        facts_extra={"patch_tokens": 15, "grid_candidates_from_tokens": [[1, 15], [3, 5], [5, 3], [15, 1]]},
        notes=["input 24 high x 40 wide, patch 8: grid 3 x 5 = 15 patch tokens (row-major); spots (1, 16, D) = "
               "class + 15; NOTHING in the file records the grid: 15 tokens could be 3x5, 5x3, 1x15 or 15x1. "
               "vit-run must take it from the input's H x W (24/8 x 40/8), and say so; tools without an input "
               "need --source-image-size 24x40",
               "levels = nn.Sequential of Ply: nrm_1, talk (nn.MultiheadAttention, batch_first=False: the "
               "forward transposes to (L, B, D)), nrm_2, think = Sequential(0 Linear, 1 GELU, 2 Dropout(0), "
               "3 Linear)",
               "end_ln over all tokens, then answer on token 0"])


def tutorial_cases():
    import fixtures_handwritten_tutorials as t
    seed = 700
    torch.manual_seed(seed)
    model = t.uva_small()
    randomize(model, seed)
    r = [rule("cls_token", "cls_token"), rule("pos_embed", "pos_embedding"),
         rule("patch_embed.proj.weight", "input_layer.weight", "linear_patch_cpp_to_conv"),
         rule("patch_embed.proj.bias", "input_layer.bias")]
    for i in range(3):
        p = f"transformer.{i}."
        r += block(i, norm1=p + "layer_norm_1", norm2=p + "layer_norm_2", mha=p + "attn", proj="",
                   fc1=p + "linear.0", fc2=p + "linear.3")
    r += linear("fc_norm", "mlp_head.0") + linear("head", "mlp_head.1")
    write_case(
        "tut_uva_lightning", model, t.uva_small, seed=seed, x=common.make_input(seed, 3, 32, 32), rules=r,
        cfg=cfg_of(image_size=[32, 32], patch_size=[4, 4], embed_dim=24, depth=3, num_heads=3, attn_dim=24,
                   mlp_hidden_dim=56, final_norm=False, fc_norm=True, layer_norm_eps=1e-5, num_classes=10),
        options={"heads": 3, "act": "gelu", "eps": 1e-5}, pth=True,
        source="tools/fixtures_handwritten_tutorials.py (UvA DL Course tutorial 15, as its author wrote it)",
        libraries=TORCH_LIBS, constructor="tools/fixtures_handwritten_tutorials.py uva_small()",
        norm_order="numeric suffix: layer_norm_1 (pre-attention), layer_norm_2 (pre-MLP)",
        notes=["not a seed: a public tutorial ViTKit was never fitted to",
               "input_layer = Linear(C*p*p, D) on img_to_patch's (C, p, p) flattening -> patch_order cpp",
               "transformer = nn.Sequential of AttentionBlock: layer_norm_1, attn (nn.MultiheadAttention, "
               "sequence-first), layer_norm_2, linear = Sequential(Linear, GELU, Dropout, Linear, Dropout)",
               "mlp_head = Sequential(LayerNorm, Linear) on token 0: the LayerNorm is the head's (fc_norm on the "
               "class token; the same as a final norm for class-token pooling)"])


def main(argv: list[str]) -> None:
    groups = {"seed004": seed004_cases, "seed000": seed000_cases, "variants": variant_cases,
              "vitb16": vit_b16_tensors, "tutorials": tutorial_cases}
    for g in argv or list(groups):
        groups[g]()
    m = write_manifest()
    print(f"fixtures/handwritten: {len(m['cases'])} cases, {m['total_bytes']:,} bytes (manifest.json)")


if __name__ == "__main__":
    main(sys.argv[1:])
