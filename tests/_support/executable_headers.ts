/**
 * Reads just enough of an executable's headers to tell what it is, written from the format
 * specifications (ELF gABI, Apple's mach-o/loader.h and cs_blobs.h, Microsoft's PE/COFF), so the
 * release test need not trust `file` or the tool that built the file.
 */
import { closeSync, fstatSync, openSync, readSync } from "node:fs";

/** `length` bytes of `path` from `offset` (fewer at its end). */
function readAt(path: string, offset: number, length: number): Buffer {
  const fd = openSync(path, "r");
  try {
    const buffer = Buffer.alloc(length);
    return buffer.subarray(0, readSync(fd, buffer, 0, length, offset));
  } finally {
    closeSync(fd);
  }
}

function sizeOf(path: string): number {
  const fd = openSync(path, "r");
  try {
    return fstatSync(fd).size;
  } finally {
    closeSync(fd);
  }
}

/** A 64-bit little-endian ELF executable: its machine and the dynamic loader it asks for. */
export interface ElfInfo {
  /** e_machine: 0x3e x86-64, 0xb7 AArch64. */
  machine: number;
  /** The PT_INTERP path, e.g. "/lib/ld-musl-x86_64.so.1"; undefined when statically linked. */
  interpreter?: string;
}

const PT_INTERP = 3;

/** Parses `path` as a 64-bit little-endian ELF file; throws when it is not one. */
export function readElf(path: string): ElfInfo {
  const header = readAt(path, 0, 64);
  if (header.readUInt32BE(0) !== 0x7f454c46 || header[4] !== 2 || header[5] !== 1) {
    throw new Error(`${path} is not a 64-bit little-endian ELF file`);
  }
  const machine = header.readUInt16LE(18);
  const phoff = Number(header.readBigUInt64LE(32));
  const phentsize = header.readUInt16LE(54);
  const phnum = header.readUInt16LE(56);
  const table = readAt(path, phoff, phentsize * phnum);
  for (let i = 0; i < phnum; i++) {
    const entry = table.subarray(i * phentsize);
    if (entry.readUInt32LE(0) !== PT_INTERP) continue;
    const interp = readAt(path, Number(entry.readBigUInt64LE(8)), Number(entry.readBigUInt64LE(32)));
    return { machine, interpreter: interp.toString("latin1").replace(/\0+$/, "") };
  }
  return { machine };
}

/** A thin 64-bit Mach-O file: CPU, file type and its embedded code signature. */
export interface MachOInfo {
  /** cputype: 0x0100000c arm64, 0x01000007 x86-64. */
  cpu: number;
  /** filetype: 2 is MH_EXECUTE. */
  fileType: number;
  /** LC_CODE_SIGNATURE: where the signature sits and how much of the file its code directory covers. */
  signature?: { offset: number; size: number; codeLimit: number; adhoc: boolean };
  bytes: number;
}

const MH_MAGIC_64 = 0xfeedfacf;
const LC_CODE_SIGNATURE = 0x1d;
const CSMAGIC_EMBEDDED_SIGNATURE = 0xfade0cc0;
const CSMAGIC_CODEDIRECTORY = 0xfade0c02;
const CS_ADHOC = 0x2;

/** Parses `path` as a thin little-endian 64-bit Mach-O file; throws when it is not one. */
export function readMachO(path: string): MachOInfo {
  const head = readAt(path, 0, 32);
  if (head.readUInt32LE(0) !== MH_MAGIC_64) throw new Error(`${path} is not a 64-bit Mach-O file`);
  const info: MachOInfo = { cpu: head.readUInt32LE(4), fileType: head.readUInt32LE(12), bytes: sizeOf(path) };
  const commands = readAt(path, 32, head.readUInt32LE(20));
  for (let at = 0, i = 0; i < head.readUInt32LE(16); i++, at += commands.readUInt32LE(at + 4)) {
    if (commands.readUInt32LE(at) !== LC_CODE_SIGNATURE) continue;
    const offset = commands.readUInt32LE(at + 8);
    const size = commands.readUInt32LE(at + 12);
    const blob = readAt(path, offset, size); // big-endian, as all code-signing structures
    if (blob.readUInt32BE(0) !== CSMAGIC_EMBEDDED_SIGNATURE) {
      throw new Error(`${path}: no embedded signature blob`);
    }
    for (let j = 0; j < blob.readUInt32BE(8); j++) {
      const directory = blob.subarray(blob.readUInt32BE(12 + 8 * j + 4));
      if (directory.readUInt32BE(0) !== CSMAGIC_CODEDIRECTORY) continue;
      info.signature = {
        offset,
        size,
        codeLimit: directory.readUInt32BE(32),
        adhoc: (directory.readUInt32BE(12) & CS_ADHOC) !== 0,
      };
      break;
    }
  }
  return info;
}

/** A PE image: machine, whether its optional header is PE32+, and subsystem. */
export interface PeInfo {
  /** COFF Machine: 0x8664 x86-64. */
  machine: number;
  /** Optional header magic 0x20b. */
  pe32Plus: boolean;
  /** 3 is a console program. */
  subsystem: number;
  bytes: number;
}

/** Parses `path` as a PE image (MZ stub, PE signature, COFF and optional header); throws otherwise. */
export function readPe(path: string): PeInfo {
  const dos = readAt(path, 0, 64);
  if (dos.toString("latin1", 0, 2) !== "MZ") throw new Error(`${path} has no MZ header`);
  const peOffset = dos.readUInt32LE(0x3c);
  const pe = readAt(path, peOffset, 24 + 72);
  if (pe.toString("latin1", 0, 4) !== "PE\0\0") throw new Error(`${path} has no PE signature`);
  return {
    machine: pe.readUInt16LE(4),
    pe32Plus: pe.readUInt16LE(24) === 0x20b,
    subsystem: pe.readUInt16LE(24 + 68),
    bytes: sizeOf(path),
  };
}
