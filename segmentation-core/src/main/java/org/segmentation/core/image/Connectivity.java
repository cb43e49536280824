package org.segmentation.core.image;

/**
 * Which neighbours of a pixel touch it. scikit-image calls these {@code connectivity=1} and {@code 2}, OpenCV
 * calls them 4 and 8.
 */
public enum Connectivity {
    /** The four pixels sharing an edge. */
    FOUR(new int[] {1, 0, -1, 0}, new int[] {0, 1, 0, -1}),
    /** The eight pixels sharing an edge or a corner. */
    EIGHT(new int[] {1, 1, 0, -1, -1, -1, 0, 1}, new int[] {0, 1, 1, 1, 0, -1, -1, -1});

    private final int[] dx;
    private final int[] dy;

    Connectivity(int[] dx, int[] dy) {
        this.dx = dx;
        this.dy = dy;
    }

    /** Number of neighbours: 4 or 8. */
    public int size() {
        return dx.length;
    }

    /** Column offset of neighbour {@code k}, {@code 0 <= k < size()}. */
    public int dx(int k) {
        return dx[k];
    }

    /** Row offset of neighbour {@code k}, {@code 0 <= k < size()}. */
    public int dy(int k) {
        return dy[k];
    }
}
