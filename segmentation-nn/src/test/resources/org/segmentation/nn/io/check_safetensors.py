#!/usr/bin/python3
"""Checks that a safetensors file (written by the Java SafeTensors writer) parses in Python with exact values.

    /usr/bin/python3 check_safetensors.py FILE EXPECTED_JSON [--torch]

EXPECTED_JSON has the layout of torch_small_expected.json (see make_safetensors_fixtures.py): metadata, and
per tensor dtype, shape and exact elements (floats as IEEE bit patterns). The file is parsed by the strict
reader below (numpy only), which also checks what the format requires of the layout: offsets that tile the
data section with no gap or overlap. With --torch, the tensors of the Small module are additionally loaded
into a fresh torch module with load_state_dict(strict=True) and compared with the seeded state the fixture
script makes. Prints one line and exits 0 when everything matches, 1 otherwise.
"""
import json
import struct
import sys

import numpy as np

NUMPY_DTYPES = {"F32": "<f4", "F64": "<f8", "I64": "<i8", "I32": "<i4", "U8": "u1"}


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 8:
        raise ValueError("shorter than 8 bytes")
    (n,) = struct.unpack("<Q", raw[:8])
    if n > len(raw) - 8:
        raise ValueError("header length %d exceeds the file" % n)
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    data = raw[8 + n:]
    metadata = header.pop("__metadata__", {})
    spans = sorted((v["data_offsets"][0], v["data_offsets"][1], k) for k, v in header.items())
    cursor = 0
    for begin, end, name in spans:
        if begin != cursor:
            raise ValueError("tensor %s starts at %d, expected %d" % (name, begin, cursor))
        cursor = end
    if cursor != len(data):
        raise ValueError("tensors cover %d of %d data bytes" % (cursor, len(data)))
    tensors = {}
    for name, v in header.items():
        begin, end = v["data_offsets"]
        a = np.frombuffer(data[begin:end], dtype=NUMPY_DTYPES[v["dtype"]])
        tensors[name] = (v["dtype"], a.reshape(v["shape"]))
    return tensors, metadata


def elements(dtype, a):
    flat = a.reshape(-1)
    if dtype == "F32":
        return flat.view(np.uint32).tolist()
    if dtype == "F64":
        return flat.view(np.int64).tolist()
    return flat.tolist()


def check(path, expected_path, with_torch):
    tensors, metadata = read_safetensors(path)
    with open(expected_path) as f:
        expected = json.load(f)
    problems = []
    if metadata != expected["metadata"]:
        problems.append("metadata %r != %r" % (metadata, expected["metadata"]))
    if set(tensors) != set(expected["tensors"]):
        problems.append("names differ: %s" % sorted(set(tensors) ^ set(expected["tensors"])))
    for name, e in expected["tensors"].items():
        if name not in tensors:
            continue
        dtype, a = tensors[name]
        if dtype != e["dtype"] or list(a.shape) != e["shape"] or elements(dtype, a) != e["elements"]:
            problems.append("tensor %s: %s%s differs from expected %s%s" % (name, dtype, list(a.shape),
                                                                          e["dtype"], e["shape"]))
    if with_torch and not problems:
        import torch
        from make_safetensors_fixtures import Small, small_state
        reference = small_state()
        m = Small()
        m.load_state_dict({k: torch.from_numpy(tensors[k][1].copy()) for k in reference}, strict=True)
        for k, v in m.state_dict().items():
            if not torch.equal(v, torch.from_numpy(reference[k])):
                problems.append("torch state %s differs from the seeded module" % k)
    if problems:
        print("FAIL %s: %s" % (path, "; ".join(problems)))
        return 1
    print("OK %s: %d tensors%s" % (path, len(tensors), " (loaded into torch)" if with_torch else ""))
    return 0


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--torch"]
    if len(args) != 2:
        print(__doc__)
        sys.exit(2)
    sys.exit(check(args[0], args[1], "--torch" in sys.argv))
