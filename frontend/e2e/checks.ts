/** Accessibility and hygiene checks the e2e test runs on every screen. */
import type { ConsoleMessage, Locator, Page } from "playwright-core";

/** Form controls with no accessible name (no <label>, aria-label or aria-labelledby). */
export async function unlabelledInputs(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const controls = [...document.querySelectorAll<HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement>("input, select, textarea")];
    return controls
      .filter((el) => el.type !== "hidden")
      .filter((el) => {
        const labelled = (el.labels?.length ?? 0) > 0 && [...(el.labels ?? [])].some((l) => l.textContent?.trim());
        return !labelled && !el.getAttribute("aria-label")?.trim() && !el.getAttribute("aria-labelledby");
      })
      .map((el) => el.outerHTML.slice(0, 160));
  });
}

/** Press Tab from the top of the page until `target` has focus (or give up). */
export async function reachableByTab(page: Page, target: Locator, maxTabs = 150): Promise<boolean> {
  await page.evaluate(() => {
    (document.activeElement as HTMLElement | null)?.blur();
    window.scrollTo(0, 0);
  });
  const handle = await target.elementHandle();
  if (!handle) return false;
  await page.locator("body").focus();
  for (let i = 0; i < maxTabs; i++) {
    await page.keyboard.press("Tab");
    if (await handle.evaluate((el) => el === document.activeElement)) return true;
  }
  return false;
}

/** Console errors and uncaught exceptions; `allowed` excuses expected API answers (e.g. the
 * 422 that offers the table column picker), which the browser logs as failed resources. */
export function watchConsole(page: Page, allowed: RegExp[]): string[] {
  const errors: string[] = [];
  page.on("console", (message: ConsoleMessage) => {
    if (message.type() !== "error") return;
    const where = message.location().url ?? "";
    const text = `${message.text()} (${where})`;
    if (allowed.some((pattern) => pattern.test(text))) return;
    errors.push(text);
  });
  page.on("pageerror", (error) => errors.push(`uncaught: ${error.message}`));
  return errors;
}
