"""The PyTorch twin of the Java UNet (org.segmentation.nn.model.UNet), shared by the golden scripts here and by
the PyTorch peers and experiments under segmentation-bench/peers.

The attribute names are exactly the Java parameter and buffer names, so state_dict keys such as
down1.conv1.weight or up2.bn1.running_mean load into Java unchanged. `cfg` is the dict of a model's
config.json (input_channels, classes, depth, base_filters, batch_norm, dropout, upsampling, up_kernel, head).
"""
import torch
import torch.nn as nn
import torch.nn.functional as F


class DoubleConv(nn.Module):
    """[conv3x3 - BN - ReLU] x2 as attributes conv1, bn1, conv2, bn2 (the Java names)."""

    def __init__(self, cin, cout, batch_norm):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        if batch_norm:
            self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        if batch_norm:
            self.bn2 = nn.BatchNorm2d(cout)
        self.batch_norm = batch_norm

    def block(self, x):
        x = self.conv1(x)
        x = F.relu(self.bn1(x) if self.batch_norm else x)
        x = self.conv2(x)
        return F.relu(self.bn2(x) if self.batch_norm else x)

    def forward(self, x):
        return self.block(x)


class Up(DoubleConv):
    """up (transposed 2x2/2, or bilinear x2 + conv k), concat(skip, up), then the DoubleConv of this module."""

    def __init__(self, cin, cout, cfg):
        super().__init__(2 * cout, cout, cfg['batch_norm'])
        self.bilinear = cfg['upsampling'] == 'bilinear'
        if self.bilinear:
            k = cfg['up_kernel']
            self.up = nn.Conv2d(cin, cout, k, padding=k // 2)
        else:
            self.up = nn.ConvTranspose2d(cin, cout, 2, stride=2)

    def forward(self, x, skip):
        if self.bilinear:
            u = self.up(F.interpolate(x, scale_factor=2, mode='bilinear', align_corners=False))
        else:
            u = self.up(x)
        return self.block(torch.cat([skip, u], dim=1))


class UNet(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        d, b = cfg['depth'], cfg['base_filters']
        cin = cfg['input_channels']
        for i in range(1, d + 1):
            setattr(self, 'down%d' % i, DoubleConv(cin, b << (i - 1), cfg['batch_norm']))
            cin = b << (i - 1)
        self.bottleneck = DoubleConv(cin, b << d, cfg['batch_norm'])
        self.dropout = nn.Dropout(cfg['dropout'])
        for i in range(1, d + 1):
            level = d + 1 - i
            setattr(self, 'up%d' % i, Up(b << level, b << (level - 1), cfg))
        k = 1 if cfg['head'] == 'sigmoid' else cfg['classes']
        self.head = nn.Conv2d(b, k, 1)
        self.depth = d

    def forward(self, x):
        skips = []
        for i in range(1, self.depth + 1):
            x = getattr(self, 'down%d' % i)(x)
            skips.append(x)
            x = F.max_pool2d(x, 2)
        x = self.dropout(self.bottleneck(x))
        for i in range(1, self.depth + 1):
            x = getattr(self, 'up%d' % i)(x, skips[self.depth - i])
        return self.head(x)
