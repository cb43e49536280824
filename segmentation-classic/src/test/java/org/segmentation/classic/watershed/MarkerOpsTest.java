package org.segmentation.classic.watershed;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.segmentation.classic.TestImages;
import org.segmentation.classic.region.Pixel;
import org.segmentation.core.image.Connectivity;
import org.segmentation.core.image.ConvertImage;
import org.segmentation.core.image.GrayF32;
import org.segmentation.core.image.GrayU8;
import org.segmentation.core.image.LabelMap;
import org.segmentation.core.image.Mask;

class MarkerOpsTest {
    private static final Map<String, Object> GOLDEN = TestImages.json("/golden/markers.json");

    private static int count(Mask m) {
        return m.countOn();
    }

    @Test
    void regionalMaximaAndHMaximaEqualSkimageOnCamera() {
        GrayU8 camera = TestImages.gray("camera");
        byte[] bits = ConvertImage.toGrayU8(TestImages.read("/golden/markers/camera_maxima.png"), null).data;
        Mask m1 = MarkerOps.regionalMaxima(camera, Connectivity.FOUR, null);
        Mask m2 = MarkerOps.regionalMaxima(camera, Connectivity.EIGHT, null);
        for (int i = 0; i < bits.length; i++) {
            assertEquals(bits[i] & 1, m1.data[i], "connectivity 1 at " + i);
            assertEquals((bits[i] >> 1) & 1, m2.data[i], "connectivity 2 at " + i);
        }
        assertEquals(((Double) GOLDEN.get("camera_maxima_c1")).intValue(), count(m1));
        byte[] h = ConvertImage.toGrayU8(TestImages.read("/golden/markers/camera_hmax40.png"), null).data;
        Mask hm = MarkerOps.hMaxima(camera, 40, null);
        assertArrayEquals(h, hm.data);
        assertEquals(((Double) GOLDEN.get("camera_hmax40")).intValue(), count(hm));
    }

    @Test
    void handMadeExtremaAndDynamics() {
        // Two peaks: 9 (dynamic 9 as the global maximum) and 5 (dynamic 5 - 2 = 3 above the saddle 2).
        GrayU8 g = GrayU8.wrap(new byte[] {0, 9, 2, 5, 1, 1}, 6, 1);
        assertArrayEquals(new byte[] {0, 1, 0, 1, 0, 0}, MarkerOps.regionalMaxima(g, Connectivity.FOUR, null).data);
        // The plateau 1,1 at the right border is a regional minimum, as is the 0 at the left.
        assertArrayEquals(new byte[] {1, 0, 1, 0, 1, 1}, MarkerOps.regionalMinima(g, Connectivity.FOUR, null).data);
        assertArrayEquals(new byte[] {0, 1, 0, 1, 0, 0}, MarkerOps.hMaxima(g, 3, null).data);
        assertArrayEquals(new byte[] {0, 1, 0, 0, 0, 0}, MarkerOps.hMaxima(g, 4, null).data);
        assertEquals(0, MarkerOps.hMaxima(g, 10, null).countOn()); // h above the range: empty, as skimage
        // A constant image is one plateau: one regional maximum covering everything, and no peak.
        GrayF32 flat = new GrayF32(3, 3).fill(2f);
        assertEquals(9, MarkerOps.regionalMaxima(flat, Connectivity.EIGHT, null).countOn());
        assertTrue(MarkerOps.peakLocalMax(flat, 1, Double.NaN, false).isEmpty());
    }

    @Test
    void peaksKeepTheirSpacingHighestFirst() {
        GrayF32 img = new GrayF32(10, 3);
        img.set(2, 1, 5f);
        img.set(4, 1, 7f); // within 3 of (2,1): the higher one wins
        img.set(8, 1, 6f);
        List<Pixel> p = MarkerOps.peakLocalMax(img, 3, Double.NaN, false);
        assertEquals(List.of(new Pixel(4, 1), new Pixel(8, 1)), p);
        // Excluding a border of 3 drops both: row 1 is within 3 pixels of the top edge.
        assertTrue(MarkerOps.peakLocalMax(img, 3, Double.NaN, true).isEmpty());
        // The threshold is exclusive.
        assertEquals(List.of(new Pixel(4, 1)), MarkerOps.peakLocalMax(img, 1, 6.0, false));
        LabelMap m = MarkerOps.pointMarkers(List.of(new Pixel(8, 1), new Pixel(4, 1)), 10, 3, null);
        assertEquals(1, m.get(4, 1)); // numbered in raster order, not list order
        assertEquals(2, m.get(8, 1));
    }

    @Test
    void badInput() {
        GrayF32 img = new GrayF32(4, 4);
        assertThrows(IllegalArgumentException.class, () -> MarkerOps.peakLocalMax(img, 0, Double.NaN, false));
        assertThrows(IllegalArgumentException.class, () -> MarkerOps.hMaxima(img, 0, null));
        img.set(1, 1, Float.NaN);
        var e = assertThrows(IllegalArgumentException.class,
                () -> MarkerOps.regionalMaxima(img, Connectivity.FOUR, null));
        assertTrue(e.getMessage().contains("NaN"));
        var e2 = assertThrows(IllegalArgumentException.class,
                () -> MarkerOps.pointMarkers(List.of(new Pixel(4, 0)), 4, 4, null));
        assertTrue(e2.getMessage().contains("(4, 0)"), e2.getMessage());
    }

    @Test
    void minimaMarkersKeepTheMinimaAtLeastHDeepOneLabelPerPlateauInRasterOrder() {
        // Two identical rows: a global minimum (10) and a minimum of depth 10 (50, saddle 60).
        int[] row = {60, 10, 60, 52, 50, 52, 60};
        GrayU8 elevation = new GrayU8(7, 2);
        for (int y = 0; y < 2; y++) {
            for (int x = 0; x < 7; x++) {
                elevation.set(x, y, row[x]);
            }
        }
        int[] both = {0, 1, 0, 0, 2, 0, 0, 0, 1, 0, 0, 2, 0, 0};
        assertArrayEquals(both, MarkerOps.minimaMarkers(elevation, 0).data, "every regional minimum");
        assertArrayEquals(both, MarkerOps.minimaMarkers(elevation, 10).data, "depth 10 is deep enough for h = 10");
        assertArrayEquals(new int[] {0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0},
                MarkerOps.minimaMarkers(elevation, 11).data, "too shallow for h = 11");
        assertEquals(60, elevation.get(0, 0), "the elevation is not modified");
        assertThrows(IllegalArgumentException.class, () -> MarkerOps.minimaMarkers(elevation, -1));
    }
}
