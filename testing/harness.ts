/**
 * Tests' import path for the program evaluator. Production code (the offline review,
 * the policy runner, the dev-stack runner) imports `tools/evaluate/program` itself.
 */
export * from "../tools/evaluate/program";
