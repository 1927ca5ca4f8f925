"""Hand-written ViTs in the two layouts most tutorials use (cases `handwritten_mha` and `handwritten_einops`).

Plain PyTorch, written the way a user would write them; the names they produce are the convention.
"""
from __future__ import annotations

import torch
from einops import rearrange
from einops.layers.torch import Rearrange
from torch import nn


class PatchEmbedding(nn.Module):
    """Conv patcher + class token + learned position embedding (the common `nn.MultiheadAttention` tutorial).

    Names: `embedding.patcher.weight/.bias` (Conv2d, OIHW), `embedding.class_token` (1,1,D),
    `embedding.position_embedding` (1,G+1,D).
    """

    def __init__(self, in_channels: int, patch_size: int, embed_dim: int, num_patches: int):
        super().__init__()
        self.patcher = nn.Conv2d(in_channels, embed_dim, kernel_size=patch_size, stride=patch_size)
        self.flatten = nn.Flatten(start_dim=2, end_dim=3)
        self.class_token = nn.Parameter(torch.randn(1, 1, embed_dim))
        self.position_embedding = nn.Parameter(torch.randn(1, num_patches + 1, embed_dim))

    def forward(self, x):
        x = self.flatten(self.patcher(x)).permute(0, 2, 1)          # (B, G, D), row-major grid
        cls = self.class_token.expand(x.shape[0], -1, -1)
        return torch.cat((cls, x), dim=1) + self.position_embedding


class TutorialViT(nn.Module):
    """ViT on `nn.TransformerEncoderLayer(norm_first=True)`: no final norm on the tokens; the head is
    `LayerNorm(D) -> Linear(D, D) -> GELU -> Linear(D, K)` on the class token (LayerNorm eps = PyTorch default 1e-5,
    while the encoder layers use 1e-6).
    """

    def __init__(self, image_size=32, in_channels=3, patch_size=8, embed_dim=32, depth=2, num_heads=2,
                 mlp_dim=64, num_classes=10):
        super().__init__()
        num_patches = (image_size // patch_size) ** 2
        self.embedding = PatchEmbedding(in_channels, patch_size, embed_dim, num_patches)
        layer = nn.TransformerEncoderLayer(d_model=embed_dim, nhead=num_heads, dim_feedforward=mlp_dim,
                                           dropout=0.0, activation="gelu", batch_first=True, norm_first=True,
                                           layer_norm_eps=1e-6)
        self.encoder = nn.TransformerEncoder(layer, num_layers=depth, enable_nested_tensor=False)
        self.mlp_head = nn.Sequential(nn.LayerNorm(embed_dim), nn.Linear(embed_dim, embed_dim), nn.GELU(),
                                      nn.Linear(embed_dim, num_classes))

    def forward(self, x):
        x = self.encoder(self.embedding(x))
        return self.mlp_head(x[:, 0])


class EinopsAttention(nn.Module):
    """Pre-norm attention owning its LayerNorm; fused `to_qkv` WITHOUT bias, `to_out` with bias."""

    def __init__(self, dim, heads, dim_head):
        super().__init__()
        inner = heads * dim_head
        self.heads = heads
        self.scale = dim_head ** -0.5
        self.norm = nn.LayerNorm(dim)
        self.to_qkv = nn.Linear(dim, inner * 3, bias=False)
        self.to_out = nn.Linear(inner, dim)

    def forward(self, x):
        x = self.norm(x)
        q, k, v = self.to_qkv(x).chunk(3, dim=-1)
        q, k, v = (rearrange(t, "b n (h d) -> b h n d", h=self.heads) for t in (q, k, v))
        attn = (q @ k.transpose(-1, -2) * self.scale).softmax(dim=-1)
        return self.to_out(rearrange(attn @ v, "b h n d -> b n (h d)"))


class EinopsFeedForward(nn.Module):
    """`net = Sequential(LayerNorm, Linear, GELU, Linear)`: parameters at `net.0`, `net.1`, `net.3`."""

    def __init__(self, dim, hidden):
        super().__init__()
        self.net = nn.Sequential(nn.LayerNorm(dim), nn.Linear(dim, hidden), nn.GELU(), nn.Linear(hidden, dim))

    def forward(self, x):
        return self.net(x)


class EinopsBlock(nn.Module):
    def __init__(self, dim, heads, dim_head, hidden):
        super().__init__()
        self.attn = EinopsAttention(dim, heads, dim_head)
        self.ff = EinopsFeedForward(dim, hidden)

    def forward(self, x):
        x = x + self.attn(x)
        return x + self.ff(x)


class EinopsViT(nn.Module):
    """einops-style ViT: `patch_embedding = Sequential(Rearrange('b c (h p1) (w p2) -> b (h w) (p1 p2 c)'),
    Linear(P*P*C, D))`, `cls_token` (1,1,D) and `pos_embedding` (1,G+1,D) as parameters, `blocks.{i}`, and
    `head = Sequential(LayerNorm(D), Linear(D, K))` on the class token. No norm over all tokens. eps 1e-5.
    """

    def __init__(self, image_size=(48, 32), patch_size=8, channels=3, dim=32, depth=2, heads=4, dim_head=8,
                 mlp_dim=64, num_classes=10):
        super().__init__()
        h, w = image_size
        num_patches = (h // patch_size) * (w // patch_size)
        self.patch_embedding = nn.Sequential(
            Rearrange("b c (h p1) (w p2) -> b (h w) (p1 p2 c)", p1=patch_size, p2=patch_size),
            nn.Linear(patch_size * patch_size * channels, dim))
        self.cls_token = nn.Parameter(torch.randn(1, 1, dim))
        self.pos_embedding = nn.Parameter(torch.randn(1, num_patches + 1, dim))
        self.blocks = nn.ModuleList([EinopsBlock(dim, heads, dim_head, mlp_dim) for _ in range(depth)])
        self.head = nn.Sequential(nn.LayerNorm(dim), nn.Linear(dim, num_classes))

    def forward(self, img):
        x = self.patch_embedding(img)
        x = torch.cat((self.cls_token.expand(x.shape[0], -1, -1), x), dim=1) + self.pos_embedding
        for block in self.blocks:
            x = block(x)
        return self.head(x[:, 0])
