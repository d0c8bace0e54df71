/**
 * A zip writer for run-command contexts whose entries can be compressed once and reused: the
 * script and the Job template are the same in every request, only scan.env changes, and
 * compressing the script for every POST was most of the CPU a POST cost (bench/figures/incluster.ts).
 *
 * Layout per APPNOTE.TXT (PKWARE, 6.3.10): local file header + data per entry, then the central
 * directory and its end record. Entries are deflated (method 8) unless that makes them larger, and
 * carry an explicit Unix mode ("version made by" host 3, mode in the high 16 bits of the external
 * attributes), because zips with zero modes have extracted unreadable in the command pod
 * (azure-powershell #17454).
 */
// zlib.crc32 is the zip CRC-32 (ISO 3309); Node has it from 20.15 (package.json engines).
import { crc32, deflateRawSync } from 'node:zlib';

/** One entry, compressed: what a zip holds for it apart from its offset. */
export interface ZipEntry {
  name: Buffer;
  crc: number;
  size: number;
  method: 0 | 8;
  data: Buffer;
  /** Unix permission bits, e.g. 0o755. */
  mode: number;
}

/** Unix file type "regular file", above the permission bits. */
const REGULAR_FILE = 0o100000;
/** Version 2.0: deflate. */
const VERSION = 20;
/** "Version made by" host system 3: Unix, so unzip honours the modes. */
const UNIX_HOST = 3;
/** 1980-01-01 00:00 in MS-DOS date format: a fixed time, so the same files always make the same bytes. */
const DOS_DATE = (0 << 9) | (1 << 5) | 1;

/** `compress: false` stores the body as it is: for small files, setting up deflate costs more than it saves. */
export function zipEntry(name: string, body: string, mode: number, compress = true): ZipEntry {
  const raw = Buffer.from(body, 'utf8');
  const deflated = compress ? deflateRawSync(raw, { level: 9 }) : raw;
  const stored = !compress || deflated.length >= raw.length;
  return { name: Buffer.from(name, 'utf8'), crc: crc32(raw), size: raw.length, method: stored ? 0 : 8, data: stored ? raw : deflated, mode };
}

/** The fields the local header and the central directory share, in the same order: method to name length. */
function describe(header: Buffer, at: number, e: ZipEntry): void {
  header.writeUInt16LE(e.method, at);
  header.writeUInt16LE(0, at + 2);
  header.writeUInt16LE(DOS_DATE, at + 4);
  header.writeUInt32LE(e.crc, at + 6);
  header.writeUInt32LE(e.data.length, at + 10);
  header.writeUInt32LE(e.size, at + 14);
  header.writeUInt16LE(e.name.length, at + 18);
}

/** The zip of these entries, in this order. */
export function writeZip(entries: readonly ZipEntry[]): Buffer {
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    // Flags, extra field, comment, disk number, internal attributes: all zero, as Buffer.alloc leaves them.
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(VERSION, 4);
    describe(local, 8, e);
    parts.push(local, e.name, e.data);

    const dir = Buffer.alloc(46);
    dir.writeUInt32LE(0x02014b50, 0);
    dir.writeUInt16LE((UNIX_HOST << 8) | VERSION, 4);
    dir.writeUInt16LE(VERSION, 6);
    describe(dir, 10, e);
    dir.writeUInt32LE(((REGULAR_FILE | e.mode) << 16) >>> 0, 38);
    dir.writeUInt32LE(offset, 42);
    central.push(dir, e.name);
    offset += local.length + e.name.length + e.data.length;
  }
  const dirSize = central.reduce((n, b) => n + b.length, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(dirSize, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...parts, ...central, end]);
}
