/** Post-processing of random bytes: von Neumann debiasing and block XOR, with cost accounting. */
export * from "./chain.ts";
export * from "./transform.ts";
export * from "./von_neumann.ts";
export * from "./xor_fold.ts";
