/**
 * RDKit's WebAssembly build (`@rdkit/rdkit`, an optional peer dependency), started once, lazily.
 * The library never imports the package itself (a dynamic import of an optional package breaks
 * browser bundles): the application passes `initRDKitModule` to {@link loadRdkit} or a started
 * module to {@link useRdkit}; `tfjs-medkit/node` registers the installed package for Node and
 * Deno.
 *
 * @module
 */
import { ArgumentError, BackendError } from '../../core/errors.js';
import { resolveOptions } from '../../core/validate.js';

/** The part of an RDKit `JSMol` the library uses. */
export interface RdkitMol {
  /** Whether the molecule parsed and sanitised. */
  is_valid(): boolean;
  /** Canonical SMILES. */
  get_smiles(): string;
  /** Morgan fingerprint, packed 8 bits a byte; `details` is JSON `{ radius, nBits }`. */
  get_morgan_fp_as_uint8array(details: string): Uint8Array;
  /** RDKit's descriptors as JSON (`amw`, `CrippenClogP`, `tpsa`, `NumHBD`, …). */
  get_descriptors(): string;
  /** The molecule as RDKit's JSON (atoms and bonds). */
  get_json(): string;
  /** All matches of a query molecule, as JSON `[{ atoms, bonds }]` (`{}` for none). */
  get_substruct_matches(query: RdkitMol): string;
  /** Atom count (heavy atoms and explicit hydrogens). */
  get_num_atoms(): number;
  /** Removes explicit hydrogens. */
  remove_hs_in_place(): void;
  /** Frees the molecule's WebAssembly memory. */
  delete(): void;
}

/** The part of RDKit's module (`initRDKitModule()`'s result) the library uses. */
export interface RdkitModule {
  /** Parses SMILES (or a molfile); `null` when RDKit rejects it. */
  get_mol(input: string, details?: string): RdkitMol | null;
  /** Parses SMARTS into a query molecule; `null` when RDKit rejects it. */
  get_qmol(smarts: string): RdkitMol | null;
  /** RDKit's version. */
  version(): string;
}

/** Options of {@link loadRdkit}. */
export interface LoadRdkitOptions {
  /**
   * `@rdkit/rdkit`'s default export (`initRDKitModule`), imported by the application:
   * `import initRDKitModule from '@rdkit/rdkit'`. Needed once, in browsers, before the first
   * molecule function; Node and Deno need it only without `tfjs-medkit/node`.
   */
  init?: (options?: object) => Promise<RdkitModule>;
  /**
   * Where the browser finds `RDKit_minimal.wasm` (Emscripten's `locateFile`), when it is not
   * served next to the script. Node and Deno find it themselves.
   */
  locateFile?: (file: string) => string;
}

/**
 * Parses `input` (SMILES or a molfile) and hands the molecule to `use`, freeing its WebAssembly
 * memory afterwards; `undefined` for an empty string, or one RDKit rejects.
 *
 * @internal
 */
export function withMolecule<R>(
  rdkit: RdkitModule,
  input: string,
  use: (mol: RdkitMol) => R,
): R | undefined {
  if (input.trim() === '') return undefined;
  const mol = rdkit.get_mol(input);
  if (!mol) return undefined;
  try {
    return mol.is_valid() ? use(mol) : undefined;
  } finally {
    mol.delete();
  }
}

/**
 * A molecule's atoms and bonds from RDKit's JSON (Kekulé bonds; an absent `z` is carbon, an
 * absent `bo` a single bond).
 *
 * @internal
 */
export function moleculeJson(mol: RdkitMol): {
  atoms: { z?: number; chg?: number; nRad?: number; isotope?: number }[];
  bonds: { bo?: number; atoms: [number, number] }[];
} {
  const { molecules } = JSON.parse(mol.get_json()) as {
    molecules: { atoms: []; bonds?: { bo?: number; atoms: [number, number] }[] }[];
  };
  return { atoms: molecules[0]!.atoms, bonds: molecules[0]!.bonds ?? [] };
}

/**
 * Checks that `value` is an array of strings, naming the first element that is not.
 *
 * @throws `ArgumentError`.
 * @internal
 */
export function checkSmilesList(
  fn: string,
  name: string,
  value: unknown,
  expected = 'an array of SMILES strings',
): asserts value is readonly string[] {
  if (!Array.isArray(value)) throw new ArgumentError(`${fn}: \`${name}\` must be ${expected}.`);
  const bad = value.findIndex((s) => typeof s !== 'string');
  if (bad >= 0) throw new ArgumentError(`${fn}: \`${name}[${bad}]\` is not a string.`);
}

let loading: Promise<RdkitModule> | undefined;
let given: RdkitModule | undefined;
let importer: (() => Promise<unknown>) | undefined;

/**
 * Where `loadRdkit` finds `initRDKitModule` when the application passes none: set by
 * `tfjs-medkit/node` to an import of the installed `@rdkit/rdkit`. @internal
 */
export function setRdkitImporter(load: (() => Promise<unknown>) | undefined): void {
  importer = load;
}

const HOW =
  "in a browser, `import initRDKitModule from '@rdkit/rdkit'` and call `await loadRdkit({ init: initRDKitModule })` once (or `useRdkit(module)`); in Node and Deno, import 'tfjs-medkit/node', which finds an installed @rdkit/rdkit";

/**
 * Starts RDKit's WebAssembly build once and returns it; later calls return the same module.
 *
 * Which build: `options.init` (the application's `initRDKitModule`), else the installed
 * `@rdkit/rdkit` that `tfjs-medkit/node` registers. The molecule functions call this
 * themselves, so a browser app calls it once, with `init`, before them.
 *
 * @throws `BackendError` when no RDKit was given or registered, or when it does not start.
 * @example
 * ```ts
 * import initRDKitModule from '@rdkit/rdkit';
 * const rdkit = await loadRdkit({ init: initRDKitModule, locateFile: () => '/RDKit_minimal.wasm' });
 * const mol = rdkit.get_mol('c1ccccc1O');
 * mol?.get_smiles(); // 'Oc1ccccc1'
 * mol?.delete();
 * ```
 */
export function loadRdkit(options?: LoadRdkitOptions): Promise<RdkitModule> {
  const { locateFile, init } = resolveOptions('loadRdkit', options, {
    locateFile: { constraint: { kind: 'function' } },
    init: { constraint: { kind: 'function' } },
  });
  if (given) return Promise.resolve(given);
  loading ??= (async () => {
    let start = init as ((o?: object) => Promise<RdkitModule>) | undefined;
    if (!start && importer) {
      try {
        const mod = (await importer()) as { default?: unknown };
        start = (mod.default ?? mod) as (o?: object) => Promise<RdkitModule>;
      } catch (e) {
        throw new BackendError(
          'Molecule chemistry needs RDKit: install the optional peer dependency `@rdkit/rdkit` (npm i @rdkit/rdkit).',
          { cause: e },
        );
      }
    }
    if (!start)
      throw new BackendError(`Molecule chemistry needs RDKit, and none was given: ${HOW}.`);
    try {
      return await start(locateFile ? { locateFile } : {});
    } catch (e) {
      throw new BackendError(`RDKit's WebAssembly module did not start: ${(e as Error).message}.`, {
        cause: e,
      });
    }
  })();
  loading.catch(() => {
    loading = undefined;
  });
  return loading;
}

/**
 * Uses an RDKit module the application has already started (e.g. one loaded from a CDN).
 *
 * @example
 * ```ts
 * useRdkit(await window.initRDKitModule());
 * ```
 */
export function useRdkit(module: RdkitModule): void {
  if (typeof module?.get_mol !== 'function') {
    throw new ArgumentError('useRdkit: `module` must be the result of initRDKitModule().');
  }
  given = module;
}
