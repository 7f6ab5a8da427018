/**
 * Restart tests (SP 800-90B §3.1.4): the data are `rows` restarts of `cols` samples each, one
 * restart per row (the "row dataset"). The sanity check needs the most common value's count in
 * every row and every column; the column dataset is the matrix read column by column.
 */
import { alloc, mark, put, release } from "./heap.ts";

/**
 * Slots 0 the largest mode count of any row, 1 the row, 2 the largest of any column, 3 the
 * column (the first where several tie). Counting per column keeps one 256-entry table per
 * column, read in row order: one pass, no transposed copy.
 */
export function restartModeCounts(ptr: usize, rows: i32, cols: i32): void {
  const top = mark();
  const rowCounts = alloc(256 * 4);
  const colCounts = alloc(<usize>cols * 256 * 4);
  let bestRow = 0, bestRowAt = 0;
  for (let r = 0; r < rows; r++) {
    memory.fill(rowCounts, 0, 256 * 4);
    let mode = 0;
    for (let c = 0; c < cols; c++) {
      const symbol = <usize>load<u8>(ptr + <usize>r * <usize>cols + <usize>c);
      const at = rowCounts + (symbol << 2);
      const count = load<i32>(at) + 1;
      store<i32>(at, count);
      if (count > mode) mode = count;
      const colAt = colCounts + ((<usize>c * 256 + symbol) << 2);
      store<i32>(colAt, load<i32>(colAt) + 1);
    }
    if (mode > bestRow) {
      bestRow = mode;
      bestRowAt = r;
    }
  }
  let bestCol = 0, bestColAt = 0;
  for (let c = 0; c < cols; c++) {
    for (let v = 0; v < 256; v++) {
      const count = load<i32>(colCounts + ((<usize>c * 256 + <usize>v) << 2));
      if (count > bestCol) {
        bestCol = count;
        bestColAt = c;
      }
    }
  }
  release(top);
  put(0, <f64>bestRow);
  put(1, <f64>bestRowAt);
  put(2, <f64>bestCol);
  put(3, <f64>bestColAt);
}

/** Writes the `rows` × `cols` matrix at `ptr` column by column to `out` (the column dataset). */
export function transposeInto(ptr: usize, rows: i32, cols: i32, out: usize): void {
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      store<u8>(out + <usize>c * <usize>rows + <usize>r, load<u8>(ptr + <usize>r * <usize>cols + <usize>c));
    }
  }
}
