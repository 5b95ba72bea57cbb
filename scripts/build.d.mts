// Types of scripts/build.mjs for the TypeScript that imports it (bench/api.ts).
export declare const ROOT: string;
export declare const DIST: string;
export declare function sourceStamp(root?: string): string;
export declare function currentBuild(root?: string): string | null;
export declare function buildIsCurrent(root?: string): boolean;
export declare function build(root?: string, log?: (line: string) => void): void;
