"""PyTorch's side of GptStepBenchmark and GptGenerationBenchmark: the GPT as PyTorch's users run it.

Driven over stdin and stdout by TorchGpt:

    python3 torch_gpt_bench.py DIR THREADS FUSED

DIR holds init.safetensors (zbmd's initial weights, nanoGPT's names) and batch.json (the
model's shape: layers, heads, width, context; the training batch: shape [B, T], inputs and
targets as token ids). The model is torch_gpt.py's (the one GptTorchTest checks step for step
against zbmd), copied beside this script. THREADS goes to torch.set_num_threads (one inter-op
thread). The model runs eager. FUSED is 1 for AdamW(fused=True), PyTorch's faster CPU
implementation, 0 for its default (foreach).

Commands, one per line:
  "step": one training step, AdamW (lr 1e-3, betas 0.9 and 0.95, weight decay 0.1, fused or
          not as FUSED says), zero_grad(set_to_none=True), cross-entropy
          over every position; answers the loss before the update;
  "generate N": greedy generation of N tokens after the one-token prompt 10 ("\\n"), with a
          key/value cache of [1, heads, context, head size] per layer written in place, under
          torch.inference_mode() (PyTorch's advice for inference), each
          step one position through F.scaled_dot_product_attention; answers the checksum
          sum((i + 1) * token_i). The first time, the tokens are checked against the whole
          sequence's forward pass (each the argmax of its position's logits) before the answer;
  "quit".
The first line out is "ready", the torch version and the thread count.
"""
import json
import os
import sys

import torch
from torch.nn import functional as F

from torch_gpt import Gpt, load


@torch.inference_mode()
def generate(model, count, heads, context):
    blocks = model.transformer.h
    width = model.transformer.wte.weight.shape[1]
    size = width // heads
    keys = [torch.zeros(1, heads, context, size) for _ in blocks]
    values = [torch.zeros(1, heads, context, size) for _ in blocks]
    token = torch.tensor([[10]])
    made = []
    for position in range(count):
        x = model.transformer.wte(token) + model.transformer.wpe(torch.tensor([position]))
        for i, block in enumerate(blocks):
            h = block.ln_1(x)
            q, k, v = block.attn.c_attn(h).split(width, dim=2)
            q, k, v = (z.view(1, 1, heads, size).transpose(1, 2) for z in (q, k, v))
            keys[i][:, :, position:position + 1] = k
            values[i][:, :, position:position + 1] = v
            y = F.scaled_dot_product_attention(q, keys[i][:, :, :position + 1], values[i][:, :, :position + 1])
            x = x + block.attn.c_proj(y.transpose(1, 2).reshape(1, 1, width))
            x = x + block.mlp.c_proj(F.gelu(block.mlp.c_fc(block.ln_2(x))))
        logits = model.lm_head(model.transformer.ln_f(x))
        token = logits[:, -1].argmax(dim=-1, keepdim=True)
        made.append(int(token))
    return made


@torch.no_grad()
def check(model, made):
    """Each cached step's token is the argmax of the whole sequence's logits at its position."""
    whole = model(torch.tensor([[10] + made[:-1]]))[0].argmax(dim=-1).tolist()
    if whole != made:
        first = next(i for i, (a, b) in enumerate(zip(whole, made)) if a != b)
        raise RuntimeError("the cached generation differs from the whole sequence's at position %d" % first)


def main():
    directory, threads, fused = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "1"
    torch.set_num_threads(threads)
    torch.set_num_interop_threads(1)
    with open(os.path.join(directory, "batch.json")) as f:
        batch = json.load(f)
    model = Gpt(batch["layers"], batch["heads"], batch["width"], batch["context"])
    missing, unexpected = model.load_state_dict(load(os.path.join(directory, "init.safetensors")), strict=False)
    if missing != ["lm_head.weight"] or unexpected:  # lm_head is wte
        print("error weights do not fit: missing %s, unexpected %s" % (missing, unexpected), flush=True)
        return
    inputs = torch.tensor(batch["inputs"]).view(batch["shape"])
    targets = torch.tensor(batch["targets"]).view(-1)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, betas=(0.9, 0.95), weight_decay=0.1,
                                  fused=fused)
    print("ready", torch.__version__, torch.get_num_threads(), flush=True)
    checked = False
    for line in sys.stdin:
        command = line.split()
        try:
            if command[0] == "step":
                model.train()
                optimizer.zero_grad(set_to_none=True)
                loss = F.cross_entropy(model(inputs).view(-1, 256), targets)
                loss.backward()
                optimizer.step()
                print(loss.item(), flush=True)
            elif command[0] == "generate":
                model.eval()
                made = generate(model, int(command[1]), batch["heads"], batch["context"])
                if not checked:
                    check(model, made)
                    checked = True
                print(sum((i + 1) * token for i, token in enumerate(made)), flush=True)
            elif command[0] == "quit":
                return
            else:
                print("error unknown command " + command[0], flush=True)
        except Exception as e:  # the Java side reads one line per command
            print("error %s: %s" % (type(e).__name__, e), flush=True)


if __name__ == "__main__":
    main()
