package org.segmentation.classic.morphology;

import java.util.Arrays;

/**
 * A symmetric structuring element given row by row: row {@code dy} ({@code -r..r}) covers columns
 * {@code -halfWidth(dy)..halfWidth(dy)}. Squares and disks are of this kind.
 */
public final class Footprint {
    private final int radius;
    private final int[] halfWidths;

    private Footprint(int radius, int[] halfWidths) {
        this.radius = radius;
        this.halfWidths = halfWidths;
    }

    /**
     * The largest radius accepted: beyond it the row arithmetic ({@code r*r}, {@code 2r+1}) would be close to
     * overflowing and a filter would run for hours; it is also far beyond the side of any image this library reads
     * (see {@code ImageFiles.DEFAULT_MAX_PIXELS}).
     */
    public static final int MAX_RADIUS = 8192;

    /**
     * The {@code (2r+1) x (2r+1)} square.
     *
     * @throws IllegalArgumentException if {@code r < 0} or {@code r > MAX_RADIUS}
     */
    public static Footprint square(int r) {
        check(r);
        int[] hw = new int[2 * r + 1];
        Arrays.fill(hw, r);
        return new Footprint(r, hw);
    }

    /**
     * The disk of radius {@code r}: offsets with {@code dx^2 + dy^2 <= r^2}, as {@code skimage.morphology.disk}.
     *
     * @throws IllegalArgumentException if {@code r < 0} or {@code r > MAX_RADIUS}
     */
    public static Footprint disk(int r) {
        check(r);
        int[] hw = new int[2 * r + 1];
        for (int dy = -r; dy <= r; dy++) {
            int x = 0;
            while ((x + 1) * (x + 1) + dy * dy <= r * r) {
                x++;
            }
            hw[dy + r] = x;
        }
        return new Footprint(r, hw);
    }

    private static void check(int r) {
        if (r < 0 || r > MAX_RADIUS) {
            throw new IllegalArgumentException("footprint radius must be in 0.." + MAX_RADIUS + ", got " + r);
        }
    }

    /** Number of rows above (and below) the centre. */
    public int radius() {
        return radius;
    }

    /** Half-width of row {@code dy}, {@code -radius <= dy <= radius}. */
    public int halfWidth(int dy) {
        return halfWidths[dy + radius];
    }

    /** True when offset {@code (dx, dy)} belongs to the footprint. */
    public boolean contains(int dx, int dy) {
        return Math.abs(dy) <= radius && Math.abs(dx) <= halfWidths[dy + radius];
    }
}
