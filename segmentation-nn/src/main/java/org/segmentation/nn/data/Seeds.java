package org.segmentation.nn.data;

/**
 * Seed derivation: each sample's random stream is a pure function of {@code (seed, epoch, index)}, so a batch does
 * not depend on which thread loaded which sample or in what order.
 *
 * <p>The mixing function is the finaliser of SplitMix64 (Steele, Lea and Flood, "Fast splittable pseudorandom
 * number generators", OOPSLA 2014), which spreads every input bit over the whole output.
 */
final class Seeds {
    private static final long GOLDEN_GAMMA = 0x9E3779B97F4A7C15L;

    private Seeds() {
    }

    /** A well-mixed 64-bit value from two inputs; changing either changes about half the output bits. */
    static long mix(long a, long b) {
        return mix64(mix64(a + GOLDEN_GAMMA) ^ (b * GOLDEN_GAMMA + 0x632BE59BD9B4E019L));
    }

    /** {@code mix(mix(a, b), c)}: the seed of item {@code c} of stream {@code b} of seed {@code a}. */
    static long mix(long a, long b, long c) {
        return mix(mix(a, b), c);
    }

    private static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
