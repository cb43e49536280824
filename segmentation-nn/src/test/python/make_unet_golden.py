#!/usr/bin/python3
"""PyTorch reference for the Java UNet: trains tiny U-Nets for a few steps, exports them as model directories.

Run with the system Python that has PyTorch 1.13 (CPU) and numpy (no `safetensors` package needed):

    /usr/bin/python3 segmentation-nn/src/test/python/make_unet_golden.py

For each variant below it writes segmentation-nn/src/test/resources/org/segmentation/nn/model/<variant>/
  config.json        {"format_version": 1, "architecture": "unet", ...} with the UNetConfig fields
  model.safetensors  the state_dict (F32, incl. the I64 num_batches_tracked counters that Java ignores),
                     written by the hand-written writer of make_safetensors_fixtures.py
  io.safetensors     "input" (N,C,H,W) and the eval-mode "logits" (N,K,H,W) of the trained model

The module below uses exactly the attribute names of the Java UNet (org.segmentation.nn.model.UNet), so its
state_dict keys are the Java parameter and buffer names. The training (Adam, a few steps, train mode) moves
the batch-norm running statistics away from their initial values, so eval mode exercises them.

The module itself is in torch_unet.py, shared with check_unet_files.py and the peers under segmentation-bench/peers.
"""
import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
RESOURCES = os.path.join(HERE, '..', 'resources', 'org', 'segmentation', 'nn')
sys.path.insert(0, os.path.join(RESOURCES, 'io'))
from make_safetensors_fixtures import write_safetensors  # noqa: E402
from torch_unet import UNet  # noqa: E402

OUT = os.path.join(RESOURCES, 'model')


VARIANTS = {
    # 3 classes, softmax, transposed up-convolutions, dropout (identity in eval mode)
    'unet_torch_transposed': dict(architecture='unet', input_channels=2, classes=3, depth=2, base_filters=8,
                                  batch_norm=True, dropout=0.1, upsampling='transposed', up_kernel=1,
                                  head='softmax', dtype='float32'),
    # binary sigmoid head, bilinear x2 + 3x3 conv
    'unet_torch_bilinear': dict(architecture='unet', input_channels=1, classes=2, depth=2, base_filters=4,
                                batch_norm=True, dropout=0.0, upsampling='bilinear', up_kernel=3,
                                head='sigmoid', dtype='float32'),
}


def train_and_export(name, cfg, seed):
    torch.manual_seed(seed)
    model = UNet(cfg)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    n, c, h, w = 4, cfg['input_channels'], 16, 12
    x = torch.randn(n, c, h, w)
    model.train()
    for _ in range(5):
        logits = model(x)
        if cfg['head'] == 'sigmoid':
            target = (x[:, :1] > 0).float()
            loss = F.binary_cross_entropy_with_logits(logits, target)
        else:
            target = (x[:, 0] > 0.5).long() + (x[:, 0] > -0.5).long()
            loss = F.cross_entropy(logits, target)
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()
    test_x = torch.randn(2, c, h, w)
    with torch.no_grad():
        test_logits = model(test_x)
    out = os.path.join(OUT, name)
    os.makedirs(out, exist_ok=True)
    state = {k: v.detach().numpy().copy() for k, v in model.state_dict().items()}
    write_safetensors(os.path.join(out, 'model.safetensors'), state, {'producer': 'make_unet_golden.py'})
    with open(os.path.join(out, 'config.json'), 'w') as f:
        json.dump(dict(format_version=1, **cfg), f, indent=1)
        f.write('\n')
    write_safetensors(os.path.join(out, 'io.safetensors'),
                      {'input': test_x.numpy(), 'logits': test_logits.numpy()}, {})
    print('%s: %d tensors, loss %.4f, logits in [%.3f, %.3f]' % (name, len(state), loss.item(),
                                                                 test_logits.min(), test_logits.max()))


def main():
    torch.set_num_threads(2)
    for i, (name, cfg) in enumerate(sorted(VARIANTS.items())):
        train_and_export(name, cfg, 20261127 + i)


if __name__ == '__main__':
    main()
