#!/usr/bin/python3
"""Peer timings of the neural workloads: PyTorch (CPU) on the inputs `seg bench` writes.

Run with the system Python that has PyTorch 1.13 and numpy (/usr/bin/python3 here):

    /usr/bin/python3 torch_peers.py --workload conv-forward --peer pytorch --inputs DIR --threads 2 \
        --n 8 --channels 64 --size 128 --kernel 3
    /usr/bin/python3 torch_peers.py --workload unet-train-step --peer pytorch --inputs DIR --batch 8 --size 64

Inputs (written by org.segmentation.bench.conv.ConvInputs and org.segmentation.bench.nn.UNetInputs):
DIR/conv_n<N>_c<C>_s<H>_k<k>_{x,w,b,dy}.npy; DIR/unet_b<N>_s<H>_{x,labels}.npy and DIR/unet_model/ (config.json
and model.safetensors, the Java model's initial weights). The U-Net is torch_unet.UNet, the PyTorch twin of the
Java UNet, imported from segmentation-nn/src/test/python; model.safetensors is parsed by check_safetensors.py
from segmentation-nn's test resources (no safetensors package needed).

Calls are timed by the rules of peer_timing.py. The check value of each workload is computed as the Java side
computes its own (org.segmentation.bench.nn.NnWorkloads): sums of absolute values in float64, printed with
"%#.4g" (4 significant digits, trailing zeros kept, as Java's "%.4g").
"""
import argparse
import copy
import json
import os
import sys

import numpy as np

import peer_timing

HERE = os.path.dirname(os.path.realpath(__file__))
# peers/ is segmentation-bench/peers; the U-Net twin and the safetensors reader live in segmentation-nn.
NN_PYTHON = os.path.join(HERE, "..", "..", "segmentation-nn", "src", "test", "python")
NN_IO = os.path.join(HERE, "..", "..", "segmentation-nn", "src", "test", "resources", "org", "segmentation", "nn",
                     "io")
UNET_KEYS = ("input_channels", "classes", "depth", "base_filters", "batch_norm", "dropout", "upsampling",
             "up_kernel", "head")


def digits(v):
    return "%#.4g" % v


def abs_sum(t):
    return float(t.detach().double().abs().sum())


def tensor(args, name):
    import torch
    return torch.from_numpy(np.load(os.path.join(args.inputs, name)))


# Every workload returns (call, prepare, check): prepare() runs untimed before each call and returns its
# argument; call(arg) is timed; check(result) summarises the result for the sanity column.

def conv_files(args):
    prefix = "conv_n%d_c%d_s%d_k%d" % (args.n, args.channels, args.size, args.kernel)
    return [tensor(args, "%s_%s.npy" % (prefix, part)) for part in ("x", "w", "b", "dy")]


def conv_forward(args):
    import torch
    import torch.nn.functional as F
    x, w, b, _ = conv_files(args)
    pad = args.kernel // 2

    def call(_):
        with torch.no_grad():
            return F.conv2d(x, w, b, padding=pad)
    return call, None, lambda y: [digits(abs_sum(y))]


def conv_step(args):
    import torch.nn.functional as F
    x, w, b, dy = conv_files(args)
    for t in (x, w, b):
        t.requires_grad_(True)
    pad = args.kernel // 2

    def prepare():
        # backward() adds into .grad: start every call from none, as ours zeroes dW and dB first.
        x.grad = w.grad = b.grad = None

    def call(_):
        y = F.conv2d(x, w, b, padding=pad)
        y.backward(dy)
        return y
    return call, prepare, lambda y: [digits(abs_sum(y)), digits(abs_sum(x.grad)), digits(abs_sum(w.grad))]


def unet_model(args):
    """The Java model's initial weights in torch_unet.UNet, and the batch."""
    import torch
    for d in (NN_PYTHON, NN_IO):
        if not os.path.isdir(d):
            sys.exit("torch_peers.py: %s not found; run it from a source checkout (peers/ beside segmentation-nn)"
                     % os.path.normpath(d))
        sys.path.insert(0, d)
    from check_safetensors import read_safetensors
    from torch_unet import UNet
    model_dir = os.path.join(args.inputs, "unet_model")
    with open(os.path.join(model_dir, "config.json")) as f:
        config = json.load(f)
    model = UNet({k: config[k] for k in UNET_KEYS})
    tensors, _ = read_safetensors(os.path.join(model_dir, "model.safetensors"))
    result = model.load_state_dict({k: torch.from_numpy(a.copy()) for k, (_, a) in tensors.items()}, strict=False)
    if result.unexpected_keys or any(not k.endswith("num_batches_tracked") for k in result.missing_keys):
        sys.exit("torch_peers.py: the Java model does not fit torch_unet.UNet: %s" % (result,))
    prefix = "unet_b%d_s%d" % (args.batch, args.size)
    x = tensor(args, prefix + "_x.npy")
    labels = tensor(args, prefix + "_labels.npy").long()
    return model, x, labels, torch


def unet_train_step(args):
    import torch.nn.functional as F
    model, x, labels, torch = unet_model(args)
    # The check is the first step's forward from the initial weights, on a copy so the timed model is untouched.
    first = copy.deepcopy(model).train()
    with torch.no_grad():
        logits = first(x)
        first_check = [digits(float(F.cross_entropy(logits, labels))), digits(abs_sum(logits))]
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0)

    def call(_):
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), labels)
        loss.backward()
        opt.step()
        return loss
    return call, None, lambda _: first_check


def unet_inference(args):
    model, x, _, torch = unet_model(args)
    model.eval()

    def call(_):
        with torch.no_grad():
            return model(x)
    return call, None, lambda logits: [digits(abs_sum(logits))]


WORKLOADS = {
    "conv-forward": (conv_forward, ("n", "channels", "size", "kernel")),
    "conv-step": (conv_step, ("n", "channels", "size", "kernel")),
    "unet-train-step": (unet_train_step, ("batch", "size")),
    "unet-inference": (unet_inference, ("batch", "size")),
}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--workload", required=True, choices=sorted(WORKLOADS))
    p.add_argument("--peer", required=True, choices=("pytorch",))
    p.add_argument("--inputs", required=True, help="folder of the inputs")
    # --cin is Conv2dBenchmark's input channels; the conv workloads' inputs are C -> C, so it equals --channels
    for name in ("n", "cin", "channels", "size", "kernel", "batch"):
        p.add_argument("--" + name, type=int, help="workload parameter (see the module help)")
    peer_timing.add_options(p, default_threads=2)
    args = p.parse_args()
    make, params = WORKLOADS[args.workload]
    missing = [name for name in params if getattr(args, name) is None]
    if missing:
        p.error("workload %s needs %s" % (args.workload, ", ".join("--" + m for m in missing)))

    import torch
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    call, prepare, check = make(args)
    times, result = peer_timing.time_calls(call, prepare, args)
    peer_timing.print_result(args, times, {name: getattr(args, name) for name in params},
                             threads=torch.get_num_threads(), version="pytorch " + torch.__version__,
                             check=check(result))


if __name__ == "__main__":
    main()
