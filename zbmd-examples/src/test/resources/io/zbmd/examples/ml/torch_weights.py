"""PyTorch's side of PyTorchWeightsTest: zbmd's Fashion-MNIST models built in PyTorch, their
state_dicts written as safetensors files (the format of safetensors.torch.save_file, written here
with the standard library because the safetensors package is not installed), and files zbmd
wrote read back into the same modules with load_state_dict(strict=True).

  make DATA OUT   trains the MLP briefly, writes mlp-f32, mlp-f16, mlp-bf16 and cnn-f32
                  .safetensors files in OUT, prints {"mlp": accuracy, "cnn": accuracy} on the
                  first 1000 test images
  check DATA MODEL FILE   loads FILE into MODEL, prints its accuracy on those images
"""
import gzip
import json
import struct
import sys

import numpy as np
import torch
from torch import nn

MEAN, STD = 0.2860406, 0.3530242
DTYPES = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.int64: "I64"}
TORCH_DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16, "I64": torch.int64}


def model(name):
    if name == "mlp":
        return nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(),
                             nn.Linear(128, 10))
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Dropout(0.25), nn.Linear(64 * 7 * 7, 10))


def idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def images(data, split, count):
    x = idx(f"{data}/{split}-images-idx3-ubyte.gz")[:count].astype(np.float32) / np.float32(255)
    y = idx(f"{data}/{split}-labels-idx1-ubyte.gz")[:count].astype(np.int64)
    x = (x - np.float32(MEAN)) / np.float32(STD)
    return torch.from_numpy(x).reshape(-1, 1, 28, 28), torch.from_numpy(y)


def accuracy(net, data):
    x, y = images(data, "t10k", 1000)
    net.eval()
    with torch.no_grad():
        return (net(x).argmax(1) == y).float().mean().item()


def save(state, path, dtype):
    """safetensors.torch.save_file's layout: u64 header length, JSON header padded with spaces, raw bytes."""
    header, blobs, offset = {}, [], 0
    for name, tensor in state.items():
        t = tensor.detach().contiguous()
        if t.is_floating_point():
            t = t.to(dtype)
        blob = t.view(torch.uint8).numpy().tobytes() if t.dtype == torch.bfloat16 else t.numpy().tobytes()
        header[name] = {"dtype": DTYPES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    header["__metadata__"] = {"format": "pt"}
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


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
        dtype = TORCH_DTYPES[entry["dtype"]]
        raw = torch.frombuffer(bytearray(body[begin:end]), dtype=torch.uint8)
        state[name] = raw.view(dtype).reshape(entry["shape"]).clone()
    return state


def main():
    torch.manual_seed(0)
    torch.set_num_threads(1)
    if sys.argv[1] == "make":
        data, out = sys.argv[2], sys.argv[3]
        mlp = model("mlp")
        x, y = images(data, "train", 4000)
        optimizer = torch.optim.Adam(mlp.parameters(), lr=1e-3)
        mlp.train()
        for epoch in range(2):
            for start in range(0, len(x), 64):
                optimizer.zero_grad()
                nn.functional.cross_entropy(mlp(x[start:start + 64]), y[start:start + 64]).backward()
                optimizer.step()
        cnn = model("cnn")
        for suffix, dtype in (("f32", torch.float32), ("f16", torch.float16), ("bf16", torch.bfloat16)):
            save(mlp.state_dict(), f"{out}/mlp-{suffix}.safetensors", dtype)
        save(cnn.state_dict(), f"{out}/cnn-f32.safetensors", torch.float32)
        print(json.dumps({"mlp": accuracy(mlp, data), "cnn": accuracy(cnn, data),
                          "mlp_f16": accuracy(model_from(f"{out}/mlp-f16.safetensors", "mlp"), data)}))
    else:
        data, name, path = sys.argv[2], sys.argv[3], sys.argv[4]
        print(json.dumps({"accuracy": accuracy(model_from(path, name), data)}))


def model_from(path, name):
    net = model(name)
    state = {k: v.float() if v.is_floating_point() else v for k, v in load(path).items()}
    if name == "cnn":
        for key, value in net.state_dict().items():
            if key.endswith("num_batches_tracked") and key not in state:
                state[key] = value  # zbmd keeps no step counter; PyTorch's strict load wants one
    net.load_state_dict(state, strict=True)
    return net


if __name__ == "__main__":
    main()
