/**
 * Real headless Chromium for the page's end-to-end tests (the shared launcher in test/support).
 * Without it the tests fail under CI and are skipped, with a message saying why, elsewhere.
 */
import { requireChromium } from "../../test/support/chromium.ts";

export { CHROMIUM_ARGS, CHROMIUM_PATH, launchChromium } from "../../test/support/chromium.ts";

export const chromiumAvailable = (): boolean => requireChromium("the demo's browser tests");
