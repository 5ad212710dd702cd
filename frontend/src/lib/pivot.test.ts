import { describe, expect, it } from "vitest";
import { pivotWide } from "./pivot";

const x = (documentId: string, variableId: string, entityIndex = 0, value = "v") => ({
  documentId,
  variableId,
  entityIndex,
  entityKey: entityIndex ? `E${entityIndex}` : null,
  value,
});

describe("pivotWide", () => {
  it("makes one row per unit and one cell per variable", () => {
    const rows = pivotWide([x("d1", "a", 0, "1"), x("d1", "b", 0, "2"), x("d2", "a", 0, "3")]);
    expect(rows).toHaveLength(2);
    expect(rows[0]!.cells.a?.value).toBe("1");
    expect(rows[0]!.cells.b?.value).toBe("2");
    expect(rows[1]!.cells.b).toBeUndefined();
  });

  it("keeps entities of one document apart and in order", () => {
    const rows = pivotWide([x("d1", "a", 2), x("d1", "a", 1), x("d1", "b", 1)]);
    expect(rows.map((r) => r.key)).toEqual(["d1:1", "d1:2"]);
    expect(rows[0]!.entityKey).toBe("E1");
  });

  it("orders rows by the given document order, unknown documents last", () => {
    const rows = pivotWide([x("d3", "a"), x("d1", "a"), x("d2", "a")], ["d2", "d1"]);
    expect(rows.map((r) => r.documentId)).toEqual(["d2", "d1", "d3"]);
  });
});
