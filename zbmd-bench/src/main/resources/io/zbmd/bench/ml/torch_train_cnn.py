"""zbmd train cnn's training loop in PyTorch, end to end, for timing one against the other.

    python3 torch_train_cnn.py [--epochs N] [--threads T] [--data DIR] [--seed S] [--compile]

The same model (2 x (3x3 conv, batch norm, ReLU, 2x2 max pool), dropout 0.25, linear), the
same data path and recipe as `./zbmd train cnn`: Fashion-MNIST read from the gzipped IDX
files (Debian's dataset-fashion-mnist by default), pixels scaled to [0, 1] and standardised
with the training set's mean and standard deviation, shuffled batches of 64 each epoch,
cross-entropy with label smoothing 0.1, Adam at 2e-3 with a cosine decay to 0 over all steps
(stepped per batch), and the test accuracy once at the end. torch.set_num_threads(T) and one
inter-op thread, as zbmd's peers get. Loading happens in the timed region, as it does in
zbmd's elapsed time: reading and decoding the files, standardising, and the per-batch
shuffled gathers (a DataLoader over in-memory tensors, no worker processes).

Prints one JSON object: elapsed seconds (from before reading the data to after the test
accuracy), seconds per epoch, the test accuracy, the median step in milliseconds, and the
torch version. --compile wraps the model in torch.compile (where it works offline).
"""

import argparse
import gzip
import json
import math
import statistics
import struct
import time

import torch
from torch import nn

TRAIN_PIXEL_MEAN = 0.2860406
TRAIN_PIXEL_STD = 0.3530242


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic, count = struct.unpack_from(">ii", data, 0)
    dims = magic & 0xFF
    shape = struct.unpack_from(">" + "i" * dims, data, 4)
    offset = 4 + 4 * dims
    return torch.frombuffer(bytearray(data[offset:]), dtype=torch.uint8).reshape(shape)


def load(directory, split):
    images = read_idx("%s/%s-images-idx3-ubyte.gz" % (directory, split))
    labels = read_idx("%s/%s-labels-idx1-ubyte.gz" % (directory, split))
    x = (images.to(torch.float32) / 255.0 - TRAIN_PIXEL_MEAN) / TRAIN_PIXEL_STD
    return x.unsqueeze(1), labels.to(torch.int64)


def model():
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Dropout(0.25), nn.Linear(64 * 7 * 7, 10))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--compile", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
    torch.manual_seed(args.seed)

    started = time.perf_counter()
    train_x, train_y = load(args.data, "train")
    test_x, test_y = load(args.data, "t10k")
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(train_x, train_y), batch_size=64,
                                         shuffle=True, generator=torch.Generator().manual_seed(args.seed))
    net = model()
    step_fn = torch.compile(net) if args.compile else net
    optimizer = torch.optim.Adam(net.parameters(), lr=2e-3)
    total = args.epochs * len(loader)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=total, eta_min=0.0)
    steps = []
    for _ in range(args.epochs):
        net.train()
        for x, y in loader:
            step_start = time.perf_counter()
            optimizer.zero_grad()
            loss = nn.functional.cross_entropy(step_fn(x), y, label_smoothing=0.1)
            loss.backward()
            optimizer.step()
            schedule.step()
            loss_value = loss.item()
            steps.append(time.perf_counter() - step_start)
            if not math.isfinite(loss_value):
                raise SystemExit("loss is %r" % loss_value)
    net.eval()
    correct = 0
    with torch.no_grad():
        for start in range(0, len(test_x), 1000):
            predicted = net(test_x[start:start + 1000]).argmax(dim=1)
            correct += int((predicted == test_y[start:start + 1000]).sum())
    elapsed = time.perf_counter() - started
    print(json.dumps({
        "model": "cnn", "framework": "pytorch " + torch.__version__ + (" compiled" if args.compile else ""),
        "threads": torch.get_num_threads(), "epochs": args.epochs, "elapsed_s": elapsed,
        "per_epoch_s": elapsed / args.epochs, "accuracy": correct / len(test_x),
        "median_step_ms": 1000 * statistics.median(steps)}))


if __name__ == "__main__":
    main()
