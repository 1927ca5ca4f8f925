"""ViTs from public tutorials that are not among ViTKit's seeds, copied as their authors wrote them (module names,
order, defaults), for fixtures/handwritten: ViTKit has never been fitted to them.

- UvA Deep Learning Course, Tutorial 15 "Vision Transformers" (Phillip Lippe, PyTorch Lightning;
  https://uvadlc-notebooks.readthedocs.io/en/latest/tutorial_notebooks/tutorial15/Vision_Transformer.html):
  `img_to_patch`, `AttentionBlock` (layer_norm_1, nn.MultiheadAttention seq-first, layer_norm_2, linear =
  Sequential(Linear, GELU, Dropout, Linear, Dropout)), `VisionTransformer` (input_layer Linear on (C, p, p)
  patches, transformer = Sequential of blocks, mlp_head = Sequential(LayerNorm, Linear), cls_token,
  pos_embedding). The Lightning wrapper (`ViT(pl.LightningModule)`) adds the prefix `model.`; this is the bare
  module's state dict.
"""
import torch
import torch.nn as nn


def img_to_patch(x, patch_size, flatten_channels=True):
    B, C, H, W = x.shape
    x = x.reshape(B, C, H // patch_size, patch_size, W // patch_size, patch_size)
    x = x.permute(0, 2, 4, 1, 3, 5)  # [B, H', W', C, p_H, p_W]
    x = x.flatten(1, 2)  # [B, H'*W', C, p_H, p_W]
    if flatten_channels:
        x = x.flatten(2, 4)  # [B, H'*W', C*p_H*p_W]
    return x


class AttentionBlock(nn.Module):
    def __init__(self, embed_dim, hidden_dim, num_heads, dropout=0.0):
        super().__init__()
        self.layer_norm_1 = nn.LayerNorm(embed_dim)
        self.attn = nn.MultiheadAttention(embed_dim, num_heads, dropout=dropout)
        self.layer_norm_2 = nn.LayerNorm(embed_dim)
        self.linear = nn.Sequential(
            nn.Linear(embed_dim, hidden_dim),
            nn.GELU(),
            nn.Dropout(dropout),
            nn.Linear(hidden_dim, embed_dim),
            nn.Dropout(dropout),
        )

    def forward(self, x):
        inp_x = self.layer_norm_1(x)
        x = x + self.attn(inp_x, inp_x, inp_x)[0]
        x = x + self.linear(self.layer_norm_2(x))
        return x


class VisionTransformer(nn.Module):
    def __init__(self, embed_dim, hidden_dim, num_channels, num_heads, num_layers, num_classes, patch_size,
                 num_patches, dropout=0.0):
        super().__init__()
        self.patch_size = patch_size
        self.input_layer = nn.Linear(num_channels * (patch_size**2), embed_dim)
        self.transformer = nn.Sequential(
            *(AttentionBlock(embed_dim, hidden_dim, num_heads, dropout=dropout) for _ in range(num_layers))
        )
        self.mlp_head = nn.Sequential(nn.LayerNorm(embed_dim), nn.Linear(embed_dim, num_classes))
        self.dropout = nn.Dropout(dropout)
        self.cls_token = nn.Parameter(torch.randn(1, 1, embed_dim))
        self.pos_embedding = nn.Parameter(torch.randn(1, 1 + num_patches, embed_dim))

    def forward(self, x):
        x = img_to_patch(x, self.patch_size)
        B, T, _ = x.shape
        x = self.input_layer(x)
        cls_token = self.cls_token.repeat(B, 1, 1)
        x = torch.cat([cls_token, x], dim=1)
        x = x + self.pos_embedding[:, : T + 1]
        x = self.dropout(x)
        x = x.transpose(0, 1)
        x = self.transformer(x)
        cls = x[0]
        out = self.mlp_head(cls)
        return out


def uva_small():
    """The tutorial's CIFAR-10 model (embed 256, hidden 512, heads 8, layers 6, patch 4, 64 patches) made small."""
    return VisionTransformer(embed_dim=24, hidden_dim=56, num_channels=3, num_heads=3, num_layers=3,
                             num_classes=10, patch_size=4, num_patches=64)
