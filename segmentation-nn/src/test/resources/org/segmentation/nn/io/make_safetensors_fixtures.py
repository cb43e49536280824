#!/usr/bin/python3
"""Makes the PyTorch fixture for SafeTensorsTest.

Run from this directory with the system Python (numpy and torch 1.13, no `safetensors` package):

    /usr/bin/python3 make_safetensors_fixtures.py

Writes
  torch_small.safetensors     state_dict of a small seeded Conv2d/BatchNorm2d module (after three training-mode
                              forward passes, so the running statistics and the I64 num_batches_tracked are not
                              their initial values) plus a few extra tensors covering F64, I32, U8, a 0-d
                              tensor, an empty tensor and special float values; written by the hand-written
                              safetensors writer below in state_dict order with "__metadata__" last, so the
                              Java reader meets an order and alignment different from its own writer's.
  torch_small_expected.json   every tensor's dtype, shape and exact elements: floats as the integer bit
                              patterns of their IEEE encoding (so NaN, -0.0 and subnormals compare exactly),
                              integers as values.
"""
import json
import os
import struct

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))

# safetensors dtype name of each numpy dtype this fixture uses
DTYPE_NAMES = {
    np.dtype("float32"): "F32",
    np.dtype("float64"): "F64",
    np.dtype("int64"): "I64",
    np.dtype("int32"): "I32",
    np.dtype("uint8"): "U8",
}


class Small(torch.nn.Module):
    """Two conv + batch-norm pairs: the parameter and buffer kinds of the U-Net."""

    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(2, 3, kernel_size=3, padding=1)
        self.bn1 = torch.nn.BatchNorm2d(3)
        self.conv2 = torch.nn.Conv2d(3, 2, kernel_size=1, bias=False)
        self.bn2 = torch.nn.BatchNorm2d(2)

    def forward(self, x):
        x = torch.relu(self.bn1(self.conv1(x)))
        return self.bn2(self.conv2(x))


def small_state():
    """The seeded module's state_dict as numpy arrays, in state_dict order."""
    torch.set_num_threads(2)
    torch.manual_seed(20261126)
    m = Small()
    m.train()
    with torch.no_grad():
        for _ in range(3):
            m(torch.randn(4, 2, 5, 5))
    return {k: v.detach().cpu().numpy().copy() for k, v in m.state_dict().items()}


def extra_tensors():
    special = np.array([np.nan, -0.0, np.inf, -np.inf, np.finfo(np.float32).tiny / 4, 1.0 / 3.0],
                       dtype=np.float32)
    rng = np.random.default_rng(7)
    return {
        "extra.f64": rng.standard_normal((2, 3)).astype(np.float64),
        "extra.i32": np.arange(-3, 3, dtype=np.int32).reshape(3, 2) * 1000003,
        "extra.i64": np.array([np.iinfo(np.int64).min, -1, 0, np.iinfo(np.int64).max], dtype=np.int64),
        "extra.u8": np.array([0, 1, 127, 128, 255], dtype=np.uint8),
        "extra.scalar": np.array(2.5, dtype=np.float32),
        "extra.empty": np.zeros((0, 3), dtype=np.float32),
        "extra.special": special.reshape(2, 3),
    }


def write_safetensors(path, tensors, metadata):
    """Writes `tensors` (name -> numpy array) in the given order, then pads the header to 8 bytes."""
    header = {}
    offset = 0
    blobs = []
    for name, a in tensors.items():
        data = np.ascontiguousarray(a).astype(a.dtype.newbyteorder("<"), copy=False).tobytes(order="C")
        header[name] = {"dtype": DTYPE_NAMES[a.dtype], "shape": list(a.shape),
                        "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    header["__metadata__"] = metadata
    text = json.dumps(header).encode("utf-8")
    text += b" " * ((8 - (8 + len(text)) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def expected_entry(a):
    if a.dtype == np.float32:
        elems = a.reshape(-1).view(np.uint32).tolist()
    elif a.dtype == np.float64:
        elems = a.reshape(-1).view(np.int64).tolist()
    else:
        elems = a.reshape(-1).tolist()
    return {"dtype": DTYPE_NAMES[a.dtype], "shape": list(a.shape), "elements": elems}


def expected_json(tensors, metadata):
    """dtype, shape and exact elements of each tensor; floats as IEEE bit patterns (F32 unsigned, F64 signed)."""
    return {"metadata": metadata, "tensors": {k: expected_entry(v) for k, v in tensors.items()}}


def main():
    tensors = small_state()
    tensors.update(extra_tensors())
    metadata = {"format": "pt", "producer": "make_safetensors_fixtures.py"}
    write_safetensors(os.path.join(HERE, "torch_small.safetensors"), tensors, metadata)
    with open(os.path.join(HERE, "torch_small_expected.json"), "w") as f:
        json.dump(expected_json(tensors, metadata), f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
