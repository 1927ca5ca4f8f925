"""Print the name tables of every convention as the committed fixtures show them (a draft for docs/conventions.md).

    python3 tools/fixtures_conventions_docs.py > docs/conventions.md

Reads fixtures/conventions/*/case.json only (no libraries needed). Block tensors are shown once, with the block
index written as {i}.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "fixtures" / "conventions"

ORDER = ["timm_plain", "timm_deit_distilled", "timm_registers", "timm_avg_fc_norm", "timm_no_class_token", "timm_f16",
         "timm_bf16", "torchvision", "hf_vit_classification", "hf_vit_model", "vit_pytorch_cls", "vit_pytorch_mean",
         "handwritten_mha", "handwritten_einops", "keras_legacy_h5", "keras3_weights_h5"]

def templated(name: str, canonical: str | None) -> tuple[str, str | None, int | None]:
    """Replace the block index by {i}; return the block number (None outside blocks)."""
    m = re.search(r"blocks\.(\d+)\.", canonical or "")
    if not m:
        return name, canonical, None
    i = int(m.group(1))
    can = canonical.replace(f"blocks.{i}.", "blocks.{i}.")
    if name.startswith("layers/transformer_block"):  # Keras 3: transformer_block, transformer_block_1, ...
        src = re.sub(r"^layers/transformer_block(_\d+)?/", "layers/transformer_block{_i}/", name)
    else:
        src = re.sub(rf"(encoder_layer_|encoder\.layer\.|layers\.|blocks\.|encoderblock_){i}(?=[./])",
                     r"\g<1>{i}", name)
    return src, can, i


def table(case: dict) -> str:
    rows = ["| source tensor | shape | dtype | canonical (timm) | transform |", "|---|---|---|---|---|"]
    seen = set()
    for t in case["tensors"]:
        src, can, i = templated(t["name"], t.get("canonical"))
        if i is not None and i > 0:
            continue
        if (src, can) in seen:
            continue
        seen.add((src, can))
        shape = "(" + ", ".join(map(str, t["shape"])) + ("," if len(t["shape"]) == 1 else "") + ")"
        rows.append(f"| `{src}` | {shape} | {t['dtype']} | {('`' + can + '`') if can else '—'} | {t['transform']} |")
    return "\n".join(rows)


def main() -> None:
    cases = {d.name: json.loads((d / "case.json").read_text()) for d in OUT.iterdir() if (d / "case.json").exists()}
    names = [n for n in ORDER if n in cases] + sorted(n for n in cases if n not in ORDER)
    print("# Checkpoint naming conventions\n")
    print("How every source convention ViTKit reads maps onto the canonical timm names. The tables are what the "
          "committed fixtures in `fixtures/conventions/` hold (made by `tools/fixtures_conventions.py` with the real "
          "libraries; regenerate this draft with `python3 tools/fixtures_conventions_docs.py`). Each case's `case.json` "
          "also lists the expected `ViTConfig`, the facts needed to run it, and the verification (reload from disk "
          "bit-identical, mapped tensors through timm and a plain canonical forward).\n")
    print("Block tensors are listed once, with the block index written `{i}` (Keras 3: `transformer_block`, "
          "`transformer_block_1`, … written `transformer_block{_i}`). Shapes are the fixtures' (D = embed dim, "
          "H = heads, hd = head dim, M = MLP width, K = classes).\n")
    print("## Transforms\n")
    transforms = {}
    for c in cases.values():
        transforms.update(c["transforms"])
    print("| transform | meaning |\n|---|---|")
    for k in sorted(transforms):
        print(f"| {k} | {transforms[k]} |")
    print()
    print("## Summary\n")
    print("| case | convention | D | H | hd | attn | M | eps | pool | heads in metadata | file |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for n in names:
        c = cases[n]
        f = c["facts"]
        print(f"| {n} | {c['convention']} | {f['embed_dim']} | {f['num_heads']} | {f['head_dim']} | {f['attn_dim']} | "
              f"{f['mlp_hidden_dim']} | {f['layer_norm_eps']:g} | {f['pooling']} | "
              f"{'yes: ' + f['heads_how'] if f['heads_recoverable_from_metadata'] else 'no'} | "
              f"{', '.join(c['checkpoint']['files'])} |")
    print()
    for n in names:
        c = cases[n]
        print(f"## {n} ({c['convention']})\n")
        print(f"Made by: `{c['constructor']}`; saved with `{c['checkpoint']['saved_with']}`.\n")
        for note in c["notes"]:
            print(f"* {note}")
        print()
        print(table(c))
        print()


if __name__ == "__main__":
    main()
