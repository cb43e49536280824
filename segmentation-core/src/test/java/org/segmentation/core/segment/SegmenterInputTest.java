package org.segmentation.core.segment;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.segmentation.core.image.ConvertImage;
import org.segmentation.core.image.GrayU8;
import org.segmentation.core.image.LabelMap;
import org.segmentation.core.image.PlanarF32;
import org.segmentation.core.image.RgbU8;

class SegmenterInputTest {
    private static int[] unsigned(byte[] b) {
        int[] out = new int[b.length];
        for (int i = 0; i < b.length; i++) {
            out[i] = b[i] & 0xFF;
        }
        return out;
    }

    @Test
    void grayOfOneChannelRoundsAndClamps() {
        PlanarF32 img = PlanarF32.wrap(new float[] {0f, 0.5f, 1.2f, -0.1f, 0.25f, 1f}, 1, 3, 2);
        SegmenterInput in = new SegmenterInput("a", img);
        // 255 * 0.5 = 127.5 rounds up; 255 * 0.25 = 63.75.
        assertArrayEquals(new int[] {0, 128, 255, 0, 64, 255}, unsigned(in.gray().data));
        RgbU8 rgb = in.rgb();
        for (int i = 0; i < 6; i++) {
            int g = in.gray().data[i] & 0xFF;
            assertEquals(g, rgb.get(i % 3, i / 3, 0));
            assertEquals(g, rgb.get(i % 3, i / 3, 1));
            assertEquals(g, rgb.get(i % 3, i / 3, 2));
        }
    }

    @Test
    void rgbOfThreeChannelsAndGrayFromIt() {
        // Pixel 0 is (1, 0.5, 0), pixel 1 is (0, 0.2, 1).
        PlanarF32 img = PlanarF32.wrap(new float[] {1f, 0f, 0.5f, 0.2f, 0f, 1f}, 3, 2, 1);
        SegmenterInput in = new SegmenterInput("b", img);
        GrayU8 gray = in.gray();
        RgbU8 rgb = in.rgb();
        assertArrayEquals(new int[] {255, 128, 0, 0, 51, 255}, unsigned(rgb.data));
        assertEquals(ConvertImage.luma(255, 128, 0), gray.get(0, 0));
        assertEquals(ConvertImage.luma(0, 51, 255), gray.get(1, 0));
    }

    @Test
    void viewsAreConvertedOnceAndTheirTimeRecorded() {
        SegmenterInput in = new SegmenterInput("c", new PlanarF32(3, 64, 64));
        assertEquals(0, in.conversionNanos());
        GrayU8 g = in.gray();
        long afterFirst = in.conversionNanos();
        assertTrue(afterFirst > 0, "converting 64x64 pixels takes measurable time");
        assertSame(g, in.gray());
        assertSame(in.rgb(), in.rgb());
        assertEquals(afterFirst, in.conversionNanos(), "both views were made by the first call");
    }

    @Test
    void otherChannelCountsHaveOnlyThePlanarView() {
        SegmenterInput in = new SegmenterInput("two", new PlanarF32(2, 4, 4));
        IllegalStateException e = assertThrows(IllegalStateException.class, in::gray);
        assertTrue(e.getMessage().contains("two") && e.getMessage().contains("2 channels"), e.getMessage());
        assertThrows(IllegalStateException.class, in::rgb);
        assertEquals(2, in.image().channels);
    }

    @Test
    void meanThresholdKeepsPixelsAboveTheMean() {
        // 8-bit values 10, 20, 30, 40: mean 25.
        float[] v = {10 / 255f, 20 / 255f, 30 / 255f, 40 / 255f};
        LabelMap out = Baselines.meanThreshold().segment(new SegmenterInput("d", PlanarF32.wrap(v, 1, 2, 2)));
        assertArrayEquals(new int[] {0, 0, 1, 1}, out.data);
        LabelMap flat = Baselines.meanThreshold().segment(new SegmenterInput("e", new PlanarF32(1, 3, 3)));
        assertEquals(0, flat.maxLabel(), "a constant image has nothing above its mean");
        LabelMap none = Baselines.allBackground().segment(new SegmenterInput("f", PlanarF32.wrap(v, 1, 2, 2)));
        assertArrayEquals(new int[4], none.data);
    }

    @Test
    void registryCreatesByNameAndNamesTheUnknown() {
        SegmenterRegistry registry = new SegmenterRegistry().registerBaselines();
        assertEquals(List.of(Baselines.MEAN_THRESHOLD, Baselines.ALL_BACKGROUND), registry.names());
        for (String name : registry.names()) {
            assertEquals(name, registry.create(name).name());
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> registry.create("no-such"));
        assertTrue(e.getMessage().contains("'no-such'") && e.getMessage().contains(Baselines.MEAN_THRESHOLD),
                e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> registry.register(Baselines.MEAN_THRESHOLD, "again", Baselines::meanThreshold));
        assertThrows(IllegalArgumentException.class,
                () -> registry.register("two words", "bad", Baselines::meanThreshold));
        registry.register("mine", "a user's segmenter", Baselines::allBackground);
        assertTrue(registry.contains("mine"));
    }

    @Test
    void an8BitImageIsItsOwnViewAndTheFloatViewIsItsValueOver255() {
        GrayU8 g = GrayU8.wrap(new byte[] {0, (byte) 255, 51, 102}, 2, 2);
        SegmenterInput in = SegmenterInput.of(g);
        assertSame(g, in.gray());
        assertArrayEquals(new float[] {0f, 1f, 0.2f, 0.4f}, in.image().data, 1e-7f);
        assertEquals(0L, in.conversionNanos(), "no conversion was needed for the gray view");
        RgbU8 rgb = in.rgb();
        assertEquals(51, rgb.data[6] & 0xFF);

        RgbU8 colour = new RgbU8(1, 1);
        colour.data[0] = (byte) 255;
        SegmenterInput c = SegmenterInput.of(colour);
        assertSame(colour, c.rgb());
        assertEquals(3, c.image().channels);
        assertArrayEquals(new float[] {1f, 0f, 0f}, c.image().data, 0f);
        // BT.601: 0.299 * 255 = 76.2
        assertEquals(76, c.gray().get(0, 0));
    }

    @Test
    void aSegmenterTakesAGrayImageDirectly() {
        GrayU8 g = GrayU8.wrap(new byte[] {10, 10, (byte) 200, (byte) 200}, 2, 2);
        LabelMap l = Baselines.meanThreshold().segment(g);
        assertArrayEquals(new int[] {0, 0, 1, 1}, l.data);
        assertEquals(false, Baselines.meanThreshold().isInstance());
    }
}
