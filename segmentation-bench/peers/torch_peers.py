#!/usr/bin/python3
"""Peer timings of the neural workloads: PyTorch (CPU) on the inputs `seg bench` writes.

Run with the system Python that has PyTorch 1.13 and numpy (/usr/bin/python3 here):

    /usr/bin/python3 torch_peers.py --workload conv-forward --peer pytorch --inputs DIR --threads 2 \
        --n 4 --cin 3 --channels 32 --size 256 --kernel 3
    /usr/bin/python3 torch_peers.py --workload unet-train-step --peer pytorch --inputs DIR --arch tiny \
        --batch 8 --size 64
    /usr/bin/python3 torch_peers.py --workload unet-train-memory --peer pytorch --inputs DIR --arch standard \
        --batch 4 --size 256 --steps 100
    /usr/bin/python3 torch_peers.py --workload maskrcnn-train-step --peer pytorch --inputs DIR --arch tiny \
        --batch 2 --size 64

Inputs (written by org.segmentation.bench.conv.ConvInputs and org.segmentation.bench.nn.UNetInputs):
DIR/conv_n<N>_c<C>_s<H>_k<k>_{x,w,b,dy}.npy (C_in = C) or conv_n<N>_i<C_in>_c<C>_s<H>_k<k>_...;
DIR/unet_<arch>_b<N>_s<H>_{x,labels}.npy and DIR/unet_<arch>_model/ (config.json and model.safetensors, the Java
model's initial weights). The U-Net is torch_unet.UNet, the PyTorch twin of the Java UNet, imported from
segmentation-nn/src/test/python; model.safetensors is parsed by check_safetensors.py from segmentation-nn's test
resources (no safetensors package needed).
The Mask R-CNN workloads read DIR/maskrcnn_<arch>_config.json and maskrcnn_<arch>_model.safetensors (the Java
model's configuration and initial weights, torchvision's state_dict names) and maskrcnn_<arch>_b<N>_s<H>_x.npy with
_boxes<i>.npy, _labels<i>.npy, _masks<i>.npy per image (org.segmentation.bench.nn.MaskRCNNInputs); the model is
torchvision's MaskRCNN as torch_maskrcnn.py (segmentation-nn/src/test/python) builds it.

Calls are timed by the rules of peer_timing.py. The check value of each workload is computed as the Java side
computes its own (org.segmentation.bench.nn.NnWorkloads): sums of absolute values in float64, printed with
"%#.4g" (4 significant digits, trailing zeros kept, as Java's "%.4g").

unet-train-memory is not timed: it runs --steps training steps in this fresh process and prints the peak
resident set (VmHWM of /proc/self/status) as peak_rss_mb.
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
    if args.cin == args.channels:
        prefix = "conv_n%d_c%d_s%d_k%d" % (args.n, args.channels, args.size, args.kernel)
    else:
        prefix = "conv_n%d_i%d_c%d_s%d_k%d" % (args.n, args.cin, args.channels, args.size, args.kernel)
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


def conv_backward_data(args):
    """The input's gradient alone: convolution_backward with only that output (torch.nn.grad.conv2d_input)."""
    import torch
    x, w, _, dy = conv_files(args)
    pad = args.kernel // 2

    def call(_):
        with torch.no_grad():
            return torch.nn.grad.conv2d_input(x.shape, w, dy, padding=pad)
    return call, None, lambda dx: [digits(abs_sum(dx))]


def conv_backward_weights(args):
    """The weights' gradient alone (torch.nn.grad.conv2d_weight) and the bias's, as ours computes both."""
    import torch
    x, w, _, dy = conv_files(args)
    pad = args.kernel // 2

    def call(_):
        with torch.no_grad():
            return torch.nn.grad.conv2d_weight(x, w.shape, dy, padding=pad), dy.sum((0, 2, 3))
    return call, None, lambda r: [digits(abs_sum(r[0]))]


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


def nn_python():
    """Puts segmentation-nn's Python twins and safetensors reader on the path."""
    for d in (NN_PYTHON, NN_IO):
        if not os.path.isdir(d):
            sys.exit("torch_peers.py: %s not found; run it from a source checkout (peers/ beside segmentation-nn)"
                     % os.path.normpath(d))
        sys.path.insert(0, d)


def load_java_weights(model, path, what):
    """Loads a Java model's safetensors into `model` (strict but for num_batches_tracked)."""
    import torch
    from check_safetensors import read_safetensors
    tensors, _ = read_safetensors(path)
    result = model.load_state_dict({k: torch.from_numpy(a.copy()) for k, (_, a) in tensors.items()}, strict=False)
    if result.unexpected_keys or any(not k.endswith("num_batches_tracked") for k in result.missing_keys):
        sys.exit("torch_peers.py: the Java model does not fit %s: %s" % (what, result))


def unet_model(args):
    """The Java model's initial weights in torch_unet.UNet, and the batch."""
    import torch
    nn_python()
    from torch_unet import UNet
    model_dir = os.path.join(args.inputs, "unet_%s_model" % args.arch)
    with open(os.path.join(model_dir, "config.json")) as f:
        config = json.load(f)
    model = UNet({k: config[k] for k in UNET_KEYS})
    load_java_weights(model, os.path.join(model_dir, "model.safetensors"), "torch_unet.UNet")
    prefix = "unet_%s_b%d_s%d" % (args.arch, args.batch, args.size)
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


def maskrcnn_model(args):
    """The Java model's configuration and initial weights in torchvision's MaskRCNN, and the batch."""
    import torch
    nn_python()
    from torch_maskrcnn import build
    torch.set_num_threads(args.threads)   # importing torch_maskrcnn sets its own count
    with open(os.path.join(args.inputs, "maskrcnn_%s_config.json" % args.arch)) as f:
        model = build(json.load(f))
    load_java_weights(model, os.path.join(args.inputs, "maskrcnn_%s_model.safetensors" % args.arch),
                      "torchvision's MaskRCNN")
    prefix = "maskrcnn_%s_b%d_s%d" % (args.arch, args.batch, args.size)
    x = tensor(args, prefix + "_x.npy")
    images = [x[i] for i in range(x.shape[0])]
    targets = [{"boxes": tensor(args, "%s_boxes%d.npy" % (prefix, i)),
                "labels": tensor(args, "%s_labels%d.npy" % (prefix, i)).long(),
                "masks": tensor(args, "%s_masks%d.npy" % (prefix, i))} for i in range(x.shape[0])]
    return model, images, targets, torch


def maskrcnn_train_step(args):
    model, images, targets, torch = maskrcnn_model(args)
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-4, betas=(0.9, 0.999), eps=1e-8, weight_decay=0)

    def call(_):
        opt.zero_grad(set_to_none=True)
        loss = sum(model(images, targets).values())
        loss.backward()
        opt.step()
        return loss
    return call, None, lambda _: None


def maskrcnn_inference(args):
    model, images, _, torch = maskrcnn_model(args)
    model.eval()

    def call(_):
        with torch.no_grad():
            return model(images)
    return call, None, lambda out: [str(sum(int(o["scores"].numel()) for o in out)),
                                    digits(sum(float(o["scores"].double().sum()) for o in out))]


def status_kb(status, field):
    """The value in kB of a field of a /proc/<pid>/status text, e.g. 'VmHWM:   123456 kB'."""
    for line in status.splitlines():
        if line.startswith(field + ":"):
            value, unit = line[len(field) + 1:].split()
            if unit != "kB":
                raise ValueError("expected '%s: <n> kB', got %r" % (field, line))
            return int(value)
    raise ValueError("no %s in the status text" % field)


def unet_train_memory(args):
    """--steps training steps as unet-train-step does them; prints the JSON line itself (peak_rss_mb)."""
    import torch.nn.functional as F
    model, x, labels, torch = unet_model(args)
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0)
    first = None
    for _ in range(args.steps):
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), labels)
        loss.backward()
        opt.step()
        if first is None:
            first = float(loss)
    with open("/proc/self/status") as f:
        status = f.read()
    print(json.dumps({"workload": args.workload, "peer": args.peer, "arch": args.arch, "batch": args.batch,
                      "size": args.size, "steps": args.steps, "peak_rss_mb": status_kb(status, "VmHWM") / 1024.0,
                      "rss_mb": status_kb(status, "VmRSS") / 1024.0, "threads": torch.get_num_threads(),
                      "version": "pytorch " + torch.__version__, "check": [digits(first)]}))


CONV = ("n", "cin", "channels", "size", "kernel")
UNET = ("arch", "batch", "size")
WORKLOADS = {
    "conv-forward": (conv_forward, CONV),
    "conv-backward-data": (conv_backward_data, CONV),
    "conv-backward-weights": (conv_backward_weights, CONV),
    "conv-step": (conv_step, CONV),
    "unet-train-step": (unet_train_step, UNET),
    "unet-inference": (unet_inference, UNET),
    "unet-train-memory": (unet_train_memory, UNET + ("steps",)),
    "maskrcnn-train-step": (maskrcnn_train_step, UNET),
    "maskrcnn-inference": (maskrcnn_inference, UNET),
}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--workload", required=True, choices=sorted(WORKLOADS))
    p.add_argument("--peer", required=True, choices=("pytorch",))
    p.add_argument("--inputs", required=True, help="folder of the inputs")
    for name in ("n", "cin", "channels", "size", "kernel", "batch", "steps"):
        p.add_argument("--" + name, type=int, help="workload parameter (see the module help)")
    p.add_argument("--arch", choices=("tiny", "small", "standard", "wide"),
                   help="U-Net (UNetInputs.config) or Mask R-CNN (MaskRCNNInputs.config) architecture")
    peer_timing.add_options(p, default_threads=2)
    args = p.parse_args()
    make, params = WORKLOADS[args.workload]
    missing = [name for name in params if getattr(args, name) is None]
    if missing:
        p.error("workload %s needs %s" % (args.workload, ", ".join("--" + m for m in missing)))

    import torch
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    if args.workload == "unet-train-memory":
        make(args)
        return
    call, prepare, check = make(args)
    times, result = peer_timing.time_calls(call, prepare, args)
    peer_timing.print_result(args, times, {name: getattr(args, name) for name in params},
                             threads=torch.get_num_threads(), version="pytorch " + torch.__version__,
                             check=check(result))


if __name__ == "__main__":
    main()
