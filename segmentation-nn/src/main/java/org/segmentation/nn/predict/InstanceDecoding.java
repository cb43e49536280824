package org.segmentation.nn.predict;

import org.segmentation.classic.watershed.Watershed;
import org.segmentation.classic.watershed.WatershedConfig;
import org.segmentation.core.image.GrayF32;
import org.segmentation.core.image.LabelMap;
import org.segmentation.core.image.Mask;
import org.segmentation.core.image.PlanarF32;
import org.segmentation.core.label.ConnectedComponents;

/**
 * Instances from 3-class probabilities (channel 0 background, 1 interior, 2 boundary; the target of
 * {@code SyntheticCells.threeClassTarget}), as for the 3-class U-Nets compared by Caicedo et al. (Cytometry A,
 * 2019): markers are the
 * connected components of confident interior, the mask is the foreground, and the classic marker-based
 * watershed ({@link Watershed}) floods the elevation from the markers within the mask.
 *
 * <p>Labels: 0 for background, instances 1..n in raster order of their first marker pixel.
 */
public final class InstanceDecoding {
    private InstanceDecoding() {
    }

    /**
     * @param probs (3,H,W) probabilities; not modified
     * @return the instance label map (H,W)
     * @throws IllegalArgumentException if {@code probs} does not have 3 channels
     */
    public static LabelMap fromProbabilities(PlanarF32 probs, InstanceConfig config) {
        if (probs.channels != 3) {
            throw new IllegalArgumentException("expected probabilities of shape (3,H,W) (background, interior,"
                    + " boundary), got (" + probs.channels + "," + probs.height + "," + probs.width + ")");
        }
        int w = probs.width, h = probs.height;
        Mask interior = new Mask(w, h);
        Mask foreground = new Mask(w, h);
        GrayF32 elevation = new GrayF32(w, h);
        boolean boundaryRelief = config.elevation() == InstanceConfig.Elevation.BOUNDARY;
        for (int y = 0; y < h; y++) {
            int row = probs.startIndex + y * probs.stride;
            for (int x = 0; x < w; x++) {
                float pBack = probs.data[row + x];
                float pIn = probs.data[row + probs.planeStride + x];
                float pBound = probs.data[row + 2 * probs.planeStride + x];
                int o = y * w + x;
                interior.data[o] = (byte) (pIn > config.interiorThreshold() ? 1 : 0);
                foreground.data[o] = (byte) (pIn + pBound > config.foregroundThreshold() ? 1 : 0);
                elevation.data[o] = boundaryRelief ? pBound : pBack;
            }
        }
        LabelMap markers = ConnectedComponents.label(interior, config.connectivity());
        return new Watershed(WatershedConfig.of(config.connectivity())).process(elevation, markers, foreground, null);
    }
}
