import { describe, expect, it } from "vitest";
import { pivotWide, reviewOrder, stepIn } from "./pivot";

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

describe("reviewOrder and stepIn", () => {
  const x = (id: string, documentId: string, variableId: string) => ({ id, documentId, variableId, entityIndex: 0 });
  const rows = pivotWide([x("b1", "B", "v1"), x("a2", "A", "v2"), x("a1", "A", "v1")], ["A", "B"]);
  it("goes row by row, variables in column order, skipping empty cells", () => {
    expect(reviewOrder(rows, ["v1", "v2"])).toEqual(["a1", "a2", "b1"]);
  });
  it("steps forward and back and stops at the ends", () => {
    const queue = reviewOrder(rows, ["v1", "v2"]);
    expect(stepIn(queue, "a2", 1)).toBe("b1");
    expect(stepIn(queue, "a2", -1)).toBe("a1");
    expect(stepIn(queue, "b1", 1)).toBeNull();
    expect(stepIn(queue, "zz", 1)).toBeNull();
  });
});
