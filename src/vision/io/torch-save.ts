/**
 * A `torch.save` file of a state_dict: a ZIP archive holding `<folder>/data.pkl` (a pickle of the
 * dictionary) and `<folder>/data/<key>` (each storage's raw little-endian bytes). The folder is
 * the file's stem in torch 1.x (`resnet18/data.pkl`) and `archive/` in torch 2.x; any is
 * accepted.
 *
 * The pickle is read by a safe subset of the pickle machine: only the opcodes a state_dict uses,
 * and only these globals: `collections.OrderedDict`, `torch._utils._rebuild_tensor_v2` and
 * `_rebuild_parameter`, and the storage classes of float32, float16, bfloat16 and int64. Anything
 * else (`os.system`, `builtins.eval`, any other callable) is refused with a `FormatError` that
 * names it; no code is ever run, and nothing is allocated before its size is checked against the
 * file.
 *
 * @module
 */
import { FormatError } from '../../core/errors.js';
import { decodeElements, type WeightDtype, type WeightTensor } from './safetensors.js';
import { zipEntries } from './zip-entries.js';

const STORAGES: Record<string, WeightDtype> = {
  FloatStorage: 'F32',
  HalfStorage: 'F16',
  BFloat16Storage: 'BF16',
  LongStorage: 'I64',
};
const BYTES: Record<WeightDtype, number> = { F32: 4, F16: 2, BF16: 2, I64: 8 };

/** A global the safe subset allows. */
interface Global {
  global: 'OrderedDict' | 'rebuildTensor' | 'rebuildParameter' | 'storage';
  dtype?: WeightDtype;
}
/** A storage reference from a persistent id. */
interface StorageRef {
  storage: WeightDtype;
  key: string;
  numel: number;
}
/** A tensor: a view of a storage. */
interface TensorRef {
  tensor: StorageRef;
  offset: number;
  shape: number[];
  stride: number[];
}
type Value =
  | null
  | boolean
  | number
  | string
  | Value[]
  | Map<unknown, Value>
  | Global
  | StorageRef
  | TensorRef
  | { tuple: Value[] };

const MARK = Symbol('mark');

function allowGlobal(module: string, name: string, what: string): Global {
  const full = `${module}.${name}`;
  if (full === 'collections.OrderedDict') return { global: 'OrderedDict' };
  if (full === 'torch._utils._rebuild_tensor_v2') return { global: 'rebuildTensor' };
  if (full === 'torch._utils._rebuild_parameter') return { global: 'rebuildParameter' };
  if (module === 'torch' && name in STORAGES) return { global: 'storage', dtype: STORAGES[name]! };
  throw new FormatError(
    `${what}: the pickle asks for the global ${full}, which a state_dict does not use; refused (nothing was run).`,
  );
}

/**
 * Unpickles a state_dict with the safe subset (see the module's description).
 *
 * @internal
 */
export function unpickleStateDict(pkl: Uint8Array, what: string): Value {
  const view = new DataView(pkl.buffer, pkl.byteOffset, pkl.byteLength);
  const stack: (Value | typeof MARK)[] = [];
  const memo = new Map<number, Value>();
  let p = 0;
  const need = (n: number) => {
    if (p + n > pkl.length) throw new FormatError(`${what}: the pickle is truncated at byte ${p}.`);
  };
  const u8 = () => {
    need(1);
    return pkl[p++]!;
  };
  const u32 = () => {
    need(4);
    const v = view.getUint32(p, true);
    p += 4;
    return v;
  };
  const text = (n: number) => {
    need(n);
    const s = new TextDecoder().decode(pkl.subarray(p, p + n));
    p += n;
    return s;
  };
  const line = () => {
    const end = pkl.indexOf(0x0a, p);
    if (end < 0) throw new FormatError(`${what}: the pickle is truncated in a GLOBAL.`);
    const s = new TextDecoder().decode(pkl.subarray(p, end));
    p = end + 1;
    return s;
  };
  const pop = (): Value => {
    const v = stack.pop();
    if (v === undefined || v === MARK)
      throw new FormatError(`${what}: the pickle's stack underflows at byte ${p}.`);
    return v;
  };
  const popMark = (): Value[] => {
    const items: Value[] = [];
    for (;;) {
      const v = stack.pop();
      if (v === undefined)
        throw new FormatError(`${what}: the pickle has no MARK where it needs one.`);
      if (v === MARK) return items.reverse();
      items.push(v);
    }
  };
  const tuple = (items: Value[]) => ({ tuple: items });
  const setItems = (target: Value, items: Value[]) => {
    if (!(target instanceof Map))
      throw new FormatError(`${what}: the pickle sets items on something that is not a dict.`);
    for (let i = 0; i + 1 < items.length; i += 2) target.set(items[i], items[i + 1]!);
  };
  for (;;) {
    const op = u8();
    switch (op) {
      case 0x80: // PROTO
        u8();
        break;
      case 0x95: // FRAME
        need(8);
        p += 8;
        break;
      case 0x2e: // STOP
        return pop();
      case 0x7d: // EMPTY_DICT
        stack.push(new Map());
        break;
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push(tuple([]));
        break;
      case 0x28: // MARK
        stack.push(MARK);
        break;
      case 0x71: // BINPUT
        memo.set(u8(), stack.at(-1) as Value);
        break;
      case 0x72: // LONG_BINPUT
        memo.set(u32(), stack.at(-1) as Value);
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, stack.at(-1) as Value);
        break;
      case 0x68: // BINGET
      case 0x6a: {
        // LONG_BINGET
        const key = op === 0x68 ? u8() : u32();
        if (!memo.has(key))
          throw new FormatError(`${what}: the pickle reads memo ${key}, never stored.`);
        stack.push(memo.get(key)!);
        break;
      }
      case 0x58: // BINUNICODE
        stack.push(text(u32()));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(text(u8()));
        break;
      case 0x4b: // BININT1
        stack.push(u8());
        break;
      case 0x4d: // BININT2
        need(2);
        stack.push(view.getUint16(p, true));
        p += 2;
        break;
      case 0x4a: // BININT
        need(4);
        stack.push(view.getInt32(p, true));
        p += 4;
        break;
      case 0x8a: {
        // LONG1
        const n = u8();
        need(n);
        let v = 0n;
        for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(pkl[p + i]!);
        if (n > 0 && pkl[p + n - 1]! & 0x80) v -= 1n << BigInt(8 * n);
        p += n;
        stack.push(Number(v));
        break;
      }
      case 0x47: // BINFLOAT
        need(8);
        stack.push(view.getFloat64(p, false));
        p += 8;
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x63: {
        // GLOBAL
        const module = line();
        const name = line();
        stack.push(allowGlobal(module, name, what));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        stack.push(allowGlobal(String(module), String(name), what));
        break;
      }
      case 0x74: // TUPLE
        stack.push(tuple(popMark()));
        break;
      case 0x85: // TUPLE1
        stack.push(tuple([pop()]));
        break;
      case 0x86: {
        // TUPLE2
        const b = pop();
        stack.push(tuple([pop(), b]));
        break;
      }
      case 0x87: {
        // TUPLE3
        const c = pop();
        const b = pop();
        stack.push(tuple([pop(), b, c]));
        break;
      }
      case 0x61: {
        // APPEND
        const v = pop();
        const list = stack.at(-1);
        if (!Array.isArray(list))
          throw new FormatError(`${what}: the pickle appends to something that is not a list.`);
        list.push(v);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark();
        const list = stack.at(-1);
        if (!Array.isArray(list))
          throw new FormatError(`${what}: the pickle appends to something that is not a list.`);
        list.push(...items);
        break;
      }
      case 0x73: {
        // SETITEM
        const v = pop();
        const k = pop();
        setItems(stack.at(-1) as Value, [k, v]);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popMark();
        setItems(stack.at(-1) as Value, items);
        break;
      }
      case 0x51: {
        // BINPERSID: ('storage', storage class, key, location, numel)
        const pid = pop() as { tuple?: Value[] };
        const t = pid?.tuple;
        const cls = t?.[1] as Global | undefined;
        if (
          t?.[0] !== 'storage' ||
          cls?.global !== 'storage' ||
          typeof t[2] !== 'string' ||
          typeof t[4] !== 'number'
        ) {
          throw new FormatError(
            `${what}: the pickle has a persistent id that is not a tensor storage.`,
          );
        }
        stack.push({ storage: cls.dtype!, key: t[2], numel: t[4] });
        break;
      }
      case 0x52: {
        // REDUCE
        const args = (pop() as { tuple?: Value[] }).tuple;
        const callable = pop() as Global;
        if (!args || typeof callable !== 'object' || callable === null || !('global' in callable)) {
          throw new FormatError(
            `${what}: the pickle calls something other than an allowed global; refused.`,
          );
        }
        if (callable.global === 'OrderedDict') stack.push(new Map());
        else if (callable.global === 'rebuildTensor') {
          const [storage, offset, shape, stride] = args as [
            StorageRef,
            number,
            { tuple: number[] },
            { tuple: number[] },
          ];
          if (
            !storage ||
            typeof storage !== 'object' ||
            !('storage' in storage) ||
            !shape?.tuple ||
            !stride?.tuple
          ) {
            throw new FormatError(
              `${what}: _rebuild_tensor_v2 is called with arguments a state_dict does not have.`,
            );
          }
          stack.push({ tensor: storage, offset, shape: shape.tuple, stride: stride.tuple });
        } else if (callable.global === 'rebuildParameter') stack.push(args[0]!);
        else throw new FormatError(`${what}: the pickle calls a storage class; refused.`);
        break;
      }
      case 0x62: // BUILD: a dict's attributes (a state_dict's `_metadata`): ignored
        pop();
        break;
      default:
        throw new FormatError(
          `${what}: the pickle uses opcode 0x${op.toString(16).padStart(2, '0')} at byte ${p - 1}, which a state_dict does not use; refused.`,
        );
    }
  }
}

/** A tensor's values from its storage bytes, honouring offset and strides. */
function materialise(
  ref: TensorRef,
  storage: Uint8Array,
  name: string,
  what: string,
): WeightTensor {
  const dtype = ref.tensor.storage;
  const size = BYTES[dtype];
  if (storage.length < ref.tensor.numel * size) {
    throw new FormatError(
      `${what}: the storage of '${name}' holds ${storage.length} bytes, fewer than its ${ref.tensor.numel} elements need.`,
    );
  }
  const shape = ref.shape;
  const count = shape.reduce((a, b) => a * b, 1);
  // the furthest element the view reaches must lie in the storage
  const last =
    ref.offset + shape.reduce((a, d, i) => a + (d > 0 ? (d - 1) * ref.stride[i]! : 0), 0);
  if (count > 0 && (ref.offset < 0 || last >= ref.tensor.numel)) {
    throw new FormatError(`${what}: tensor '${name}' reaches past its storage.`);
  }
  const contiguous = shape.every(
    (_, i) => ref.stride[i] === shape.slice(i + 1).reduce((a, b) => a * b, 1) || shape[i] === 1,
  );
  if (contiguous)
    return { dtype, shape, values: decodeElements(storage, ref.offset * size, count, dtype) };
  const all = decodeElements(storage, 0, ref.tensor.numel, dtype);
  const out = new Float32Array(count);
  const index = new Array<number>(shape.length).fill(0);
  for (let i = 0; i < count; i++) {
    let at = ref.offset;
    for (let d = 0; d < shape.length; d++) at += index[d]! * ref.stride[d]!;
    out[i] = all[at]!;
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++index[d]! < shape[d]!) break;
      index[d] = 0;
    }
  }
  return { dtype, shape, values: out };
}

/**
 * Reads a `torch.save(state_dict)` file: tensors by name (a checkpoint dict holding the
 * state_dict under `state_dict`, `model_state_dict` or `model` is unwrapped).
 *
 * @throws {@link FormatError} for a malformed archive or pickle, or anything outside the safe
 *   subset.
 * @internal
 */
export function readTorchSave(bytes: Uint8Array, what: string): Map<string, WeightTensor> {
  const entries = zipEntries(bytes, what);
  const pklName = [...entries.keys()].find((n) => /^[^/]+\/data\.pkl$/.test(n));
  if (!pklName)
    throw new FormatError(`${what}: the archive has no <folder>/data.pkl; not a torch.save file.`);
  const folder = pklName.slice(0, -'data.pkl'.length);
  let root = unpickleStateDict(entries.get(pklName)!, what);
  if (
    root instanceof Map &&
    ![...root.values()].some((v) => typeof v === 'object' && v !== null && 'tensor' in v)
  ) {
    for (const key of ['state_dict', 'model_state_dict', 'model']) {
      if (root.get(key) instanceof Map) {
        root = root.get(key)!;
        break;
      }
    }
  }
  if (!(root instanceof Map))
    throw new FormatError(`${what}: the pickle does not hold a dict of tensors.`);
  const out = new Map<string, WeightTensor>();
  for (const [name, value] of root) {
    if (
      typeof name !== 'string' ||
      typeof value !== 'object' ||
      value === null ||
      !('tensor' in value)
    )
      continue;
    const ref = value as TensorRef;
    const storage = entries.get(`${folder}data/${ref.tensor.key}`);
    if (!storage)
      throw new FormatError(
        `${what}: the storage of '${name}' (${folder}data/${ref.tensor.key}) is missing.`,
      );
    out.set(name, materialise(ref, storage, name, what));
  }
  return out;
}
