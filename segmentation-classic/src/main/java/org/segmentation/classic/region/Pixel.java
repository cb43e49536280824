package org.segmentation.classic.region;

/**
 * A pixel position, column {@code x} and row {@code y}, used for seeds.
 *
 * @param x column
 * @param y row
 */
public record Pixel(int x, int y) {
}
