import { describe, expect, it } from "vitest";
import { emptyForm, formFromVariable, toPayload } from "./variableForm";

describe("toPayload", () => {
  it("keeps categories only for CATEGORY variables and drops blank rows", () => {
    const form = {
      ...emptyForm("CATEGORY"),
      name: " design ",
      instructions: "The study design as reported.",
      categories: [
        { value: "RCT", definition: "Randomised controlled trial" },
        { value: "", definition: "" },
      ],
    };
    const payload = toPayload(form);
    expect(payload.name).toBe("design");
    expect(payload.classificationRules).toEqual({
      categories: [{ value: "RCT", definition: "Randomised controlled trial" }],
      allowOther: false,
      ordered: false,
    });
    expect(toPayload({ ...form, ordered: true }).classificationRules).toMatchObject({ ordered: true });
    expect(payload.validationRules).toBeNull();
    expect(toPayload({ ...form, type: "TEXT" }).classificationRules).toBeNull();
  });

  it("converts numbers and leaves a non-number for the API to reject by name", () => {
    const payload = toPayload({ ...emptyForm("NUMBER"), min: "0", max: "abc", confidenceThreshold: "0.8" });
    expect(payload.validationRules).toEqual({ min: 0, max: "abc" });
    expect(payload.uncertaintyHandling?.confidenceThreshold).toBe(0.8);
    expect(payload.uncertaintyHandling?.maxValues).toBeNull();
  });

  it("keeps edge cases that say something", () => {
    const payload = toPayload({
      ...emptyForm(),
      edgeCases: [
        { situation: "Several numbers", action: "Take the total" },
        { situation: " ", action: "" },
      ],
    });
    expect(payload.edgeCases).toEqual([{ situation: "Several numbers", action: "Take the total" }]);
  });
});

describe("formFromVariable", () => {
  it("reads the structured parts back", () => {
    const form = formFromVariable({
      id: "v",
      projectId: "p",
      name: "design",
      displayName: null,
      description: null,
      type: "CATEGORY",
      instructions: "The study design as reported.",
      classificationRules: { categories: [{ value: "RCT", definition: null }], allowOther: true, ordered: true },
      uncertaintyHandling: { confidenceThreshold: 0.6, ifUncertain: "LEAVE_EMPTY", ifMultipleValues: "ALL", maxValues: 3 },
      edgeCases: [{ situation: "a", action: "b" }],
      validationRules: null,
      defaultValue: null,
      order: 1,
      version: 1,
      createdAt: "",
      updatedAt: "",
    });
    expect(form.categories).toEqual([{ value: "RCT", definition: "" }]);
    expect(form.allowOther).toBe(true);
    expect(form.ordered).toBe(true);
    expect(form.confidenceThreshold).toBe("0.6");
    expect(form.ifMultipleValues).toBe("ALL");
    expect(form.maxValues).toBe("3");
    expect(form.edgeCases).toEqual([{ situation: "a", action: "b" }]);
  });
});
