// The entries of a zip archive (a Keras 3 `.keras` file is one: config.json, metadata.json,
// model.weights.h5), read from its central directory. Stored and deflated entries only, which
// is what Python's zipfile writes; no zip64, encryption or multi-disk archives.
import { inflateRawSync } from 'node:zlib';

/** The archive's entries by name, or a sentence saying why they cannot be read. */
export function zipEntries(zip: Buffer): { entries?: Map<string, Buffer>; error?: string } {
  // the end-of-central-directory record: signature 0x06054b50, within the last 64 KiB + 22 bytes
  let end = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 65_557); i--) {
    if (zip.readUInt32LE(i) === 0x06054b50) {
      end = i;
      break;
    }
  }
  if (end < 0) return { error: 'not a zip archive (no end of central directory)' };
  const count = zip.readUInt16LE(end + 10);
  let at = zip.readUInt32LE(end + 16);
  const entries = new Map<string, Buffer>();
  for (let n = 0; n < count; n++) {
    if (at + 46 > zip.length || zip.readUInt32LE(at) !== 0x02014b50) return { error: 'a damaged zip archive (central directory)' };
    const flags = zip.readUInt16LE(at + 8);
    const method = zip.readUInt16LE(at + 10);
    const compressed = zip.readUInt32LE(at + 20);
    const size = zip.readUInt32LE(at + 24);
    const nameLength = zip.readUInt16LE(at + 28);
    const extraLength = zip.readUInt16LE(at + 30);
    const commentLength = zip.readUInt16LE(at + 32);
    const local = zip.readUInt32LE(at + 42);
    const name = zip.toString('utf8', at + 46, at + 46 + nameLength);
    at += 46 + nameLength + extraLength + commentLength;
    if (flags & 1) return { error: `entry ${name} is encrypted` };
    if (compressed === 0xffffffff || local === 0xffffffff) return { error: 'a zip64 archive (not supported)' };
    if (local + 30 > zip.length || zip.readUInt32LE(local) !== 0x04034b50) return { error: `a damaged zip archive (entry ${name})` };
    const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    if (start + compressed > zip.length) return { error: `a truncated zip archive (entry ${name})` };
    const data = zip.subarray(start, start + compressed);
    if (method === 0) entries.set(name, data);
    else if (method === 8) {
      try {
        entries.set(name, inflateRawSync(data, { maxOutputLength: Math.max(size, 1) }));
      } catch {
        return { error: `entry ${name} does not inflate` };
      }
    } else return { error: `entry ${name} uses compression method ${method} (only stored and deflated entries are read)` };
  }
  return { entries };
}
