import { describe, expect, it } from "vitest";
import { guessColumns } from "./columns";

describe("guessColumns", () => {
  it("guesses the text, id and title columns of a survey export", () => {
    expect(guessColumns(["respondent_id", "Title", "open_answer_text", "age"])).toEqual({
      textColumn: "open_answer_text",
      idColumn: "respondent_id",
      titleColumn: "Title",
    });
  });
  it("falls back to the first column for the text and leaves the others empty", () => {
    expect(guessColumns(["a", "b"])).toEqual({ textColumn: "a", idColumn: "", titleColumn: "" });
  });
  it("never picks one column twice", () => {
    expect(guessColumns(["id"])).toEqual({ textColumn: "id", idColumn: "", titleColumn: "" });
  });
});
