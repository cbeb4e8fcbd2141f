"""PyTorch's side of GptTorchTest: the same GPT in plain torch (nanoGPT's layout and names).

Reads zbmd's initial weights (safetensors) and the batch from DIR, then writes to DIR/torch/
as raw little-endian float32: the logits, the loss, every parameter's gradient after one
backward pass, and every parameter after ten AdamW steps (PyTorch's AdamW, defaults but the
learning rate). Usage: torch_gpt.py DIR LAYERS HEADS WIDTH CONTEXT
"""
import json
import math
import os
import struct
import sys

import torch
from torch import nn
from torch.nn import functional as F


class Block(nn.Module):
    def __init__(self, width, heads):
        super().__init__()
        self.heads = heads
        self.ln_1 = nn.LayerNorm(width)
        self.attn = nn.Module()
        self.attn.c_attn = nn.Linear(width, 3 * width)
        self.attn.c_proj = nn.Linear(width, width)
        self.ln_2 = nn.LayerNorm(width)
        self.mlp = nn.Module()
        self.mlp.c_fc = nn.Linear(width, 4 * width)
        self.mlp.c_proj = nn.Linear(4 * width, width)

    def attention(self, x):
        b, t, c = x.shape
        q, k, v = self.attn.c_attn(x).split(c, dim=2)
        q, k, v = (z.view(b, t, self.heads, c // self.heads).transpose(1, 2) for z in (q, k, v))
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        return self.attn.c_proj(y.transpose(1, 2).contiguous().view(b, t, c))

    def forward(self, x):
        x = x + self.attention(self.ln_1(x))
        return x + self.mlp.c_proj(F.gelu(self.mlp.c_fc(self.ln_2(x))))


class Gpt(nn.Module):
    def __init__(self, layers, heads, width, context, vocabulary=256):
        super().__init__()
        self.transformer = nn.ModuleDict(dict(
            wte=nn.Embedding(vocabulary, width), wpe=nn.Embedding(context, width),
            h=nn.ModuleList([Block(width, heads) for _ in range(layers)]), ln_f=nn.LayerNorm(width)))
        self.lm_head = nn.Linear(width, vocabulary, bias=False)
        self.lm_head.weight = self.transformer.wte.weight  # tied, as zbmd's default

    def forward(self, idx):
        t = idx.shape[1]
        x = self.transformer.wte(idx) + self.transformer.wpe(torch.arange(t))
        for block in self.transformer.h:
            x = block(x)
        return self.lm_head(self.transformer.ln_f(x))


def load(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        body = f.read()
    state = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        begin, end = entry["data_offsets"]
        assert entry["dtype"] == "F32", entry
        state[name] = torch.frombuffer(bytearray(body[begin:end]), dtype=torch.float32).reshape(entry["shape"]).clone()
    return state


def write(directory, name, tensor):
    with open(os.path.join(directory, name + ".bin"), "wb") as f:
        f.write(tensor.detach().contiguous().to(torch.float32).numpy().astype("<f4").tobytes())


def main():
    directory, layers, heads, width, context = sys.argv[1], *map(int, sys.argv[2:6])
    torch.set_num_threads(1)
    model = Gpt(layers, heads, width, context)
    missing, unexpected = model.load_state_dict(load(os.path.join(directory, "init.safetensors")), strict=False)
    assert missing == ["lm_head.weight"] and not unexpected, (missing, unexpected)  # lm_head is wte
    with open(os.path.join(directory, "batch.json")) as f:
        batch = json.load(f)
    shape = batch["shape"]
    inputs = torch.tensor(batch["inputs"]).view(shape)
    targets = torch.tensor(batch["targets"]).view(-1)
    out = os.path.join(directory, "torch")
    os.makedirs(out, exist_ok=True)

    logits = model(inputs)
    loss = F.cross_entropy(logits.view(-1, logits.shape[-1]), targets)
    loss.backward()
    write(out, "logits", logits)
    write(out, "loss", loss.reshape(1))
    for name, p in model.named_parameters():
        write(out, "grad." + name, p.grad)

    optimizer = torch.optim.AdamW(model.parameters(), lr=batch["lr"])
    for _ in range(10):
        optimizer.zero_grad()
        loss = F.cross_entropy(model(inputs).view(-1, 256), targets)
        loss.backward()
        optimizer.step()
    for name, p in model.named_parameters():
        write(out, "after." + name, p)
    print("ok", math.isfinite(loss.item()))


if __name__ == "__main__":
    main()
