"""Seed 004's ViT (../shared/seeds/004_011f347abcd8bb59.txt, code blocks 2, 4, 5, 7, 9, 10, 12, 13, 15, 17), as written.

The tutorial's classes read module-level constants when they are built; `configure()` sets them (the tutorial's
own values are DEFAULTS: ViT-B/16, 224 px, 10 classes, BATCH_SIZE 1). Class names, attribute names, module order
and defaults are the tutorial's. The only change: the `print(...)` shape traces in every forward are left out
(the tutorial itself says to comment them out, after code block 18). `nn.Flatten`, `nn.Unfold`, `nn.Dropout`
and `nn.GELU` hold no weights.

Two properties of the code as written matter to a reader of its checkpoints:
- `PosEmbedding.class_token` is (BATCH_SIZE, 1, EMBED_DIM) = (1, 1, D) and is concatenated WITHOUT expanding to the
  batch, so the model only runs on batch 1; `pos_embedding` is (BATCH_SIZE, NUM_PATCHES + 1, D) = (1, T, D).
- `PatcherUnfold` flattens each patch as nn.Unfold does: (C, p, p) order, the same as Conv2d's kernel.
"""
from __future__ import annotations

import torch
import torch.nn as nn

DEFAULTS = dict(BATCH_SIZE=1, IMAGE_SIZE=224, IN_CHANNELS=3, PATCH_SIZE=16, NUM_HEADS=12, NUM_ENCODERS=12,
                EMBED_DIM=768, MLP_SIZE=768 * 4, DROPOUT_RATE=0.1, NUM_CLASSES=10)

# code block 2 (set by configure())
BATCH_SIZE = IMAGE_SIZE = IN_CHANNELS = PATCH_SIZE = NUM_HEADS = NUM_ENCODERS = EMBED_DIM = MLP_SIZE = 0
NUM_PATCHES = NUM_CLASSES = 0
DROPOUT_RATE = 0.0


def configure(**values) -> dict:
    """Set the tutorial's global constants (code block 2); MLP_SIZE defaults to EMBED_DIM * 4 as written there."""
    unknown = set(values) - set(DEFAULTS)
    if unknown:
        raise KeyError(f"not constants of seed 004: {sorted(unknown)}")
    g = dict(DEFAULTS)
    g.update(values)
    if "MLP_SIZE" not in values:
        g["MLP_SIZE"] = g["EMBED_DIM"] * 4
    g["NUM_PATCHES"] = (g["IMAGE_SIZE"] // g["PATCH_SIZE"]) ** 2
    globals().update(g)
    return g


configure()


# code blocks 4, 5
class PatcherUnfold(nn.Module):
    def __init__(self):
        super().__init__()
        self.unfold = nn.Unfold(kernel_size=PATCH_SIZE, stride=PATCH_SIZE)
        self.linear_projection = nn.Linear(in_features=IN_CHANNELS * PATCH_SIZE * PATCH_SIZE,
                                           out_features=EMBED_DIM)

    def forward(self, x):
        x = self.unfold(x)
        x = x.permute(0, 2, 1)
        x = self.linear_projection(x)
        return x


# code block 7
class PatcherConv(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(in_channels=IN_CHANNELS,
                              out_channels=EMBED_DIM,
                              kernel_size=PATCH_SIZE,
                              stride=PATCH_SIZE)

        self.flatten = nn.Flatten(start_dim=2)

    def forward(self, x):
        x = self.conv(x)
        x = self.flatten(x)
        x = x.permute(0, 2, 1)
        return x


# code blocks 9, 10
class PosEmbedding(nn.Module):
    def __init__(self):
        super().__init__()
        self.class_token = nn.Parameter(torch.randn(size=(BATCH_SIZE, 1, EMBED_DIM)),
                                        requires_grad=True)
        self.pos_embedding = nn.Parameter(torch.randn(size=(BATCH_SIZE, NUM_PATCHES + 1, EMBED_DIM)),
                                          requires_grad=True)
        self.dropout = nn.Dropout(p=DROPOUT_RATE)

    def forward(self, x):
        class_token = self.class_token
        x = torch.cat([class_token, x], dim=1)
        x = self.pos_embedding + x
        x = self.dropout(x)
        return x


# code blocks 12, 13
class TransformerEncoder(nn.Module):
    def __init__(self):
        super().__init__()

        self.norm_0 = nn.LayerNorm(EMBED_DIM)

        self.multihead_attention = nn.MultiheadAttention(EMBED_DIM,
                                                         num_heads=NUM_HEADS,
                                                         batch_first=True,
                                                         dropout=DROPOUT_RATE)

        self.norm_1 = nn.LayerNorm(EMBED_DIM)

        self.mlp = nn.Sequential(
            nn.Linear(in_features=EMBED_DIM, out_features=MLP_SIZE),
            nn.GELU(),
            nn.Dropout(p=DROPOUT_RATE),
            nn.Linear(in_features=MLP_SIZE, out_features=EMBED_DIM),
            nn.Dropout(p=DROPOUT_RATE)
        )

    def forward(self, x):
        residual = x
        x = self.norm_0(x)
        x = self.multihead_attention(x, x, x)[0]
        x = x + residual
        residual = x
        x = self.norm_1(x)
        x = self.mlp(x)
        x = x + residual
        return x


# code block 15
class MLPHead(nn.Module):
    def __init__(self):
        super().__init__()

        self.norm = nn.LayerNorm(EMBED_DIM)
        self.linear_0 = nn.Linear(in_features=EMBED_DIM,
                                  out_features=EMBED_DIM)
        self.gelu = nn.GELU()
        self.linear_1 = nn.Linear(in_features=EMBED_DIM,
                                  out_features=NUM_CLASSES)

    def forward(self, x):
        x = self.norm(x)
        x = self.linear_0(x)
        x = self.gelu(x)
        x = self.linear_1(x)
        return x


# code block 17; `patcher` selects the line the tutorial leaves commented in or out
class ViT(nn.Module):
    def __init__(self, patcher: str = "conv"):
        super().__init__()

        if patcher == "unfold":
            self.patcher = PatcherUnfold()
        else:
            self.patcher = PatcherConv()
        self.pos_embedding = PosEmbedding()
        self.transformer_encoders = nn.Sequential(
            *[TransformerEncoder() for _ in range(NUM_ENCODERS)]
        )
        self.mlp_head = MLPHead()

    def forward(self, x):
        x = self.patcher(x)
        x = self.pos_embedding(x)
        x = self.transformer_encoders(x)
        x = x[:, 0]
        x = self.mlp_head(x)
        return x
