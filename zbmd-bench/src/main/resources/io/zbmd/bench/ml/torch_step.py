"""A training step as PyTorch's users run it: Python, torch.nn, torch.optim.Adam.

Driven by zbmd's benchmarks and tests (PythonTorchTraining) over stdin and stdout:

    python3 torch_step.py MODEL STATE THREADS FUSED

MODEL is "mlp" (784-256-128-10, ReLU; batch 128, Adam 1e-3) or "cnn" (2 x (3x3 conv, batch
norm, ReLU, 2x2 max pool), dropout 0.25, linear; batch 64 of 1x28x28, Adam 2e-3): the models
and learning rates of zbmd's examples (FashionMnistModels, zbmd train).

STATE is a little-endian file: the number of parameters as int32, each one's element count as
int32, then the parameters as float32 in zbmd's order, which is PyTorch's parameters() order
with the same layouts (weights [out, in] or [out, in, k, k], then biases; batch norm's weight,
then its bias); then the batch size as int32, the features as float32 and the labels as int32.
THREADS goes to torch.set_num_threads (one inter-op thread, as the JVM peers get). FUSED is 1
for Adam(fused=True), 0 for the default (foreach) implementation.

Commands, one per line: "step" trains one step and answers its loss (before the update);
"nodropout" puts the dropout layers in evaluation mode (the identity) and answers "ok";
"dump PATH" writes the current parameters to PATH as float32 in the same order and answers
"ok"; "quit" ends. The first line out is "ready", the torch version and the thread count.
"""

import struct
import sys

import torch
from torch import nn

MODELS = {
    # name: (input shape of one sample, learning rate, model factory)
    "mlp": ((784,), 1e-3, lambda: nn.Sequential(
        nn.Linear(784, 256), nn.ReLU(),
        nn.Linear(256, 128), nn.ReLU(),
        nn.Linear(128, 10))),
    "cnn": ((1, 28, 28), 2e-3, lambda: nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.BatchNorm2d(32, eps=1e-5, momentum=0.1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64, eps=1e-5, momentum=0.1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Dropout(0.25),
        nn.Linear(64 * 7 * 7, 10))),
}


def read_state(path, sample_shape):
    with open(path, "rb") as f:
        data = f.read()
    (count,) = struct.unpack_from("<i", data, 0)
    sizes = struct.unpack_from("<%di" % count, data, 4)
    offset = 4 + 4 * count
    params = []
    for size in sizes:
        params.append(torch.frombuffer(bytearray(data[offset:offset + 4 * size]), dtype=torch.float32))
        offset += 4 * size
    (batch,) = struct.unpack_from("<i", data, offset)
    offset += 4
    features = 1
    for dim in sample_shape:
        features *= dim
    x = torch.frombuffer(bytearray(data[offset:offset + 4 * batch * features]), dtype=torch.float32)
    offset += 4 * batch * features
    y = torch.frombuffer(bytearray(data[offset:offset + 4 * batch]), dtype=torch.int32)
    return params, x.reshape((batch,) + sample_shape), y.to(torch.int64)


def main():
    name, state, threads, fused = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4] == "1"
    if name not in MODELS:
        print("error unknown model " + name, flush=True)
        return
    sample_shape, learning_rate, factory = MODELS[name]
    torch.set_num_threads(threads)
    torch.set_num_interop_threads(1)
    params, x, y = read_state(state, sample_shape)
    model = factory()
    model.train()
    parameters = list(model.parameters())
    if len(parameters) != len(params):
        print("error %d parameters sent, the %s has %d" % (len(params), name, len(parameters)), flush=True)
        return
    with torch.no_grad():
        for parameter, value in zip(parameters, params):
            parameter.copy_(value.reshape(parameter.shape))
    optimizer = torch.optim.Adam(parameters, lr=learning_rate, fused=fused)
    print("ready", torch.__version__, torch.get_num_threads(), flush=True)
    for line in sys.stdin:
        command = line.split()
        if not command:
            continue
        if command[0] == "step":
            optimizer.zero_grad()
            loss = nn.functional.cross_entropy(model(x), y)
            loss.backward()
            optimizer.step()
            print(repr(loss.item()), flush=True)
        elif command[0] == "nodropout":
            for module in model.modules():
                if isinstance(module, nn.Dropout):
                    module.eval()
            print("ok", flush=True)
        elif command[0] == "dump":
            with open(command[1], "wb") as f:
                for parameter in parameters:
                    f.write(parameter.detach().contiguous().numpy().astype("<f4").tobytes())
            print("ok", flush=True)
        elif command[0] == "quit":
            return
        else:
            print("error unknown command " + command[0], flush=True)


if __name__ == "__main__":
    main()
