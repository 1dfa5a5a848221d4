// A minimal POSIX ustar container for Visage archives: regular files only, ASCII names Visage makes
// itself (never names from the archive used as paths: entries are read into memory, not extracted).
// Written through a file descriptor entry by entry, read by scanning headers and reading entries on demand,
// so neither side holds a whole archive in memory. Any tar tool can list or unpack the result.
import fs from 'node:fs';
import { VisageError } from '../../errors.js';

const BLOCK = 512;
const MAX_NAME = 100;

export class TarWriter {
  private constructor(private readonly fd: number) {}

  static create(file: string): TarWriter {
    return new TarWriter(fs.openSync(file, 'w'));
  }

  add(name: string, data: Uint8Array, mtime = Date.now()): void {
    if (!/^[\x21-\x7e]+$/.test(name) || name.length > MAX_NAME)
      throw new Error(`tar entry name not supported: ${name}`);
    const header = Buffer.alloc(BLOCK);
    header.write(name, 0, 'ascii');
    writeOctal(header, 100, 8, 0o644); // mode
    writeOctal(header, 108, 8, 0); // uid
    writeOctal(header, 116, 8, 0); // gid
    writeOctal(header, 124, 12, data.length);
    writeOctal(header, 136, 12, Math.floor(mtime / 1000));
    header.write('0', 156, 'ascii'); // regular file
    header.write('ustar\u000000', 257, 'ascii'); // magic "ustar\0", version "00"
    header.fill(' ', 148, 156); // checksum is computed with its own field as spaces
    writeOctal(header, 148, 7, checksum(header));
    fs.writeSync(this.fd, header);
    fs.writeSync(this.fd, data);
    const padding = (BLOCK - (data.length % BLOCK)) % BLOCK;
    if (padding) fs.writeSync(this.fd, Buffer.alloc(padding));
  }

  /** Writes the end-of-archive marker (two zero blocks) and closes the file. */
  close(): void {
    fs.writeSync(this.fd, Buffer.alloc(2 * BLOCK));
    fs.closeSync(this.fd);
  }

  /** Closes without finishing (after an error; the caller removes the file). */
  abort(): void {
    fs.closeSync(this.fd);
  }
}

export class TarReader {
  private constructor(
    private readonly fd: number,
    private readonly file: string,
    private readonly entries: Map<string, { offset: number; size: number }>,
  ) {}

  /** Indexes the entries of a tar file. Errors: `invalid_archive` (not a tar file, damaged header, truncated). */
  static open(file: string): TarReader {
    const fd = fs.openSync(file, 'r');
    try {
      const size = fs.fstatSync(fd).size;
      const entries = new Map<string, { offset: number; size: number }>();
      const header = Buffer.alloc(BLOCK);
      let offset = 0;
      for (;;) {
        if (offset + BLOCK > size)
          throw invalidArchive(file, 'it ends in the middle of an entry (truncated?)');
        fs.readSync(fd, header, 0, BLOCK, offset);
        if (header.every((b) => b === 0)) break;
        if (header.toString('ascii', 257, 262) !== 'ustar')
          throw invalidArchive(file, 'it is not a tar archive');
        if (readOctal(header, 148, 8) !== checksum(header))
          throw invalidArchive(file, `the header at byte ${offset} is damaged`);
        const name = header.toString('utf8', 0, MAX_NAME).replace(/\0.*$/s, '');
        const entrySize = readOctal(header, 124, 12);
        // A size field that is not octal digits (base-256 sizes are for >8 GB entries, never written here).
        if (!Number.isSafeInteger(entrySize))
          throw invalidArchive(file, `the header at byte ${offset} has no valid size`);
        const type = String.fromCharCode(header[156]!);
        offset += BLOCK;
        if (offset + entrySize > size)
          throw invalidArchive(file, `the entry ${name} is cut off (truncated?)`);
        if (type === '0' || type === '\0') {
          // Two entries of one name: which one a reader takes differs between tools; refuse rather than guess.
          if (entries.has(name)) throw invalidArchive(file, `it holds ${name} twice`);
          entries.set(name, { offset, size: entrySize });
        }
        offset += Math.ceil(entrySize / BLOCK) * BLOCK;
      }
      return new TarReader(fd, file, entries);
    } catch (e) {
      fs.closeSync(fd);
      throw e;
    }
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  /** An entry's size in bytes (0 when absent), known without reading it. */
  size(name: string): number {
    return this.entries.get(name)?.size ?? 0;
  }

  /** An entry's bytes. Errors: `invalid_archive` when the archive has no such entry. */
  read(name: string): Buffer {
    const entry = this.entries.get(name);
    if (!entry) throw invalidArchive(this.file, `it has no entry ${name}`);
    const out = Buffer.alloc(entry.size);
    fs.readSync(this.fd, out, 0, entry.size, entry.offset);
    return out;
  }

  close(): void {
    fs.closeSync(this.fd);
  }
}

function checksum(header: Buffer): number {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : header[i]!;
  return sum;
}

/** Zero-padded octal followed by a NUL, as ustar stores numbers. */
function writeOctal(header: Buffer, offset: number, length: number, value: number): void {
  const digits = value.toString(8);
  if (digits.length > length - 1) throw new Error(`tar field too small for ${value}`);
  header.write(`${digits.padStart(length - 1, '0')}\0`, offset, 'ascii');
}

function readOctal(header: Buffer, offset: number, length: number): number {
  const text = header
    .toString('ascii', offset, offset + length)
    .replace(/[\0 ]+$/, '')
    .trim();
  return /^[0-7]+$/.test(text) ? parseInt(text, 8) : NaN;
}

export function invalidArchive(file: string, problem: string): VisageError {
  return new VisageError('invalid_archive', `${file} is not a readable Visage archive: ${problem}.`, {
    file,
  });
}
