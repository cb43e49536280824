"""Golden data for segmentation-nn's detection tests (org.segmentation.nn.detect), from torchvision 0.14.

Run with the system Python that has PyTorch 1.13 and torchvision 0.14 (CPU):
    /usr/bin/python3 segmentation-nn/src/test/python/make_detect_golden.py
It writes segmentation-nn/src/test/resources/golden/nn/detect.bin (little-endian float64, C order) and
detect.txt (one line per tensor: name, offset in doubles, shape), the format of testutil.Golden.

Each section draws from its own seeded generator, so adding a section leaves the others' data unchanged.
Sections:
  coder.*    BoxCoder encode/decode, RPN weights (1,1,1,1) and box-head weights (10,10,5,5), float64; decoded
             deltas include dw, dh above the clamp log(1000/16).
  iou.*      box_iou of two random sets, float64, disjoint and nested pairs included.
  nms.*      ops.nms and ops.batched_nms on float32 boxes with distinct scores; no IoU lies within 1e-4 of a
             threshold, so a float64 IoU decides every comparison the same way as torchvision's float32 one.
             batched_nms is run both below (coordinate-offset path) and above (per-class path) its 4000-value
             switch.
  anchors.*  models.detection.anchor_utils.AnchorGenerator, for the default Mask R-CNN configuration on a
             160x256 image (the 5th level's stride 160//3 = 53 as torchvision computes it) and for a small configuration with several sizes per level, odd sizes and a
             non-square image whose strides differ in x and y.
  roi.*      ops.roi_align forward and input gradient (autograd of sum(out * r)) in float64 and float32, for
             aligned False/True, sampling ratio 2 and adaptive (-1), a 3x4 output at spatial scale 0.5, on boxes
             that cross the map's edges, lie outside it, are smaller than a cell or degenerate.
  levels.*   ops.poolers.LevelMapper(2, 5) on boxes of many sizes, sizes exactly at level boundaries included.
  rpn.*      models.detection.rpn.RegionProposalNetwork on two 64x96 images, five levels of 3 anchors per cell
             (float64): filter_proposals in evaluation mode (pre-NMS 200 per level, post-NMS 50, NMS 0.7) from
             random logits and deltas; assign_targets_to_anchors (0.7 / 0.3, low-quality matches) and the encoded
             regression targets for a few ground-truth boxes per image; compute_loss and its gradients for the
             logits and deltas (autograd), with the sampler replaced by fixed samples saved here (torchvision's own
             sampler draws from torch's generator), so that both sides use the same sampled anchors.
  roi.h.*    models.detection.roi_heads on two 48x64 images, 4 classes (float64): assign_targets_to_proposals
             (0.5 / 0.5) on the proposals with the ground truth appended; select_training_samples with the sampler
             replaced by fixed samples saved here; fastrcnn_loss and maskrcnn_loss (14x14 masks) with the gradients
             of their logits; project_masks_on_boxes; postprocess_detections (score 0.05, NMS 0.5) on random logits.
  paste.*    roi_heads.paste_masks_in_image (padding 1) of six random 28x28 probability masks into a 40x50 image,
             boxes inside, crossing every edge and smaller than a pixel, float64.
  msroi.*    ops.MultiScaleRoIAlign over four levels (7x7, sampling 2), output and per-level input gradients,
             float64.
"""
import math
import os
import numpy as np
import torch
import torchvision
from torchvision.models.detection._utils import BoxCoder
from torchvision.models.detection.anchor_utils import AnchorGenerator
from torchvision.models.detection.image_list import ImageList
from torchvision.ops import box_iou, nms, batched_nms, roi_align, MultiScaleRoIAlign
from torchvision.ops.poolers import LevelMapper
from torchvision.models.detection.roi_heads import paste_masks_in_image, RoIHeads, fastrcnn_loss, maskrcnn_loss, project_masks_on_boxes
from torchvision.models.detection.rpn import RegionProposalNetwork, RPNHead, concat_box_prediction_layers

torch.set_num_threads(2)
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'resources', 'golden', 'nn')
tensors = {}


def put(name, t):
    a = torch.as_tensor(t).detach().to(torch.float64).numpy().copy()
    if a.ndim == 0:
        a = a.reshape(1)
    tensors[name] = a


def random_boxes(g, n, size, min_wh=1.0, max_wh=None, dtype=torch.float64):
    max_wh = max_wh or size / 2
    xy = torch.rand(n, 2, generator=g, dtype=torch.float64) * size
    wh = min_wh + torch.rand(n, 2, generator=g, dtype=torch.float64) * (max_wh - min_wh)
    return torch.cat([xy, xy + wh], dim=1).to(dtype)


# ---- coder ----
g = torch.Generator().manual_seed(11)
refs = random_boxes(g, 40, 100.0)
targets = random_boxes(g, 40, 100.0)
put('coder.refs', refs)
put('coder.targets', targets)
for tag, weights in (('rpn', (1.0, 1.0, 1.0, 1.0)), ('roi', (10.0, 10.0, 5.0, 5.0))):
    coder = BoxCoder(weights)
    put('coder.%s.encoded' % tag, coder.encode_single(targets, refs))
    k = 1 if tag == 'rpn' else 3
    deltas = torch.randn(40, 4 * k, generator=g, dtype=torch.float64) * 2
    deltas[::5, 2::4] = 9.0 * weights[2]   # above the clamp
    deltas[1::5, 3::4] = 7.0 * weights[3]
    put('coder.%s.deltas' % tag, deltas)
    put('coder.%s.decoded' % tag, coder.decode_single(deltas, refs))

# ---- iou ----
g = torch.Generator().manual_seed(12)
a = random_boxes(g, 9, 50.0)
b = random_boxes(g, 6, 50.0)
b[0] = torch.tensor([200.0, 200.0, 210.0, 220.0])          # disjoint from every box of a
b[1] = torch.cat([a[2, :2] + 1, a[2, 2:] - 0.5])           # nested in a[2]
b[2] = a[3]                                                 # identical to a[3]
put('iou.a', a)
put('iou.b', b)
put('iou.out', box_iou(a, b))

# ---- nms ----
g = torch.Generator().manual_seed(13)


def tie_free(n, size, thresholds, max_wh):
    while True:
        boxes = random_boxes(g, n, size, min_wh=2.0, max_wh=max_wh, dtype=torch.float32)
        iou = box_iou(boxes.double(), boxes.double())
        if all((iou - t).abs().min().item() > 1e-4 for t in thresholds):
            scores = torch.randperm(n, generator=g).to(torch.float32) / n + 0.001 * torch.rand(n, generator=g)
            return boxes, scores


for tag, n in (('small', 300), ('large', 1200)):
    boxes, scores = tie_free(n, 100.0, (0.3, 0.5, 0.7), 30.0)
    classes = torch.randint(0, 4, (n,), generator=g)
    put('nms.%s.boxes' % tag, boxes)
    put('nms.%s.scores' % tag, scores)
    put('nms.%s.classes' % tag, classes)
    for t in (0.3, 0.5, 0.7):
        put('nms.%s.keep%d' % (tag, round(t * 10)), nms(boxes, scores, t))
        put('nms.%s.batched%d' % (tag, round(t * 10)), batched_nms(boxes, scores, classes, t))

# ---- anchors ----
configs = {
    'default': (((32,), (64,), (128,), (256,), (512,)), ((0.5, 1.0, 2.0),) * 5, (160, 256),
                [(40, 64), (20, 32), (10, 16), (5, 8), (3, 4)]),
    'small': (((5, 8), (12, 17), (24, 31)), ((0.5, 1.0, 2.0), (0.25, 1.0, 3.0), (1.0,)), (100, 150),
              [(25, 38), (13, 19), (7, 10)]),
}
for tag, (sizes, ratios, image, grids) in configs.items():
    gen = AnchorGenerator(sizes, ratios)
    images = ImageList(torch.zeros(1, 3, *image), [image])
    feats = [torch.zeros(1, 1, h, w) for h, w in grids]
    anchors = gen(images, feats)[0]
    put('anchors.%s' % tag, anchors)

# ---- roi ----
g = torch.Generator().manual_seed(14)
x = torch.randn(2, 3, 10, 12, generator=g, dtype=torch.float64)
rb = random_boxes(g, 10, 22.0, min_wh=0.5, max_wh=14.0) - 2.0     # image of 20x24 pixels at scale 0.5
extra = torch.tensor([[-6.0, -5.0, 3.0, 4.0],      # crosses the top-left corner
                      [18.0, 15.0, 30.0, 27.0],    # crosses the bottom-right corner
                      [30.0, 2.0, 40.0, 8.0],      # entirely right of the map
                      [5.0, 5.0, 5.3, 5.2],        # smaller than a cell
                      [7.0, 3.0, 7.0, 9.0],        # zero width
                      [-1.0, -1.0, 25.0, 21.0]], dtype=torch.float64)  # the whole map and more
rb = torch.cat([rb, extra])
bidx = torch.randint(0, 2, (rb.shape[0],), generator=g)
put('roi.x', x)
put('roi.boxes', rb)
put('roi.batch', bidx)
r = torch.randn(rb.shape[0], 3, 3, 4, generator=g, dtype=torch.float64)
put('roi.r', r)
for aligned in (False, True):
    for sr in (2, -1):
        for dt, dname in ((torch.float64, 'f64'), (torch.float32, 'f32')):
            xi = x.to(dt).clone().requires_grad_(True)
            rois = torch.cat([bidx[:, None].to(dt), rb.to(dt)], dim=1)
            out = roi_align(xi, rois, (3, 4), spatial_scale=0.5, sampling_ratio=sr, aligned=aligned)
            (out * r.to(dt)).sum().backward()
            tag = 'roi.%s.%s.%s' % ('aligned' if aligned else 'plain', 'sr2' if sr == 2 else 'adaptive', dname)
            put(tag + '.out', out)
            put(tag + '.grad', xi.grad)

# ---- levels ----
g = torch.Generator().manual_seed(15)
sizes = torch.cat([torch.tensor([56.0, 112.0, 224.0, 448.0, 20.0, 1000.0]),
                   torch.exp(torch.rand(40, generator=g, dtype=torch.float64) * math.log(600.0))])
corner = torch.rand(sizes.shape[0], 2, generator=g, dtype=torch.float64) * 50
aspect = torch.exp((torch.rand(sizes.shape[0], generator=g, dtype=torch.float64) - 0.5))
aspect[:6] = 1.0
lb = torch.stack([corner[:, 0], corner[:, 1], corner[:, 0] + sizes * aspect, corner[:, 1] + sizes / aspect], 1)
put('levels.boxes', lb)
put('levels.out', LevelMapper(2, 5)([lb.to(torch.float32)]))

# ---- msroi ----
g = torch.Generator().manual_seed(16)
feats = {str(i): torch.randn(1, 2, 64 >> i, 64 >> i, generator=g, dtype=torch.float64).requires_grad_(True)
         for i in range(4)}
sizes = torch.exp(torch.rand(24, generator=g, dtype=torch.float64) * math.log(300.0)) + 4
corner = torch.rand(24, 2, generator=g, dtype=torch.float64) * 240 - 20
mb = torch.cat([corner, corner + sizes[:, None] * torch.exp(torch.rand(24, 2, generator=g, dtype=torch.float64) - 0.5)], 1)
pool = MultiScaleRoIAlign(['0', '1', '2', '3'], 7, 2)
out = pool(feats, [mb], [(256, 256)])
mr = torch.randn(out.shape, generator=g, dtype=torch.float64)
(out * mr).sum().backward()
for i in range(4):
    put('msroi.x%d' % i, feats[str(i)])
    put('msroi.grad%d' % i, feats[str(i)].grad)
put('msroi.boxes', mb)
put('msroi.r', mr)
put('msroi.out', out)

# ---- rpn ----
g = torch.Generator().manual_seed(17)
rpn_gen = AnchorGenerator(((8,), (16,), (32,), (64,), (128,)), ((0.5, 1.0, 2.0),) * 5)
grids = [(16, 24), (8, 12), (4, 6), (2, 3), (1, 2)]
rpn = RegionProposalNetwork(rpn_gen, RPNHead(4, 3), 0.7, 0.3, 256, 0.5, dict(training=300, testing=200),
                            dict(training=100, testing=50), 0.7)
rpn.eval()
images = ImageList(torch.zeros(2, 3, 64, 96, dtype=torch.float64), [(64, 96), (64, 96)])
feats = [torch.zeros(2, 4, h, w, dtype=torch.float64) for h, w in grids]
anchors = rpn_gen(images, feats)
obj_levels = [torch.randn(2, 3, h, w, generator=g, dtype=torch.float64) * 2 for h, w in grids]
del_levels = [torch.randn(2, 12, h, w, generator=g, dtype=torch.float64) * 0.5 for h, w in grids]
for l in range(5):
    put('rpn.obj%d' % l, obj_levels[l])
    put('rpn.del%d' % l, del_levels[l])
put('rpn.anchors', anchors[0])
objectness, deltas = concat_box_prediction_layers([o.clone() for o in obj_levels], [d.clone() for d in del_levels])
put('rpn.flat_obj', objectness.reshape(2, -1))
put('rpn.flat_del', deltas.reshape(2, -1))
num_per_level = [3 * h * w for h, w in grids]
proposals = rpn.box_coder.decode(deltas.detach(), anchors).view(2, -1, 4)
boxes, scores = rpn.filter_proposals(proposals, objectness.detach(), images.image_sizes, num_per_level)
for i in range(2):
    put('rpn.proposals%d' % i, boxes[i])
    put('rpn.scores%d' % i, scores[i])
gts = [torch.tensor([[3.5, 4.0, 20.5, 30.0], [40.0, 10.5, 90.0, 60.0], [10.0, 40.0, 18.0, 47.5],
                     [60.5, 2.0, 70.0, 9.0]], dtype=torch.float64),
       torch.tensor([[0.0, 0.0, 95.0, 63.0], [30.5, 20.0, 34.0, 25.5], [50.0, 30.0, 80.5, 61.0]],
                    dtype=torch.float64)]
for i in range(2):
    put('rpn.gt%d' % i, gts[i])
labels, matched = rpn.assign_targets_to_anchors(anchors, [{'boxes': b} for b in gts])
targets = rpn.box_coder.encode(matched, anchors)
for i in range(2):
    put('rpn.labels%d' % i, labels[i])
    put('rpn.matched%d' % i, matched[i])
    put('rpn.targets%d' % i, targets[i])
pos_masks, neg_masks = [], []
for i in range(2):
    pos = torch.where(labels[i] >= 1)[0]
    neg = torch.where(labels[i] == 0)[0]
    pos = pos[torch.randperm(pos.numel(), generator=g)[:min(pos.numel(), 20)]]
    neg = neg[torch.randperm(neg.numel(), generator=g)[:40 - pos.numel()]]
    pm = torch.zeros_like(labels[i], dtype=torch.uint8)
    nm = torch.zeros_like(labels[i], dtype=torch.uint8)
    pm[pos] = 1
    nm[neg] = 1
    pos_masks.append(pm)
    neg_masks.append(nm)
    put('rpn.pos%d' % i, torch.sort(pos)[0])
    put('rpn.neg%d' % i, torch.sort(neg)[0])
rpn.fg_bg_sampler = lambda _labels: (pos_masks, neg_masks)
objectness = objectness.detach().clone().requires_grad_(True)
deltas = deltas.detach().clone().requires_grad_(True)
# torchvision's labels are float32, and torch 1.13's binary_cross_entropy_with_logits then returns a float32 loss
# even for float64 logits; cast them so that the golden loss is float64 throughout
loss_obj, loss_box = rpn.compute_loss(objectness, deltas, [lab.double() for lab in labels], targets)
(loss_obj + loss_box).backward()
put('rpn.loss_obj', loss_obj)
put('rpn.loss_box', loss_box)
put('rpn.grad_obj', objectness.grad.reshape(2, -1))
put('rpn.grad_del', deltas.grad.reshape(2, -1))

# ---- roi heads ----
g = torch.Generator().manual_seed(18)
K = 4
heads = RoIHeads(None, None, None, 0.5, 0.5, 512, 0.25, None, 0.05, 0.5, 100)
gt_boxes = [torch.tensor([[4.0, 6.0, 30.0, 28.0], [20.0, 15.0, 50.0, 45.0], [40.0, 2.0, 60.0, 14.0]],
                         dtype=torch.float64),
            torch.tensor([[10.0, 10.0, 26.0, 40.0], [35.0, 20.0, 62.0, 46.0]], dtype=torch.float64)]
gt_labels = [torch.tensor([1, 3, 2]), torch.tensor([2, 2])]
gt_masks = []
for b in gt_boxes:
    yy, xx = torch.meshgrid(torch.arange(48, dtype=torch.float64) + 0.5, torch.arange(64, dtype=torch.float64) + 0.5,
                            indexing='ij')
    ms = []
    for x1, y1, x2, y2 in b.tolist():
        cx, cy, rx, ry = (x1 + x2) / 2, (y1 + y2) / 2, (x2 - x1) / 2, (y2 - y1) / 2
        ms.append((((xx - cx) / rx) ** 2 + ((yy - cy) / ry) ** 2 <= 1).to(torch.float64))
    gt_masks.append(torch.stack(ms))
proposals = []
for b in gt_boxes:
    jitter = b.repeat(6, 1) + torch.randn(6 * b.shape[0], 4, generator=g, dtype=torch.float64) * 4
    jitter[:, 2:] = torch.maximum(jitter[:, 2:], jitter[:, :2] + 2)
    proposals.append(torch.cat([jitter, random_boxes(g, 20, 56.0, min_wh=3.0, max_wh=30.0)]))
for i in range(2):
    put('roi.h.proposals%d' % i, proposals[i])
    put('roi.h.gt%d' % i, gt_boxes[i])
    put('roi.h.gtlabels%d' % i, gt_labels[i])
    put('roi.h.gtmasks%d' % i, gt_masks[i])
with_gt = heads.add_gt_proposals([p.clone() for p in proposals], gt_boxes)
matched, labels = heads.assign_targets_to_proposals(with_gt, gt_boxes, gt_labels)
pos_masks, neg_masks = [], []
for i in range(2):
    put('roi.h.labels%d' % i, labels[i])
    put('roi.h.matched%d' % i, matched[i])
    pos = torch.where(labels[i] >= 1)[0]
    neg = torch.where(labels[i] == 0)[0]
    pos = pos[torch.randperm(pos.numel(), generator=g)[:min(pos.numel(), 8)]]
    neg = neg[torch.randperm(neg.numel(), generator=g)[:24 - pos.numel()]]
    pm = torch.zeros_like(labels[i], dtype=torch.uint8)
    nm = torch.zeros_like(labels[i], dtype=torch.uint8)
    pm[pos] = 1
    nm[neg] = 1
    pos_masks.append(pm)
    neg_masks.append(nm)
    put('roi.h.pos%d' % i, torch.sort(pos)[0])
    put('roi.h.neg%d' % i, torch.sort(neg)[0])
heads.fg_bg_sampler = lambda _labels: (pos_masks, neg_masks)
targets = [{'boxes': gt_boxes[i], 'labels': gt_labels[i]} for i in range(2)]
sel_props, sel_matched, sel_labels, reg_targets = heads.select_training_samples(
    [p.clone() for p in proposals], targets)
for i in range(2):
    put('roi.h.sel_boxes%d' % i, sel_props[i])
    put('roi.h.sel_labels%d' % i, sel_labels[i])
    put('roi.h.sel_targets%d' % i, reg_targets[i])
S = sum(int(p.shape[0]) for p in sel_props)
class_logits = (torch.randn(S, K, generator=g, dtype=torch.float64) * 2).requires_grad_(True)
box_regression = (torch.randn(S, 4 * K, generator=g, dtype=torch.float64) * 0.3).requires_grad_(True)
cls_loss, box_loss = fastrcnn_loss(class_logits, box_regression, sel_labels, reg_targets)
(cls_loss + box_loss).backward()
put('roi.h.class_logits', class_logits)
put('roi.h.box_regression', box_regression)
put('roi.h.cls_loss', cls_loss)
put('roi.h.box_loss', box_loss)
put('roi.h.grad_logits', class_logits.grad)
put('roi.h.grad_regression', box_regression.grad)
pos_props = [sel_props[i][sel_labels[i] > 0] for i in range(2)]
pos_matched = [sel_matched[i][sel_labels[i] > 0] for i in range(2)]
P = sum(int(p.shape[0]) for p in pos_props)
mask_logits = (torch.randn(P, K, 14, 14, generator=g, dtype=torch.float64) * 2).requires_grad_(True)
mask_loss = maskrcnn_loss(mask_logits, pos_props, gt_masks, gt_labels, pos_matched)
mask_loss.backward()
put('roi.h.mask_logits', mask_logits)
put('roi.h.mask_loss', mask_loss)
put('roi.h.grad_mask', mask_logits.grad)
put('roi.h.mask_targets0', project_masks_on_boxes(gt_masks[0], pos_props[0], pos_matched[0], 14))
det_logits = torch.randn(52, K, generator=g, dtype=torch.float64) * 2
det_regression = torch.randn(52, 4 * K, generator=g, dtype=torch.float64) * 0.5
det_props = [random_boxes(g, 26, 56.0, min_wh=3.0, max_wh=30.0) for _ in range(2)]
dboxes, dscores, dlabels = heads.postprocess_detections(det_logits, det_regression, det_props, [(48, 64), (48, 64)])
put('roi.h.det_logits', det_logits)
put('roi.h.det_regression', det_regression)
for i in range(2):
    put('roi.h.det_props%d' % i, det_props[i])
    put('roi.h.det_boxes%d' % i, dboxes[i])
    put('roi.h.det_scores%d' % i, dscores[i])
    put('roi.h.det_labels%d' % i, dlabels[i])

# ---- paste ----
g = torch.Generator().manual_seed(19)
pm = torch.rand(6, 1, 28, 28, generator=g, dtype=torch.float64)
pb = torch.tensor([[5.3, 4.7, 30.2, 25.9], [-6.5, -3.2, 12.8, 14.1], [38.0, 30.5, 61.7, 47.2],
                   [10.0, 10.0, 10.4, 10.3], [0.0, 0.0, 50.0, 40.0], [20.6, -8.9, 44.4, 39.9]], dtype=torch.float64)
put('paste.masks', pm)
put('paste.boxes', pb)
put('paste.out', paste_masks_in_image(pm, pb, (40, 50), padding=1))

os.makedirs(OUT, exist_ok=True)
offset = 0
with open(os.path.join(OUT, 'detect.bin'), 'wb') as fb, open(os.path.join(OUT, 'detect.txt'), 'w') as ft:
    ft.write('# name offset_in_float64 shape... ; made by src/test/python/make_detect_golden.py with torch %s,'
             ' torchvision %s\n' % (torch.__version__, torchvision.__version__))
    for name, arr in tensors.items():
        arr = np.ascontiguousarray(arr, dtype='<f8')
        fb.write(arr.tobytes())
        ft.write('%s %d %s\n' % (name, offset, ' '.join(str(s) for s in arr.shape)))
        offset += arr.size
print('wrote', len(tensors), 'tensors,', offset * 8, 'bytes')
