/** Hardware facts the QCicada emulator models (light to import: help texts use them). */

/** QCicada's observed one-shot ceiling, and so the most ready_bytes can reach. */
export const ONE_SHOT_MAX_BYTES = 13440;
/** A QCicada behind its FTDI bridge at 1,000,000 baud 8N1: the default rate. */
export const DEFAULT_RATE_BYTES_PER_S = 100_000;
/** How long the startup test runs after power-up, RESET or REBOOT. */
export const STARTUP_TEST_MS = 200;
/** Largest firmware image the emulated flash takes. */
export const MAX_IMAGE_BYTES = 1 << 20;
