"""Golden data for segmentation-nn's PyTorch comparison tests.

Run with the system Python that has PyTorch 1.13 (CPU):
    /usr/bin/python3 segmentation-nn/src/test/python/make_nn_golden.py
It writes segmentation-nn/src/test/resources/golden/nn/stack.bin (little-endian float64, C order) and
stack.txt (one line per tensor: name, offset in doubles, shape). Everything is float64 so that the Java test
can compare both its float32 and its float64 runs against it.

The stack is conv3x3 -> BN -> ReLU -> maxpool2 -> up-conv 2x2/2 -> concat(skip, up) -> conv3x3 -> logits,
loss = 0.6 * CE(weights, ignore_index=255) + 0.4 * soft Dice (smooth 1, ignored pixels left out).
Then 5 steps of Adam, AdamW and SGD-Nesterov from the same initial weights, each with its own copy.
Also: bilinear x2 (align_corners=False) with its input gradient, focal loss and BCE-with-logits with their
logit gradients, all through autograd.
"""
import os
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_num_threads(2)
torch.manual_seed(2024)
torch.set_default_dtype(torch.float64)

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'resources', 'golden', 'nn')
IGNORE = 255
CLASS_WEIGHTS = torch.tensor([0.5, 1.0, 2.0])
N, CIN, H, W, C1, K = 2, 3, 8, 6, 4, 3


class Stack(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(CIN, C1, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(C1)
        self.up = nn.ConvTranspose2d(C1, C1, 2, stride=2)
        self.conv2 = nn.Conv2d(2 * C1, K, 3, padding=1)

    def forward(self, x):
        skip = F.relu(self.bn1(self.conv1(x)))
        u = self.up(F.max_pool2d(skip, 2))
        return self.conv2(torch.cat([skip, u], dim=1))


def dice_loss(logits, labels, smooth=1.0):
    valid = (labels != IGNORE).to(logits.dtype)
    safe = torch.where(labels == IGNORE, torch.zeros_like(labels), labels)
    g = F.one_hot(safe, K).permute(0, 3, 1, 2).to(logits.dtype) * valid[:, None]
    p = torch.softmax(logits, dim=1) * valid[:, None]
    inter = (p * g).sum(dim=(0, 2, 3))
    denom = p.sum(dim=(0, 2, 3)) + g.sum(dim=(0, 2, 3)) + smooth
    return 1 - ((2 * inter + smooth) / denom).mean()


def loss_fn(logits, labels):
    ce = F.cross_entropy(logits, labels, weight=CLASS_WEIGHTS, ignore_index=IGNORE)
    return 0.6 * ce + 0.4 * dice_loss(logits, labels)


def focal(logits, labels, alpha=0.25, gamma=2.0):
    valid = labels != IGNORE
    safe = torch.where(valid, labels, torch.zeros_like(labels))
    logpt = F.log_softmax(logits, dim=1).gather(1, safe[:, None])[:, 0]
    pt = logpt.exp()
    per = -alpha * (1 - pt) ** gamma * logpt
    return per[valid].mean()


tensors = {}


def put(name, t):
    tensors[name] = t.detach().to(torch.float64).numpy().copy()


x = torch.randn(N, CIN, H, W)
labels = torch.randint(0, K, (N, H, W))
labels[torch.rand(N, H, W) < 0.15] = IGNORE
put('x', x)
put('labels', labels)

model = Stack()
init_state = {k: v.clone() for k, v in model.state_dict().items()}
PARAMS = ['conv1.weight', 'conv1.bias', 'bn1.weight', 'bn1.bias', 'up.weight', 'up.bias',
          'conv2.weight', 'conv2.bias']
# gamma and beta away from 1 and 0 so that their role is tested
with torch.no_grad():
    model.bn1.weight.copy_(1 + 0.3 * torch.randn(C1))
    model.bn1.bias.copy_(0.2 * torch.randn(C1))
init_state = {k: v.clone() for k, v in model.state_dict().items()}
for p in PARAMS:
    put('init.' + p, init_state[p])

# one forward/backward with every intermediate
xr = x.clone().requires_grad_(True)
h1 = model.conv1(xr); h1.retain_grad()
h2 = model.bn1(h1); h2.retain_grad()
skip = F.relu(h2); skip.retain_grad()
pooled = F.max_pool2d(skip, 2); pooled.retain_grad()
u = model.up(pooled); u.retain_grad()
cat = torch.cat([skip, u], dim=1); cat.retain_grad()
logits = model.conv2(cat); logits.retain_grad()
loss = loss_fn(logits, labels)
loss.backward()
for name, t in [('conv1', h1), ('bn1', h2), ('relu', skip), ('pool', pooled), ('up', u), ('cat', cat),
                ('logits', logits)]:
    put('out.' + name, t)
    put('grad.' + name, t.grad)
put('loss', loss.reshape(1))
put('grad.x', xr.grad)
for name, p in model.named_parameters():
    put('grad.' + name, p.grad)
put('bn1.running_mean', model.bn1.running_mean)
put('bn1.running_var', model.bn1.running_var)


def train(make_opt, tag, steps=5):
    m = Stack()
    m.load_state_dict(init_state)
    opt = make_opt(m.parameters())
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        l = loss_fn(m(x), labels)
        l.backward()
        opt.step()
        losses.append(l.item())
    put(tag + '.losses', torch.tensor(losses))
    for p in PARAMS:
        put(tag + '.final.' + p, m.state_dict()[p])


train(lambda ps: torch.optim.Adam(ps, lr=0.01, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-3), 'adam')
train(lambda ps: torch.optim.AdamW(ps, lr=0.01, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.05), 'adamw')
train(lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-4), 'sgd')

# bilinear x2, align_corners=False, odd sizes
bx = torch.randn(2, 3, 5, 3, requires_grad=True)
by = F.interpolate(bx, scale_factor=2, mode='bilinear', align_corners=False)
br = torch.randn_like(by)
(by * br).sum().backward()
put('bilinear.x', bx); put('bilinear.y', by); put('bilinear.r', br); put('bilinear.dx', bx.grad)

# focal (alpha 0.25, gamma 2, ignore 255) and BCE with logits
fz = (2 * torch.randn(2, K, 5, 4)).requires_grad_(True)
fl = torch.randint(0, K, (2, 5, 4)); fl[torch.rand(2, 5, 4) < 0.2] = IGNORE
fv = focal(fz, fl); fv.backward()
put('focal.logits', fz); put('focal.labels', fl); put('focal.loss', fv.reshape(1)); put('focal.dlogits', fz.grad)
bz = (3 * torch.randn(2, 1, 4, 5)).requires_grad_(True)
bt = torch.rand(2, 1, 4, 5)
bv = F.binary_cross_entropy_with_logits(bz, bt); bv.backward()
put('bce.logits', bz); put('bce.targets', bt); put('bce.loss', bv.reshape(1)); put('bce.dlogits', bz.grad)

os.makedirs(OUT, exist_ok=True)
offset = 0
with open(os.path.join(OUT, 'stack.bin'), 'wb') as fb, open(os.path.join(OUT, 'stack.txt'), 'w') as ft:
    ft.write('# name offset_in_float64 shape... ; made by src/test/python/make_nn_golden.py with torch %s\n'
             % torch.__version__)
    for name, a in tensors.items():
        a = np.ascontiguousarray(a, dtype='<f8')
        fb.write(a.tobytes())
        ft.write('%s %d %s\n' % (name, offset, ' '.join(str(s) for s in a.shape)))
        offset += a.size
print('wrote', len(tensors), 'tensors,', offset * 8, 'bytes')
