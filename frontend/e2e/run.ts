/**
 * End-to-end: the built web app against the real API and the fake LLM, driven in Debian's
 * Chromium by playwright-core. One pass through the researcher's workflow; a screenshot of each
 * step goes to e2e/screenshots/. Run with `npm run e2e` after `npm run build`.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { chromium, type BrowserContext, type Locator, type Page } from "playwright-core";
import { reachableByTab, unlabelledInputs, watchConsole } from "./checks";
import { BACKEND, FRONTEND, VENV_BIN, startApi, startFakeLlm, startWeb, stop, type Server } from "./servers";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const SHOTS = path.join(FRONTEND, "e2e", "screenshots");
const STEP_TIMEOUT = 60_000;

// Before refinement trial-beta's enrolment reads 1,200 (wrong: 50 withdrew); once the prompt
// carries the reviewer's correction (1150 appears in it) the fake answers 1150.
const FACTS = {
  facts: [
    {
      variable: "participants",
      pattern: "enrolled 1,200 participants; 50 withdrew before baseline, leaving (?P<value>\\d+) in the analysis",
      when_prompt_contains: ["1150"],
      otherwise_value: "1,200",
      confidence: 0.8,
    },
    { variable: "participants", pattern: "enrolled (?P<value>[\\d,]+) participants", confidence: 0.92, reasoning: "The methods give the number enrolled." },
    { variable: "design", pattern: "randomised controlled trial", value: "RCT", confidence: 0.9 },
    { variable: "design", pattern: "cohort study", value: "Cohort", confidence: 0.55 },
    { variable: "country", pattern: "conducted in (?P<value>[A-Z][a-z]+)", confidence: 0.85 },
  ],
};

const problems: string[] = [];
let shot = 0;
const started = Date.now();

function log(message: string) {
  console.log(`[e2e ${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s] ${message}`);
}

function check(condition: unknown, message: string) {
  if (!condition) throw new Error(`check failed: ${message}`);
}

async function screenshot(page: Page, name: string) {
  shot += 1;
  const file = path.join(SHOTS, `${String(shot).padStart(2, "0")}-${name}.png`);
  // A modal dialog is fixed to the viewport: a full-page picture would smear its backdrop.
  const modal = await page.getByRole("dialog").isVisible();
  await page.screenshot({ path: file, fullPage: !modal });
}

/** Labels and keyboard reach on the current screen; failures are collected, not thrown. */
async function auditScreen(page: Page, screen: string, primary: Locator) {
  for (const html of await unlabelledInputs(page)) problems.push(`${screen}: input without a label: ${html}`);
  if (!(await reachableByTab(page, primary))) problems.push(`${screen}: primary action not reachable with Tab`);
}

async function nav(page: Page, step: string) {
  await page.getByRole("navigation", { name: "Project steps" }).getByRole("link", { name: step }).click();
  await page.waitForLoadState("networkidle");
}

async function download(page: Page, link: Locator, dir: string): Promise<string> {
  const [file] = await Promise.all([page.waitForEvent("download"), link.click()]);
  const target = path.join(dir, file.suggestedFilename());
  await file.saveAs(target);
  return target;
}

async function workflow(page: Page, work: string) {
  // 1. Projects: empty state, then create one.
  await page.goto("/");
  await page.getByText("No projects yet").waitFor();
  await auditScreen(page, "projects", page.getByRole("button", { name: "Create project" }));
  await screenshot(page, "projects-empty");
  await page.getByRole("button", { name: "Create project" }).click();
  await page.getByText("This is required.").waitFor();
  await screenshot(page, "projects-field-error");
  await page.getByLabel("Project name").fill("Trial reports (e2e)");
  await page.getByLabel("Domain (optional)").fill("public health");
  await page.getByLabel("Kind of documents (optional)").fill("clinical trial reports");
  await page.getByRole("button", { name: "Create project" }).click();
  await page.waitForURL(/\/projects\/[0-9a-f-]+\/setup$/);
  log("project created");

  // 2. Setup: context, upload a PDF, a DOCX and a CSV (column picker), view a document.
  await page.getByLabel("Context for the model").fill("Reports of trials; the dataset compares enrolment across designs.");
  await page.getByRole("button", { name: "Save project context" }).click();
  await page.getByText("Saved. Prompts now use this context.").waitFor();
  await page.setInputFiles("#document-files", [
    path.join(work, "fixtures", "trial-alpha.pdf"),
    path.join(work, "fixtures", "trial-beta.docx"),
    path.join(work, "fixtures", "trials.csv"),
  ]);
  const picker = page.getByRole("form", { name: "Columns of trials.csv" });
  await picker.waitFor();
  await picker.getByLabel("Text column").selectOption("text");
  await picker.getByLabel("ID column (optional)").selectOption("id");
  await picker.getByLabel("Title column (optional)").selectOption("title");
  await screenshot(page, "setup-column-picker");
  await picker.getByRole("button", { name: "Import rows" }).click();
  await page.getByText("3 rows imported").waitFor();
  const documents = page.getByRole("table", { name: "Documents" });
  await documents.getByRole("button", { name: "trial-alpha.pdf", exact: true }).waitFor();
  check((await documents.locator("tbody tr").count()) === 5, "five documents listed");
  check((await documents.getByText("ready").count()) === 5, "all five documents ready");
  await auditScreen(page, "setup", page.getByRole("button", { name: "Save project context" }));
  await screenshot(page, "setup-uploaded");
  await documents.getByRole("button", { name: "trial-beta.docx", exact: true }).click();
  await page.getByRole("dialog").getByText("leaving 1150 in the analysis").waitFor();
  await screenshot(page, "setup-document-viewer");
  await page.keyboard.press("Escape");
  log("documents uploaded");

  // 3. Schema: three variables of different types (one refused first, error beside its input).
  await nav(page, "2. Schema");
  const editor = page.getByRole("form", { name: "New variable" });
  await editor.getByLabel("Name (column in the dataset)").fill("participants");
  await editor.getByLabel("Type").selectOption("NUMBER");
  await editor.getByLabel("Instructions for the model").fill("Too short");
  await editor.getByRole("button", { name: "Add variable" }).click();
  await page.getByText("Write at least 10 characters.").waitFor();
  await screenshot(page, "schema-field-error");
  await editor.getByLabel("Instructions for the model").fill("The number of participants enrolled in the study, as reported in the methods.");
  await editor.getByLabel("Minimum (optional)").fill("1");
  await editor.getByRole("button", { name: "Add variable" }).click();
  await page.getByRole("region", { name: "Prompt text" }).waitFor();

  await page.getByRole("button", { name: "New variable" }).click();
  const designForm = page.getByRole("form", { name: "New variable" });
  await designForm.getByLabel("Name (column in the dataset)").fill("design");
  await designForm.getByLabel("Type").selectOption("CATEGORY");
  await designForm.getByLabel("Instructions for the model").fill("The design of the study as the report names it.");
  await designForm.getByLabel("Category 1 value").fill("RCT");
  await designForm.getByLabel("Category 1 definition").fill("A randomised controlled trial");
  await designForm.getByRole("button", { name: "Add category" }).click();
  await designForm.getByLabel("Category 2 value").fill("Cohort");
  await designForm.getByLabel("Category 2 definition").fill("An observational cohort study");
  await designForm.getByRole("button", { name: "Add edge case" }).click();
  await designForm.getByLabel("Edge case 1: situation").fill("A trial nested in a cohort");
  await designForm.getByLabel("Edge case 1: what to do").fill("Code the design of the reported analysis");
  await designForm.getByRole("button", { name: "Add variable" }).click();
  await page.getByRole("form", { name: "Edit design" }).waitFor();

  await page.getByRole("button", { name: "New variable" }).click();
  const countryForm = page.getByRole("form", { name: "New variable" });
  await countryForm.getByLabel("Name (column in the dataset)").fill("country");
  await countryForm.getByLabel("Instructions for the model").fill("The country where the study was conducted.");
  await countryForm.getByRole("button", { name: "Add variable" }).click();
  await page.getByRole("form", { name: "Edit country" }).waitFor();
  await page.getByRole("button", { name: "Move country up" }).click();
  await page.getByRole("list", { name: "Variables in dataset order" }).getByRole("listitem").nth(1).getByText("country").waitFor();
  await page.getByRole("button", { name: "Move country down" }).click();
  await page.getByRole("list", { name: "Variables in dataset order" }).getByRole("listitem").nth(2).getByText("country").waitFor();
  await page.getByRole("button", { name: "Try on this document" }).click();
  await page.getByRole("table", { name: "Preview answers" }).waitFor();
  await auditScreen(page, "schema", page.getByRole("button", { name: "New variable" }));
  await screenshot(page, "schema-variables-prompt-preview");
  log("schema defined");

  // 4. Sample: run all five, review the table, open a value, mark one wrong.
  await nav(page, "3. Sample & review");
  await page.getByLabel("Documents in the sample").fill("5");
  await auditScreen(page, "sample", page.getByRole("button", { name: "Run sample" }));
  await page.getByRole("button", { name: "Run sample" }).click();
  await page.getByRole("progressbar", { name: "Sample job progress" }).waitFor();
  await screenshot(page, "sample-running");
  await page.getByTestId("job-progress").getByText("complete", { exact: true }).waitFor({ timeout: STEP_TIMEOUT });
  const table = page.getByTestId("results-table");
  await table.getByRole("button", { name: /^Review participants = 1,?200 / }).waitFor();
  await screenshot(page, "sample-review-table");
  await table.getByRole("button", { name: /^Review participants = 1,?200 / }).click();
  const dialog = page.getByRole("dialog");
  const quote = dialog.getByTestId("quote-highlight");
  await quote.waitFor();
  check((await quote.textContent())?.includes("1,200"), "the quote with 1,200 is highlighted");
  for (const html of await unlabelledInputs(page)) problems.push(`review dialog: input without a label: ${html}`);
  await screenshot(page, "review-quote-highlighted");
  await dialog.getByLabel("Incorrect").check();
  await dialog.getByLabel("Correct value").fill("1150");
  await dialog.getByLabel("Note (optional)").fill("Count those analysed, after withdrawals.");
  await dialog.getByRole("button", { name: "Save verdict" }).click();
  await dialog.getByText("Verdict saved.").waitFor();
  await screenshot(page, "review-marked-wrong");
  await page.keyboard.press("Escape");
  for (const name of [/^Review participants = 240 /, /^Review design = RCT in trial-alpha/]) {
    await table.getByRole("button", { name }).click();
    await dialog.getByLabel("Correct", { exact: true }).check();
    await dialog.getByRole("button", { name: "Save verdict" }).click();
    await dialog.getByText("Verdict saved.").waitFor();
    await page.keyboard.press("Escape");
  }
  const agreement = page.getByTestId("agreement-table");
  await agreement.getByRole("row", { name: /participants\s+2\s+1 \/ 0 \/ 1\s+50%/ }).waitFor();
  await screenshot(page, "sample-agreement");
  log("sample reviewed");

  // 5. Refine: propose a version from the correction, look at the diff, activate it.
  await nav(page, "4. Refine");
  const card = page.getByRole("article", { name: "participants" });
  await auditScreen(page, "refine", card.getByRole("button", { name: "Propose a new version" }));
  await card.getByRole("button", { name: "Propose a new version" }).click();
  await card.getByTestId("prompt-diff").waitFor({ timeout: STEP_TIMEOUT });
  check((await card.getByTestId("prompt-diff").textContent())?.includes("1150"), "the diff carries the correction");
  await card.getByRole("button", { name: "Score version 2 on reviewed items" }).click();
  await card.getByTestId("evaluation-panel").getByText(/^Accuracy on \d+ reviewed answers?/).waitFor({ timeout: STEP_TIMEOUT });
  check(await card.getByTestId("evaluation-panel").getByText(/1 improved/).isVisible(), "the new version fixes the corrected answer");
  await screenshot(page, "refine-diff-scored");
  await card.getByRole("button", { name: "Activate version 2" }).click();
  await card.getByText("Version 2 is active").waitFor();
  await screenshot(page, "refine-activated");
  log("prompt refined and activated");

  // 6. Full run: start, follow, leave and come back to the same job.
  await nav(page, "5. Full run");
  await auditScreen(page, "run", page.getByRole("button", { name: "Start the full run" }));
  await page.getByRole("button", { name: "Start the full run" }).click();
  await page.getByRole("progressbar", { name: "Full run progress" }).waitFor();
  await screenshot(page, "run-progress");
  await nav(page, "3. Sample & review");
  await nav(page, "5. Full run");
  await page.getByTestId("job-progress").getByText("complete", { exact: true }).waitFor({ timeout: STEP_TIMEOUT });
  await page.getByRole("log", { name: "Job log" }).getByText(/complete/i).first().waitFor();
  check(!(await page.getByRole("button", { name: "Start the full run" }).isVisible()), "came back to the same job");
  await screenshot(page, "run-complete");
  log("full run complete");

  // 7. Results: preview, CSV and Excel exports downloaded and checked, quality report.
  await nav(page, "6. Results & export");
  await page.getByTestId("results-table").waitFor();
  await auditScreen(page, "results", page.getByRole("button", { name: "Create export" }));
  await page.getByRole("button", { name: "Create export" }).click();
  const csvPath = await download(page, page.getByRole("link", { name: /^Download .*\.csv$/ }), work);
  const csv = readFileSync(csvPath, "utf8").trim().split(/\r?\n/);
  const header = csv[0] ?? "";
  for (const column of ["participants", "design", "country", "participants_confidence"]) {
    check(header.split(",").map((c) => c.replace(/^"|"$/g, "")).includes(column), `CSV header has ${column}: ${header}`);
  }
  check(csv.length === 6, `CSV has 5 data rows (got ${csv.length - 1})`);
  check(csv.some((line) => line.includes("Kenya")) && csv.some((line) => line.includes("RCT")), "CSV holds the coded values");
  check(csv.some((line) => line.includes("trial-beta.docx") && line.includes("1150")), "the refined prompt's answer (1150) is exported");
  await page.getByLabel("Format").selectOption("EXCEL");
  await page.getByRole("button", { name: "Create export" }).click();
  const xlsxPath = await download(page, page.getByRole("link", { name: /^Download .*\.xlsx$/ }), work);
  const summary = execFileSync(path.join(VENV_BIN, "python"), [
    "-c",
    "import sys, openpyxl\nbook = openpyxl.load_workbook(sys.argv[1], read_only=True)\nsheet = book.worksheets[0]\nrows = list(sheet.iter_rows(values_only=True))\nprint('|'.join(book.sheetnames)); print(len(rows) - 1); print(','.join(str(c) for c in rows[0]))",
    xlsxPath,
  ]).toString().trim().split("\n");
  check(summary[0]?.toLowerCase().includes("codebook"), `Excel has a codebook sheet: ${summary[0]}`);
  check(summary[1] === "5", `Excel data sheet has 5 rows (got ${summary[1]})`);
  check(summary[2]?.includes("participants"), `Excel header has participants: ${summary[2]}`);
  await page.getByTestId("quality-table").waitFor();
  await page.getByRole("img", { name: /^Calibration of participants/ }).waitFor();
  await screenshot(page, "results-export-quality");
  log(`exports checked: ${path.basename(csvPath)}, ${path.basename(xlsxPath)} (sheets ${summary[0]})`);
}

async function main() {
  rmSync(SHOTS, { recursive: true, force: true });
  mkdirSync(SHOTS, { recursive: true });
  const work = mkdtempSync(path.join(tmpdir(), "coderai-e2e-"));
  const logs = path.join(work, "logs");
  mkdirSync(logs);
  writeFileSync(path.join(work, "facts.json"), JSON.stringify(FACTS));
  execFileSync(path.join(VENV_BIN, "python"), [path.join(FRONTEND, "e2e", "make_fixtures.py"), path.join(work, "fixtures")], {
    cwd: BACKEND,
    env: { ...process.env, PYTHONPATH: BACKEND },
  });
  let fake: Server | undefined;
  let api: Server | undefined;
  let web: Server | undefined;
  let context: BrowserContext | undefined;
  let failed = false;
  try {
    fake = await startFakeLlm(path.join(work, "facts.json"), logs);
    api = await startApi(fake.url, path.join(work, "data"), logs);
    web = await startWeb(api.url, logs);
    log(`servers up: web ${web.url}, api ${api.url}, fake LLM ${fake.url}`);
    context = await chromium.launchPersistentContext(path.join(work, "chromium-profile"), {
      executablePath: CHROMIUM,
      headless: true,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
      baseURL: web.url,
      viewport: { width: 1400, height: 900 },
      acceptDownloads: true,
    });
    context.setDefaultTimeout(15_000);
    const page = context.pages()[0] ?? (await context.newPage());
    const consoleErrors = watchConsole(page, [
      // Expected problem answers the UI turns into words: the table upload asking for its
      // column, and the two forms submitted invalid on purpose.
      /status of 422 .*\/api\/v1\/projects\/[0-9a-f-]+\/documents\)/,
      /status of 422 .*\/api\/v1\/projects\/[0-9a-f-]+\/variables\)/,
      /status of 422 .*\/api\/v1\/projects\)/,
    ]);
    try {
      await workflow(page, work);
    } catch (error) {
      await page.screenshot({ path: path.join(SHOTS, "failure.png"), fullPage: true }).catch(() => undefined);
      throw error;
    }
    problems.push(...consoleErrors.map((e) => `console error: ${e}`));
  } catch (error) {
    failed = true;
    console.error(error);
    for (const server of [fake, api, web]) if (server) console.error(`--- ${server.name} log: ${server.log}`);
  } finally {
    await context?.close().catch(() => undefined);
    await Promise.all([stop(web), stop(api), stop(fake)]);
  }
  for (const problem of problems) console.error(`PROBLEM ${problem}`);
  const ok = !failed && problems.length === 0;
  if (ok) rmSync(work, { recursive: true, force: true });
  else console.error(`work directory kept: ${work}`);
  console.log(`e2e: ${ok ? 1 : 0} passed, ${ok ? 0 : 1} failed (${shot} screenshots in e2e/screenshots, ${((Date.now() - started) / 1000).toFixed(0)} s)`);
  process.exit(ok ? 0 : 1);
}

void main();
