// Types for scripts/bundle.mjs (plain JavaScript: the launcher runs before any TypeScript can).
export function asSeparateFile(source: string, file: string, isEntry: boolean): string;
export function bundleFor(entry: string, o: { root: string; dir: string }): Promise<string>;
