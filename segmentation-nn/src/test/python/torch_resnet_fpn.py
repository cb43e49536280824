#!/usr/bin/python3
"""The peer of ResNetFpnTest: runs torchvision 0.14's ResNet blocks and FeaturePyramidNetwork on the weights and
input that Java wrote, and writes back their outputs and gradients.

    /usr/bin/python3 segmentation-nn/src/test/python/torch_resnet_fpn.py IN.safetensors OUT.safetensors

IN holds the backbone's parameters and batch-norm buffers under "body." and the FPN's under "fpn." (torchvision's
state_dict names), the input "x" (N,C,H,W) and one gradient "r<i>" per FPN output; its metadata gives the
configuration: block (BASIC or BOTTLENECK), blocks and widths (comma-separated per stage), stem, fpn_out. The body
is built from torchvision.models.resnet's BasicBlock / Bottleneck exactly as torchvision's ResNet._make_layer
does (torchvision's ResNet class itself fixes the widths at 64..512), the FPN is
torchvision.ops.FeaturePyramidNetwork with LastLevelMaxPool. Both run in training mode in float64; the loss is
sum_i sum(P_i * r_i). OUT holds "p<i>", "grad.x", "grad.<parameter>" and "after.<buffer>" (the running averages
after the step). Every parameter and buffer of the modules must be in IN (num_batches_tracked excepted), and
nothing else under "body." or "fpn.".
"""
import os
import sys
from collections import OrderedDict

import numpy as np
import torch
import torch.nn as nn
from torchvision.models.resnet import BasicBlock, Bottleneck
from torchvision.ops import FeaturePyramidNetwork
from torchvision.ops.feature_pyramid_network import LastLevelMaxPool

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'resources', 'org', 'segmentation', 'nn', 'io'))
from check_safetensors import read_safetensors  # noqa: E402
from make_safetensors_fixtures import write_safetensors  # noqa: E402

torch.set_num_threads(2)


class Body(nn.Module):
    def __init__(self, block, blocks, widths, stem, in_channels):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, stem, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(stem)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        inplanes = stem
        for s, (n, width) in enumerate(zip(blocks, widths)):
            stride = 1 if s == 0 else 2
            downsample = None
            if stride != 1 or inplanes != width * block.expansion:
                downsample = nn.Sequential(nn.Conv2d(inplanes, width * block.expansion, 1, stride, bias=False),
                                           nn.BatchNorm2d(width * block.expansion))
            layers = [block(inplanes, width, stride, downsample)]
            inplanes = width * block.expansion
            layers += [block(inplanes, width) for _ in range(1, n)]
            setattr(self, 'layer%d' % (s + 1), nn.Sequential(*layers))
        self.stages = len(blocks)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        out = OrderedDict()
        for s in range(self.stages):
            x = getattr(self, 'layer%d' % (s + 1))(x)
            out[str(s)] = x
        return out


def main(inp, outp):
    tensors, meta = read_safetensors(inp)
    t = {k: torch.from_numpy(np.array(v[1])) for k, v in tensors.items()}
    block = {'BASIC': BasicBlock, 'BOTTLENECK': Bottleneck}[meta['block']]
    blocks = [int(v) for v in meta['blocks'].split(',')]
    widths = [int(v) for v in meta['widths'].split(',')]
    x = t['x'].clone().requires_grad_(True)
    body = Body(block, blocks, widths, int(meta['stem']), x.shape[1]).double()
    fpn = FeaturePyramidNetwork([w * block.expansion for w in widths], int(meta['fpn_out']),
                                extra_blocks=LastLevelMaxPool()).double()
    for prefix, module in (('body.', body), ('fpn.', fpn)):
        state = {k[len(prefix):]: v for k, v in t.items() if k.startswith(prefix)}
        missing, unexpected = module.load_state_dict(state, strict=False)
        missing = [k for k in missing if not k.endswith('num_batches_tracked')]
        if missing or unexpected:
            raise SystemExit('%s missing %s unexpected %s' % (prefix, missing, unexpected))
    body.train()
    fpn.train()
    p = list(fpn(body(x)).values())
    loss = sum((pi * t['r%d' % i]).sum() for i, pi in enumerate(p))
    loss.backward()
    out = OrderedDict()
    for i, pi in enumerate(p):
        out['p%d' % i] = pi.detach().numpy()
    out['grad.x'] = x.grad.numpy()
    for prefix, module in (('body.', body), ('fpn.', fpn)):
        for name, param in module.named_parameters():
            out['grad.' + prefix + name] = param.grad.numpy()
        for name, buf in module.named_buffers():
            if not name.endswith('num_batches_tracked'):
                out['after.' + prefix + name] = buf.numpy()
    write_safetensors(outp, out, {})
    print('ok', len(out), 'tensors')


if __name__ == '__main__':
    main(sys.argv[1], sys.argv[2])
