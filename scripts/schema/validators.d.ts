// Types for validators.js, the schemas compiled ahead of time by Ajv (see test/support/schema-validators.ts).
import type { ValidateFunction } from "ajv";

export declare const fleet: ValidateFunction;
export declare const cluster: ValidateFunction;
export declare const snapshot: ValidateFunction;
