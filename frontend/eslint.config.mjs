import { FlatCompat } from "@eslint/eslintrc";

const compat = new FlatCompat({ baseDirectory: import.meta.dirname });

const config = [
  { ignores: ["node_modules/", ".next/", "src/api/schema.d.ts", "next-env.d.ts", "e2e/screenshots/"] },
  ...compat.extends("next/core-web-vitals", "next/typescript", "plugin:jsx-a11y/strict"),
  {
    rules: {
      "jsx-a11y/label-has-associated-control": ["error", { assert: "either", depth: 3 }],
      // Scrollable regions must be reachable by keyboard (a named region or log may take focus).
      "jsx-a11y/no-noninteractive-tabindex": ["error", { roles: ["region", "log"] }],
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
    },
  },
];

export default config;
