/** XR232NT-style views of any random data: hex dump, bitmap, DSV and byte histogram. */
export * from "./bitmap.ts";
export * from "./canvas.ts";
export * from "./dsv_view.ts";
export * from "./hexdump.ts";
export * from "./histogram_view.ts";
export * from "./stats.ts";
