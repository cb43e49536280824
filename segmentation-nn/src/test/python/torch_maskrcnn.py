#!/usr/bin/python3
"""The peer of MaskRCNNTest: a torchvision 0.14 MaskRCNN built like a Java MaskRCNNConfig.

    /usr/bin/python3 segmentation-nn/src/test/python/torch_maskrcnn.py names CONFIG_JSON
        prints the state_dict as JSON {name: shape} (num_batches_tracked left out: Java keeps no counter)
    /usr/bin/python3 segmentation-nn/src/test/python/torch_maskrcnn.py predict IN.safetensors OUT.safetensors
        loads the weights of IN (torchvision's names, strict but for num_batches_tracked) and its "image" (3,H,W),
        runs the model in evaluation mode in float64 (float32 if the metadata entry "dtype" says so) and writes "boxes", "scores", "labels" and the pasted mask
        probabilities "masks" (D,1,H,W) to OUT; the configuration is IN's metadata entry "config"

    /usr/bin/python3 segmentation-nn/src/test/python/torch_maskrcnn.py train IN.safetensors OUT.safetensors
        one training forward and backward in float64 on IN's weights, images "in.images" (N,3,H,W) and targets
        "in.boxes<i>", "in.labels<i>", "in.masks<i>", with both samplers replaced by IN's sampled indices
        "in.rpn_pos<i>", "in.rpn_neg<i>", "in.roi_pos<i>", "in.roi_neg<i>" (Java's draw); writes the five losses
        under torchvision's names, "grad.<parameter>" and "after.<buffer>"

    /usr/bin/python3 segmentation-nn/src/test/python/torch_maskrcnn.py pretrain IN.safetensors WEIGHTS.safetensors \
            OUT.safetensors
        the whole-model parity of issue 13: builds the model of IN's "config" in float32 from torch.manual_seed
        (IN's metadata "seed"), trains it for IN's "steps" steps (SGD, IN's "lr", momentum 0.9) on images
        "in.images" and targets "in.boxes<i>", "in.labels<i>", "in.masks<i>" with torchvision's own samplers, then
        writes its state_dict to WEIGHTS (torchvision's names and dtypes, num_batches_tracked included) and its
        evaluation-mode detections on "in.test" (3,H,W) to OUT: "boxes", "scores", "labels", "masks" (D,1,H,W)

CONFIG_JSON is Java's MaskRCNN.configToJson: input_channels (3 when absent), block (BASIC or BOTTLENECK), blocks,
widths, stem, fpn, classes, representation, mask_width, anchor sizes (one per level) and ratios, rpn_pre_nms_train, rpn_post_nms_train,
rpn_pre_nms_test, rpn_post_nms_test, rpn_nms, box_score, box_nms, detections, and optionally rpn_fg_iou,
rpn_bg_iou, rpn_batch, rpn_positive_fraction, rpn_score, box_fg_iou, box_bg_iou, box_batch, box_positive_fraction
(torchvision's defaults when absent). With min_size, max_size, image_mean and image_std the model keeps
torchvision's transform (normalisation, resizing, padding to 32, boxes and masks mapped back); without them it
takes images as the network sees them.

    /usr/bin/python3 segmentation-nn/src/test/python/torch_maskrcnn.py segment IN.safetensors OUT.safetensors
        as predict, for the images "image<i>" (3,H_i,W_i) of any sizes, in one batch through the transform; writes
        "boxes<i>", "scores<i>", "labels<i>", "masks<i>" (D,1,H_i,W_i) in float32 The backbone is torch_resnet_fpn.Body (torchvision's BasicBlock / Bottleneck) in torchvision's
BackboneWithFPN (LastLevelMaxPool); the RPN, heads and predictors are torchvision's, built offline with random
weights. The images are given as the network sees them: the transform's resizing is replaced by the identity and
its normalisation has mean 0 and std 1, as Java's MaskRCNN takes prepared images.
"""
import json
import os
import sys
from collections import OrderedDict

import numpy as np
import torch
from torchvision.models.detection.backbone_utils import BackboneWithFPN
from torchvision.models.detection.faster_rcnn import TwoMLPHead, FastRCNNPredictor
from torchvision.models.detection.mask_rcnn import MaskRCNN, MaskRCNNHeads, MaskRCNNPredictor
from torchvision.models.detection.rpn import RPNHead, AnchorGenerator
from torchvision.models.resnet import BasicBlock, Bottleneck

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, '..', 'resources', 'org', 'segmentation', 'nn', 'io'))
from torch_resnet_fpn import Body  # noqa: E402
from check_safetensors import read_safetensors  # noqa: E402
from make_safetensors_fixtures import write_safetensors  # noqa: E402

torch.set_num_threads(2)


def build(c):
    block = {'BASIC': BasicBlock, 'BOTTLENECK': Bottleneck}[c['block']]
    channels = c.get('input_channels', 3)
    body = Body(block, c['blocks'], c['widths'], c['stem'], channels)
    backbone = BackboneWithFPN(body, {'layer%d' % (i + 1): str(i) for i in range(4)},
                               [w * block.expansion for w in c['widths']], c['fpn'])
    per_cell = len(c['ratios'])
    fpn, rep, mw, k = c['fpn'], c['representation'], c['mask_width'], c['classes']
    transform = 'min_size' in c
    model = MaskRCNN(backbone, num_classes=None, min_size=c.get('min_size', 64), max_size=c.get('max_size', 64),
                     image_mean=c.get('image_mean', [0.0] * channels),
                     image_std=c.get('image_std', [1.0] * channels),
                     rpn_anchor_generator=AnchorGenerator(tuple((s,) for s in c['sizes']), (tuple(c['ratios']),) * 5),
                     rpn_head=RPNHead(fpn, per_cell),
                     rpn_pre_nms_top_n_test=c['rpn_pre_nms_test'], rpn_post_nms_top_n_test=c['rpn_post_nms_test'],
                     rpn_pre_nms_top_n_train=c['rpn_pre_nms_train'],
                     rpn_post_nms_top_n_train=c['rpn_post_nms_train'],
                     rpn_nms_thresh=c['rpn_nms'], rpn_fg_iou_thresh=c.get('rpn_fg_iou', 0.7),
                     rpn_bg_iou_thresh=c.get('rpn_bg_iou', 0.3), rpn_batch_size_per_image=c.get('rpn_batch', 256),
                     rpn_positive_fraction=c.get('rpn_positive_fraction', 0.5), rpn_score_thresh=c.get('rpn_score', 0.0),
                     box_fg_iou_thresh=c.get('box_fg_iou', 0.5), box_bg_iou_thresh=c.get('box_bg_iou', 0.5),
                     box_batch_size_per_image=c.get('box_batch', 512),
                     box_positive_fraction=c.get('box_positive_fraction', 0.25),
                     box_head=TwoMLPHead(fpn * 49, rep), box_predictor=FastRCNNPredictor(rep, k),
                     box_score_thresh=c['box_score'], box_nms_thresh=c['box_nms'],
                     box_detections_per_img=c['detections'],
                     mask_head=MaskRCNNHeads(fpn, [mw] * 4, 1), mask_predictor=MaskRCNNPredictor(mw, mw, k))
    if not transform:
        model.transform.resize = lambda image, target=None: (image, target)
    return model


def names(config):
    model = build(json.loads(config))
    print(json.dumps({k: list(v.shape) for k, v in model.state_dict().items()
                      if not k.endswith('num_batches_tracked')}))


def predict(inp, outp):
    tensors, meta = read_safetensors(inp)
    t = {k: torch.from_numpy(np.array(v[1])) for k, v in tensors.items()}
    dtype = torch.float32 if meta.get('dtype') == 'float32' else torch.float64
    model = build(json.loads(meta['config'])).to(dtype)
    state = {k: v for k, v in t.items() if k != 'image'}
    missing, unexpected = model.load_state_dict(state, strict=False)
    missing = [k for k in missing if not k.endswith('num_batches_tracked')]
    if missing or unexpected:
        raise SystemExit('missing %s unexpected %s' % (missing, unexpected))
    model.eval()
    with torch.no_grad():
        out = model([t['image'].to(dtype)])[0]
    write_safetensors(outp, OrderedDict([('boxes', out['boxes'].double().numpy()),
                                         ('scores', out['scores'].double().numpy()),
                                         ('labels', out['labels'].double().numpy()),
                                         ('masks', out['masks'].double().numpy())]), {})
    print('ok', out['boxes'].shape[0], 'detections')


def segment(inp, outp):
    tensors, meta = read_safetensors(inp)
    t = {k: torch.from_numpy(np.array(v[1])) for k, v in tensors.items()}
    model = build(json.loads(meta['config']))
    state = {k: v for k, v in t.items() if not k.startswith('image')}
    missing, unexpected = model.load_state_dict(state, strict=False)
    missing = [k for k in missing if not k.endswith('num_batches_tracked')]
    if missing or unexpected:
        raise SystemExit('missing %s unexpected %s' % (missing, unexpected))
    n = len([k for k in t if k.startswith('image')])
    model.eval()
    with torch.no_grad():
        outs = model([t['image%d' % i].float() for i in range(n)])
    result = OrderedDict()
    for i, out in enumerate(outs):
        for key in ('boxes', 'scores', 'labels', 'masks'):
            result['%s%d' % (key, i)] = out[key].double().numpy()
    write_safetensors(outp, result, {})
    print('ok', [int(o['boxes'].shape[0]) for o in outs], 'detections')


def masks_of(indices, n):
    m = torch.zeros(n, dtype=torch.uint8)
    m[indices.long()] = 1
    return m


def float64_bce():
    """torchvision's RPN labels are float32, and torch 1.13's binary_cross_entropy_with_logits then computes in
    float32 even for float64 logits: cast the target so that the float64 run is float64 throughout."""
    import torchvision.models.detection.rpn as rpn
    bce = torch.nn.functional.binary_cross_entropy_with_logits

    class F64:
        def __getattr__(self, name):
            if name == 'binary_cross_entropy_with_logits':
                return lambda x, y, *a, **k: bce(x, y.to(x.dtype), *a, **k)
            return getattr(torch.nn.functional, name)

    rpn.F = F64()


def train(inp, outp):
    float64_bce()
    tensors, meta = read_safetensors(inp)
    t = {k: torch.from_numpy(np.array(v[1])) for k, v in tensors.items()}
    model = build(json.loads(meta['config'])).double()
    state = {k: v for k, v in t.items() if '.' in k and not k.startswith('in.')}
    missing, unexpected = model.load_state_dict(state, strict=False)
    missing = [k for k in missing if not k.endswith('num_batches_tracked')]
    if missing or unexpected:
        raise SystemExit('missing %s unexpected %s' % (missing, unexpected))
    n = t['in.images'].shape[0]
    images = [t['in.images'][i] for i in range(n)]
    targets = [{'boxes': t['in.boxes%d' % i].reshape(-1, 4), 'labels': t['in.labels%d' % i].long(),
                'masks': t['in.masks%d' % i]} for i in range(n)]

    def rpn_sampler(labels):
        return ([masks_of(t['in.rpn_pos%d' % i], labels[i].numel()) for i in range(n)],
                [masks_of(t['in.rpn_neg%d' % i], labels[i].numel()) for i in range(n)])

    def roi_sampler(labels):
        return ([masks_of(t['in.roi_pos%d' % i], labels[i].numel()) for i in range(n)],
                [masks_of(t['in.roi_neg%d' % i], labels[i].numel()) for i in range(n)])

    model.rpn.fg_bg_sampler = rpn_sampler
    model.roi_heads.fg_bg_sampler = roi_sampler
    model.train()
    losses = model(images, targets)
    sum(losses.values()).backward()
    out = OrderedDict((k, v.detach().reshape(1).numpy()) for k, v in losses.items())
    for name, p in model.named_parameters():
        out['grad.' + name] = p.grad.numpy()
    for name, b in model.named_buffers():
        if not name.endswith('num_batches_tracked'):
            out['after.' + name] = b.numpy()
    write_safetensors(outp, out, {})
    print('ok', {k: float(v) for k, v in losses.items()})


def pretrain(inp, weights, outp):
    tensors, meta = read_safetensors(inp)
    t = {k: torch.from_numpy(np.array(v[1])).float() for k, v in tensors.items()}
    torch.manual_seed(int(meta['seed']))
    model = build(json.loads(meta['config']))
    n = t['in.images'].shape[0]
    images = [t['in.images'][i] for i in range(n)]
    targets = [{'boxes': t['in.boxes%d' % i].reshape(-1, 4), 'labels': t['in.labels%d' % i].long(),
                'masks': t['in.masks%d' % i].to(torch.uint8)} for i in range(n)]
    opt = torch.optim.SGD(model.parameters(), lr=float(meta['lr']), momentum=0.9)
    model.train()
    for step in range(int(meta['steps'])):
        opt.zero_grad()
        losses = model(images, targets)
        total = sum(losses.values())
        total.backward()
        opt.step()
        print('step', step, 'loss', float(total))
    state = OrderedDict((k, v.detach().numpy()) for k, v in model.state_dict().items())
    write_safetensors(weights, state, {})
    model.eval()
    with torch.no_grad():
        out = model([t['in.test']])[0]
    write_safetensors(outp, OrderedDict([('boxes', out['boxes'].double().numpy()),
                                         ('scores', out['scores'].double().numpy()),
                                         ('labels', out['labels'].double().numpy()),
                                         ('masks', out['masks'].double().numpy())]), {})
    print('ok', out['boxes'].shape[0], 'detections')


if __name__ == '__main__':
    if sys.argv[1] == 'names':
        names(sys.argv[2])
    elif sys.argv[1] == 'train':
        train(sys.argv[2], sys.argv[3])
    elif sys.argv[1] == 'segment':
        segment(sys.argv[2], sys.argv[3])
    elif sys.argv[1] == 'pretrain':
        pretrain(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        predict(sys.argv[2], sys.argv[3])
