/**
 * Binary ({@link org.segmentation.classic.morphology.MorphologyOps}) and 8-bit gray
 * ({@link org.segmentation.classic.morphology.GrayMorphologyOps}) morphology with square or disk footprints.
 */
package org.segmentation.classic.morphology;
