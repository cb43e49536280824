#!/usr/bin/python3
"""Checks that a U-Net model directory saved by Java (UNet.save) loads into the PyTorch module and computes the
expected logits.

    /usr/bin/python3 segmentation-nn/src/test/python/check_unet_files.py MODEL_DIR IO_FILE [TOLERANCE]

MODEL_DIR holds config.json and model.safetensors; IO_FILE is a safetensors file with "input" (N,C,H,W) and
"logits" (N,K,H,W), e.g. the io.safetensors that make_unet_golden.py wrote. The files are parsed by the strict
numpy reader of check_safetensors.py; the state is loaded into torch_unet.UNet with every key of the
module present except the num_batches_tracked counters, which Java does not keep, and no extra key. The eval-mode
logits must be within TOLERANCE (default 1e-4) of the expected ones. Prints one line; exits 0 when all holds.
"""
import json
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, '..', 'resources', 'org', 'segmentation', 'nn', 'io'))
from check_safetensors import read_safetensors  # noqa: E402
from torch_unet import UNet  # noqa: E402

CONFIG_KEYS = {'architecture', 'input_channels', 'classes', 'depth', 'base_filters', 'batch_norm', 'dropout',
               'upsampling', 'up_kernel', 'head', 'dtype'}


def check(model_dir, io_file, tolerance):
    with open(os.path.join(model_dir, 'config.json')) as f:
        config = json.load(f)
    # Version 2 only added the optional task fields "input" and "class_names", which the network ignores.
    if config.get('format_version') not in (1, 2) or config.get('architecture') != 'unet':
        return 'config.json is not a version-1 or -2 unet config: %r' % config
    cfg = {k: v for k, v in config.items() if k in CONFIG_KEYS}
    if set(cfg) != CONFIG_KEYS:
        return 'config fields differ: %s' % sorted(set(cfg) ^ CONFIG_KEYS)
    tensors, metadata = read_safetensors(os.path.join(model_dir, 'model.safetensors'))
    if 'save_id' in config and metadata.get('save_id') != config['save_id']:
        return 'save_id of config.json and model.safetensors differ'
    model = UNet(cfg)
    if cfg['dtype'] == 'float64':
        model = model.double()
    expected_keys = {k for k in model.state_dict() if not k.endswith('num_batches_tracked')}
    names = {k for k in tensors if not k.endswith('num_batches_tracked')}
    if names != expected_keys:
        return 'tensor names differ from the module: %s' % sorted(names ^ expected_keys)
    state = {k: torch.from_numpy(a.copy()) for k, (_, a) in tensors.items()}
    result = model.load_state_dict(state, strict=False)
    if result.unexpected_keys or any(not k.endswith('num_batches_tracked') for k in result.missing_keys):
        return 'load_state_dict: %s' % (result,)
    model.eval()
    io, _ = read_safetensors(io_file)
    x = torch.from_numpy(io['input'][1].copy()).to(next(model.parameters()).dtype)
    with torch.no_grad():
        logits = model(x)
    expected = torch.from_numpy(io['logits'][1].copy()).to(logits.dtype)
    err = (logits - expected).abs().max().item()
    if err > tolerance:
        return 'logits differ by %.3g > %.3g' % (err, tolerance)
    print('OK %s: %d tensors loaded into torch, max |logit error| %.3g' % (model_dir, len(tensors), err))
    return None


if __name__ == '__main__':
    if len(sys.argv) not in (3, 4):
        print(__doc__)
        sys.exit(2)
    torch.set_num_threads(2)
    problem = check(sys.argv[1], sys.argv[2], float(sys.argv[3]) if len(sys.argv) == 4 else 1e-4)
    if problem:
        print('FAIL %s: %s' % (sys.argv[1], problem))
        sys.exit(1)
