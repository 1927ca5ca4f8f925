"""Hand-written ViTs with module names that no ViTKit table lists (cases `var_*` and `amb_*` in fixtures/handwritten/).

Each model is what someone might write from a paper, with invented names, so that ViTKit has to place the tensors by
structure. What the weights cannot tell (heads, patch flattening order, activations, eps, where a norm sits) is
listed per case in case.json "options".

- Kestrel: ModuleList of blocks; separate q / k / v Linears (q_lin, k_lin, v_lin: same shape, so only the q / k / v
  in their names tells them apart; safetensors sorts them k, q, v) with heads * head_dim (24) != D (16); final norm.
- Heron: Sequential of blocks; each pre-norm nested in the module it feeds (attend.pre after the attention's
  Linears, ff.0 first in the MLP Sequential); one fused (3A, D) Linear without bias; hidden-layer MLP head
  (LayerNorm, Linear(D, 12), Tanh, Linear(12, K)).
- Owl: nn.TransformerEncoder(nn.TransformerEncoderLayer(norm_first=True, batch_first=True, activation='gelu'),
  norm=nn.LayerNorm) with its final norm; nn.Unfold + Linear patch embedding ((C, p, p) order); nn.Embedding (T, D)
  position embedding; grayscale (1 channel).
- Finch: ReLU MLP, every LayerNorm eps 1e-6, no class token, mean of the patch tokens then a LayerNorm; its block
  norms norm_mix (before attention) and norm_feed (before the MLP) sort the wrong way round by name, so only the
  registration order (kept by torch.save, lost by safetensors' sorted header) tells them apart.
- Wren: deliberately ambiguous: each block registers `ln_b` before `ln_a` (adjacent, nothing between them) but uses
  `ln_a` before attention and `ln_b` before the MLP; registration order and name order disagree.
- Magpie: deliberately ambiguous: MLP hidden width == D, so the attention output projection and the two MLP Linears
  are three (D, D) Linears named lin_x, lin_y, lin_z, used as fc1, fc2 and out-projection.
- Stork: non-square 24 x 40 input, patch 8 -> grid 3 x 5 = 15 patch tokens; nothing in the file records the grid;
  nn.MultiheadAttention with batch_first=False (sequence first).
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F


def _attend(q, k, v, heads):
    """(B, N, A) q, k, v -> (B, N, A): softmax(q k^T / sqrt(hd)) v per head."""
    b, n, a = q.shape
    hd = a // heads
    q, k, v = (t.reshape(b, n, heads, hd).transpose(1, 2) for t in (q, k, v))
    w = (q @ k.transpose(-1, -2)) * hd ** -0.5
    return (w.softmax(dim=-1) @ v).transpose(1, 2).reshape(b, n, a)


# ------------------------------------------------------------------------------------------------ (a) Kestrel

class PixelSlicer(nn.Module):
    def __init__(self, channels, width, patch):
        super().__init__()
        self.carve = nn.Conv2d(channels, width, kernel_size=patch, stride=patch)

    def forward(self, x):
        return self.carve(x).flatten(2).transpose(1, 2)


class TriLinearAttention(nn.Module):
    def __init__(self, width, heads, head_width):
        super().__init__()
        self.heads = heads
        inner = heads * head_width
        self.q_lin = nn.Linear(width, inner)
        self.k_lin = nn.Linear(width, inner)
        self.v_lin = nn.Linear(width, inner)
        self.blend = nn.Linear(inner, width)

    def forward(self, x):
        return self.blend(_attend(self.q_lin(x), self.k_lin(x), self.v_lin(x), self.heads))


class Stage(nn.Module):
    def __init__(self, width, heads, head_width, hidden):
        super().__init__()
        self.prenorm1 = nn.LayerNorm(width)
        self.mixer = TriLinearAttention(width, heads, head_width)
        self.prenorm2 = nn.LayerNorm(width)
        self.widen = nn.Linear(width, hidden)
        self.narrow = nn.Linear(hidden, width)

    def forward(self, x):
        x = x + self.mixer(self.prenorm1(x))
        return x + self.narrow(F.gelu(self.widen(self.prenorm2(x))))


class Kestrel(nn.Module):
    def __init__(self, image=32, patch=8, channels=3, width=16, heads=2, head_width=12, hidden=32, depth=3,
                 classes=5):
        super().__init__()
        tokens = (image // patch) ** 2
        self.slicer = PixelSlicer(channels, width, patch)
        self.summary = nn.Parameter(torch.zeros(1, 1, width))
        self.where = nn.Parameter(torch.zeros(1, tokens + 1, width))
        self.stages = nn.ModuleList([Stage(width, heads, head_width, hidden) for _ in range(depth)])
        self.final_ln = nn.LayerNorm(width)
        self.decide = nn.Linear(width, classes)

    def forward(self, x):
        t = self.slicer(x)
        t = torch.cat([self.summary.expand(t.shape[0], -1, -1), t], dim=1) + self.where
        for s in self.stages:
            t = s(t)
        return self.decide(self.final_ln(t)[:, 0])


# ------------------------------------------------------------------------------------------------ (b) Heron

class FusedMixer(nn.Module):
    def __init__(self, width, heads):
        super().__init__()
        self.heads = heads
        self.triple = nn.Linear(width, 3 * width, bias=False)
        self.squash = nn.Linear(width, width)
        self.pre = nn.LayerNorm(width)  # its own pre-norm, registered after the Linears it feeds

    def forward(self, x):
        q, k, v = self.triple(self.pre(x)).chunk(3, dim=-1)
        return self.squash(_attend(q, k, v, self.heads))


class Cell(nn.Module):
    def __init__(self, width, heads, hidden):
        super().__init__()
        self.attend = FusedMixer(width, heads)
        self.ff = nn.Sequential(nn.LayerNorm(width), nn.Linear(width, hidden), nn.GELU(), nn.Linear(hidden, width))

    def forward(self, x):
        x = x + self.attend(x)
        return x + self.ff(x)


class Heron(nn.Module):
    def __init__(self, image=32, patch=8, channels=3, width=16, heads=2, hidden=32, depth=2, head_hidden=12,
                 classes=7):
        super().__init__()
        tokens = (image // patch) ** 2
        self.lift = nn.Conv2d(channels, width, kernel_size=patch, stride=patch)
        self.start = nn.Parameter(torch.zeros(1, 1, width))
        self.grid_code = nn.Parameter(torch.zeros(1, tokens + 1, width))
        self.tower = nn.Sequential(*[Cell(width, heads, hidden) for _ in range(depth)])
        self.read_out = nn.Sequential(nn.LayerNorm(width), nn.Linear(width, head_hidden), nn.Tanh(),
                                      nn.Linear(head_hidden, classes))

    def forward(self, x):
        t = self.lift(x).flatten(2).transpose(1, 2)
        t = torch.cat([self.start.expand(t.shape[0], -1, -1), t], dim=1) + self.grid_code
        t = self.tower(t)
        return self.read_out(t[:, 0])


# ------------------------------------------------------------------------------------------------ (c) Owl

class Owl(nn.Module):
    def __init__(self, image=32, patch=8, channels=1, width=16, heads=2, hidden=32, depth=2, classes=3):
        super().__init__()
        self.tokens = (image // patch) ** 2 + 1
        self.cut = nn.Unfold(kernel_size=patch, stride=patch)
        self.flat_to_width = nn.Linear(channels * patch * patch, width)
        self.lead = nn.Parameter(torch.zeros(1, 1, width))
        self.place = nn.Embedding(self.tokens, width)
        layer = nn.TransformerEncoderLayer(width, heads, dim_feedforward=hidden, dropout=0.1, activation="gelu",
                                           batch_first=True, norm_first=True)
        self.body = nn.TransformerEncoder(layer, num_layers=depth, norm=nn.LayerNorm(width),
                                          enable_nested_tensor=False)
        self.verdict = nn.Linear(width, classes)

    def forward(self, x):
        t = self.flat_to_width(self.cut(x).transpose(1, 2))
        t = torch.cat([self.lead.expand(t.shape[0], -1, -1), t], dim=1)
        t = t + self.place(torch.arange(self.tokens, device=x.device))
        t = self.body(t)
        return self.verdict(t[:, 0])


# ------------------------------------------------------------------------------------------------ (d) Finch

class Twig(nn.Module):
    def __init__(self, width, heads, hidden, eps):
        super().__init__()
        self.heads = heads
        self.norm_mix = nn.LayerNorm(width, eps=eps)
        self.to_heads = nn.Linear(width, 3 * width)
        self.from_heads = nn.Linear(width, width)
        self.norm_feed = nn.LayerNorm(width, eps=eps)
        self.expand = nn.Linear(width, hidden)
        self.contract = nn.Linear(hidden, width)

    def forward(self, x):
        q, k, v = self.to_heads(self.norm_mix(x)).chunk(3, dim=-1)
        x = x + self.from_heads(_attend(q, k, v, self.heads))
        return x + self.contract(F.relu(self.expand(self.norm_feed(x))))


class Finch(nn.Module):
    def __init__(self, image=32, patch=8, channels=3, width=16, heads=2, hidden=40, depth=2, classes=6, eps=1e-6):
        super().__init__()
        tokens = (image // patch) ** 2
        self.patchify = nn.Conv2d(channels, width, kernel_size=patch, stride=patch)
        self.pos = nn.Parameter(torch.zeros(1, tokens, width))
        self.trunk = nn.ModuleList([Twig(width, heads, hidden, eps) for _ in range(depth)])
        self.closing_ln = nn.LayerNorm(width, eps=eps)
        self.logit_layer = nn.Linear(width, classes)

    def forward(self, x):
        t = self.patchify(x).flatten(2).transpose(1, 2) + self.pos
        for twig in self.trunk:
            t = twig(t)
        return self.logit_layer(self.closing_ln(t.mean(dim=1)))


# ------------------------------------------------------------------------------------------------ (e) Wren

class Knot(nn.Module):
    def __init__(self, width, heads, hidden):
        super().__init__()
        self.ln_b = nn.LayerNorm(width)  # registered first, used second (before the MLP)
        self.ln_a = nn.LayerNorm(width)  # registered second, used first (before attention)
        self.att = nn.MultiheadAttention(width, heads, batch_first=True)
        self.ffn = nn.Sequential(nn.Linear(width, hidden), nn.GELU(), nn.Linear(hidden, width))

    def forward(self, x):
        y = self.ln_a(x)
        x = x + self.att(y, y, y, need_weights=False)[0]
        return x + self.ffn(self.ln_b(x))


class Wren(nn.Module):
    def __init__(self, image=32, patch=8, channels=3, width=16, heads=2, hidden=32, depth=2, classes=4):
        super().__init__()
        tokens = (image // patch) ** 2
        self.stem = nn.Conv2d(channels, width, kernel_size=patch, stride=patch)
        self.tok = nn.Parameter(torch.zeros(1, 1, width))
        self.pe = nn.Parameter(torch.zeros(1, tokens + 1, width))
        self.seq = nn.ModuleList([Knot(width, heads, hidden) for _ in range(depth)])
        self.tail = nn.LayerNorm(width)
        self.cls_out = nn.Linear(width, classes)

    def forward(self, x):
        t = self.stem(x).flatten(2).transpose(1, 2)
        t = torch.cat([self.tok.expand(t.shape[0], -1, -1), t], dim=1) + self.pe
        for k in self.seq:
            t = k(t)
        return self.cls_out(self.tail(t[:, 0]))


# ------------------------------------------------------------------------------------------------ (f) Stork

class Ply(nn.Module):
    def __init__(self, width, heads, hidden):
        super().__init__()
        self.nrm_1 = nn.LayerNorm(width)
        self.talk = nn.MultiheadAttention(width, heads)  # sequence-first (L, B, D)
        self.nrm_2 = nn.LayerNorm(width)
        self.think = nn.Sequential(nn.Linear(width, hidden), nn.GELU(), nn.Dropout(0.0), nn.Linear(hidden, width))

    def forward(self, x):  # x (B, L, D)
        y = self.nrm_1(x).transpose(0, 1)
        x = x + self.talk(y, y, y, need_weights=False)[0].transpose(0, 1)
        return x + self.think(self.nrm_2(x))


class Stork(nn.Module):
    def __init__(self, height=24, width_px=40, patch=8, channels=3, width=16, heads=2, hidden=32, depth=2,
                 classes=5):
        super().__init__()
        tokens = (height // patch) * (width_px // patch)
        self.eye = nn.Conv2d(channels, width, kernel_size=patch, stride=patch)
        self.begin = nn.Parameter(torch.zeros(1, 1, width))
        self.spots = nn.Parameter(torch.zeros(1, tokens + 1, width))
        self.levels = nn.Sequential(*[Ply(width, heads, hidden) for _ in range(depth)])
        self.end_ln = nn.LayerNorm(width)
        self.answer = nn.Linear(width, classes)

    def forward(self, x):
        t = self.eye(x).flatten(2).transpose(1, 2)
        t = torch.cat([self.begin.expand(t.shape[0], -1, -1), t], dim=1) + self.spots
        t = self.levels(t)
        return self.answer(self.end_ln(t)[:, 0])


# ------------------------------------------------------------------------------------------------ (g) Magpie

class Perch(nn.Module):
    """MLP hidden width == D, so the attention output projection and both MLP Linears are all (D, D) + (D,); they are
    registered as lin_x, lin_y, lin_z and used as fc1 = lin_x, fc2 = lin_y, out-projection = lin_z."""

    def __init__(self, width, heads):
        super().__init__()
        self.heads = heads
        self.ln1 = nn.LayerNorm(width)
        self.ln2 = nn.LayerNorm(width)
        self.mix = nn.Linear(width, 3 * width)
        self.lin_x = nn.Linear(width, width)
        self.lin_y = nn.Linear(width, width)
        self.lin_z = nn.Linear(width, width)

    def forward(self, x):
        q, k, v = self.mix(self.ln1(x)).chunk(3, dim=-1)
        x = x + self.lin_z(_attend(q, k, v, self.heads))
        return x + self.lin_y(F.gelu(self.lin_x(self.ln2(x))))


class Magpie(nn.Module):
    def __init__(self, image=32, patch=8, channels=3, width=16, heads=2, depth=2, classes=4):
        super().__init__()
        tokens = (image // patch) ** 2
        self.snip = nn.Conv2d(channels, width, kernel_size=patch, stride=patch)
        self.first = nn.Parameter(torch.zeros(1, 1, width))
        self.posn = nn.Parameter(torch.zeros(1, tokens + 1, width))
        self.perches = nn.ModuleList([Perch(width, heads) for _ in range(depth)])
        self.last_ln = nn.LayerNorm(width)
        self.out = nn.Linear(width, classes)

    def forward(self, x):
        t = self.snip(x).flatten(2).transpose(1, 2)
        t = torch.cat([self.first.expand(t.shape[0], -1, -1), t], dim=1) + self.posn
        for p in self.perches:
            t = p(t)
        return self.out(self.last_ln(t)[:, 0])
