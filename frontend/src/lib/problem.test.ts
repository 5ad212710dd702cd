import { describe, expect, it } from "vitest";
import { ApiError, fieldError, humaniseField, plainMessage, problemOf, toProblem, unplacedErrors } from "./problem";

describe("toProblem", () => {
  it("reads RFC 7807 bodies with field errors and available columns", () => {
    const problem = toProblem(
      {
        type: "https://coderai.dev/problems/validation-error",
        title: "Validation Error",
        status: 422,
        detail: "'t.csv' is a table: name its text column (textColumn).",
        errors: [{ field: "textColumn", message: "required for tables" }],
        availableColumns: ["id", "text"],
      },
      422,
    );
    expect(problem.detail).toContain("is a table");
    expect(problem.errors).toEqual([{ field: "textColumn", message: "required for tables" }]);
    expect(problem.availableColumns).toEqual(["id", "text"]);
  });

  it("falls back to plain words when the body says nothing useful", () => {
    expect(toProblem(undefined, 502).detail).toMatch(/not reachable/);
    expect(toProblem("<html>oops</html>", 418).detail).toBe("<html>oops</html>");
    expect(toProblem({}, 599).detail).toBe("The request failed (HTTP 599).");
  });

  it("understands FastAPI's own validation shape", () => {
    const problem = toProblem({ detail: [{ loc: ["body", "name"], msg: "Field required" }] }, 422);
    expect(problem.errors).toEqual([{ field: "name", message: "This is required." }]);
    expect(problem.detail).toBe("Some values are not valid.");
  });
});

describe("field errors", () => {
  const problem = toProblem(
    {
      detail: "Request validation failed.",
      errors: [
        { field: "name", message: "too short" },
        { field: "classificationRules.categories.0.value", message: "required" },
        { field: "body", message: "bad" },
      ],
    },
    422,
  );

  it("finds errors for an input and for anything inside it", () => {
    expect(fieldError(problem, "name")).toBe("too short");
    expect(fieldError(problem, "classificationRules")).toBe("required");
    expect(fieldError(problem, "instructions")).toBeUndefined();
    expect(fieldError(null, "name")).toBeUndefined();
  });

  it("lists the errors no input shows", () => {
    expect(unplacedErrors(problem, ["name", "classificationRules"])).toEqual([
      { field: "body", message: "bad" },
    ]);
  });

  it("names nested fields in words, counting from one", () => {
    expect(humaniseField("classificationRules.categories.0.value")).toBe(
      "Classification rules › categories › 1 › value",
    );
  });
});

describe("problemOf", () => {
  it("unwraps ApiError and plain errors", () => {
    const api = new ApiError(toProblem({ detail: "gone" }, 404));
    expect(problemOf(api)?.detail).toBe("gone");
    expect(problemOf(new Error("boom"))?.detail).toBe("boom");
    expect(problemOf(null)).toBeNull();
  });
});

describe("plainMessage", () => {
  it("rewords pydantic's messages and keeps the API's own sentences", () => {
    expect(plainMessage("String should have at least 1 character")).toBe("This is required.");
    expect(plainMessage("String should have at least 10 characters")).toBe("Write at least 10 characters.");
    expect(plainMessage("Input should be a valid number, unable to parse string as a number")).toBe("Enter a number.");
    expect(plainMessage("Input should be less than or equal to 1")).toBe("Enter a number of at most 1.");
    expect(plainMessage("Input should be 'SMALL' or 'LARGE'")).toBe("Choose SMALL, LARGE.");
    expect(plainMessage("String should match pattern '^[^@\\s]+@[^@\\s]+$'")).toBe("Enter an email address, like name@example.org.");
    expect(plainMessage("String should match pattern '^[a-z]+$'")).toBe("This does not have the expected form.");
    expect(plainMessage("Value should have at least 10 items after validation, not 1")).toBe("Write at least 10 characters.");
    expect(plainMessage("category 'RCT' is listed twice")).toBe("category 'RCT' is listed twice");
  });
});
