/**
 * The one headless Chromium launch: the browser tests' (chromium.ts) and the browser bench's
 * (bench/browser-tick.bench.ts). Env: CHROMIUM (default /usr/bin/chromium).
 */
import { Browser, chromium } from 'playwright-core';

export function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      ...extraArgs,
    ],
  });
}
