// A minimal protobuf *reader*, the counterpart of protobuf.ts: it splits a message into its fields
// without a schema, so that a tool which rewrites an ONNX model (the int8 quantizer) can change the few
// fields it knows and pass every other field through byte for byte.

export interface ProtoField {
  field: number;
  /** 0 varint, 1 fixed64, 2 length-delimited, 5 fixed32. */
  wire: 0 | 1 | 2 | 5;
  /** A varint as bigint; fixed and length-delimited fields as their bytes. */
  value: bigint | Uint8Array;
}

const textDecoder = new TextDecoder();

export function readFields(bytes: Uint8Array): ProtoField[] {
  const out: ProtoField[] = [];
  const at = { pos: 0 };
  const varint = (): bigint => readVarint(bytes, at);
  const take = (n: number): Uint8Array => {
    if (at.pos + n > bytes.length) throw new Error('truncated protobuf field');
    const v = bytes.subarray(at.pos, at.pos + n);
    at.pos += n;
    return v;
  };
  while (at.pos < bytes.length) {
    const tag = Number(varint());
    const field = tag >>> 3;
    const wire = tag & 7;
    if (wire === 0) out.push({ field, wire, value: varint() });
    else if (wire === 1) out.push({ field, wire, value: take(8) });
    else if (wire === 2) out.push({ field, wire, value: take(Number(varint())) });
    else if (wire === 5) out.push({ field, wire, value: take(4) });
    else throw new Error(`unsupported protobuf wire type ${wire}`);
  }
  return out;
}

/** The bytes of a length-delimited field. */
export function bytesOf(f: ProtoField): Uint8Array {
  if (!(f.value instanceof Uint8Array)) throw new Error(`protobuf field ${f.field} is not length-delimited`);
  return f.value;
}

export function stringOf(f: ProtoField): string {
  return textDecoder.decode(bytesOf(f));
}

/** A varint field's value as a (signed 64-bit) number. */
export function intOf(f: ProtoField): number {
  if (typeof f.value !== 'bigint') throw new Error(`protobuf field ${f.field} is not a varint`);
  return Number(BigInt.asIntN(64, f.value));
}

/** A repeated int64 field, packed or not. */
export function intsOf(fields: readonly ProtoField[], field: number): number[] {
  const out: number[] = [];
  for (const f of fields) {
    if (f.field !== field) continue;
    if (f.wire === 0) out.push(intOf(f));
    else for (const p of readPackedVarints(bytesOf(f))) out.push(p);
  }
  return out;
}

function readPackedVarints(bytes: Uint8Array): number[] {
  const out: number[] = [];
  const at = { pos: 0 };
  while (at.pos < bytes.length) out.push(Number(BigInt.asIntN(64, readVarint(bytes, at))));
  return out;
}

/** The varint at `at.pos`, which it advances past it. */
function readVarint(bytes: Uint8Array, at: { pos: number }): bigint {
  let result = 0n;
  let shift = 0n;
  for (;;) {
    if (at.pos >= bytes.length) throw new Error('truncated protobuf varint');
    const b = bytes[at.pos++]!;
    result |= BigInt(b & 0x7f) << shift;
    if (b < 0x80) return result;
    shift += 7n;
  }
}
