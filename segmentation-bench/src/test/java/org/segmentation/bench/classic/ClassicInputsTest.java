package org.segmentation.bench.classic;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.segmentation.core.image.GrayU8;
import org.segmentation.core.image.LabelMap;
import org.segmentation.core.io.DType;
import org.segmentation.core.io.NpyFiles;
import org.segmentation.core.io.Tensor;

class ClassicInputsTest {
    @Test
    void reflectMirrorsAtEveryTileEdge() {
        int[] got = new int[10];
        for (int i = 0; i < 10; i++) {
            got[i] = ClassicInputs.reflect(i, 3);
        }
        assertArrayEquals(new int[] {0, 1, 2, 2, 1, 0, 0, 1, 2, 2}, got);
    }

    @Test
    void tiledGrayKeepsTheCameraAndMirrorsIt() {
        GrayU8 cam = ClassicInputs.camera();
        assertEquals(512, cam.width);
        GrayU8 big = ClassicInputs.gray(1100);
        for (int y : new int[] {0, 100, 511}) {
            for (int x : new int[] {0, 37, 511}) {
                assertEquals(cam.get(x, y), big.get(x, y));
                assertEquals(cam.get(x, y), big.get(1023 - x, y), "mirrored right of the first tile");
                assertEquals(cam.get(x, y), big.get(x, 1023 - y), "mirrored below the first tile");
            }
        }
        assertEquals(cam.get(5, 7), big.get(1024 + 5, 7), "period 1024");
        assertThrows(IllegalArgumentException.class, () -> ClassicInputs.gray(0));
        assertThrows(IllegalArgumentException.class, () -> ClassicInputs.rgb(513));
    }

    @Test
    void gridMarkersAre196SinglePixels() {
        LabelMap m = ClassicInputs.gridMarkers(256);
        long on = Arrays.stream(m.data).filter(v -> v != 0).count();
        assertEquals(ClassicInputs.GRID * ClassicInputs.GRID, on);
        assertEquals(196, m.maxLabel());
    }

    @Test
    void floodSeedIsInTheSky() {
        // The seed value 205 is documented; a different image would change what the flood benchmark measures.
        assertEquals(205, ClassicInputs.gray(256).get(ClassicInputs.FLOOD_X, ClassicInputs.FLOOD_Y));
    }

    @Test
    void writtenInputsAreTheBenchmarkInputs(@TempDir Path dir) throws Exception {
        ClassicInputs.write("watershed", 64, dir);
        assertEquals(Tensor.of(ClassicInputs.sobel(64)), NpyFiles.read(dir.resolve("watershed_64_elevation.npy")));
        assertEquals(Tensor.of(ClassicInputs.gridMarkers(64)),
                NpyFiles.read(dir.resolve("watershed_64_markers.npy")));
        ClassicInputs.write("kmeans", 32, dir);
        Tensor rgb = NpyFiles.read(dir.resolve("kmeans_32.npy"));
        assertArrayEquals(new long[] {32, 32, 3}, rgb.shape());
        assertEquals(Tensor.of(ClassicInputs.rgb(32)), rgb);
        ClassicInputs.write("connected-components", 40, dir);
        Tensor bin = NpyFiles.read(dir.resolve("connected-components_40.npy"));
        assertTrue(bin.dtype() == DType.BOOL || bin.dtype() == DType.U8, bin.toString());
        assertThrows(IllegalArgumentException.class, () -> ClassicInputs.write("nope", 8, dir));
    }
}
