"""Seed 000's einops ViT (../shared/seeds/000_ecc97a82deb377f7.txt), as written.

The tutorial prints `pre_proces` twice and `Multihead_self_attention` three times; the copies differ only in their
comments, so each class appears once here with the tutorial's names, module order and defaults. Its `ViT` builds
`self.transformer = Transformer(dim=dim, heads=heads, head_dim=head_dim, mlp_dim=mlp_dim, depth=depth)`, but the
tutorial never shows a `Transformer` class (only `Transformer_block` and the remark that a `depth` argument was
added). A user holding checkpoints of it therefore has one of two versions:

- `ViT` with `Transformer`: reconstructed the way the tutorial's reference [1] (lucidrains/vit-pytorch) writes it,
  `self.layers = nn.ModuleList([])` filled with `depth` blocks, no final norm (the tutorial's `MLP_head` has its own
  LayerNorm) -> tensor names `transformer.layers.{i}.MHA.to_qkv...`. An `nn.Sequential` named `layers` gives the same
  names.
- `ViTBlock`: the same `ViT` with `self.transformer = Transformer_block(...)`, i.e. the classes the tutorial does
  show, one block -> tensor names `transformer.MHA.to_qkv...` with no block index (public copies of this tutorial do
  exactly this).

The model's own output is `softmax(MLP_head(CLS_token))`: probabilities, not logits.
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F
from einops import rearrange, repeat
from einops.layers.torch import Rearrange  # noqa: F401  (imported by the tutorial)


class pre_proces(nn.Module):
    def __init__(self, image_size, patch_size, patch_dim, dim):
        super().__init__()
        self.patch_size = patch_size
        self.dim = dim
        self.patch_num = (image_size//patch_size)**2
        self.linear_embedding = nn.Linear(patch_dim, dim)
        self.position_embedding = nn.Parameter(torch.randn(1, self.patch_num+1, self.dim))
        self.CLS_token = nn.Parameter(torch.randn(1, 1, self.dim))

    def forward(self, x):
        x = rearrange(x, 'b c (h p1) (w p2) -> b (h w) (p1 p2 c)', p1=self.patch_size, p2=self.patch_size)
        x = self.linear_embedding(x)
        b, l, c = x.shape
        CLS_token = repeat(self.CLS_token, '1 1 d -> b 1 d', b=b)
        x = torch.concat((CLS_token, x), dim=1)
        x = x+self.position_embedding
        return x


class Multihead_self_attention(nn.Module):
    def __init__(self, heads, head_dim, dim):
        super().__init__()
        self.head_dim = head_dim
        self.heads = heads
        self.inner_dim = self.heads*self.head_dim
        self.scale = self.head_dim**-0.5
        self.to_qkv = nn.Linear(dim, self.inner_dim*3)
        self.to_output = nn.Linear(self.inner_dim, dim)
        self.norm = nn.LayerNorm(dim)
        self.softmax = nn.Softmax(dim=-1)

    def forward(self, x):
        x = self.norm(x)
        qkv = self.to_qkv(x).chunk(3, dim=-1)
        Q, K, V = map(lambda t: rearrange(t, 'b l (h dim) -> b h l dim', dim=self.head_dim), qkv)
        K_T = K.transpose(-1, -2)
        att_score = Q@K_T*self.scale
        att = self.softmax(att_score)
        out = att@V
        out = rearrange(out, 'b h l dim -> b l (h dim)')
        output = self.to_output(out)
        return output


class FeedForward(nn.Module):
    def __init__(self, dim, mlp_dim):
        super().__init__()
        self.fc1 = nn.Linear(dim, mlp_dim)
        self.fc2 = nn.Linear(mlp_dim, dim)
        self.norm = nn.LayerNorm(dim)

    def forward(self, x):
        x = self.norm(x)
        x = F.gelu(self.fc1(x))
        x = self.fc2(x)
        return x


class Transformer_block(nn.Module):
    def __init__(self, dim, heads, head_dim, mlp_dim):
        super().__init__()
        self.MHA = Multihead_self_attention(heads=heads, head_dim=head_dim, dim=dim)
        self.FeedForward = FeedForward(dim=dim, mlp_dim=mlp_dim)

    def forward(self, x):
        x = self.MHA(x)+x
        x = self.FeedForward(x)+x
        return x


class Transformer(nn.Module):
    """Not in the tutorial (see the module docstring): `depth` blocks in `self.layers`, as vit-pytorch writes it."""

    def __init__(self, dim, heads, head_dim, mlp_dim, depth):
        super().__init__()
        self.layers = nn.ModuleList([])
        for _ in range(depth):
            self.layers.append(Transformer_block(dim=dim, heads=heads, head_dim=head_dim, mlp_dim=mlp_dim))

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x


class ViT(nn.Module):
    def __init__(self, image_size, channels, patch_size, dim, heads, head_dim, mlp_dim, depth, num_class):
        super().__init__()
        self.to_patch_embedding = pre_proces(image_size=image_size, patch_size=patch_size, patch_dim=channels*patch_size**2, dim=dim)
        self.transformer = Transformer(dim=dim, heads=heads, head_dim=head_dim, mlp_dim=mlp_dim, depth=depth)
        self.MLP_head = nn.Sequential(
            nn.LayerNorm(dim),
            nn.Linear(dim, num_class)
        )
        self.softmax = nn.Softmax(dim=-1)

    def forward(self, x):
        token = self.to_patch_embedding(x)
        output = self.transformer(token)
        CLS_token = output[:, 0, :]
        out = self.softmax(self.MLP_head(CLS_token))
        return out


class ViTBlock(nn.Module):
    """`ViT` with `self.transformer = Transformer_block(...)`: the version built from the classes the tutorial shows."""

    def __init__(self, image_size, channels, patch_size, dim, heads, head_dim, mlp_dim, num_class):
        super().__init__()
        self.to_patch_embedding = pre_proces(image_size=image_size, patch_size=patch_size, patch_dim=channels*patch_size**2, dim=dim)
        self.transformer = Transformer_block(dim=dim, heads=heads, head_dim=head_dim, mlp_dim=mlp_dim)
        self.MLP_head = nn.Sequential(
            nn.LayerNorm(dim),
            nn.Linear(dim, num_class)
        )
        self.softmax = nn.Softmax(dim=-1)

    def forward(self, x):
        token = self.to_patch_embedding(x)
        output = self.transformer(token)
        CLS_token = output[:, 0, :]
        out = self.softmax(self.MLP_head(CLS_token))
        return out


def logits(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """MLP_head(CLS_token): the model's forward up to, not including, its final softmax."""
    token = model.to_patch_embedding(x)
    output = model.transformer(token)
    return model.MLP_head(output[:, 0, :])
