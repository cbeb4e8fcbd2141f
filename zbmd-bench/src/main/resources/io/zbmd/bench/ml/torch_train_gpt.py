"""zbmd train --model gpt's run in PyTorch, for the 15-minute comparison of docs/language-model.md.

    python3 torch_train_gpt.py --steps N [--threads T] [--data DIR] [--seed S] [--minutes M]

The same model (torch_gpt.py beside this script: nanoGPT's layout, the reference shape: bytes,
context 128, 4 layers of 4 heads, width 128, tied head, no dropout), the same text and split
as zbmd's TextCorpus (the directory's files in name order, links and files with a NUL byte
skipped, the first 90 % of each file's bytes to training and the last 10 % to validation),
and the same recipe as `zbmd train --model gpt`: batches of 32 windows of 128 bytes at seeded
random starts, cross-entropy over every position, AdamW (lr 1e-3, betas 0.9 and 0.95, eps 1e-8,
weight decay 0.1 on every parameter), a linear warm-up of 100 steps then cosine decay to 0 over
the rest, gradients clipped to a global norm of 1. Initialised as GPT-2 (N(0, 0.02), the
residual projections N(0, 0.02 / sqrt(2 * layers)), biases 0), as zbmd's Gpt is; the weights
differ from zbmd's (another generator), the distribution does not.

--minutes M stops early once M minutes of training have passed (the schedule still runs over
N steps). At the end: the validation loss over the validation text cut into windows of 128
that do not overlap (each byte predicted once, as zbmd's), in nats and bits per byte. Prints
one JSON object: steps, training seconds, the last 50 steps' mean training loss, the validation
loss, and the torch version. torch.set_num_threads(T), one inter-op thread.
"""

import argparse
import json
import math
import os
import sys
import time

import torch
from torch.nn import functional as F

# Beside this script in the built benchmarks; in the source tree, among zbmd-ml's test resources.
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.append(os.path.join(HERE, *[".."] * 8, "zbmd-ml", "src", "test", "resources", "io", "zbmd", "ml", "nn"))
from torch_gpt import Gpt  # noqa: E402

CONTEXT = 128
BATCH = 32


def read_corpus(directory):
    train, validation = bytearray(), bytearray()
    for name in sorted(os.listdir(directory)):
        path = os.path.join(directory, name)
        if os.path.islink(path) or not os.path.isfile(path):
            continue
        with open(path, "rb") as f:
            data = f.read()
        if not data or b"\0" in data:
            continue
        cut = math.floor(len(data) * 0.9)
        train += data[:cut]
        validation += data[cut:]
    return torch.tensor(list(train), dtype=torch.long), torch.tensor(list(validation), dtype=torch.long)


def init_gpt2(model, layers):
    for name, p in model.named_parameters():
        if name.endswith(".bias"):
            torch.nn.init.zeros_(p)
        elif ".ln_" in name or name.startswith("transformer.ln_f"):
            torch.nn.init.ones_(p)
        elif name.endswith("c_proj.weight"):
            torch.nn.init.normal_(p, 0.0, 0.02 / math.sqrt(2 * layers))
        else:
            torch.nn.init.normal_(p, 0.0, 0.02)


def lr_at(step, total, warmup=100, base=1e-3):
    if step < warmup:
        return base * (step + 1) / warmup
    return base * (1 + math.cos(math.pi * (step - warmup) / max(1, total - warmup))) / 2


@torch.no_grad()
def validation_loss(model, text):
    model.eval()
    starts = range(0, len(text) - CONTEXT, CONTEXT)
    total, count = 0.0, 0
    batch = list(starts)
    for i in range(0, len(batch), 64):
        chunk = batch[i:i + 64]
        x = torch.stack([text[s:s + CONTEXT] for s in chunk])
        y = torch.stack([text[s + 1:s + CONTEXT + 1] for s in chunk])
        loss = F.cross_entropy(model(x).view(-1, 256), y.view(-1), reduction="sum")
        total += loss.item()
        count += y.numel()
    model.train()
    return total / count


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, required=True)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--data", default="/usr/share/games/fortunes")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--minutes", type=float, default=0)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
    torch.manual_seed(args.seed)
    train, validation = read_corpus(args.data)
    model = Gpt(4, 4, 128, CONTEXT)
    init_gpt2(model, 4)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, betas=(0.9, 0.95), eps=1e-8, weight_decay=0.1)
    generator = torch.Generator().manual_seed(args.seed)
    offsets = torch.arange(CONTEXT)
    losses = []
    started = time.perf_counter()
    step = 0
    for step in range(args.steps):
        if args.minutes and time.perf_counter() - started > 60 * args.minutes:
            break
        for group in optimizer.param_groups:
            group["lr"] = lr_at(step, args.steps)
        starts = torch.randint(0, len(train) - CONTEXT - 1, (BATCH, 1), generator=generator)
        x = train[starts + offsets]
        y = train[starts + offsets + 1]
        loss = F.cross_entropy(model(x).view(-1, 256), y.view(-1))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        losses.append(loss.item())
    else:
        step = args.steps
    seconds = time.perf_counter() - started
    nats = validation_loss(model, validation)
    print(json.dumps({"steps": step, "training_seconds": round(seconds, 1),
                      "training_loss_last_50": sum(losses[-50:]) / max(1, len(losses[-50:])),
                      "validation_loss": nats, "bits_per_byte": nats / math.log(2), "torch": torch.__version__}))


if __name__ == "__main__":
    main()
