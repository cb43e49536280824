package org.segmentation.bench.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Map;
import org.junit.jupiter.api.Test;

class TrainingMemoryTest {
    /** The head of a real /proc/self/status (Linux 6.x), trimmed. */
    private static final String STATUS = """
            Name:\tjava
            Umask:\t0022
            State:\tS (sleeping)
            VmPeak:\t 5873412 kB
            VmSize:\t 5808900 kB
            VmLck:\t       0 kB
            VmHWM:\t 1184532 kB
            VmRSS:\t  981220 kB
            RssAnon:\t  940016 kB
            Threads:\t31
            """;

    @Test
    void readsPeakAndCurrentResidentSetInKb() {
        assertEquals(1184532, TrainingMemory.statusKb(STATUS, "VmHWM"));
        assertEquals(981220, TrainingMemory.statusKb(STATUS, "VmRSS"));
        // a field whose name starts like another's is not taken for it
        assertEquals(940016, TrainingMemory.statusKb(STATUS, "RssAnon"));
        assertThrows(IllegalArgumentException.class, () -> TrainingMemory.statusKb(STATUS, "VmSwap"));
        assertThrows(IllegalArgumentException.class, () -> TrainingMemory.statusKb(STATUS, "Threads"));
    }

    @Test
    void growthIsRelativeToTheEarlierReading() {
        assertEquals(0.04, TrainingMemory.growth(1000, 1040), 1e-12);
        assertEquals(-0.5, TrainingMemory.growth(1000, 500), 1e-12);
    }

    @Test
    void optionsArePairs() {
        assertEquals(Map.of("arch", "tiny", "steps", "5"), TrainingMemory.options(new String[] {"--arch", "tiny",
            "--steps", "5"}));
        assertThrows(IllegalArgumentException.class, () -> TrainingMemory.options(new String[] {"--arch"}));
        assertThrows(IllegalArgumentException.class, () -> TrainingMemory.options(new String[] {"tiny", "x"}));
    }
}
