// Fails when src/api/schema.d.ts is not what `npm run gen:api` makes from ../specs/openapi.json.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
const dir = mkdtempSync(path.join(tmpdir(), "coderai-api-"));
const fresh = path.join(dir, "schema.d.ts");
try {
  execFileSync(
    path.join(root, "node_modules/.bin/openapi-typescript"),
    [path.join(root, "../specs/openapi.json"), "--default-non-nullable=false", "--output", fresh],
    { stdio: "ignore" },
  );
  const committed = readFileSync(path.join(root, "src/api/schema.d.ts"), "utf8");
  if (readFileSync(fresh, "utf8") !== committed) {
    console.error("src/api/schema.d.ts is stale: run `npm run gen:api` and commit the result.");
    process.exit(1);
  }
  console.log("src/api/schema.d.ts matches ../specs/openapi.json");
} finally {
  rmSync(dir, { recursive: true, force: true });
}
