#!/usr/bin/python3
"""The peer of HeadsTest: runs torchvision 0.14's TwoMLPHead + FastRCNNPredictor and MaskRCNNHeads +
MaskRCNNPredictor on the weights and inputs that Java wrote, and writes back their outputs and gradients.

    /usr/bin/python3 segmentation-nn/src/test/python/torch_roi_heads.py IN.safetensors OUT.safetensors

IN holds the parameters under torchvision's names ("box_head.", "box_predictor.", "mask_head.", "mask_predictor."),
the pooled inputs "box_x" (R,C,s,s) and "mask_x" (R',C,s',s'), and the output gradients "r_logits", "r_deltas",
"r_mask"; its metadata gives in_channels, representation, width and classes. Everything runs in float64; the loss
is sum(logits * r_logits) + sum(deltas * r_deltas) + sum(mask_logits * r_mask). OUT holds "logits", "deltas",
"mask_logits", "grad.box_x", "grad.mask_x" and "grad.<parameter>". Every parameter of the modules must be in IN.
"""
import os
import sys
from collections import OrderedDict

import numpy as np
import torch
from torchvision.models.detection.faster_rcnn import TwoMLPHead, FastRCNNPredictor
from torchvision.models.detection.mask_rcnn import MaskRCNNHeads, MaskRCNNPredictor

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'resources', 'org', 'segmentation', 'nn', 'io'))
from check_safetensors import read_safetensors  # noqa: E402
from make_safetensors_fixtures import write_safetensors  # noqa: E402

torch.set_num_threads(2)


def main(inp, outp):
    tensors, meta = read_safetensors(inp)
    t = {k: torch.from_numpy(np.array(v[1])) for k, v in tensors.items()}
    c, rep, width, k = (int(meta[n]) for n in ('in_channels', 'representation', 'width', 'classes'))
    box_x = t['box_x'].clone().requires_grad_(True)
    mask_x = t['mask_x'].clone().requires_grad_(True)
    modules = OrderedDict([
        ('box_head.', TwoMLPHead(c * box_x.shape[2] * box_x.shape[3], rep)),
        ('box_predictor.', FastRCNNPredictor(rep, k)),
        ('mask_head.', MaskRCNNHeads(c, [width] * 4, 1)),
        ('mask_predictor.', MaskRCNNPredictor(width, width, k))])
    for prefix, module in modules.items():
        module.double()
        state = {n[len(prefix):]: v for n, v in t.items() if n.startswith(prefix)}
        module.load_state_dict(state, strict=True)
    logits, deltas = modules['box_predictor.'](modules['box_head.'](box_x))
    mask_logits = modules['mask_predictor.'](modules['mask_head.'](mask_x))
    loss = (logits * t['r_logits']).sum() + (deltas * t['r_deltas']).sum() + (mask_logits * t['r_mask']).sum()
    loss.backward()
    out = OrderedDict([('logits', logits.detach().numpy()), ('deltas', deltas.detach().numpy()),
                       ('mask_logits', mask_logits.detach().numpy()), ('grad.box_x', box_x.grad.numpy()),
                       ('grad.mask_x', mask_x.grad.numpy())])
    for prefix, module in modules.items():
        for name, param in module.named_parameters():
            out['grad.' + prefix + name] = param.grad.numpy()
    write_safetensors(outp, out, {})
    print('ok', len(out), 'tensors')


if __name__ == '__main__':
    main(sys.argv[1], sys.argv[2])
