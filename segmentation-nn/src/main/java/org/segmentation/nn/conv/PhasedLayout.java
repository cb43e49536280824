package org.segmentation.nn.conv;

import java.util.Arrays;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.segmentation.nn.Memory;
import org.segmentation.nn.Scalars;

/**
 * The phased layout of an (N,C,H,W) activation, W a multiple of 4: each row holds its pixels by phase, first the
 * columns 0, 4, 8, ..., then 1, 5, 9, ..., then 2, 6, ... and 3, 7, ...: row y of plane (n, c) is
 * {@code [x(0), x(4), .., x(W-4), x(1), x(5), .., x(W-1)]}. It is a permutation within each row, so what works
 * plane by plane or element by element (batch norm, ReLU, their backward passes) is the same in either layout.
 *
 * <p>Why: Winograd F(4×4, 3×3) reads the input in windows that step by 4 columns, and writes the output in 4×4
 * tiles. In the standard layout, value j of every window of a row is a stride-4 gather, and writing a tile row is a
 * stride-4 scatter: scalar loops in Java, which for layers of 16 to 32 channels took as long as the transforms'
 * arithmetic. In the phased layout both are contiguous copies ({@link WinogradConv2d}). So within a U-Net block the
 * first convolution writes its output phased and the second reads it phased; the tensors that leave the block are
 * standard.
 */
public final class PhasedLayout {
    private PhasedLayout() {
    }

    /** Whether {@code a} can be phased: rank 4, and W a positive multiple of 4. */
    public static boolean fits(INDArray a) {
        return a.rank() == 4 && a.size(3) > 0 && a.size(3) % 4 == 0;
    }

    /** A new detached standard copy of the phased {@code p}. */
    public static INDArray standard(INDArray p) {
        require("phased layout", p);
        long n = p.size(0), c = p.size(1), h = p.size(2), tw = p.size(3) / 4;
        INDArray s = Memory.detached(p.dataType(), p.shape());
        try (MemoryWorkspace ignored = Memory.scratch()) {
            // s (N,C,H,TW,4)[.., t, j] = p (N,C,H,4,TW)[.., j, t]
            s.reshape('c', n, c, h, tw, 4).assign(p.reshape('c', n, c, h, 4, tw).permute(0, 1, 2, 4, 3));
        }
        return s;
    }

    /** Overwrites {@code p} with the phased layout of the standard {@code s} (same shape). */
    public static void phase(INDArray s, INDArray p) {
        require("phased layout", s);
        if (!Arrays.equals(s.shape(), p.shape())) {
            throw new IllegalArgumentException("phased layout: shapes differ, " + Arrays.toString(s.shape()) + " and "
                    + Arrays.toString(p.shape()));
        }
        if (!Scalars.isContiguous(p)) {
            throw new IllegalArgumentException("phased layout: the output must be c-contiguous");
        }
        long n = s.size(0), c = s.size(1), h = s.size(2), tw = s.size(3) / 4;
        try (MemoryWorkspace ignored = Memory.scratch()) {
            p.reshape('c', n, c, h, 4, tw).assign(s.reshape('c', n, c, h, tw, 4).permute(0, 1, 2, 4, 3));
        }
    }

    /** A new detached phased copy of the standard {@code s}. */
    public static INDArray phased(INDArray s) {
        INDArray p = Memory.detached(s.dataType(), s.shape());
        phase(s, p);
        return p;
    }

    /**
     * Checks that {@code a} can be phased ({@link #fits}).
     *
     * @param what who needs it and for which tensor, for the message
     * @throws IllegalArgumentException naming the shape if it cannot
     */
    public static void require(String what, INDArray a) {
        if (!fits(a)) {
            throw new IllegalArgumentException(what + ": the phased layout needs (N,C,H,W) with W a multiple of 4, got "
                    + Arrays.toString(a.shape()));
        }
    }
}
