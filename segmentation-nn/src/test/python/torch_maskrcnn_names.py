#!/usr/bin/python3
"""Prints, as JSON {name: shape}, the state_dict of a torchvision 0.14 MaskRCNN built like a Java MaskRCNNConfig,
for MaskRCNNTest's comparison of parameter and buffer names (num_batches_tracked left out: Java keeps no counter).

    /usr/bin/python3 segmentation-nn/src/test/python/torch_maskrcnn_names.py BLOCK BLOCKS WIDTHS STEM FPN CLASSES \
        REPRESENTATION MASK_WIDTH ANCHORS_PER_CELL

BLOCK is BASIC or BOTTLENECK, BLOCKS and WIDTHS are comma-separated per stage. The backbone is torch_resnet_fpn.Body
(torchvision's BasicBlock / Bottleneck) with torchvision's BackboneWithFPN (LastLevelMaxPool); the RPN head, box head
and predictors and mask head and predictor are torchvision's, sized as given. Built offline with random weights.
"""
import json
import os
import sys

import torch
from torchvision.models.detection.backbone_utils import BackboneWithFPN
from torchvision.models.detection.faster_rcnn import TwoMLPHead, FastRCNNPredictor
from torchvision.models.detection.mask_rcnn import MaskRCNN, MaskRCNNHeads, MaskRCNNPredictor
from torchvision.models.detection.rpn import RPNHead, AnchorGenerator
from torchvision.models.resnet import BasicBlock, Bottleneck

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_resnet_fpn import Body  # noqa: E402

torch.set_num_threads(2)


def main(args):
    block = {'BASIC': BasicBlock, 'BOTTLENECK': Bottleneck}[args[0]]
    blocks = [int(v) for v in args[1].split(',')]
    widths = [int(v) for v in args[2].split(',')]
    stem, fpn, classes, rep, mask_width, per_cell = (int(v) for v in args[3:9])
    body = Body(block, blocks, widths, stem, 3)
    backbone = BackboneWithFPN(body, {'layer%d' % (i + 1): str(i) for i in range(4)},
                               [w * block.expansion for w in widths], fpn)
    model = MaskRCNN(backbone, num_classes=None,
                     rpn_anchor_generator=AnchorGenerator(((8,), (16,), (32,), (64,), (128,)), ((1.0,) * per_cell,) * 5),
                     rpn_head=RPNHead(fpn, per_cell),
                     box_head=TwoMLPHead(fpn * 49, rep), box_predictor=FastRCNNPredictor(rep, classes),
                     mask_head=MaskRCNNHeads(fpn, [mask_width] * 4, 1),
                     mask_predictor=MaskRCNNPredictor(mask_width, mask_width, classes))
    names = {k: list(v.shape) for k, v in model.state_dict().items() if not k.endswith('num_batches_tracked')}
    print(json.dumps(names))


if __name__ == '__main__':
    main(sys.argv[1:])
